//! AWS mode, end to end, over moto's real HTTP APIs: generator handler → Firehose → S3 raw →
//! transformer handler (one S3 event per object, as AWS sends it) → S3 silver and quarantine
//! → registrar handler → Glue partitions; then the query-runner handler on Athena.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::sync::Arc;

use aws_adapters::athena::AthenaConfig;
use aws_adapters::config::{athena_client, firehose_client, glue_client, s3_client};
use aws_adapters::{AthenaEngine, FirehoseDelivery, GlueCatalog, LakeLayout, S3Lake};
use aws_lambda_events::event::s3::S3Event;
use aws_sdk_firehose::types::{DeliveryStreamType, ExtendedS3DestinationConfiguration};
use aws_sdk_glue::types::{Column, DatabaseInput, SerDeInfo, StorageDescriptor, TableInput};
use event_generator::{Generator, GeneratorConfig, GroundTruth};
use event_model::TableSpec;
use lambda_query_runner::handler::Response;
use lambda_runtime::{Context, LambdaEvent};
use lambda_support::metrics::names;
use lambda_support::s3_event::encode_key;
use lambda_support::RecordingSink;
use moto_harness::Moto;
use pipeline_core::keys::{firehose_arrival_ts, firehose_object_key};
use pipeline_core::ledger::Ledger;
use pipeline_core::ports::{BlobStore, PartitionCatalog};
use pipeline_core::transform::TransformConfig;
use serde_json::{json, Value};

const RAW_BUCKET: &str = "streamlake-raw";
const PROCESSED_BUCKET: &str = "streamlake-processed";
const STREAM: &str = "streamlake-playback";
const DATABASE: &str = "netflix-streams-aws";
const EVENTS: u64 = 6_000;
const SEED: u64 = 2_024;

fn layout() -> LakeLayout {
    LakeLayout::two_buckets(RAW_BUCKET, PROCESSED_BUCKET).unwrap()
}

/// The `ObjectCreated:Put` notification AWS sends for these objects.
fn s3_event(objects: &[(&str, &str, u64)]) -> S3Event {
    let records: Vec<Value> = objects
        .iter()
        .enumerate()
        .map(|(i, (bucket, key, size))| {
            json!({
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "us-east-1",
                "eventTime": "2026-01-01T00:00:00.000Z",
                "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "AWS:AROAEXAMPLE"},
                "requestParameters": {"sourceIPAddress": "10.0.0.1"},
                "responseElements": {"x-amz-request-id": format!("REQ{i}")},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "e2e",
                    "bucket": {"name": bucket, "arn": format!("arn:aws:s3:::{bucket}")},
                    "object": {"key": encode_key(key), "size": size, "sequencer": format!("{i:016X}")}
                }
            })
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

fn invocation<T>(payload: T, request_id: &str) -> LambdaEvent<T> {
    let mut context = Context::default();
    context.request_id = request_id.to_owned();
    LambdaEvent::new(payload, context)
}

async fn create_stack(moto: &Moto) {
    let sdk = moto.sdk_config().await;
    let s3 = s3_client(&sdk);
    for bucket in [RAW_BUCKET, PROCESSED_BUCKET] {
        s3.create_bucket().bucket(bucket).send().await.unwrap();
    }
    firehose_client(&sdk)
        .create_delivery_stream()
        .delivery_stream_name(STREAM)
        .delivery_stream_type(DeliveryStreamType::DirectPut)
        .extended_s3_destination_configuration(
            ExtendedS3DestinationConfiguration::builder()
                .role_arn("arn:aws:iam::123456789012:role/streamlake-firehose")
                .bucket_arn(format!("arn:aws:s3:::{RAW_BUCKET}"))
                .prefix("raw/netflix/")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let glue = glue_client(&sdk);
    glue.create_database()
        .database_input(DatabaseInput::builder().name(DATABASE).build().unwrap())
        .send()
        .await
        .unwrap();
    for spec in [&event_model::PROCESSED_EVENTS, &event_model::QUARANTINED_EVENTS] {
        glue.create_table()
            .database_name(DATABASE)
            .table_input(table_input(spec))
            .send()
            .await
            .unwrap();
    }
}

/// A Glue table as Terraform declares it: the DESIGN §4 columns, Parquet SerDe.
fn table_input(spec: &TableSpec) -> TableInput {
    let columns: Vec<Column> = spec
        .columns
        .iter()
        .map(|c| Column::builder().name(c.name).r#type(c.column_type.glue_type()).build().unwrap())
        .collect();
    let storage = StorageDescriptor::builder()
        .location(layout().uri(spec.location).unwrap())
        .input_format("org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat")
        .output_format("org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat")
        .serde_info(
            SerDeInfo::builder()
                .serialization_library(
                    "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
                )
                .build(),
        )
        .set_columns(Some(columns))
        .build();
    let partition_keys: Vec<Column> = spec
        .partition_keys
        .iter()
        .map(|k| Column::builder().name(*k).r#type("string").build().unwrap())
        .collect();
    TableInput::builder()
        .name(spec.name)
        .storage_descriptor(storage)
        .set_partition_keys(Some(partition_keys))
        .build()
        .unwrap()
}

/// What the generator handler will produce for this payload (it is deterministic).
fn ground_truth(start_date: chrono::NaiveDate) -> GroundTruth {
    let mut config = GeneratorConfig::new(EVENTS, 1, SEED, start_date);
    config.duplicate_rate = 0.02;
    config.bad_record_rate = 0.01;
    let mut generator = Generator::new(config).unwrap();
    while generator.next_batch().is_some() {}
    generator.truth().clone()
}

/// Moto writes Firehose objects uncompressed under `<prefix>YYYY/MM/DD/HH/`; real Firehose,
/// with the Terraform prefix and GZIP, writes them gzipped under the DESIGN §3 key. Do what
/// Firehose would, and return the raw keys.
async fn firehose_as_aws_would(lake: &S3Lake, s3: &aws_sdk_s3::Client) -> Vec<String> {
    let mut keys = Vec::new();
    for meta in lake.list("raw/netflix/").await.unwrap() {
        let name = meta.key.rsplit('/').next().unwrap();
        let arrival = firehose_arrival_ts(&meta.key).expect("moto names objects like Firehose");
        let parts: Vec<&str> = name.split('-').collect();
        let uuid = parts[parts.len() - 5..].join("-");
        let key = firehose_object_key(STREAM, arrival, &uuid).unwrap();
        let body = lake.get(&meta.key).await.unwrap().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&body).unwrap();
        lake.put(&key, gz.finish().unwrap().into()).await.unwrap();
        s3.delete_object().bucket(RAW_BUCKET).key(&meta.key).send().await.unwrap();
        keys.push(key);
    }
    keys
}

#[tokio::test]
async fn generator_to_glue_partitions_over_moto() {
    let Some(moto) = Moto::start() else { return };
    create_stack(&moto).await;
    let sdk = moto.sdk_config().await;
    let s3 = s3_client(&sdk);
    let lake = Arc::new(S3Lake::new(s3.clone(), layout()).unwrap());

    // 1. Generator → Firehose → raw.
    let start_date = chrono::Utc::now().date_naive() - chrono::Days::new(1);
    let truth = ground_truth(start_date);
    let generator_metrics = Arc::new(RecordingSink::default());
    let generator = lambda_generator::handler::Deps {
        stream: Arc::new(FirehoseDelivery::new(firehose_client(&sdk), STREAM)),
        titles_store: Some(lake.clone()),
        config: lambda_generator::config::Config {
            stream_name: STREAM.into(),
            pack_bytes: 5_000,
            default_events: 10,
            default_days: 1,
            max_events: 100_000,
            processed_bucket: Some(PROCESSED_BUCKET.into()),
        },
        metrics: generator_metrics.clone(),
    };
    let payload = serde_json::from_value(json!({
        "events": EVENTS, "days": 1, "seed": SEED, "duplicate_rate": 0.02,
        "bad_record_rate": 0.01, "start_date": start_date.format("%Y-%m-%d").to_string(),
    }))
    .unwrap();
    let summary =
        lambda_generator::handler::handle(invocation(payload, "gen-1"), &generator).await.unwrap();
    assert_eq!(summary.events, truth.records_sent);
    assert_eq!((summary.sent, summary.failed), (truth.records_sent, 0));
    assert!(summary.records * 5 < summary.events, "events were packed: {summary:?}");
    assert_eq!(generator_metrics.total(names::EVENTS_SENT), Some(truth.records_sent as f64));

    let raw_keys = firehose_as_aws_would(&lake, &s3).await;
    assert_eq!(raw_keys.len() as u64, summary.batches, "one object per PutRecordBatch call");

    // 2. Transformer, one S3 event per raw object.
    let staging = tempfile::tempdir().unwrap();
    let transformer_metrics = Arc::new(RecordingSink::default());
    let transformer = lambda_transformer::handler::Deps {
        store: lake.clone(),
        layout: layout(),
        transform: TransformConfig::new(staging.path()),
        metrics: transformer_metrics.clone(),
    };
    let mut ledgers: Vec<Ledger> = Vec::new();
    for key in &raw_keys {
        let size = lake.head(key).await.unwrap().size;
        let event = s3_event(&[(RAW_BUCKET, key, size)]);
        let response = lambda_transformer::handler::handle(event, &transformer).await.unwrap();
        assert!(response.skipped.is_empty() && response.failed.is_empty());
        ledgers.extend(response.processed);
    }
    assert_eq!(ledgers.len(), raw_keys.len());
    assert!(ledgers.iter().all(Ledger::balances));
    // Silver lands in the processed bucket; quarantine and ledgers stay in the raw bucket.
    let silver = s3.list_objects_v2().bucket(PROCESSED_BUCKET).send().await.unwrap();
    let silver_keys: BTreeSet<String> =
        silver.contents().iter().filter_map(|o| o.key().map(str::to_owned)).collect();
    let mut expected_silver: BTreeSet<String> =
        ledgers.iter().flat_map(|l| l.outputs.iter().map(|o| o.key.clone())).collect();
    expected_silver.insert(pipeline_core::keys::TITLES_KEY.to_owned());
    assert_eq!(silver_keys, expected_silver, "silver files and the generator's title dimension");

    // 3. The counts balance against the generator's ground truth.
    let total = |f: fn(&Ledger) -> u64| ledgers.iter().map(f).sum::<u64>();
    assert_eq!(total(|l| l.records_in), truth.records_sent);
    let mut quarantined: BTreeMap<String, u64> = BTreeMap::new();
    for ledger in &ledgers {
        for (reason, n) in &ledger.quarantined_by_reason {
            *quarantined.entry(reason.clone()).or_default() += n;
        }
    }
    // Real Firehose stamps arrival with its own clock, later than the generator's simulated
    // one: a FROM_FUTURE record (2 to 48 h ahead of its simulated arrival) may no longer be
    // ahead of the real one, and then it is valid: a new row, or a duplicate when it shares
    // the event_id of the clean event it was made from. Every other reason is exact.
    let future = |m: &BTreeMap<String, u64>| m.get("FROM_FUTURE").copied().unwrap_or(0);
    let became_valid = future(&truth.quarantined) - future(&quarantined);
    let mut expected = truth.quarantined.clone();
    expected.retain(|_, n| *n > 0);
    quarantined.remove("FROM_FUTURE");
    expected.remove("FROM_FUTURE");
    assert_eq!(quarantined, expected);
    let (written, duplicates) = (total(|l| l.written), total(|l| l.duplicates_dropped));
    assert_eq!(written + duplicates, truth.clean_events + truth.duplicates + became_valid);
    assert!(written >= truth.clean_events && duplicates >= truth.duplicates);
    assert_eq!(transformer_metrics.total(names::RECORDS_IN), Some(truth.records_sent as f64));
    assert_eq!(transformer_metrics.total(names::RECORDS_WRITTEN), Some(written as f64));
    assert_eq!(transformer_metrics.total(names::DUPLICATES_DROPPED), Some(duplicates as f64));

    // A re-delivered event changes nothing.
    let size = lake.head(&raw_keys[0]).await.unwrap().size;
    let again = lambda_transformer::handler::handle(
        s3_event(&[(RAW_BUCKET, &raw_keys[0], size)]),
        &transformer,
    )
    .await
    .unwrap();
    assert_eq!(again.already_processed.len(), 1);

    // 4. Registrar: one event per raw object's outputs, as S3 would batch them.
    let catalog = Arc::new(GlueCatalog::with_layout(glue_client(&sdk), DATABASE, layout()));
    let registrar_metrics = Arc::new(RecordingSink::default());
    let registrar = lambda_registrar::handler::Deps {
        catalog: catalog.clone(),
        store: lake.clone(),
        layout: layout(),
        metrics: registrar_metrics.clone(),
        compaction: pipeline_core::compact::CompactionPolicy::default(),
        grace_seconds: 3600,
    };
    for ledger in &ledgers {
        let mut objects: Vec<(&str, &str, u64)> =
            ledger.outputs.iter().map(|o| (PROCESSED_BUCKET, o.key.as_str(), 1)).collect();
        objects.extend(ledger.quarantine_outputs.iter().map(|o| (RAW_BUCKET, o.key.as_str(), 1)));
        lambda_registrar::handler::handle(s3_event(&objects), &registrar).await.unwrap();
    }
    let dates: BTreeSet<String> =
        ledgers.iter().flat_map(|l| l.outputs.iter().map(|o| o.event_date.clone())).collect();
    let glue_dates: BTreeSet<String> = catalog
        .partitions("processed_netflix_events")
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.values[0].clone())
        .collect();
    assert_eq!(glue_dates, dates, "Glue partitions = the ledgers' event dates");
    assert_eq!(
        registrar_metrics.total(names::PARTITIONS_REGISTERED),
        Some(
            (dates.len()
                + ledgers
                    .iter()
                    .flat_map(|l| &l.quarantine_outputs)
                    .map(|q| &q.ingest_date)
                    .collect::<BTreeSet<_>>()
                    .len()) as f64
        ),
        "each partition counted once, however many events named it"
    );
    let glue = glue_client(&sdk);
    let partition = glue
        .get_partition()
        .database_name(DATABASE)
        .table_name("processed_netflix_events")
        .partition_values(dates.iter().next().unwrap())
        .send()
        .await
        .unwrap();
    let location =
        partition.partition().and_then(|p| p.storage_descriptor()).and_then(|s| s.location());
    assert_eq!(
        location,
        Some(
            format!(
                "s3://{PROCESSED_BUCKET}/processed/netflix/processed_manifests/event_date={}/",
                dates.iter().next().unwrap()
            )
            .as_str()
        ),
        "a silver partition's location is its symlink manifest directory"
    );
    // Every partition's manifest, committed through S3 conditional writes, lists exactly the
    // ledgers' silver files, as full s3:// URIs (what Athena's symlink reader opens).
    for date in &dates {
        let manifest = lake
            .get(&pipeline_core::commit::SILVER.manifest_key(date))
            .await
            .unwrap()
            .expect("a manifest per partition");
        let listed: BTreeSet<String> =
            String::from_utf8(manifest.to_vec()).unwrap().lines().map(str::to_owned).collect();
        let expected: BTreeSet<String> = ledgers
            .iter()
            .flat_map(|l| &l.outputs)
            .filter(|o| &o.event_date == date)
            .map(|o| format!("s3://{PROCESSED_BUCKET}/{}", o.key))
            .collect();
        assert_eq!(listed, expected, "manifest of {date}");
    }
    // 5. Firehose re-delivers a whole object (an at-least-once retry): the copy lands five
    //    minutes later under a new key, is transformed and registered like any object, and
    //    every one of its rows is a cross-object duplicate.
    let original = &raw_keys[0];
    let arrival = firehose_arrival_ts(original).unwrap();
    let copy = firehose_object_key(
        "netflix-playback",
        arrival + 300,
        "0f0f0f0f-0000-4000-8000-00000000c0de",
    )
    .unwrap();
    let body = lake.get(original).await.unwrap().unwrap();
    lake.put(&copy, body).await.unwrap();
    let size = lake.head(&copy).await.unwrap().size;
    let copied =
        lambda_transformer::handler::handle(s3_event(&[(RAW_BUCKET, &copy, size)]), &transformer)
            .await
            .unwrap();
    let copy_ledger = copied.processed[0].clone();
    let objects: Vec<(&str, &str, u64)> =
        copy_ledger.outputs.iter().map(|o| (PROCESSED_BUCKET, o.key.as_str(), 1)).collect();
    lambda_registrar::handler::handle(s3_event(&objects), &registrar).await.unwrap();

    // 6. The scheduled compaction, on S3 (conditional writes over moto's HTTP API): every
    //    partition holding the copy is merged into one file with each event once; the earlier
    //    arrival's rows win, and the accounting balances.
    let run =
        lambda_registrar::handler::compact_run(&Default::default(), &registrar).await.unwrap();
    assert_eq!(run.compacted.len(), copy_ledger.outputs.len(), "{run:?}");
    assert_eq!(run.compaction_lag_seconds, 0, "nothing left due");
    let dropped: u64 = run.compacted.iter().map(|c| c.4).sum();
    // Every row the copy wrote is a cross-object duplicate, except a record the original
    // rejected as FROM_FUTURE that the copy, arriving five minutes later, no longer finds ahead
    // of its arrival (the reverse, TOO_OLD, only removes rows from the copy).
    let future =
        |ledger: &Ledger| ledger.quarantined_by_reason.get("FROM_FUTURE").copied().unwrap_or(0);
    let original_ledger = ledgers
        .iter()
        .find(|l| l.source.ends_with(original.as_str()))
        .expect("the original's ledger");
    let accepted_later = future(original_ledger) - future(&copy_ledger);
    assert_eq!(
        dropped,
        copy_ledger.written - accepted_later,
        "every row of the copy that the original also wrote is a cross-object duplicate"
    );
    for date in &dates {
        let (state, _) =
            pipeline_core::commit::read_state(lake.as_ref(), &pipeline_core::commit::SILVER, date)
                .await
                .unwrap();
        let written: u64 = ledgers
            .iter()
            .flat_map(|l| &l.outputs)
            .filter(|o| &o.event_date == date)
            .map(|o| o.rows)
            .sum();
        assert_eq!(state.rows(), written, "{date}: exactly the original rows, once");
        if copy_ledger.outputs.iter().any(|o| &o.event_date == date) {
            assert_eq!(state.files.len(), 1, "{date}: {:?}", state.files);
            assert!(state.files[0].key.starts_with("processed/netflix/processed_compacted/"));
        }
        let manifest =
            lake.get(&pipeline_core::commit::SILVER.manifest_key(date)).await.unwrap().unwrap();
        let listed: Vec<String> =
            String::from_utf8(manifest.to_vec()).unwrap().lines().map(str::to_owned).collect();
        let live: Vec<String> =
            state.files.iter().map(|f| format!("s3://{PROCESSED_BUCKET}/{}", f.key)).collect();
        assert_eq!(listed, live, "{date}: the manifest is the committed list");
    }
    assert_eq!(registrar_metrics.total(names::COMPACTION_LAG_SECONDS), Some(0.0));
    // Silver holds exactly the rows the ledgers claim. (Per date it can differ from the
    // truth: a FROM_FUTURE copy that became valid may be kept instead of its original.)
    let mut rows_per_date: BTreeMap<String, u64> = BTreeMap::new();
    for output in ledgers.iter().flat_map(|l| &l.outputs) {
        *rows_per_date.entry(output.event_date.clone()).or_default() += output.rows;
    }
    if became_valid == 0 {
        assert_eq!(rows_per_date, truth.rows_per_date);
    }
    assert_eq!(rows_per_date.values().sum::<u64>(), written);
}

#[tokio::test]
async fn query_runner_returns_athena_rows_and_bytes_scanned() {
    let Some(moto) = Moto::start() else { return };
    let rows: Vec<Value> = std::iter::once(json!({"Data": [
        {"VarCharValue": "event_date"}, {"VarCharValue": "row_count"}
    ]}))
    .chain((1..=3).map(|d| {
        json!({"Data": [{"VarCharValue": format!("2026-01-0{d}")}, {"VarCharValue": (d * 100).to_string()}]})
    }))
    .collect();
    let body = json!({"results": [{"rows": rows, "column_info": [
        {"Name": "event_date", "Label": "event_date", "Type": "varchar"},
        {"Name": "row_count", "Label": "row_count", "Type": "bigint"},
    ]}]});
    let (status, _) = moto.api("POST", "/moto-api/static/athena/query-results", &body.to_string());
    assert_eq!(status, 201);
    let sdk = moto.sdk_config().await;
    let mut athena = AthenaConfig::new("primary");
    athena.output_location = Some("s3://athena-results/".into());
    let metrics = Arc::new(RecordingSink::default());
    let deps = lambda_query_runner::handler::Deps {
        engine: Arc::new(AthenaEngine::new(athena_client(&sdk), athena)),
        max_result_rows: 2,
        metrics: metrics.clone(),
        gold_store: None,
        results_store: None,
    };
    let request = serde_json::from_value(json!({"query": "rows_per_date"})).unwrap();
    let Response::Query(response) =
        lambda_query_runner::handler::handle(invocation(request, "q-1"), &deps).await.unwrap()
    else {
        panic!("a query response")
    };
    assert_eq!(response.row_count, 3);
    assert!(response.truncated);
    assert_eq!(
        response.rows,
        vec![vec![json!("2026-01-01"), json!(100)], vec![json!("2026-01-02"), json!(200)]]
    );
    assert_eq!(response.columns[1].type_name, "bigint");
    assert!(metrics.total(names::BYTES_SCANNED).is_some());
}

/// The gold refresh over moto's HTTP API, as far as moto goes: it accepts the statements but
/// executes nothing (no UNLOAD files, no data manifest). What Athena receives is checked here:
/// one `UNLOAD` into a prefix of its own per run, Snappy Parquet, partitioned by the table's
/// day column, with the day range as execution parameters; and a run that finds no data
/// manifest fails retryably, naming it, without touching gold. The commit protocol itself runs
/// against `MemoryAthena`, which models UNLOAD and `ClientRequestToken` idempotency
/// (pipeline-core's gold tests and the query-runner's handler tests).
#[tokio::test]
async fn query_runner_refresh_unloads_into_a_fresh_prefix_per_run() {
    let Some(moto) = Moto::start() else { return };
    let sdk = moto.sdk_config().await;
    let s3 = s3_client(&sdk);
    for bucket in [PROCESSED_BUCKET, "athena-results"] {
        s3.create_bucket().bucket(bucket).send().await.unwrap();
    }
    let mut athena = AthenaConfig::new("primary");
    athena.output_location = Some("s3://athena-results/".into());
    let client = athena_client(&sdk);
    let store = aws_adapters::S3BlobStore::new(
        s3.clone(),
        aws_adapters::s3::S3Config::new(PROCESSED_BUCKET, ""),
    )
    .unwrap();
    let results = aws_adapters::S3BlobStore::new(
        s3.clone(),
        aws_adapters::s3::S3Config::new("athena-results", ""),
    )
    .unwrap();
    let deps = lambda_query_runner::handler::Deps {
        engine: Arc::new(AthenaEngine::new(client.clone(), athena)),
        max_result_rows: 10,
        metrics: Arc::new(RecordingSink::default()),
        gold_store: Some(Arc::new(store)),
        results_store: Some(Arc::new(results)),
    };
    let mut statements = Vec::new();
    for attempt in ["g-1", "g-1"] {
        let request = serde_json::from_value(
            json!({"refresh_gold": true, "from": "2026-01-01", "to": "2026-01-02"}),
        )
        .unwrap();
        let error = lambda_query_runner::handler::handle(invocation(request, attempt), &deps)
            .await
            .unwrap_err();
        assert!(error.is_retryable(), "{error}");
        assert!(error.to_string().contains("-manifest.csv"), "{error}");
        let ids = client.list_query_executions().work_group("primary").send().await.unwrap();
        for id in ids.query_execution_ids() {
            let execution =
                client.get_query_execution().query_execution_id(id).send().await.unwrap();
            let execution = execution.query_execution().unwrap();
            let sql = execution.query().unwrap_or_default().to_owned();
            if !statements.iter().any(|(seen, _)| seen == &sql) {
                statements.push((sql, execution.execution_parameters().to_vec()));
            }
        }
    }
    // Two attempts of the same request, two UNLOADs of the first table into two prefixes.
    assert_eq!(statements.len(), 2, "{statements:?}");
    let prefix =
        format!("TO 's3://{PROCESSED_BUCKET}/gold/netflix/daily_title_engagement/unload/g-1-");
    for (sql, params) in &statements {
        assert!(sql.contains("UNLOAD ("), "{sql}");
        assert!(sql.contains(&prefix), "{sql}");
        assert!(sql.contains(
            "format = 'PARQUET', compression = 'SNAPPY', partitioned_by = ARRAY['event_date']"
        ));
        assert_eq!(params, &["'2025-12-31'", "'2026-01-03'", "'2026-01-01'", "'2026-01-02'"]);
    }
    assert_ne!(statements[0].0, statements[1].0, "each attempt unloads into its own prefix");
    let listed =
        s3.list_objects_v2().bucket(PROCESSED_BUCKET).prefix("gold/").send().await.unwrap();
    assert!(listed.contents().is_empty(), "nothing committed without a data manifest");
}
