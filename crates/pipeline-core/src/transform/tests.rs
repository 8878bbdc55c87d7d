//! Transform tests against real Parquet output.

use std::fs::File;
use std::io::Write;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, TimestampMillisecondType};
use arrow_array::RecordBatch;
use flate2::write::GzEncoder;
use flate2::Compression;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use proptest::prelude::*;
use serde_json::json;

use super::*;

/// 2026-03-04T05:06:07Z
const ARRIVAL: i64 = 1_772_600_767;
const KEY: &str = "raw/netflix/ingest_year=2026/ingest_month=03/ingest_day=04/ingest_hour=05/netflix-playback-1-2026-03-04-05-06-07-0a1b2c3d-4e5f-6789-abcd-ef0123456789.gz";

fn source() -> SourceObject {
    SourceObject { key: KEY.to_owned(), etag: "etag-1".to_owned(), last_modified: 42 }
}

fn event(id: &str, ts: i64) -> serde_json::Value {
    json!({
        "event_id": id, "user_id": "u1", "profile_id": "p1", "title_id": "t1", "session_id": "s1",
        "event_type": "heartbeat", "event_ts": ts, "position_ms": 60000, "device_type": "tv",
        "country": "br", "bitrate_kbps": 5800, "client_ip": "198.51.100.7", "email": "x@example.com"
    })
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn lines(values: &[String]) -> Vec<u8> {
    values.iter().flat_map(|line| format!("{line}\n").into_bytes()).collect()
}

fn run(source: &SourceObject, object: &[u8]) -> (TransformOutput, tempfile::TempDir) {
    let staging = tempfile::tempdir().unwrap();
    let reader: BlobReader = Box::new(std::io::Cursor::new(object.to_vec()));
    let output = transform_object(source, reader, &TransformConfig::new(staging.path())).unwrap();
    (output, staging)
}

fn read(file: &NamedTempFile) -> RecordBatch {
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(file.path()).unwrap())
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<RecordBatch> = reader.map(|batch| batch.unwrap()).collect();
    arrow_select_concat(&batches)
}

fn arrow_select_concat(batches: &[RecordBatch]) -> RecordBatch {
    assert!(!batches.is_empty());
    if batches.len() == 1 {
        return batches[0].clone();
    }
    panic!("tests expect one batch per file, got {}", batches.len());
}

fn strings(batch: &RecordBatch, column: &str) -> Vec<String> {
    batch
        .column_by_name(column)
        .unwrap()
        .as_string::<i32>()
        .iter()
        .map(|value| value.unwrap_or("<null>").to_owned())
        .collect()
}

#[test]
fn mixed_object_balances_and_routes_every_record() {
    let day = 86_400;
    let records = vec![
        event("a", ARRIVAL - 10).to_string(),
        event("a", ARRIVAL - 10).to_string(),       // duplicate
        event("b", ARRIVAL - day).to_string(),      // previous date
        "{not json".to_owned(),                     // MALFORMED_JSON
        json!({"event_id": "c"}).to_string(),       // MISSING_FIELD
        event("d", ARRIVAL + 7_200).to_string(),    // FROM_FUTURE
        event("e", ARRIVAL - 40 * day).to_string(), // TOO_OLD
        {
            let mut value = event("f", ARRIVAL);
            value["drift"] = json!(true);
            value.to_string()
        },
        "   ".to_owned(), // blank: not a record
    ];
    let (output, _staging) = run(&source(), &gzip(&lines(&records)));
    let ledger = &output.ledger;
    assert_eq!(ledger.records_in, 8);
    assert_eq!(ledger.written, 3);
    assert_eq!(ledger.duplicates_dropped, 1);
    assert_eq!(ledger.quarantined, 4);
    assert!(ledger.balances());
    assert_eq!(ledger.schema_drift.get("drift"), Some(&1));
    for reason in ["MALFORMED_JSON", "MISSING_FIELD", "FROM_FUTURE", "TOO_OLD"] {
        assert_eq!(ledger.quarantined_by_reason.get(reason), Some(&1), "{reason}");
    }
    let dates: Vec<&str> = ledger.outputs.iter().map(|o| o.event_date.as_str()).collect();
    assert_eq!(dates, vec!["2026-03-03", "2026-03-04"]);
    assert_eq!(ledger.quarantine_outputs[0].ingest_date, "2026-03-04");
    assert_eq!(ledger.ingest_timestamp, "2026-03-04T05:06:07Z");
    let digest = source().digest();
    assert_eq!(
        ledger.outputs[1].key,
        format!("processed/netflix/processed_partitioned/event_date=2026-03-04/part-{digest}.snappy.parquet")
    );

    // Silver content: derived columns, canonical enums, no PII.
    let silver = read(&output.staged[1].file);
    assert_eq!(strings(&silver, "event_id"), vec!["a", "f"]);
    assert_eq!(strings(&silver, "event_type"), vec!["HEARTBEAT", "HEARTBEAT"]);
    assert_eq!(strings(&silver, "device_type"), vec!["TV", "TV"]);
    assert_eq!(strings(&silver, "country"), vec!["BR", "BR"]);
    assert_eq!(strings(&silver, "source_object"), vec![KEY, KEY]);
    let ts = silver
        .column_by_name("event_timestamp")
        .unwrap()
        .as_primitive::<TimestampMillisecondType>();
    assert_eq!(ts.value(0), (ARRIVAL - 10) * 1000);
    let ingest = silver
        .column_by_name("ingest_timestamp")
        .unwrap()
        .as_primitive::<TimestampMillisecondType>();
    assert_eq!(ingest.value(0), ARRIVAL * 1000);
    assert!(silver.schema().field_with_name("client_ip").is_err());
    assert!(silver.schema().field_with_name("email").is_err());
    assert!(silver.schema().field_with_name("drift").is_err());

    // Quarantine content: reason, line number, raw record with PII kept.
    let quarantine = read(&output.staged[2].file);
    assert_eq!(
        strings(&quarantine, "reason_code"),
        vec!["MALFORMED_JSON", "MISSING_FIELD", "FROM_FUTURE", "TOO_OLD"]
    );
    let line_numbers =
        quarantine.column_by_name("line_number").unwrap().as_primitive::<Int64Type>();
    assert_eq!(line_numbers.values().to_vec(), vec![4, 5, 6, 7]);
    assert!(strings(&quarantine, "raw_record")[2].contains("198.51.100.7"));
}

#[test]
fn an_invalid_line_never_shadows_a_valid_one() {
    let mut bad = event("x", ARRIVAL);
    bad["country"] = json!("ZZ");
    let records =
        vec![bad.to_string(), event("x", ARRIVAL).to_string(), event("x", ARRIVAL).to_string()];
    let (output, _staging) = run(&source(), &gzip(&lines(&records)));
    assert_eq!(output.ledger.written, 1);
    assert_eq!(output.ledger.quarantined, 1);
    assert_eq!(output.ledger.duplicates_dropped, 1);
}

#[test]
fn output_bytes_are_identical_across_runs() {
    let records: Vec<String> =
        (0..5000).map(|i| event(&format!("e{i}"), ARRIVAL - i).to_string()).collect();
    let object = gzip(&lines(&records));
    let (first, _a) = run(&source(), &object);
    let (second, _b) = run(&source(), &object);
    assert_eq!(first.ledger, second.ledger);
    for (a, b) in first.staged.iter().zip(&second.staged) {
        assert_eq!(a.key, b.key);
        assert_eq!(std::fs::read(a.file.path()).unwrap(), std::fs::read(b.file.path()).unwrap());
    }
}

#[test]
fn truncated_object_keeps_decoded_records_and_counts_the_fault_once() {
    let records: Vec<String> =
        (0..3000).map(|i| event(&format!("e{i}"), ARRIVAL - i).to_string()).collect();
    let object = gzip(&lines(&records));
    let (output, _staging) = run(&source(), &object[..object.len() * 2 / 3]);
    let ledger = &output.ledger;
    assert!(ledger.balances());
    assert_eq!(ledger.quarantined_by_reason.get("CORRUPT_OBJECT"), Some(&1));
    assert_eq!(ledger.quarantined, 1);
    assert!(ledger.written > 500, "kept {}", ledger.written);
    assert_eq!(ledger.records_in, ledger.written + 1);
}

#[test]
fn non_gzip_and_empty_objects() {
    let plain = lines(&[event("a", ARRIVAL).to_string()]);
    let (output, _staging) = run(&source(), &plain);
    assert_eq!(output.ledger.records_in, 1);
    assert_eq!(output.ledger.quarantined_by_reason.get("CORRUPT_OBJECT"), Some(&1));
    assert!(output.ledger.outputs.is_empty());

    let (output, _staging) = run(&source(), b"");
    assert_eq!(output.ledger.records_in, 0);
    assert!(output.staged.is_empty());
    assert!(output.ledger.balances());
}

#[test]
fn keys_not_in_firehose_form_use_last_modified_as_arrival() {
    let source = SourceObject {
        key: "uploads/manual.ndjson.gz".into(),
        etag: "e".into(),
        last_modified: ARRIVAL,
    };
    let (output, _staging) = run(&source, &gzip(&lines(&[event("a", ARRIVAL - 5).to_string()])));
    assert_eq!(output.ledger.written, 1);
    assert_eq!(output.ledger.ingest_timestamp, "2026-03-04T05:06:07Z");
}

#[test]
fn oversized_records_are_quarantined_with_a_bounded_raw_record() {
    let mut big = event("big", ARRIVAL);
    big["app_version"] = json!("v".repeat(event_model::MAX_RECORD_BYTES));
    let records = vec![big.to_string(), event("ok", ARRIVAL).to_string()];
    let (output, _staging) = run(&source(), &gzip(&lines(&records)));
    assert_eq!(output.ledger.quarantined_by_reason.get("OVERSIZED_RECORD"), Some(&1));
    assert_eq!(output.ledger.written, 1);
    let quarantine = read(&output.staged[1].file);
    assert!(strings(&quarantine, "raw_record")[0].len() <= 64 * 1024);
}

#[derive(Debug, Clone)]
enum Line {
    Good(u8),
    Bad(u8),
    Blank,
    Garbage(Vec<u8>),
}

fn line_strategy() -> impl Strategy<Value = Line> {
    prop_oneof![
        6 => (0u8..30).prop_map(Line::Good),
        2 => (0u8..30).prop_map(Line::Bad),
        1 => Just(Line::Blank),
        1 => proptest::collection::vec(any::<u8>().prop_filter("no newline", |b| *b != b'\n'), 1..40).prop_map(Line::Garbage),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn conservation_holds_for_any_mix(input in proptest::collection::vec(line_strategy(), 0..80)) {
        let mut data = Vec::new();
        let mut distinct_valid = std::collections::BTreeSet::new();
        for line in &input {
            match line {
                Line::Good(id) => {
                    distinct_valid.insert(*id);
                    data.extend(event(&format!("id{id}"), ARRIVAL - i64::from(*id) * 3_600).to_string().into_bytes());
                }
                Line::Bad(id) => {
                    let mut bad = event(&format!("id{id}"), ARRIVAL);
                    bad["device_type"] = json!("toaster");
                    data.extend(bad.to_string().into_bytes());
                }
                Line::Blank => data.extend_from_slice(b" \t"),
                Line::Garbage(bytes) => data.extend_from_slice(bytes),
            }
            data.push(b'\n');
        }
        let (output, _staging) = run(&source(), &gzip(&data));
        let ledger = output.ledger;
        prop_assert!(ledger.balances());
        prop_assert_eq!(ledger.written, distinct_valid.len() as u64);
        let rows: u64 = output.staged.iter().map(|s| s.rows).sum();
        prop_assert_eq!(rows, ledger.written + ledger.quarantined);
    }
}

#[test]
fn a_producer_sending_thousands_of_field_names_gets_a_ledger_of_bounded_size() {
    // 200 records, each with 50 unknown fields of its own: 10,000 distinct names. Every record
    // is still written; the ledger names the first fields and counts the rest.
    let records: Vec<String> = (0..200)
        .map(|record| {
            let mut value = event(&format!("e{record}"), ARRIVAL - 10);
            for field in 0..50 {
                value[format!("drift_{record}_{field}")] = json!(field);
            }
            value.to_string()
        })
        .collect();
    let (output, _staging) = run(&source(), &gzip(&lines(&records)));
    let ledger = &output.ledger;
    assert_eq!((ledger.written, ledger.quarantined), (200, 0));
    assert_eq!(ledger.schema_drift.len(), crate::ledger::MAX_SCHEMA_DRIFT_FIELDS);
    let named: u64 = ledger.schema_drift.values().sum();
    assert_eq!(named + ledger.schema_drift_unlisted, 10_000, "every unknown field is counted");
    let json = serde_json::to_string(ledger).unwrap();
    assert!(json.len() < 16 * 1024, "ledger of {} bytes", json.len());
    // An object without drift keeps the ledger's old shape.
    let (plain, _staging) = run(&source(), &gzip(&lines(&[event("x", ARRIVAL - 10).to_string()])));
    assert!(!serde_json::to_string(&plain.ledger).unwrap().contains("schema_drift_unlisted"));
}
