//! Lists the fee-rule files in `rules/add-ons/` and generates the code that embeds them
//! (`src/domain/add_on/embedded.rs` includes it), so that adding or changing a revision
//! file needs no code change and the binary still carries its rules with it.

use std::error::Error;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::{env, fs};

fn main() -> Result<(), Box<dyn Error>> {
    let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?).join("rules/add-ons");
    // A directory makes cargo rerun this script when any file in it is added, removed or
    // changed.
    println!("cargo::rerun-if-changed=rules/add-ons");
    println!("cargo::rerun-if-changed=build.rs");

    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for entry in fs::read_dir(&dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "toml") {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| format!("{} is not a UTF-8 file name", path.display()))?
                .to_owned();
            files.push((name, path));
        }
    }
    files.sort();

    let mut out = String::from(
        "/// `(file name, text)` of every file in `rules/add-ons/`, by name.\n\
         pub(super) const FILES: &[(&str, &str)] = &[\n",
    );
    for (name, path) in &files {
        let path = path.to_str().ok_or("rules path is not UTF-8")?;
        writeln!(out, "    ({name:?}, include_str!({path:?})),")?;
    }
    out.push_str("];\n");
    fs::write(
        PathBuf::from(env::var("OUT_DIR")?).join("add_on_rules.rs"),
        out,
    )?;
    Ok(())
}
