//! Handler tests against the in-memory store, with the real event fixtures of
//! `tests/fixtures/` (regenerate them with `make_event_fixtures.py`).

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;
use lambda_support::RecordingSink;
use pipeline_core::memory::MemoryBlobStore;
use pipeline_core::ports::{BlobReader, ObjectMeta};

use super::*;

const RAW_BUCKET: &str = "streamlake-raw-123456789012";
const PROCESSED_BUCKET: &str = "streamlake-processed-123456789012";
/// The fixture object's Firehose arrival time (2024-03-05T12:00:00Z).
const ARRIVAL_TS: i64 = 1_709_640_000;
const MANUAL_KEY: &str = "raw/netflix/replay/2024-03-05 late batch.gz";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../tests/fixtures").join(name)
}

fn event(name: &str) -> S3Event {
    serde_json::from_slice(&std::fs::read(fixture(name)).unwrap()).unwrap()
}

fn firehose_key() -> String {
    std::fs::read_to_string(fixture("firehose_object.key")).unwrap().trim().to_owned()
}

fn firehose_body() -> Bytes {
    Bytes::from(std::fs::read(fixture("firehose_object.ndjson.gz")).unwrap())
}

struct Setup {
    deps: Deps,
    metrics: Arc<RecordingSink>,
    _staging: tempfile::TempDir,
}

fn setup(store: Arc<dyn BlobStore>) -> Setup {
    let staging = tempfile::tempdir().unwrap();
    let metrics = Arc::new(RecordingSink::default());
    let deps = Deps {
        store,
        layout: LakeLayout::two_buckets(RAW_BUCKET, PROCESSED_BUCKET).unwrap(),
        transform: TransformConfig::new(staging.path().join("staging")),
        metrics: metrics.clone(),
    };
    Setup { deps, metrics, _staging: staging }
}

async fn lake_with(keys: &[&str]) -> Arc<MemoryBlobStore> {
    let store = Arc::new(MemoryBlobStore::new(ARRIVAL_TS + 60));
    for key in keys {
        store.put(key, firehose_body()).await.unwrap();
    }
    store
}

#[tokio::test]
async fn a_put_event_with_an_encoded_key_transforms_the_firehose_object() {
    let key = firehose_key();
    let store = lake_with(&[&key]).await;
    let setup = setup(store.clone());

    let response = handle(event("s3_put_raw_object.json"), &setup.deps).await.unwrap();

    assert!(response.skipped.is_empty() && response.failed.is_empty(), "{response:?}");
    let [ledger] = response.processed.as_slice() else { panic!("one ledger: {response:?}") };
    assert_eq!(ledger.source, key, "the %3D escapes were decoded");
    // 40 events, a producer-retry duplicate, and three bad lines (see make_event_fixtures.py).
    assert_eq!(
        (ledger.records_in, ledger.written, ledger.duplicates_dropped, ledger.quarantined),
        (44, 40, 1, 3)
    );
    assert!(ledger.balances());
    let dates: Vec<&str> = ledger.outputs.iter().map(|o| o.event_date.as_str()).collect();
    assert_eq!(dates, ["2024-03-04", "2024-03-05"]);
    assert_eq!(ledger.quarantined_by_reason.get("INVALID_COUNTRY"), Some(&1));
    assert_eq!(ledger.quarantined_by_reason.get("UNKNOWN_EVENT_TYPE"), Some(&1));
    assert_eq!(ledger.quarantined_by_reason.get("MALFORMED_JSON"), Some(&1));
    assert_eq!(ledger.ingest_timestamp, "2024-03-05T12:00:00Z", "arrival from the Firehose key");
    for output in &ledger.outputs {
        assert!(store.exists(&output.key).await.unwrap(), "{} written", output.key);
    }
    assert!(store.exists(&ledger.quarantine_outputs[0].key).await.unwrap());

    let metrics = &setup.metrics;
    assert_eq!(metrics.total(names::RECORDS_IN), Some(44.0));
    assert_eq!(metrics.total(names::RECORDS_WRITTEN), Some(40.0));
    assert_eq!(metrics.total(names::RECORDS_QUARANTINED), Some(3.0));
    assert_eq!(metrics.total(names::DUPLICATES_DROPPED), Some(1.0));
    assert_eq!(metrics.total(names::BYTES_IN), Some(firehose_body().len() as f64));
    assert_eq!(metrics.total(names::PARTITIONS_WRITTEN), Some(3.0));
    assert!(metrics.total(names::DURATION_MS).is_some());
    assert!(metrics.emitted().iter().all(|(function, _)| function == FUNCTION));
}

#[tokio::test]
async fn a_redelivered_event_returns_the_ledger_and_changes_nothing() {
    let store = lake_with(&[&firehose_key()]).await;
    let setup = setup(store.clone());
    let first = handle(event("s3_put_raw_object.json"), &setup.deps).await.unwrap();
    let before = store.snapshot();

    let again = handle(event("s3_put_raw_object.json"), &setup.deps).await.unwrap();

    assert!(again.processed.is_empty());
    assert_eq!(again.already_processed, first.processed);
    assert_eq!(store.snapshot(), before, "the lake is byte-identical");
    assert_eq!(setup.metrics.total(names::RECORDS_IN), Some(44.0), "counted once");
}

#[tokio::test]
async fn a_multi_record_event_processes_raw_objects_and_skips_the_rest() {
    let key = firehose_key();
    let store = lake_with(&[&key, MANUAL_KEY]).await;
    // The manual upload is not in Firehose form: its arrival is its last-modified time.
    store.set_clock(ARRIVAL_TS);
    store.put(MANUAL_KEY, firehose_body()).await.unwrap();
    let setup = setup(store.clone());

    let response = handle(event("s3_put_multi_record.json"), &setup.deps).await.unwrap();

    let sources: Vec<&str> = response.processed.iter().map(|l| l.source.as_str()).collect();
    assert_eq!(sources, [key.as_str(), MANUAL_KEY], "'+' decoded to a space");
    assert!(response.processed.iter().all(|l| l.balances() && l.written == 40));
    let skipped: Vec<(&str, &str)> =
        response.skipped.iter().map(|s| (s.key.as_str(), s.reason.as_str())).collect();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert!(skipped[0].0.starts_with("raw/errors/") && skipped[0].1.contains("not under"));
    assert!(skipped[1].1.contains("someone-elses-bucket"));
    assert_eq!(setup.metrics.total(names::RECORDS_IN), Some(88.0));
}

/// A store whose `put_file` fails (like an S3 500) while `failing` is set.
struct FlakyStore {
    inner: Arc<MemoryBlobStore>,
    failing: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl BlobStore for FlakyStore {
    async fn head(&self, key: &str) -> pipeline_core::Result<ObjectMeta> {
        self.inner.head(key).await
    }
    async fn open(&self, key: &str) -> pipeline_core::Result<BlobReader> {
        self.inner.open(key).await
    }
    async fn get(&self, key: &str) -> pipeline_core::Result<Option<Bytes>> {
        self.inner.get(key).await
    }
    async fn put(&self, key: &str, body: Bytes) -> pipeline_core::Result<()> {
        self.inner.put(key, body).await
    }
    async fn put_file(&self, key: &str, path: &Path) -> pipeline_core::Result<()> {
        if self.failing.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(pipeline_core::Error::Port {
                port: "s3",
                message: format!("PutObject {key}: InternalError (500)"),
                retryable: true,
            });
        }
        self.inner.put_file(key, path).await
    }
    async fn list(&self, prefix: &str) -> pipeline_core::Result<Vec<ObjectMeta>> {
        self.inner.list(prefix).await
    }
    async fn exists(&self, key: &str) -> pipeline_core::Result<bool> {
        self.inner.exists(key).await
    }
    async fn delete(&self, keys: &[String]) -> pipeline_core::Result<()> {
        self.inner.delete(keys).await
    }
    async fn get_tagged(&self, key: &str) -> pipeline_core::Result<Option<(Bytes, String)>> {
        self.inner.get_tagged(key).await
    }
    async fn put_if(
        &self,
        key: &str,
        body: Bytes,
        condition: &pipeline_core::WriteCondition,
    ) -> pipeline_core::Result<pipeline_core::ConditionalWrite> {
        self.inner.put_if(key, body, condition).await
    }
    async fn get_tail(&self, key: &str, len: u64) -> pipeline_core::Result<Bytes> {
        self.inner.get_tail(key, len).await
    }
}

#[tokio::test]
async fn a_failed_write_is_retryable_and_the_retry_converges_to_a_clean_run() {
    let key = firehose_key();
    let inner = lake_with(&[&key]).await;
    let flaky = Arc::new(FlakyStore { inner: inner.clone(), failing: true.into() });
    let flaky_setup = setup(flaky.clone());

    let error = handle(event("s3_put_raw_object.json"), &flaky_setup.deps).await.unwrap_err();
    assert!(error.is_retryable(), "{error}");
    assert_eq!(error.error_type(), "StreamLake.Retryable");
    assert!(error.to_string().contains("InternalError"), "{error}");
    assert!(inner.keys().iter().all(|k| !k.starts_with("ledger/")), "no ledger after a failure");

    flaky.failing.store(false, std::sync::atomic::Ordering::SeqCst);
    let retried = handle(event("s3_put_raw_object.json"), &flaky_setup.deps).await.unwrap();
    assert_eq!(retried.processed.len(), 1);

    let clean = lake_with(&[&key]).await;
    handle(event("s3_put_raw_object.json"), &setup(clean.clone()).deps).await.unwrap();
    assert_eq!(inner.snapshot(), clean.snapshot(), "retry output is byte-identical");
}

#[tokio::test]
async fn a_missing_object_fails_without_retry_but_the_others_are_processed() {
    let key = firehose_key();
    let store = lake_with(&[&key]).await; // MANUAL_KEY is absent
    let setup = setup(store.clone());

    let error = handle(event("s3_put_multi_record.json"), &setup.deps).await.unwrap_err();

    assert!(!error.is_retryable(), "{error}");
    assert!(error.to_string().contains("late batch.gz"), "{error}");
    let ledgers = store.list("ledger/").await.unwrap();
    assert_eq!(ledgers.len(), 1, "the Firehose object was still processed");
    assert_eq!(setup.metrics.total(names::RECORDS_IN), Some(44.0));
}
