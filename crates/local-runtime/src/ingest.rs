//! Ingest: the local stand-in for S3 notifications invoking the transformer and registrar
//! Lambdas, and for the scheduled compaction and gold refresh. Every raw object without a
//! ledger is transformed (in parallel, one per core) and its outputs published; every silver
//! file any ledger names is appended to its partition's commit and every partition registered
//! in the catalog ([`crate::commits::register_ledgers`]); partitions the compaction policy
//! says are due are compacted, with cross-object dedup ([`crate::commits::compact_lake`]);
//! then the gold days whose inputs changed since their last commit are refreshed
//! ([`crate::gold::plan_stale`]), which also catches gold up after a run that died.
//!
//! Re-running is a no-op that rewrites nothing: processed objects are recognised by their
//! ledger (keyed by the digest of key + content hash), appends of known files change no
//! commit, and the catalog is only rewritten when a partition is new.

use std::sync::Arc;

use futures::stream::{self, StreamExt};
use pipeline_core::compact::CompactionPolicy;
use pipeline_core::keys::{LEDGER_PREFIX, RAW_PREFIX};
use pipeline_core::ports::{BlobStore, ObjectMeta};
use pipeline_core::process::{is_processed, process_object};
use pipeline_core::{Ledger, TransformConfig};
use tracing::{info, warn};

pub use crate::commits::register_partitions;
use crate::commits::{compact_lake, register_ledgers, CompactReport, RegisterReport};
use crate::error::{Error, Result};
use crate::gold::{plan_stale, GoldReport};
use crate::lake::Lake;

/// What an ingest run did.
#[derive(Debug, Default)]
pub struct IngestReport {
    /// Ledgers of the objects processed in this run.
    pub processed: Vec<Ledger>,
    /// Raw objects skipped because they already had a ledger.
    pub already_processed: usize,
    /// Objects that failed, with the error (the rest of the run continues).
    pub failed: Vec<(String, String)>,
    /// Partitions newly registered in the catalog.
    pub partitions_added: usize,
    /// Silver appends committed.
    pub registered: RegisterReport,
    /// Compaction and garbage collection.
    pub compaction: CompactReport,
    /// The gold refresh of the days whose inputs changed.
    pub gold: GoldReport,
}

/// How `ingest` maintains the committed tables after transforming.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Compact the partitions the policy says are due (`None`: leave appends uncompacted).
    pub compaction: Option<CompactionPolicy>,
    /// Seconds a removed file is kept for queries in flight before it is deleted.
    pub grace_seconds: i64,
}

impl Default for IngestOptions {
    fn default() -> Self {
        Self {
            compaction: Some(CompactionPolicy::default()),
            grace_seconds: crate::commits::DEFAULT_GRACE_SECONDS,
        }
    }
}

/// Progress callbacks for long runs (the CLI draws a bar).
pub trait IngestProgress: Send + Sync {
    /// Called once with the number of objects to process.
    fn start(&self, total: u64);
    /// Called after each object.
    fn advance(&self, key: &str);
}

impl IngestProgress for () {
    fn start(&self, _total: u64) {}
    fn advance(&self, _key: &str) {}
}

/// Raw objects that have no ledger yet.
pub async fn pending_raw_objects(lake: &Lake) -> Result<(Vec<ObjectMeta>, usize)> {
    let store = lake.store();
    let mut pending = Vec::new();
    let mut done = 0;
    for meta in store.list(RAW_PREFIX).await? {
        if is_processed(store.as_ref(), &meta).await? {
            done += 1;
        } else {
            pending.push(meta);
        }
    }
    Ok((pending, done))
}

/// Transforms `keys` (in parallel) and publishes their outputs. Failures are collected.
pub async fn transform_keys(
    lake: &Lake,
    keys: Vec<String>,
    config: &TransformConfig,
    progress: Arc<dyn IngestProgress>,
) -> Result<(Vec<Ledger>, Vec<(String, String)>)> {
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    progress.start(keys.len() as u64);
    let store = lake.store();
    let runtime = tokio::runtime::Handle::current();
    let results: Vec<(String, std::result::Result<Ledger, String>)> = stream::iter(keys)
        .map(|key| {
            let store = store.clone();
            let config = config.clone();
            let runtime = runtime.clone();
            let progress = progress.clone();
            async move {
                let task_key = key.clone();
                let joined = tokio::task::spawn_blocking(move || {
                    runtime.block_on(process_object(store.as_ref(), &task_key, &config))
                })
                .await;
                progress.advance(&key);
                let outcome = match joined {
                    Ok(Ok(ledger)) => Ok(ledger),
                    Ok(Err(error)) => Err(error.to_string()),
                    Err(error) => Err(format!("worker failed: {error}")),
                };
                (key, outcome)
            }
        })
        .buffered(workers)
        .collect()
        .await;
    let mut ledgers = Vec::new();
    let mut failed = Vec::new();
    for (key, outcome) in results {
        match outcome {
            Ok(ledger) => ledgers.push(ledger),
            Err(error) => {
                warn!(key = %key, error = %error, "Object failed");
                failed.push((key, error));
            }
        }
    }
    Ok((ledgers, failed))
}

/// Every ledger in the lake, in key order.
pub async fn read_ledgers(lake: &Lake) -> Result<Vec<Ledger>> {
    let store = lake.store();
    let mut ledgers = Vec::new();
    for meta in store.list(LEDGER_PREFIX).await? {
        let Some(bytes) = store.get(&meta.key).await? else { continue };
        ledgers.push(
            Ledger::from_json(&bytes).map_err(|error| {
                Error::Task(format!("ledger {} is unreadable: {error}", meta.key))
            })?,
        );
    }
    Ok(ledgers)
}

/// Processes every unprocessed raw object, commits and registers the partitions, compacts,
/// and refreshes stale gold, with the default [`IngestOptions`].
pub async fn ingest(
    lake: &Lake,
    config: &TransformConfig,
    progress: Arc<dyn IngestProgress>,
) -> Result<IngestReport> {
    ingest_with(lake, config, progress, &IngestOptions::default()).await
}

/// [`ingest`] with explicit options.
pub async fn ingest_with(
    lake: &Lake,
    config: &TransformConfig,
    progress: Arc<dyn IngestProgress>,
    options: &IngestOptions,
) -> Result<IngestReport> {
    let (pending, already_processed) = pending_raw_objects(lake).await?;
    info!(pending = pending.len(), already_processed, "Ingest started");
    let keys = pending.into_iter().map(|meta| meta.key).collect();
    let (processed, failed) = transform_keys(lake, keys, config, progress).await?;
    let ledgers = read_ledgers(lake).await?;
    let registered = register_ledgers(lake, &ledgers).await?;
    let now = chrono::Utc::now().timestamp();
    let compaction = match &options.compaction {
        Some(policy) => compact_lake(lake, policy, None, now, options.grace_seconds).await?,
        None => CompactReport::default(),
    };
    let plan = plan_stale(lake, &ledgers).await?;
    let gold = crate::gold::refresh_gold(lake, &plan).await?;
    info!(
        processed = processed.len(),
        failed = failed.len(),
        partitions_added = registered.partitions_added,
        compacted = compaction.compactions.len(),
        gold_rows = gold.rows(),
        "Ingest finished"
    );
    Ok(IngestReport {
        processed,
        already_processed,
        failed,
        partitions_added: registered.partitions_added,
        registered,
        compaction,
        gold,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::io::Write;
    use std::path::{Path, PathBuf};

    use bytes::Bytes;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use pipeline_core::keys::firehose_object_key;

    use super::*;

    fn snapshot(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
        fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
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

    async fn lake_with_raw_object(root: &Path) -> (Lake, String) {
        let lake = Lake::create(root).unwrap();
        let arrival = 1_772_600_767;
        let mut data = Vec::new();
        for i in 0..3_000 {
            let line = format!(
                "{{\"event_id\":\"e{}\",\"user_id\":\"u\",\"profile_id\":\"p\",\"title_id\":\"t\",\"session_id\":\"s\",\"event_type\":\"HEARTBEAT\",\"event_ts\":{},\"device_type\":\"TV\",\"country\":\"{}\"}}\n",
                i % 2_900,
                arrival - i * 60,
                if i % 97 == 0 { "XX" } else { "US" }
            );
            data.extend_from_slice(line.as_bytes());
        }
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(&data).unwrap();
        let key =
            firehose_object_key("s", arrival, "0a1b2c3d-4e5f-6789-abcd-ef0123456789").unwrap();
        lake.store().put(&key, Bytes::from(encoder.finish().unwrap())).await.unwrap();
        (lake, key)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_and_repeated_processing_equals_processing_once() {
        let once_dir = tempfile::tempdir().unwrap();
        let (once, key) = lake_with_raw_object(once_dir.path()).await;
        let config = TransformConfig::new(once.staging_dir().unwrap());
        transform_keys(&once, vec![key.clone()], &config, Arc::new(())).await.unwrap();
        register_partitions(&once).await.unwrap();

        let many_dir = tempfile::tempdir().unwrap();
        let (many, _) = lake_with_raw_object(many_dir.path()).await;
        let config = TransformConfig::new(many.staging_dir().unwrap());
        // Four concurrent deliveries of the same S3 event, then a late retry.
        let (ledgers, failed) =
            transform_keys(&many, vec![key.clone(); 4], &config, Arc::new(())).await.unwrap();
        assert!(failed.is_empty(), "{failed:?}");
        assert!(ledgers.windows(2).all(|pair| pair[0] == pair[1]));
        transform_keys(&many, vec![key], &config, Arc::new(())).await.unwrap();
        register_partitions(&many).await.unwrap();

        let (a, b) = (snapshot(once_dir.path()), snapshot(many_dir.path()));
        assert!(a.keys().any(|path| path.to_string_lossy().contains("event_date=")));
        assert_eq!(a, b, "byte-identical lakes");
    }

    /// Every gold table's rows, as text, sorted: what a reader of the lake's gold sees.
    async fn gold_rows(lake: &Lake) -> Vec<String> {
        let engine = crate::LocalQueryEngine::open(lake.root()).await.unwrap();
        let mut rows = Vec::new();
        for query in &pipeline_core::gold::GOLD_QUERIES {
            let sql = format!("SELECT * FROM {}", query.table.name);
            let (_, batches) = engine.query_batches(&sql).await.unwrap();
            let text = arrow::util::pretty::pretty_format_batches(&batches).unwrap().to_string();
            rows.extend(text.lines().map(|line| format!("{} {line}", query.table.name)));
        }
        rows.sort();
        rows
    }

    /// An `ingest` that died (kill -9) after transforming, after registering, or halfway
    /// through its gold refresh: the next `ingest` finds no raw object pending, yet it still
    /// commits, compacts and refreshes what the dead run left, and gold ends equal to an
    /// uninterrupted run's.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_ingest_that_died_is_caught_up_by_the_next() {
        let whole_dir = tempfile::tempdir().unwrap();
        let (whole, _) = lake_with_raw_object(whole_dir.path()).await;
        let config = TransformConfig::new(whole.staging_dir().unwrap());
        ingest(&whole, &config, Arc::new(())).await.unwrap();
        let expected = gold_rows(&whole).await;
        assert!(expected.iter().any(|row| row.starts_with("daily_event_types")), "{expected:?}");

        for died_after in ["transform", "register", "half of gold"] {
            let dir = tempfile::tempdir().unwrap();
            let (lake, key) = lake_with_raw_object(dir.path()).await;
            let config = TransformConfig::new(lake.staging_dir().unwrap());
            let (ledgers, _) =
                transform_keys(&lake, vec![key], &config, Arc::new(())).await.unwrap();
            if died_after != "transform" {
                crate::commits::register_ledgers(&lake, &ledgers).await.unwrap();
            }
            if died_after == "half of gold" {
                let mut plan = crate::gold::plan_stale(&lake, &ledgers).await.unwrap();
                let first = *plan.silver.iter().next().unwrap();
                plan.silver.retain(|day| *day == first);
                plan.arrivals.clear();
                crate::gold::refresh_gold(&lake, &plan).await.unwrap();
            }
            let report = ingest(&lake, &config, Arc::new(())).await.unwrap();
            assert_eq!((report.processed.len(), report.already_processed), (0, 1), "{died_after}");
            assert_eq!(gold_rows(&lake).await, expected, "gold after dying after {died_after}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn ingest_quarantines_a_corrupt_object_and_skips_processed_ones() {
        let dir = tempfile::tempdir().unwrap();
        let (lake, _) = lake_with_raw_object(dir.path()).await;
        // A second object that is corrupt: it is quarantined, and the good one still lands.
        lake.store()
            .put("raw/netflix/broken.gz", Bytes::from_static(b"\x1f\x8bnot really"))
            .await
            .unwrap();
        let config = TransformConfig::new(lake.staging_dir().unwrap());
        let report = ingest(&lake, &config, Arc::new(())).await.unwrap();
        assert_eq!(report.processed.len(), 2);
        assert!(report.failed.is_empty());
        let broken = report.processed.iter().find(|l| l.source.ends_with("broken.gz")).unwrap();
        assert_eq!(broken.quarantined_by_reason.get("CORRUPT_OBJECT"), Some(&1));
        assert!(report.partitions_added > 0);
        let again = ingest(&lake, &config, Arc::new(())).await.unwrap();
        assert_eq!(again.processed.len(), 0);
        assert_eq!(again.already_processed, 2);
        assert_eq!(again.partitions_added, 0);
    }
}
