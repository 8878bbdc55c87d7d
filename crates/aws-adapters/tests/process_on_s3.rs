//! End to end through the S3 adapter: a gzip NDJSON raw object in moto S3 is processed by
//! `pipeline_core::process::process_object` exactly as the transformer Lambda does, and the
//! Parquet outputs and the ledger land in moto S3 under the DESIGN §3 keys.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_adapters::config::s3_client;
use aws_adapters::s3::{S3BlobStore, S3Config};
use bytes::Bytes;
use flate2::write::GzEncoder;
use flate2::Compression;
use moto_harness::Moto;
use pipeline_core::keys::{
    date_of, firehose_object_key, ledger_key, PROCESSED_PREFIX, QUARANTINE_PREFIX,
};
use pipeline_core::ports::BlobStore;
use pipeline_core::process::{is_processed, process_object};
use pipeline_core::TransformConfig;
use serde_json::json;

/// A gzip NDJSON object and the event dates of its valid records.
fn raw_object(base_ts: i64) -> (Vec<u8>, BTreeSet<String>) {
    let mut lines = Vec::new();
    let mut dates = BTreeSet::new();
    for i in 0..200 {
        let mut event = json!({
            "event_id": format!("e-{i}"),
            "user_id": "u-1", "profile_id": "p-1", "title_id": "tt000001", "session_id": "s-1",
            "event_type": "HEARTBEAT",
            // Two event dates: the day before the base and the base's day.
            "event_ts": base_ts - 86_400 * i64::from(i % 2 == 0) + i64::from(i),
            "position_ms": i * 1000, "device_type": "TV", "country": "US",
            "client_ip": "192.0.2.1", "email": "x@example.com",
        });
        if i == 5 {
            event["country"] = json!("ZZ");
        } else {
            dates.insert(date_of(event["event_ts"].as_i64().unwrap()).unwrap());
        }
        lines.push(event.to_string());
    }
    lines.push(lines[10].clone()); // a duplicate
    lines.push("{not json".into());
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all((lines.join("\n") + "\n").as_bytes()).unwrap();
    (encoder.finish().unwrap(), dates)
}

#[tokio::test]
async fn process_object_runs_through_the_s3_adapter() {
    let Some(moto) = Moto::start() else { return };
    let client = s3_client(&moto.sdk_config().await);
    client.create_bucket().bucket("streamlake-lake").send().await.unwrap();
    let store = S3BlobStore::new(client, S3Config::new("streamlake-lake", "")).unwrap();

    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    // Arrival an hour ago (from the Firehose key); events from the two days before it.
    let arrival = now - 3_600;
    let key =
        firehose_object_key("netflix-playback", arrival, "0a1b2c3d-4e5f-6789-abcd-ef0123456789")
            .unwrap();
    let (object, dates) = raw_object(arrival - 600);
    store.put(&key, Bytes::from(object)).await.unwrap();

    let staging = tempfile::tempdir().unwrap();
    let config = TransformConfig::new(staging.path());
    let ledger = process_object(&store, &key, &config).await.unwrap();
    assert_eq!(ledger.records_in, 202);
    assert_eq!(ledger.written, 199);
    assert_eq!(ledger.quarantined, 2);
    assert_eq!(ledger.duplicates_dropped, 1);
    assert!(ledger.balances());
    let written_dates: BTreeSet<String> =
        ledger.outputs.iter().map(|o| o.event_date.clone()).collect();
    assert_eq!(written_dates, dates, "one output per event date");

    let meta = store.head(&key).await.unwrap();
    assert!(is_processed(&store, &meta).await.unwrap());
    let ledger_bytes = store.get(&ledger_key(&ledger.digest)).await.unwrap().unwrap();
    assert_eq!(pipeline_core::Ledger::from_json(&ledger_bytes).unwrap(), ledger);

    let processed = store.list(PROCESSED_PREFIX).await.unwrap();
    let keys: Vec<&str> = processed.iter().map(|m| m.key.as_str()).collect();
    let mut expected: Vec<&str> = ledger.outputs.iter().map(|o| o.key.as_str()).collect();
    expected.sort();
    assert_eq!(keys, expected);
    for key in &keys {
        assert!(key.ends_with(&format!("part-{}.snappy.parquet", ledger.digest)), "{key}");
        let body = store.get(key).await.unwrap().unwrap();
        assert!(body.starts_with(b"PAR1") && body.ends_with(b"PAR1"), "{key} is Parquet");
    }
    let quarantine = store.list(QUARANTINE_PREFIX).await.unwrap();
    assert_eq!(quarantine.len(), 1);
    assert!(quarantine[0].key.contains("ingest_date="));

    // Processing again rewrites the same keys with the same bytes.
    let before: Vec<(String, String)> =
        store.list("").await.unwrap().into_iter().map(|m| (m.key, m.etag)).collect();
    let again = process_object(&store, &key, &config).await.unwrap();
    assert_eq!(again, ledger);
    let after: Vec<(String, String)> =
        store.list("").await.unwrap().into_iter().map(|m| (m.key, m.etag)).collect();
    assert_eq!(before, after, "idempotent: same keys, same content");
}
