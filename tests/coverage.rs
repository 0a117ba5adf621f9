//! Meta-test: every command in the table is exercised by some integration
//! test. A command counts as tested when a file in tests/ (other than this
//! one) names it in upper case inside quotes, as the tests send commands
//! (`"GETEX"`); the lower-case list of names in tests/server.rs does not count.

use std::path::Path;

#[test]
fn every_command_has_an_integration_test() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut text = String::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") && path.file_name().unwrap() != "coverage.rs" {
            text.push_str(&std::fs::read_to_string(&path).unwrap());
        }
    }
    let missing: Vec<&str> = ringkv::commands::all()
        .map(|c| c.name)
        .filter(|n| !text.contains(&format!("\"{}\"", n.to_ascii_uppercase())))
        .collect();
    assert!(missing.is_empty(), "commands with no integration test in tests/: {missing:?}");
}
