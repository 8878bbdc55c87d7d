//! CLI behaviour: `transform` on an object written by another tool, and clear one-line
//! errors (never a panic) for a missing lake, bad SQL and unreadable input.

mod common;

use std::time::{Duration, UNIX_EPOCH};

use common::{assert_one_line_error, int, named_rows, streamlake, streamlake_ok, text};
use serde_json::Value;

const FIXTURE: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/python_gzip_events.ndjson.gz");
/// The fixture's events are around this time; its copy gets this last-modified time.
const FIXTURE_ARRIVAL: u64 = 1_772_600_000 + 3_600;

#[test]
fn transform_processes_an_object_written_by_python_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("upload.ndjson.gz");
    std::fs::copy(FIXTURE, &input).unwrap();
    let file = std::fs::File::options().write(true).open(&input).unwrap();
    file.set_modified(UNIX_EPOCH + Duration::from_secs(FIXTURE_ARRIVAL)).unwrap();
    drop(file);
    let lake = dir.path().join("lake");
    let stdout = streamlake_ok(&[
        "transform",
        "--lake",
        lake.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
    ]);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one ledger per input: {stdout}");
    let ledger: Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(ledger["source"], input.canonicalize().unwrap().to_str().unwrap());
    assert_eq!(ledger["records_in"], 9);
    assert_eq!(ledger["written"], 5);
    assert_eq!(ledger["quarantined"], 3);
    assert_eq!(ledger["duplicates_dropped"], 1);
    let outputs = ledger["outputs"].as_array().unwrap();
    let dates: Vec<&str> = outputs.iter().map(|o| o["event_date"].as_str().unwrap()).collect();
    assert_eq!(dates, vec!["2026-03-03", "2026-03-04"]);
    let rows: Vec<u64> = outputs.iter().map(|o| o["rows"].as_u64().unwrap()).collect();
    assert_eq!(rows, vec![1, 4]);
    for output in outputs {
        assert!(lake.join(output["key"].as_str().unwrap()).is_file());
    }
    assert_eq!(ledger["schema_drift"]["experiment_arm"], 1);

    // The outputs are registered and queryable; PII never reaches silver.
    let rows = named_rows(&lake, "dq_rejections_by_reason");
    let reasons: Vec<(String, u64)> =
        rows.iter().map(|r| (text(r, "reason_code"), int(r, "rejected"))).collect();
    assert_eq!(
        reasons,
        vec![
            ("INVALID_COUNTRY".into(), 1),
            ("MALFORMED_JSON".into(), 1),
            ("UNKNOWN_EVENT_TYPE".into(), 1)
        ]
    );
    let silver = streamlake_ok(&[
        "query", "--lake", lake.to_str().unwrap(), "--format", "csv",
        "SELECT event_id, event_type, device_type, country FROM processed_netflix_events ORDER BY event_id",
    ]);
    assert_eq!(
        silver,
        "event_id,event_type,device_type,country\npy-0,PLAY_START,WEB,DE\npy-1,HEARTBEAT,WEB,DE\npy-2,HEARTBEAT,TABLET,FR\npy-5,HEARTBEAT,WEB,DE\npy-6,PLAY_STOP,WEB,DE\n"
    );
    let everything = streamlake_ok(&[
        "query",
        "--lake",
        lake.to_str().unwrap(),
        "--format",
        "json",
        "SELECT * FROM processed_netflix_events",
    ]);
    assert!(!everything.contains("192.0.2.10") && !everything.contains("viewer@example.com"));

    // Transforming the same object again prints the same ledger and rewrites the same keys.
    let again = streamlake_ok(&[
        "transform",
        "--lake",
        lake.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
    ]);
    assert_eq!(again, stdout);
}

#[test]
fn transform_reports_a_corrupt_object_without_failing() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("truncated.gz");
    let bytes = std::fs::read(FIXTURE).unwrap();
    std::fs::write(&input, &bytes[..bytes.len() - 30]).unwrap();
    let lake = dir.path().join("lake");
    let stdout = streamlake_ok(&[
        "transform",
        "--lake",
        lake.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
    ]);
    let ledger: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(ledger["quarantined_by_reason"]["CORRUPT_OBJECT"], 1);
    let records_in = ledger["records_in"].as_u64().unwrap();
    let accounted = ledger["written"].as_u64().unwrap()
        + ledger["quarantined"].as_u64().unwrap()
        + ledger["duplicates_dropped"].as_u64().unwrap();
    assert_eq!(records_in, accounted);
}

#[test]
fn missing_lake_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("nope");
    let output = streamlake(&["query", "--lake", lake.to_str().unwrap(), "SELECT 1"]);
    assert_one_line_error(&output, "lake not found");
    let output = streamlake(&["ingest", "--lake", lake.to_str().unwrap()]);
    assert_one_line_error(&output, "lake not found");
}

#[test]
fn bad_sql_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let output =
        streamlake(&["query", "--lake", dir.path().to_str().unwrap(), "SELEC nonsense FROM"]);
    assert_one_line_error(&output, "sql");
    let output = streamlake(&[
        "query",
        "--lake",
        dir.path().to_str().unwrap(),
        "SELECT * FROM no_such_table",
    ]);
    assert_one_line_error(&output, "no_such_table");
    let output = streamlake(&["query", "--lake", dir.path().to_str().unwrap(), "--named", "nope"]);
    assert_one_line_error(&output, "no named query");
}

#[test]
fn unreadable_input_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = streamlake(&[
        "transform",
        "--lake",
        dir.path().join("lake").to_str().unwrap(),
        "--input",
        dir.path().join("missing.gz").to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.lines().all(|line| line.starts_with("error: ")), "{stderr}");
    assert!(stderr.contains("missing.gz"), "{stderr}");
}

#[test]
fn queries_on_an_empty_lake_return_no_rows() {
    let dir = tempfile::tempdir().unwrap();
    let stdout = streamlake_ok(&[
        "query",
        "--lake",
        dir.path().to_str().unwrap(),
        "--format",
        "csv",
        "--named",
        "rows_per_date",
    ]);
    assert_eq!(stdout.trim(), "event_date,row_count");
}

#[test]
fn bench_transform_reports_throughput_and_peak_rss() {
    let stdout = streamlake_ok(&["bench", "transform", "--input", FIXTURE, "--iterations", "2"]);
    for label in [
        "records in:          9",
        // Validated like a normal object: not every record quarantined as FROM_FUTURE.
        "written / quarantined / duplicates: 5 / 3 / 1",
        "events/s:",
        "MB/s (gzip input):",
        "MB/s (decompressed):",
        "peak RSS:",
    ] {
        assert!(stdout.contains(label), "{label:?} in {stdout}");
    }
    assert!(!stdout.contains("n/a"), "peak RSS is measured on Linux: {stdout}");
}

#[test]
fn status_summarises_the_lake_and_checks_ledgers() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let lake_arg = lake.to_str().unwrap();
    streamlake_ok(&[
        "generate",
        "--events",
        "2000",
        "--days",
        "1",
        "--start-date",
        "2026-01-10",
        "--lake",
        lake_arg,
    ]);
    let before = streamlake_ok(&["status", "--lake", lake_arg]);
    assert!(before.contains("0 processed"), "{before}");
    streamlake_ok(&["ingest", "--lake", lake_arg]);
    let after = streamlake_ok(&["status", "--lake", lake_arg]);
    assert!(after.contains(", 0 pending") && after.contains("(0 unbalanced)"), "{after}");

    // Tamper with a ledger: status must notice and fail.
    let ledger_dir = lake.join("ledger/netflix");
    let path = std::fs::read_dir(&ledger_dir).unwrap().next().unwrap().unwrap().path();
    let mut ledger: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    ledger["written"] = Value::from(ledger["written"].as_u64().unwrap() + 1);
    std::fs::write(&path, serde_json::to_vec(&ledger).unwrap()).unwrap();
    let output = streamlake(&["status", "--lake", lake_arg]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("do not balance"));
}
