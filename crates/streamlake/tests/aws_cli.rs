//! The AWS side of the CLI, driving the real binary against moto (see `moto-harness`):
//! `generate --firehose` into a moto Firehose stream that delivers into a moto S3 bucket,
//! and `query --athena` with moto's injected Athena results. The child process gets its AWS
//! settings from the environment only, as a user's shell would provide them.
//!
//! These need the CLI's `aws` feature (`scripts/test` builds with it).
#![cfg(feature = "aws")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::process::{Command, Output};
use std::sync::Mutex;
use std::time::Instant;

use aws_adapters::config::{athena_client, firehose_client, s3_client};
use aws_adapters::s3::{S3BlobStore, S3Config};
use aws_sdk_firehose::types::{DeliveryStreamType, ExtendedS3DestinationConfiguration};
use chrono::NaiveDate;
use common::assert_one_line_error;
use event_generator::{Generator, GeneratorConfig, GroundTruth};
use moto_harness::fault_proxy::{FaultProxy, INJECTED_ERROR_CODE};
use moto_harness::Moto;
use pipeline_core::ports::BlobStore;
use pipeline_core::queries::named_query;
use serde_json::{json, Value};

const BUCKET: &str = "streamlake-raw";
const START_DATE: &str = "2026-01-10";

/// Runs `streamlake` with AWS settings for `endpoint` in its environment (and nothing from
/// the host's AWS configuration).
fn streamlake_aws(endpoint: &str, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_streamlake"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("AWS_") {
            command.env_remove(name);
        }
    }
    command
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("the streamlake binary runs")
}

fn stdout_of(output: &Output) -> String {
    assert!(
        output.status.success(),
        "streamlake failed:\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// Creates the bucket and a Direct PUT stream `name` delivering into it under `raw/`.
async fn stream_to_bucket(moto: &Moto, name: &str) {
    let config = moto.sdk_config().await;
    s3_client(&config).create_bucket().bucket(BUCKET).send().await.unwrap();
    firehose_client(&config)
        .create_delivery_stream()
        .delivery_stream_name(name)
        .delivery_stream_type(DeliveryStreamType::DirectPut)
        .extended_s3_destination_configuration(
            ExtendedS3DestinationConfiguration::builder()
                .role_arn("arn:aws:iam::123456789012:role/firehose")
                .bucket_arn(format!("arn:aws:s3:::{BUCKET}"))
                .prefix("raw/")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

/// Every line of every object moto's Firehose wrote (plain concatenations of the records),
/// sorted.
async fn delivered_lines(moto: &Moto) -> Vec<Vec<u8>> {
    let store =
        S3BlobStore::new(s3_client(&moto.sdk_config().await), S3Config::new(BUCKET, "")).unwrap();
    let mut lines = Vec::new();
    for meta in store.list("raw/").await.unwrap() {
        let data = store.get(&meta.key).await.unwrap().unwrap();
        assert!(data.ends_with(b"\n"), "{} holds whole NDJSON lines", meta.key);
        lines.extend(split_lines(&data));
    }
    lines.sort();
    lines
}

fn split_lines(data: &[u8]) -> Vec<Vec<u8>> {
    data.split(|b| *b == b'\n').filter(|l| !l.is_empty()).map(<[u8]>::to_vec).collect()
}

/// What the generator sends for these settings (the same generator the CLI runs): its
/// records' lines, sorted, and its ground truth.
fn generator_output(
    events: u64,
    seed: u64,
    duplicates: f64,
    resends: f64,
    bad: f64,
) -> (Vec<Vec<u8>>, GroundTruth) {
    let start = NaiveDate::parse_from_str(START_DATE, "%Y-%m-%d").unwrap();
    let mut config = GeneratorConfig::new(events, 1, seed, start);
    config.duplicate_rate = duplicates;
    config.resend_rate = resends;
    config.bad_record_rate = bad;
    let mut generator = Generator::new(config).unwrap();
    let mut lines = Vec::new();
    while let Some(batch) = generator.next_batch() {
        for record in batch.records {
            lines.extend(split_lines(&record.data));
        }
    }
    lines.sort();
    (lines, generator.truth().clone())
}

#[tokio::test(flavor = "multi_thread")]
async fn generate_firehose_delivers_exactly_the_generators_records_at_the_given_rate() {
    let Some(moto) = Moto::start() else { return };
    stream_to_bucket(&moto, "netflix-playback").await;
    let dir = tempfile::tempdir().unwrap();
    let truth_path = dir.path().join("truth.json");
    let rate = 4_000.0;
    let started = Instant::now();
    let output = streamlake_aws(
        &moto.endpoint,
        &[
            "generate",
            "--events",
            "3000",
            "--days",
            "1",
            "--seed",
            "7",
            "--start-date",
            START_DATE,
            "--duplicate-rate",
            "0.01",
            "--resend-rate",
            "0",
            "--bad-record-rate",
            "0",
            "--firehose",
            "netflix-playback",
            "--rate",
            "4000",
            "--truth",
            truth_path.to_str().unwrap(),
        ],
    );
    let elapsed = started.elapsed().as_secs_f64();
    let stdout = stdout_of(&output);
    let truth: GroundTruth = serde_json::from_slice(&std::fs::read(&truth_path).unwrap()).unwrap();
    let (expected, expected_truth) = generator_output(3_000, 7, 0.01, 0.0, 0.0);
    assert_eq!(truth, expected_truth, "--truth is the generator's ground truth");
    assert!(truth.duplicates > 0);

    let lines = delivered_lines(&moto).await;
    assert_eq!(lines.len() as u64, truth.records_sent, "one line per record sent");
    assert_eq!(lines, expected, "exactly the generator's records, byte for byte");
    let mut ids = BTreeSet::new();
    for line in &lines {
        let event: Value = serde_json::from_slice(line).expect("every line is valid JSON");
        ids.insert(event["event_id"].as_str().expect("an event_id").to_owned());
    }
    assert_eq!(ids.len() as u64, truth.clean_events, "duplicates are byte-identical re-sends");

    let delivered = format!("delivered: {} events accepted, 0 failed", truth.records_sent);
    assert!(stdout.contains(&delivered), "{delivered:?} in {stdout}");
    assert!(stdout.contains("Firehose stream netflix-playback"), "{stdout}");
    assert!(stdout.contains("limit 4000/s"), "{stdout}");
    // Packing: about 15 events of ~330 bytes per 5,000-byte record.
    assert!(stdout.contains(" 0 re-sent"), "{stdout}");
    // The token bucket starts with a quarter second's worth (1,000 events); the rest cannot
    // go faster than the rate.
    let floor = (truth.records_sent as f64 - rate / 4.0) / rate;
    assert!(
        elapsed >= floor,
        "{} events at {rate}/s took {elapsed:.2}s < {floor:.2}s",
        truth.records_sent
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn generate_firehose_reports_records_that_stay_failed_and_exits_non_zero() {
    let Some(moto) = Moto::start() else { return };
    stream_to_bucket(&moto, "netflix-playback").await;
    // Every 7th distinct Firehose record the proxy sees fails on every attempt; every 5th
    // fails once and then goes through.
    let order = Mutex::new(Vec::<Vec<u8>>::new());
    let proxy = FaultProxy::start(moto.port(), move |record, attempt| {
        let mut order = order.lock().unwrap();
        let position = match order.iter().position(|r| r == record) {
            Some(position) => position,
            None => {
                order.push(record.to_vec());
                order.len() - 1
            }
        };
        position % 7 == 3 || (position % 5 == 1 && attempt == 1)
    });
    let output = streamlake_aws(
        &proxy.endpoint,
        &[
            "generate",
            "--events",
            "1500",
            "--days",
            "1",
            "--seed",
            "11",
            "--start-date",
            START_DATE,
            "--firehose",
            "netflix-playback",
        ],
    );
    assert_one_line_error(&output, "were not delivered to firehose stream netflix-playback");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("first error: {INJECTED_ERROR_CODE}")), "{stderr}");
    assert!(stderr.contains("after 6 attempts"), "{stderr}");

    // The records that never got through, and their events.
    let mut lost: Vec<Vec<u8>> = proxy
        .calls()
        .iter()
        .flat_map(|call| call.records.clone())
        .filter(|r| proxy.times_seen(r) == 6)
        .collect();
    lost.sort();
    lost.dedup();
    assert!(!lost.is_empty());
    let lost_lines: Vec<Vec<u8>> = lost.iter().flat_map(|r| split_lines(r)).collect();
    let prefix = format!("error: {} of ", lost_lines.len());
    assert!(stderr.starts_with(&prefix), "{prefix:?} in {stderr}");
    assert!(stderr.contains(&format!("({} Firehose records)", lost.len())), "{stderr}");

    // Default fault rates: duplicates, re-sends and bad records of every kind travel unchanged; what
    // reached the bucket plus what was reported lost is exactly what the generator sent.
    let (expected, truth) = generator_output(1_500, 11, 0.01, 0.005, 0.005);
    let mut accounted = delivered_lines(&moto).await;
    let delivered = accounted.len();
    accounted.extend(lost_lines.iter().cloned());
    accounted.sort();
    assert_eq!(accounted, expected, "no loss, no duplicate, failures reported");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary = format!("delivered: {delivered} events accepted, {} failed", lost_lines.len());
    assert!(stdout.contains(&summary), "{summary:?} in {stdout}");
    assert_eq!((delivered + lost_lines.len()) as u64, truth.records_sent);
}

#[tokio::test(flavor = "multi_thread")]
async fn generate_firehose_errors_are_one_line() {
    let Some(moto) = Moto::start() else { return };
    let output = streamlake_aws(
        &moto.endpoint,
        &["generate", "--events", "200", "--days", "1", "--firehose", "no-such-stream"],
    );
    assert_one_line_error(&output, "no-such-stream");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ResourceNotFoundException"), "{stderr}");
    assert!(output.stdout.is_empty(), "nothing was sent, so no summary");

    // Flags that do not go together are refused before anything runs.
    for args in [
        &["generate", "--events", "10", "--firehose", "s", "--lake", "x"][..],
        &["generate", "--events", "10", "--firehose", "s", "--buffer-bytes", "10"][..],
        &["generate", "--events", "10", "--rate", "100"][..],
        &["generate", "--events", "10", "--firehose", "s", "--rate", "0"][..],
        &["generate", "--events", "10", "--firehose", "s", "--rate", "fast"][..],
    ] {
        let output = streamlake_aws(&moto.endpoint, args);
        assert!(!output.status.success(), "{args:?} must fail");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

/// Queues one Athena result in moto: a header row, then `rows`.
fn inject_athena_result(moto: &Moto, rows: &[[Value; 3]]) {
    let columns = json!([
        {"Name": "title_id", "Label": "title_id", "Type": "varchar"},
        {"Name": "plays", "Label": "plays", "Type": "bigint"},
        {"Name": "share", "Label": "share", "Type": "double"},
    ]);
    let cell = |value: &Value| match value {
        Value::Null => json!({}),
        Value::String(text) => json!({"VarCharValue": text}),
        other => json!({"VarCharValue": other.to_string()}),
    };
    let mut result_rows = vec![
        json!({"Data": [{"VarCharValue": "title_id"}, {"VarCharValue": "plays"}, {"VarCharValue": "share"}]}),
    ];
    for row in rows {
        result_rows.push(json!({"Data": row.iter().map(cell).collect::<Vec<_>>()}));
    }
    let body = json!({"results": [{"rows": result_rows, "column_info": columns}]}).to_string();
    let (status, answer) = moto.api("POST", "/moto-api/static/athena/query-results", &body);
    assert_eq!(status, 201, "{answer}");
}

fn sample_rows() -> Vec<[Value; 3]> {
    vec![
        [json!("tt0001"), json!(1234), json!(0.5)],
        [json!("B,R \"x\""), json!(7), Value::Null],
        [json!("tt0003"), json!(0), json!(12.25)],
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn query_athena_prints_the_results_like_the_local_engine() {
    let Some(moto) = Moto::start() else { return };
    let athena = ["--athena", "primary", "--athena-output", "s3://athena-results/streamlake/"];

    inject_athena_result(&moto, &sample_rows());
    let mut args = vec!["query"];
    args.extend(athena);
    args.extend(["--named", "top_titles"]);
    let table = stdout_of(&streamlake_aws(&moto.endpoint, &args));
    assert_eq!(
        table,
        "\
┌──────────┬───────┬───────┐
│ title_id ┆ plays ┆ share │
╞══════════╪═══════╪═══════╡
│ tt0001   ┆  1234 ┆   0.5 │
│ B,R \"x\"  ┆     7 ┆       │
│ tt0003   ┆     0 ┆ 12.25 │
└──────────┴───────┴───────┘
(3 rows)
"
    );

    inject_athena_result(&moto, &sample_rows());
    let sql = "SELECT title_id, plays, share FROM processed_netflix_events LIMIT 3";
    let mut args = vec!["query", "--format", "json"];
    args.extend(athena);
    args.push(sql);
    let json_rows = stdout_of(&streamlake_aws(&moto.endpoint, &args));
    assert_eq!(
        json_rows,
        "{\"title_id\":\"tt0001\",\"plays\":1234,\"share\":0.5}\n\
         {\"title_id\":\"B,R \\\"x\\\"\",\"plays\":7,\"share\":null}\n\
         {\"title_id\":\"tt0003\",\"plays\":0,\"share\":12.25}\n"
    );

    inject_athena_result(&moto, &sample_rows());
    let mut args = vec!["query", "--format", "csv"];
    args.extend(athena);
    args.push(sql);
    let csv = stdout_of(&streamlake_aws(&moto.endpoint, &args));
    assert_eq!(
        csv,
        "title_id,plays,share\ntt0001,1234,0.5\n\"B,R \"\"x\"\"\",7,\ntt0003,0,12.25\n"
    );

    // What Athena was asked: the named query's SQL, in the workgroup, database and result
    // location given, and three separate executions (each run is a new query).
    let client = athena_client(&moto.sdk_config().await);
    let ids = client.list_query_executions().send().await.unwrap();
    let ids = ids.query_execution_ids();
    assert_eq!(ids.len(), 3);
    let mut queries = Vec::new();
    for id in ids {
        let execution = client.get_query_execution().query_execution_id(id).send().await.unwrap();
        let execution = execution.query_execution().unwrap();
        assert_eq!(execution.work_group(), Some("primary"));
        assert_eq!(
            execution.query_execution_context().and_then(|c| c.database()),
            Some("netflix-streams-aws")
        );
        // Athena (and moto) report the result object: the location given, then `<id>.csv`.
        let output = execution.result_configuration().and_then(|r| r.output_location());
        assert_eq!(output, Some(format!("s3://athena-results/streamlake/{id}.csv").as_str()));
        queries.push(execution.query().unwrap().to_owned());
    }
    queries.sort();
    let mut expected =
        vec![named_query("top_titles").unwrap().sql.to_owned(), sql.to_owned(), sql.to_owned()];
    expected.sort();
    assert_eq!(queries, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn query_athena_errors_are_one_line() {
    let Some(moto) = Moto::start() else { return };
    let output =
        streamlake_aws(&moto.endpoint, &["query", "--athena", "no-such-workgroup", "SELECT 1"]);
    assert_one_line_error(&output, "workgroup does not exist");
    let output =
        streamlake_aws(&moto.endpoint, &["query", "--athena", "primary", "--named", "nope"]);
    assert_one_line_error(&output, "no named query");
    for args in [
        &["query", "--athena-output", "s3://b/", "SELECT 1"][..],
        &["query", "--athena", "primary", "--lake", "x", "SELECT 1"][..],
        &["query", "--athena", "primary", "--athena-output", "results/", "SELECT 1"][..],
    ] {
        let output = streamlake_aws(&moto.endpoint, args);
        assert!(!output.status.success(), "{args:?} must fail");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    }
}
