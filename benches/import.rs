//! CSV import benchmark (being written).

fn main() {}
