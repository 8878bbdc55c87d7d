//! The AWS adapters against a real moto server (see the `moto-harness` crate). Each test starts its own
//! server, so tests are isolated and run in parallel.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::io::{Read, Write};

use aws_adapters::athena::{AthenaConfig, AthenaEngine};
use aws_adapters::config::{athena_client, firehose_client, glue_client, s3_client};
use aws_adapters::firehose::FirehoseDelivery;
use aws_adapters::glue::GlueCatalog;
use aws_adapters::s3::{S3BlobStore, S3Config, MIN_PART_SIZE};
use aws_sdk_firehose::types::{DeliveryStreamType, ExtendedS3DestinationConfiguration};
use aws_sdk_glue::types::{Column, DatabaseInput, SerDeInfo, StorageDescriptor, TableInput};
use bytes::Bytes;
use moto_harness::Moto;
use pipeline_core::ports::{
    BlobStore, DeliveryStream, PartitionCatalog, PartitionSpec, QueryEngine,
};
use pipeline_core::Error;
use serde_json::{json, Value};

async fn bucket(moto: &Moto, name: &str) -> aws_sdk_s3::Client {
    let client = s3_client(&moto.sdk_config().await);
    client.create_bucket().bucket(name).send().await.unwrap();
    client
}

async fn read_all(store: &S3BlobStore, key: &str) -> Vec<u8> {
    let mut reader = store.open(key).await.unwrap();
    let mut data = Vec::new();
    reader.read_to_end(&mut data).unwrap();
    data
}

#[tokio::test]
async fn s3_put_get_head_and_paginated_list() {
    let Some(moto) = Moto::start() else { return };
    let client = bucket(&moto, "lake").await;
    let mut config = S3Config::new("lake", "team/streamlake");
    config.list_page_size = Some(7);
    let store = S3BlobStore::new(client.clone(), config).unwrap();
    for i in 0..25 {
        store.put(&format!("raw/netflix/obj-{i:03}.gz"), Bytes::from(vec![b'x'; i])).await.unwrap();
    }
    store.put("ledger/netflix/a.json", Bytes::from_static(b"{}")).await.unwrap();
    let listed = store.list("raw/netflix/").await.unwrap();
    assert_eq!(listed.len(), 25, "4 pages of 7 followed");
    let keys: Vec<&str> = listed.iter().map(|m| m.key.as_str()).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert_eq!(keys[3], "raw/netflix/obj-003.gz", "keys are store keys, prefix stripped");
    assert_eq!(listed[3].size, 3);
    // The prefix is really applied in the bucket.
    let raw = client
        .head_object()
        .bucket("lake")
        .key("team/streamlake/ledger/netflix/a.json")
        .send()
        .await;
    assert!(raw.is_ok());

    let meta = store.head("raw/netflix/obj-010.gz").await.unwrap();
    assert_eq!(meta.size, 10);
    assert!(!meta.etag.is_empty() && !meta.etag.contains('"'));
    assert!(meta.last_modified > 1_700_000_000);
    assert_eq!(read_all(&store, "raw/netflix/obj-010.gz").await, vec![b'x'; 10]);
    assert_eq!(
        store.get("ledger/netflix/a.json").await.unwrap().unwrap(),
        Bytes::from_static(b"{}")
    );
    assert_eq!(store.get("ledger/netflix/missing.json").await.unwrap(), None);
    assert!(store.exists("ledger/netflix/a.json").await.unwrap());
    assert!(!store.exists("ledger/netflix/missing.json").await.unwrap());
    assert!(matches!(store.head("nope").await, Err(Error::NotFound(_))));
    assert!(matches!(store.open("nope").await, Err(Error::NotFound(_))));

    // A missing bucket is a clear, non-retryable error.
    let other = S3BlobStore::new(client, S3Config::new("no-such-bucket", "")).unwrap();
    let error = other.put("k", Bytes::from_static(b"1")).await.unwrap_err();
    assert!(!error.is_retryable(), "{error}");
}

/// S3 conditional writes over the HTTP API, one step at a time (moto checks them, though not
/// atomically under concurrency: the many-writer proof runs against atomic stores in
/// pipeline-core and local-runtime). `If-None-Match: *` creates only; `If-Match` replaces
/// only the version read; a failed condition is a conflict, not an error.
#[tokio::test]
async fn s3_conditional_writes_compare_and_swap() {
    use pipeline_core::ports::{ConditionalWrite, WriteCondition};
    let Some(moto) = Moto::start() else { return };
    let client = bucket(&moto, "lake").await;
    let store = S3BlobStore::new(client, S3Config::new("lake", "p")).unwrap();
    let key = "processed/netflix/processed_commits/event_date=2026-01-01.json";
    let first =
        store.put_if(key, Bytes::from_static(b"v1"), &WriteCondition::Absent).await.unwrap();
    let ConditionalWrite::Written { etag: v1 } = first else { panic!("the first write creates") };
    assert_eq!(
        store.put_if(key, Bytes::from_static(b"v1-again"), &WriteCondition::Absent).await.unwrap(),
        ConditionalWrite::Conflict,
        "If-None-Match: * refuses an existing object"
    );
    let (body, etag) = store.get_tagged(key).await.unwrap().unwrap();
    assert_eq!((body.as_ref(), etag.as_str()), (&b"v1"[..], v1.as_str()));
    let current = WriteCondition::Matches(v1.clone());
    let second = store.put_if(key, Bytes::from_static(b"v2"), &current);
    let ConditionalWrite::Written { etag: v2 } = second.await.unwrap() else {
        panic!("If-Match on the current ETag replaces")
    };
    assert_ne!(v1, v2);
    assert_eq!(
        store
            .put_if(key, Bytes::from_static(b"stale"), &WriteCondition::Matches(v1))
            .await
            .unwrap(),
        ConditionalWrite::Conflict,
        "If-Match on an older ETag is refused"
    );
    assert_eq!(store.get(key).await.unwrap().unwrap(), Bytes::from_static(b"v2"));
    assert_eq!(store.get_tail(key, 1).await.unwrap(), Bytes::from_static(b"2"));
    assert_eq!(store.get_tagged("processed/none.json").await.unwrap(), None);
    // Manifests name full URIs, and map back.
    let uri = store.uri_of(key);
    assert_eq!(uri, format!("s3://lake/p/{key}"));
    assert_eq!(store.key_of_uri(&uri).as_deref(), Some(key));
    assert_eq!(store.key_of_uri("s3://other/p/x"), None);
}

#[tokio::test]
async fn s3_multipart_upload_round_trips() {
    let Some(moto) = Moto::start() else { return };
    let client = bucket(&moto, "lake").await;
    let mut config = S3Config::new("lake", "");
    config.multipart_threshold = MIN_PART_SIZE;
    config.part_size = MIN_PART_SIZE;
    let store = S3BlobStore::new(client.clone(), config).unwrap();
    let size = 11 * 1024 * 1024 + 12_345;
    let mut data = Vec::with_capacity(size);
    let mut state = 0x2545_f491_4f6c_dd1du64;
    while data.len() < size {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        data.extend_from_slice(&state.to_le_bytes());
    }
    data.truncate(size);
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(&data).unwrap();
    file.flush().unwrap();
    store.put_file("processed/big.parquet", file.path()).await.unwrap();
    let meta = store.head("processed/big.parquet").await.unwrap();
    assert_eq!(meta.size, size as u64);
    assert!(meta.etag.ends_with("-3"), "a 3-part multipart ETag, got {}", meta.etag);
    assert!(read_all(&store, "processed/big.parquet").await == data, "content round-trips");
    let uploads = client.list_multipart_uploads().bucket("lake").send().await.unwrap();
    assert!(uploads.uploads().is_empty(), "no upload left open");

    // Below the threshold: one PutObject streamed from the file.
    let mut small = tempfile::NamedTempFile::new().unwrap();
    small.write_all(b"small parquet").unwrap();
    store.put_file("processed/small.parquet", small.path()).await.unwrap();
    assert_eq!(read_all(&store, "processed/small.parquet").await, b"small parquet");
    assert!(!store.head("processed/small.parquet").await.unwrap().etag.contains('-'));
}

async fn glue_table(moto: &Moto, database: &str, table: &str) {
    let glue = glue_client(&moto.sdk_config().await);
    glue.create_database()
        .database_input(DatabaseInput::builder().name(database).build().unwrap())
        .send()
        .await
        .unwrap();
    let storage = StorageDescriptor::builder()
        .location("s3://lake/processed/netflix/processed_partitioned/")
        .input_format("org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat")
        .output_format("org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat")
        .serde_info(
            SerDeInfo::builder()
                .serialization_library(
                    "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
                )
                .build(),
        )
        .columns(Column::builder().name("event_id").r#type("string").build().unwrap())
        .build();
    glue.create_table()
        .database_name(database)
        .table_input(
            TableInput::builder()
                .name(table)
                .storage_descriptor(storage)
                .partition_keys(
                    Column::builder().name("event_date").r#type("string").build().unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

fn partition(table: &str, date: &str) -> PartitionSpec {
    PartitionSpec {
        table: table.into(),
        values: vec![date.into()],
        location: format!("processed/netflix/processed_partitioned/event_date={date}/"),
    }
}

#[tokio::test]
async fn glue_partitions_are_idempotent_and_missing_tables_are_clear() {
    let Some(moto) = Moto::start() else { return };
    let table = "processed_netflix_events";
    glue_table(&moto, "netflix-streams-aws", table).await;
    let client = glue_client(&moto.sdk_config().await);
    let catalog = GlueCatalog::new(client.clone(), "netflix-streams-aws", "s3://lake/");
    let specs: Vec<PartitionSpec> = ["2026-01-02", "2026-01-01", "2026-01-02", "2026-01-03"]
        .iter()
        .map(|d| partition(table, d))
        .collect();
    assert_eq!(
        catalog.add_partitions(&specs).await.unwrap(),
        3,
        "duplicates in one call count once"
    );
    assert_eq!(catalog.add_partitions(&specs).await.unwrap(), 0, "AlreadyExists is success");
    let mut more: Vec<PartitionSpec> =
        (1..=28).map(|d| partition(table, &format!("2026-02-{d:02}"))).collect();
    more.push(partition(table, "2026-01-01"));
    assert_eq!(catalog.add_partitions(&more).await.unwrap(), 28);
    let listed = catalog.partitions(table).await.unwrap();
    assert_eq!(listed.len(), 31);
    assert_eq!(listed[0], partition(table, "2026-01-01"), "locations relative to the root");
    // The table's storage descriptor was copied, with the partition's own location.
    let stored = client
        .get_partition()
        .database_name("netflix-streams-aws")
        .table_name(table)
        .partition_values("2026-01-03")
        .send()
        .await
        .unwrap();
    let sd = stored.partition().unwrap().storage_descriptor().unwrap();
    assert_eq!(
        sd.location(),
        Some("s3://lake/processed/netflix/processed_partitioned/event_date=2026-01-03/")
    );
    assert_eq!(
        sd.input_format(),
        Some("org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat")
    );

    for (database, table) in
        [("netflix-streams-aws", "nope"), ("no-db", "processed_netflix_events")]
    {
        let catalog = GlueCatalog::new(client.clone(), database, "s3://lake/");
        let error = catalog.add_partitions(&[partition(table, "2026-01-01")]).await.unwrap_err();
        assert!(matches!(error, Error::NotFound(_)), "{error}");
        assert!(!error.is_retryable());
        assert!(error.to_string().contains("EntityNotFoundException"), "{error}");
    }
}

#[tokio::test]
async fn athena_results_are_typed_and_the_header_skipped() {
    let Some(moto) = Moto::start() else { return };
    let columns = json!([
        {"Name": "title_id", "Label": "title_id", "Type": "varchar"},
        {"Name": "plays", "Label": "plays", "Type": "bigint"},
        {"Name": "ratio", "Label": "ratio", "Type": "double"},
        {"Name": "finished", "Label": "finished", "Type": "boolean"},
    ]);
    let mut rows = vec![json!({"Data": [
        {"VarCharValue": "title_id"}, {"VarCharValue": "plays"}, {"VarCharValue": "ratio"}, {"VarCharValue": "finished"}
    ]})];
    for i in 0..2_500 {
        rows.push(json!({"Data": [
            {"VarCharValue": format!("tt{i:06}")},
            {"VarCharValue": i.to_string()},
            if i % 10 == 0 { json!({}) } else { json!({"VarCharValue": format!("{}.5", i)}) },
            {"VarCharValue": if i % 2 == 0 { "true" } else { "false" }},
        ]}));
    }
    let body = json!({"results": [{"rows": rows, "column_info": columns}]}).to_string();
    let (status, _) = moto.api("POST", "/moto-api/static/athena/query-results", &body);
    assert_eq!(status, 201);
    let engine = AthenaEngine::new(athena_client(&moto.sdk_config().await), {
        let mut config = AthenaConfig::new("primary");
        config.output_location = Some("s3://athena-results/".into());
        config
    });
    let result = engine.query("SELECT title_id, plays, ratio, finished FROM t").await.unwrap();
    assert_eq!(result.rows.len(), 2_500, "header skipped, every row kept");
    assert_eq!(result.columns[1].type_name, "bigint");
    assert_eq!(result.rows[0], vec![json!("tt000000"), json!(0), Value::Null, json!(true)]);
    assert_eq!(
        result.rows[2_499],
        vec![json!("tt002499"), json!(2499), json!(2499.5), json!(false)]
    );
    assert_eq!(result.bytes_scanned, Some(0));
    assert_eq!(result.engine_ms, Some(0));
}

async fn firehose_stream(moto: &Moto, name: &str) -> (aws_sdk_s3::Client, FirehoseDelivery) {
    let s3 = bucket(moto, "firehose-raw").await;
    let client = firehose_client(&moto.sdk_config().await);
    client
        .create_delivery_stream()
        .delivery_stream_name(name)
        .delivery_stream_type(DeliveryStreamType::DirectPut)
        .extended_s3_destination_configuration(
            ExtendedS3DestinationConfiguration::builder()
                .role_arn("arn:aws:iam::123456789012:role/firehose")
                .bucket_arn("arn:aws:s3:::firehose-raw")
                .prefix("raw/")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    (s3, FirehoseDelivery::new(client, name))
}

/// Every object moto's Firehose wrote (one per accepted PutRecordBatch call), in key order.
async fn delivered(s3: &aws_sdk_s3::Client) -> Vec<Vec<u8>> {
    let store = S3BlobStore::new(s3.clone(), S3Config::new("firehose-raw", "")).unwrap();
    let mut objects = Vec::new();
    for meta in store.list("raw/").await.unwrap() {
        objects.push(store.get(&meta.key).await.unwrap().unwrap().to_vec());
    }
    objects
}

#[tokio::test]
async fn firehose_batches_within_limits_and_reports_oversized_records() {
    let Some(moto) = Moto::start() else { return };
    let (s3, delivery) = firehose_stream(&moto, "netflix-playback").await;
    let mut records: Vec<Bytes> = (0..1_234)
        .map(|i| {
            Bytes::from(format!("{{\"event_id\":\"e{i:05}\",\"pad\":\"{}\"}}\n", "p".repeat(280)))
        })
        .collect();
    records.insert(700, Bytes::from(vec![b'x'; 1000 * 1024 + 1]));
    let outcome = delivery.put_record_batch(records.clone(), Some(0)).await.unwrap();
    assert_eq!(outcome.accepted, 1_234);
    assert_eq!(outcome.failed.len(), 1);
    assert_eq!(outcome.failed[0].index, 700);
    let objects = delivered(&s3).await;
    assert_eq!(objects.len(), 3, "500 + 500 + 234 records: three calls");
    let lines: Vec<String> = objects
        .iter()
        .flat_map(|o| {
            String::from_utf8(o.clone()).unwrap().lines().map(str::to_owned).collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(lines.len(), 1_234);
    let ids: BTreeSet<&str> = lines.iter().map(|l| &l[13..19]).collect();
    assert_eq!(ids.len(), 1_234, "every record once, none duplicated");
    assert!(delivery.flush().await.unwrap().is_empty());
}

#[tokio::test]
async fn firehose_splits_by_bytes_and_packs_events() {
    let Some(moto) = Moto::start() else { return };
    let (s3, delivery) = firehose_stream(&moto, "packed").await;
    // 10 records of 900 KiB: at most 4 fit in 4 MiB, so three calls.
    let big: Vec<Bytes> = (0..10u8).map(|i| Bytes::from(vec![b'a' + i; 900 * 1024])).collect();
    let report = delivery.send_records(&big).await.unwrap();
    assert_eq!(report.accepted, 10);
    assert_eq!(report.calls, 3);
    let objects = delivered(&s3).await;
    assert_eq!(objects.len(), 3);
    assert_eq!(objects.iter().map(Vec::len).sum::<usize>(), 10 * 900 * 1024);
    for object in &objects {
        assert!(object.len() <= 4 * 1024 * 1024);
    }

    // 2,000 events of about 330 bytes packed into 5,000-byte records: one call, NDJSON intact.
    let (s3, delivery) = (s3, delivery.with_pack_bytes(5_000));
    let events: Vec<String> = (0..2_000)
        .map(|i| format!("{{\"event_id\":\"p{i:05}\",\"pad\":\"{}\"}}\n", "q".repeat(300)))
        .collect();
    let sent = delivery.send_events(&events).await.unwrap();
    assert_eq!(sent.events_accepted, 2_000);
    assert_eq!(sent.events_failed, 0);
    assert!(sent.report.accepted <= 2_000 / 15 + 1, "{} records", sent.report.accepted);
    let objects = delivered(&s3).await;
    let packed: Vec<&Vec<u8>> =
        objects.iter().filter(|o| o.starts_with(b"{\"event_id\":\"p")).collect();
    assert_eq!(packed.len(), 1);
    let text = String::from_utf8(packed[0].clone()).unwrap();
    assert_eq!(text, events.concat(), "the object is the NDJSON of every event, in order");
}
