//! `handle(event, &Deps)`: every silver file an S3 event names is **appended to its
//! partition's commit** (DESIGN §8: a compare-and-swap on the partition's commit state, then
//! its symlink manifest), and the partitions of the silver and quarantine files are added to
//! the catalog once each; a silver partition's location is its manifest directory.
//!
//! The same function runs the **scheduled compaction** (`{"compact": {}}` from EventBridge,
//! optionally `{"compact": {"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}}`): every silver
//! partition due is compacted (files merged, cross-object duplicates dropped, one commit), then
//! files removed more than the grace period ago are deleted, in silver and gold.
//!
//! Appending is idempotent: a re-delivered or replayed event finds the file live, or removed
//! by a compaction (tombstoned), and commits nothing. Compaction and gold outputs are written
//! outside the silver prefix whose events trigger this function.
//!
//! A key is a partition file when [`partition_of_key`] recognises it (the DESIGN §3 layout
//! with a valid `YYYY-MM-DD` value); anything else (ledgers, the title dimension, a
//! `__HIVE_DEFAULT_PARTITION__` directory, another bucket) is skipped and logged. A catalog
//! failure is returned as an error, retryable when the catalog says so (throttling); a
//! missing table is not retryable.

use std::collections::BTreeSet;
use std::sync::Arc;

use aws_adapters::config::{glue_client, load_sdk_config, s3_client};
use aws_adapters::{GlueCatalog, LakeLayout, S3Lake};
use aws_lambda_events::event::s3::S3Event;
use lambda_support::metrics::names;
use lambda_support::{event_objects, MetricSink, Result, SkippedRecord, StdoutEmf};
use pipeline_core::commit::{commit, parquet_rows, Change, CommittedFile, FileOrigin, SILVER};
use pipeline_core::compact::{compact_due, compaction_lag, vacuum, CompactionPolicy};
use pipeline_core::keys::partition_of_key;
use pipeline_core::metrics::Metric;
use pipeline_core::ports::{BlobStore, PartitionCatalog, PartitionSpec};
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use crate::config::Config;

/// The function name in metrics and logs.
pub const FUNCTION: &str = "registrar";

/// What the handler needs, built once per cold start.
pub struct Deps {
    /// The catalog (Glue, or an in-memory catalog in tests).
    pub catalog: Arc<dyn PartitionCatalog>,
    /// The lake (S3, or an in-memory store in tests): silver files and commit states.
    pub store: Arc<dyn BlobStore>,
    /// Where each zone lives.
    pub layout: LakeLayout,
    /// Where metrics go.
    pub metrics: Arc<dyn MetricSink>,
    /// When and how the scheduled run compacts.
    pub compaction: CompactionPolicy,
    /// Seconds a file removed by a commit is kept before it is deleted.
    pub grace_seconds: i64,
}

impl Deps {
    /// The production wiring: Glue through the default credential chain, EMF on stdout.
    pub async fn from_aws(config: Config) -> Result<Self> {
        let sdk = load_sdk_config().await;
        let catalog =
            GlueCatalog::with_layout(glue_client(&sdk), config.database, config.layout.clone());
        let store = S3Lake::new(s3_client(&sdk), config.layout.clone())
            .map_err(|error| lambda_support::LambdaError::Config(error.to_string()))?;
        Ok(Self {
            catalog: Arc::new(catalog),
            store: Arc::new(store),
            layout: config.layout,
            metrics: Arc::new(StdoutEmf),
            compaction: config.compaction,
            grace_seconds: config.grace_seconds,
        })
    }
}

/// What invokes the registrar.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Invocation {
    /// The scheduled compaction (EventBridge input `{"compact": {...}}`).
    Compact {
        /// Which partitions.
        compact: CompactRequest,
    },
    /// S3 `ObjectCreated` notifications for silver and quarantine files.
    S3(S3Event),
}

/// The scheduled compaction's options.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompactRequest {
    /// First day to compact (`YYYY-MM-DD`); with `to`. Default: every partition due.
    #[serde(default)]
    pub from: Option<String>,
    /// Last day (inclusive).
    #[serde(default)]
    pub to: Option<String>,
}

/// What a compaction run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CompactResponse {
    /// Per compacted partition: `(event_date, version, files in, files out,
    /// cross-object duplicates dropped)`.
    pub compacted: Vec<(String, u64, usize, usize, u64)>,
    /// Removed files deleted after the grace period.
    pub vacuumed: usize,
    /// Seconds the oldest partition still due has waited (0 when none is).
    pub compaction_lag_seconds: i64,
}

/// The registrar's response: partitions registered, or a compaction run.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Response {
    /// An S3 event.
    Register(RegisterResponse),
    /// A compaction run.
    Compact(CompactResponse),
}

/// The invocation's result.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RegisterResponse {
    /// The distinct partitions of the event, sorted.
    pub partitions: Vec<PartitionSpec>,
    /// How many of them were new to the catalog.
    pub added: usize,
    /// Silver files newly appended to their partition's commit.
    pub appended: usize,
    /// Records that name no partition file.
    pub skipped: Vec<SkippedRecord>,
}

/// A silver file an event names: its partition value, key and size (when the event says).
pub type SilverFile = (String, String, Option<u64>);

/// The distinct partitions named by `event`, the silver files in it, and the records that
/// name no partition file.
pub fn partitions_of(
    event: &S3Event,
    layout: &LakeLayout,
) -> (Vec<PartitionSpec>, Vec<SilverFile>, Vec<SkippedRecord>) {
    let (objects, mut skipped) = event_objects(event);
    let mut partitions = BTreeSet::new();
    let mut silver_files = BTreeSet::new();
    for object in objects {
        let Some(key) = layout.key_of_object(&object.bucket, &object.key) else {
            skipped.push(SkippedRecord {
                key: object.key,
                reason: format!("bucket {} does not hold this zone of the lake", object.bucket),
            });
            continue;
        };
        match partition_of_key(&key) {
            Some(partition) => {
                let location = if partition.table == SILVER.name() {
                    silver_files.insert((
                        partition.value.clone(),
                        key.clone(),
                        object.size.and_then(|size| u64::try_from(size).ok()),
                    ));
                    SILVER.manifest_location(&partition.value)
                } else {
                    partition.location
                };
                partitions.insert(PartitionSpec {
                    table: partition.table.to_owned(),
                    values: vec![partition.value],
                    location,
                });
            }
            None => skipped.push(SkippedRecord { key, reason: "not a partition file".into() }),
        }
    }
    (partitions.into_iter().collect(), silver_files.into_iter().collect(), skipped)
}

/// Appends the event's silver files to their partitions' commits. Returns how many were new.
async fn append_silver(files: &[SilverFile], deps: &Deps) -> Result<usize> {
    let mut appended = 0;
    let mut by_partition: std::collections::BTreeMap<&str, Vec<CommittedFile>> =
        std::collections::BTreeMap::new();
    for (value, key, size) in files {
        let rows = parquet_rows(deps.store.as_ref(), key).await?;
        let bytes = match size {
            Some(size) => *size,
            None => deps.store.head(key).await?.size,
        };
        by_partition.entry(value.as_str()).or_default().push(CommittedFile {
            key: key.clone(),
            rows,
            bytes,
            origin: FileOrigin::Append,
        });
    }
    let now = chrono::Utc::now().timestamp();
    for (value, files) in by_partition {
        let outcome = commit(deps.store.as_ref(), &SILVER, value, now, |_| {
            Ok(Some(Change::Append(files.clone())))
        })
        .await?;
        if outcome.committed() {
            let added = outcome.state().last_commit.as_ref().map_or(0, |c| c.files_added);
            info!(
                partition = value,
                version = outcome.state().version,
                added,
                "Appended to silver"
            );
            appended += added;
        }
    }
    Ok(appended)
}

/// Handles one invocation.
pub async fn handle_invocation(invocation: Invocation, deps: &Deps) -> Result<Response> {
    match invocation {
        Invocation::S3(event) if event.records.is_empty() => Err(lambda_support::LambdaError::Payload(
            "expected an S3 event with records, or {\"compact\": {}} (optionally with from and to)".into(),
        )),
        Invocation::S3(event) => handle(event, deps).await.map(Response::Register),
        Invocation::Compact { compact } => compact_run(&compact, deps).await.map(Response::Compact),
    }
}

/// The scheduled compaction: compacts every silver partition due, then garbage-collects.
pub async fn compact_run(request: &CompactRequest, deps: &Deps) -> Result<CompactResponse> {
    let range = match (&request.from, &request.to) {
        (Some(from), Some(to)) => {
            let range = pipeline_core::gold::DateRange::parse(from, to)
                .map_err(|error| lambda_support::LambdaError::Payload(error.to_string()))?;
            Some((range.from.to_string(), range.to.to_string()))
        }
        (None, None) => None,
        _ => {
            return Err(lambda_support::LambdaError::Payload(
                "compact takes both from and to, or neither".into(),
            ))
        }
    };
    // A staging directory of this invocation's own, removed when it ends (a timed-out
    // invocation's leftovers in /tmp are not reused).
    let staging =
        tempfile::Builder::new().prefix("streamlake-compact-").tempdir().map_err(|error| {
            pipeline_core::Error::io("creating the compaction staging directory", error)
        })?;
    let now = chrono::Utc::now().timestamp();
    let ledgers = compact_due(
        deps.store.as_ref(),
        &deps.compaction,
        staging.path(),
        range.as_ref().map(|(from, to)| (from.as_str(), to.as_str())),
        now,
    )
    .await?;
    let vacuumed = vacuum(deps.store.as_ref(), now, deps.grace_seconds).await?;
    let lag = compaction_lag(deps.store.as_ref(), &deps.compaction, now).await?;
    let dropped: u64 = ledgers.iter().map(|l| l.cross_object_duplicates_dropped).sum();
    info!(compacted = ledgers.len(), dropped, vacuumed, lag, "Compaction run finished");
    deps.metrics.emit(
        FUNCTION,
        &[
            Metric::count(names::PARTITIONS_COMPACTED, ledgers.len() as u64),
            Metric::count(names::CROSS_OBJECT_DUPLICATES_DROPPED, dropped),
            Metric::count(names::FILES_VACUUMED, vacuumed as u64),
            Metric::seconds(names::COMPACTION_LAG_SECONDS, u64::try_from(lag).unwrap_or(0)),
        ],
    );
    Ok(CompactResponse {
        compacted: ledgers
            .iter()
            .map(|l| {
                (
                    l.partition_value.clone(),
                    l.version,
                    l.inputs.len(),
                    l.outputs.len(),
                    l.cross_object_duplicates_dropped,
                )
            })
            .collect(),
        vacuumed,
        compaction_lag_seconds: lag,
    })
}

/// Handles one S3 event.
pub async fn handle(event: S3Event, deps: &Deps) -> Result<RegisterResponse> {
    let (partitions, silver_files, skipped) = partitions_of(&event, &deps.layout);
    for record in &skipped {
        warn!(key = %record.key, reason = %record.reason, "Skipped event record");
    }
    // Commit first: a new Glue partition then never points at a manifest not yet written.
    let appended = append_silver(&silver_files, deps).await?;
    let added =
        if partitions.is_empty() { 0 } else { deps.catalog.add_partitions(&partitions).await? };
    info!(partitions = partitions.len(), added, appended, "Registered partitions");
    deps.metrics.emit(
        FUNCTION,
        &[
            Metric::count(names::PARTITIONS_REGISTERED, added as u64),
            Metric::count(names::FILES_COMMITTED, appended as u64),
        ],
    );
    Ok(RegisterResponse { partitions, added, appended, skipped })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use lambda_support::RecordingSink;
    use pipeline_core::commit::{manifest_files, read_state};
    use pipeline_core::memory::{MemoryBlobStore, MemoryCatalog};

    use super::*;

    const PROCESSED: &str = "processed_netflix_events";
    const QUARANTINED: &str = "quarantined_netflix_events";

    fn event(name: &str) -> S3Event {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../tests/fixtures").join(name);
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    /// A Parquet file of `rows` rows.
    fn parquet(rows: i64) -> bytes::Bytes {
        use std::sync::Arc;
        let schema = Arc::new(arrow_schema::Schema::new(vec![arrow_schema::Field::new(
            "n",
            arrow_schema::DataType::Int64,
            false,
        )]));
        let batch = arrow_array::RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(arrow_array::Int64Array::from_iter_values(0..rows))],
        )
        .unwrap();
        let mut bytes = Vec::new();
        let mut writer = parquet::arrow::ArrowWriter::try_new(&mut bytes, schema, None).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        bytes.into()
    }

    /// The silver files the fixture event names, as real Parquet files.
    async fn lake() -> Arc<MemoryBlobStore> {
        let store = Arc::new(MemoryBlobStore::new(0));
        for (key, rows) in [
            ("processed/netflix/processed_partitioned/event_date=2024-03-05/part-0f1e2d3c4b5a69788796a5b4c3d2e1f0.snappy.parquet", 7),
            ("processed/netflix/processed_partitioned/event_date=2024-03-04/part-0f1e2d3c4b5a69788796a5b4c3d2e1f0.snappy.parquet", 3),
            ("processed/netflix/processed_partitioned/event_date=2024-03-05/part-1f1e2d3c4b5a69788796a5b4c3d2e1f1.snappy.parquet", 5),
        ] {
            store.put(key, parquet(rows)).await.unwrap();
        }
        store
    }

    fn deps(
        catalog: Arc<MemoryCatalog>,
        store: Arc<MemoryBlobStore>,
        metrics: Arc<RecordingSink>,
    ) -> Deps {
        Deps {
            catalog,
            store,
            layout: LakeLayout::two_buckets(
                "streamlake-raw-123456789012",
                "streamlake-processed-123456789012",
            )
            .unwrap(),
            metrics,
            compaction: CompactionPolicy::default(),
            grace_seconds: 3600,
        }
    }

    #[tokio::test]
    async fn commits_silver_files_registers_each_partition_once_and_skips_other_objects() {
        let catalog = Arc::new(MemoryCatalog::with_tables(&[PROCESSED, QUARANTINED]));
        let metrics = Arc::new(RecordingSink::default());
        let store = lake().await;
        let deps = deps(catalog.clone(), store.clone(), metrics.clone());

        let response = handle(event("s3_put_processed_objects.json"), &deps).await.unwrap();

        let found: Vec<(&str, &str)> =
            response.partitions.iter().map(|p| (p.table.as_str(), p.values[0].as_str())).collect();
        assert_eq!(
            found,
            [(PROCESSED, "2024-03-04"), (PROCESSED, "2024-03-05"), (QUARANTINED, "2024-03-05")],
            "the %3D-encoded keys decoded, and 2024-03-05 deduplicated"
        );
        assert_eq!(
            response.partitions[1].location,
            "processed/netflix/processed_manifests/event_date=2024-03-05/",
            "a silver partition lives at its manifest"
        );
        assert_eq!(
            response.partitions[2].location,
            "quarantine/netflix/quarantine/ingest_date=2024-03-05/"
        );
        assert_eq!((response.added, response.appended), (3, 3));
        assert_eq!(response.skipped.len(), 3, "ledger, titles, Hive default: {response:?}");
        let (state, _) = read_state(store.as_ref(), &SILVER, "2024-03-05").await.unwrap();
        assert_eq!((state.version, state.files.len(), state.rows()), (1, 2, 12));
        assert_eq!(state.files[0].bytes, 51_234, "the size from the event");
        assert_eq!(manifest_files(store.as_ref(), &SILVER, "2024-03-05").await.unwrap().len(), 2);
        assert_eq!(catalog.partitions(PROCESSED).await.unwrap().len(), 2);
        assert_eq!(catalog.partitions(QUARANTINED).await.unwrap().len(), 1);
        assert_eq!(metrics.total(names::PARTITIONS_REGISTERED), Some(3.0));
        assert_eq!(metrics.total(names::FILES_COMMITTED), Some(3.0));

        // Re-delivery: nothing new, no new version, still success.
        let again = handle(event("s3_put_processed_objects.json"), &deps).await.unwrap();
        assert_eq!((again.partitions.len(), again.added, again.appended), (3, 0, 0));
        let (state, _) = read_state(store.as_ref(), &SILVER, "2024-03-05").await.unwrap();
        assert_eq!(state.version, 1);
        assert_eq!(metrics.total(names::PARTITIONS_REGISTERED), Some(3.0));
    }

    #[tokio::test]
    async fn a_file_compaction_removed_is_not_appended_again() {
        let store = lake().await;
        let catalog = Arc::new(MemoryCatalog::with_tables(&[PROCESSED, QUARANTINED]));
        let deps = deps(catalog, store.clone(), Arc::new(RecordingSink::default()));
        handle(event("s3_put_processed_objects.json"), &deps).await.unwrap();
        // A compaction replaces the partition's two files by one.
        let (state, _) = read_state(store.as_ref(), &SILVER, "2024-03-05").await.unwrap();
        let inputs: Vec<String> = state.files.iter().map(|f| f.key.clone()).collect();
        commit(store.as_ref(), &SILVER, "2024-03-05", 10, |_| {
            Ok(Some(Change::Replace {
                remove: inputs.clone(),
                add: vec![CommittedFile {
                    key: "processed/netflix/processed_compacted/event_date=2024-03-05/part-x-0000.snappy.parquet".into(),
                    rows: 12,
                    bytes: 1,
                    origin: FileOrigin::Compacted,
                }],
                operation: pipeline_core::commit::Operation::Compact,
                lineage: None,
            }))
        })
        .await
        .unwrap();
        // The late re-delivery of the original event adds nothing back.
        let late = handle(event("s3_put_processed_objects.json"), &deps).await.unwrap();
        assert_eq!(late.appended, 0);
        let (state, _) = read_state(store.as_ref(), &SILVER, "2024-03-05").await.unwrap();
        assert_eq!((state.files.len(), state.rows()), (1, 12));
    }

    #[test]
    fn the_schedule_input_and_s3_events_are_told_apart() {
        let compact: Invocation = serde_json::from_str(r#"{"compact": {}}"#).unwrap();
        assert!(
            matches!(compact, Invocation::Compact { compact } if compact == CompactRequest::default())
        );
        let s3: Invocation =
            serde_json::from_value(serde_json::to_value(event("s3_put_raw_object.json")).unwrap())
                .unwrap();
        assert!(matches!(s3, Invocation::S3(_)));
    }

    #[tokio::test]
    async fn an_unknown_payload_is_a_clear_error_not_an_empty_event() {
        let deps = deps(
            Arc::new(MemoryCatalog::default()),
            Arc::new(MemoryBlobStore::new(0)),
            Arc::new(RecordingSink::default()),
        );
        for payload in [r#"{"compact": {"days": 3}}"#, r#"{}"#, r#"{"Records": []}"#] {
            let error = match serde_json::from_str::<Invocation>(payload) {
                Err(error) => error.to_string(),
                Ok(invocation) => {
                    handle_invocation(invocation, &deps).await.unwrap_err().to_string()
                }
            };
            assert!(!error.is_empty(), "{payload}");
        }
    }

    #[tokio::test]
    async fn the_scheduled_run_compacts_and_reports_its_lag() {
        let store = lake().await;
        let catalog = Arc::new(MemoryCatalog::with_tables(&[PROCESSED, QUARANTINED]));
        let metrics = Arc::new(RecordingSink::default());
        let deps = deps(catalog, store.clone(), metrics.clone());
        handle(event("s3_put_processed_objects.json"), &deps).await.unwrap();
        // The fixture's files are not silver rows (one column): compaction refuses them with
        // a clear error rather than writing a wrong file.
        let error = compact_run(&CompactRequest::default(), &deps).await.unwrap_err();
        assert!(error.to_string().contains("event_id"), "{error}");
        let half_range = CompactRequest { from: Some("2024-03-05".into()), to: None };
        assert!(!compact_run(&half_range, &deps).await.unwrap_err().is_retryable());
    }

    #[tokio::test]
    async fn a_missing_table_is_a_non_retryable_error() {
        let catalog = Arc::new(MemoryCatalog::with_tables(&[PROCESSED]));
        let deps = deps(catalog, lake().await, Arc::new(RecordingSink::default()));
        let error = handle(event("s3_put_processed_objects.json"), &deps).await.unwrap_err();
        assert!(!error.is_retryable());
        assert!(error.to_string().contains(QUARANTINED), "{error}");
    }

    #[tokio::test]
    async fn raw_objects_are_not_partitions() {
        let deps = deps(
            Arc::new(MemoryCatalog::default()),
            Arc::new(MemoryBlobStore::new(0)),
            Arc::new(RecordingSink::default()),
        );
        let response = handle(event("s3_put_raw_object.json"), &deps).await.unwrap();
        assert!(response.partitions.is_empty());
        assert_eq!(response.skipped.len(), 1);
    }
}
