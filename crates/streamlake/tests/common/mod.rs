//! Helpers shared by the CLI integration tests: run the real `streamlake` binary.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// Runs `streamlake` with `args`, returning its output.
pub fn streamlake(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_streamlake"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .output()
        .expect("the streamlake binary runs")
}

/// Asserts that `output` is a failure with exactly one `error: ` line on stderr containing
/// `needle` (case-insensitively), and no panic or backtrace.
pub fn assert_one_line_error(output: &Output, needle: &str) {
    assert!(!output.status.success(), "must fail");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "no panic: {stderr}");
    assert!(!stderr.contains("stack backtrace"), "no backtrace: {stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    assert!(lines[0].to_lowercase().contains(&needle.to_lowercase()), "{needle:?} in {stderr}");
}

/// Runs `streamlake`, asserting success, and returns stdout.
pub fn streamlake_ok(args: &[&str]) -> String {
    let output = streamlake(args);
    assert!(
        output.status.success(),
        "streamlake {args:?} failed:\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 stdout")
}

/// Runs a named query with `--format json` and returns its rows as objects.
pub fn named_rows(lake: &Path, name: &str) -> Vec<serde_json::Map<String, Value>> {
    json_rows(&["--named", name], lake)
}

/// Runs SQL with `--format json` and returns its rows as objects.
pub fn query_rows(lake: &Path, sql: &str) -> Vec<serde_json::Map<String, Value>> {
    json_rows(&[sql], lake)
}

fn json_rows(query: &[&str], lake: &Path) -> Vec<serde_json::Map<String, Value>> {
    let mut args = vec!["query", "--lake", lake.to_str().unwrap(), "--format", "json"];
    args.extend_from_slice(query);
    let stdout = streamlake_ok(&args);
    stdout
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| match serde_json::from_str::<Value>(line).expect("JSON row") {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        })
        .collect()
}

/// Every file under `root`, with its bytes, keyed by relative path.
pub fn snapshot(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.insert(
                    path.strip_prefix(root).unwrap().to_path_buf(),
                    std::fs::read(&path).unwrap(),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// Reads an integer cell.
pub fn int(row: &serde_json::Map<String, Value>, column: &str) -> u64 {
    row.get(column).and_then(Value::as_u64).unwrap_or_else(|| panic!("{column} in {row:?}"))
}

/// Reads a string cell.
pub fn text(row: &serde_json::Map<String, Value>, column: &str) -> String {
    row.get(column)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{column} in {row:?}"))
        .to_owned()
}
