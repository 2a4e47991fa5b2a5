//! The rules files as they were at build time: `build.rs` lists `rules/add-ons/*.toml`
//! and includes each, so adding a revision file needs no change here.

include!(concat!(env!("OUT_DIR"), "/add_on_rules.rs"));
