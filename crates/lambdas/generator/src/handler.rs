//! `handle(event, &Deps)`: generate sessions, pack their events into Firehose records, send
//! them, and report what happened.
//!
//! Generator batches (about one simulated second of traffic each) are packed into records
//! of `PACK_BYTES` and sent with `PutRecordBatch` calls of at most 500 records and 4 MiB
//! through the [`DeliveryStream`] port. The Firehose adapter re-sends only failed entries
//! with backoff; whatever still fails is summed into `events_failed` and the
//! `EventsFailed` metric. Duplicates the generator injects stay in the same call, like a
//! producer retry.

use std::sync::Arc;

use aws_adapters::config::{firehose_client, load_sdk_config, s3_client};
use aws_adapters::firehose::packing::{PackedRecord, RecordPacker};
use aws_adapters::s3::{S3BlobStore, S3Config};
use aws_adapters::FirehoseDelivery;
use bytes::Bytes;
use chrono::NaiveDate;
use event_generator::{Generator, GeneratorConfig};
use lambda_runtime::LambdaEvent;
use lambda_support::metrics::names;
use lambda_support::{LambdaError, MetricSink, Result, StdoutEmf};
use pipeline_core::metrics::Metric;
use pipeline_core::ports::{firehose_limits, BlobStore, DeliveryStream};
use pipeline_core::titles::write_titles;
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use crate::config::Config;

/// The function name in metrics and logs.
pub const FUNCTION: &str = "generator";

/// What the handler needs, built once per cold start.
pub struct Deps {
    /// The delivery stream (Firehose, or a fake in tests).
    pub stream: Arc<dyn DeliveryStream>,
    /// Where the title dimension goes (the processed bucket), if configured.
    pub titles_store: Option<Arc<dyn BlobStore>>,
    /// Settings.
    pub config: Config,
    /// Where metrics go.
    pub metrics: Arc<dyn MetricSink>,
}

impl Deps {
    /// The production wiring: Firehose (and S3 for the titles) through the default
    /// credential chain, EMF on stdout.
    pub async fn from_aws(config: Config) -> Result<Self> {
        let sdk = load_sdk_config().await;
        let stream = FirehoseDelivery::new(firehose_client(&sdk), config.stream_name.clone());
        let titles_store = match &config.processed_bucket {
            Some(bucket) => {
                let store = S3BlobStore::new(s3_client(&sdk), S3Config::new(bucket.as_str(), ""))
                    .map_err(|error| LambdaError::Config(error.to_string()))?;
                Some(Arc::new(store) as Arc<dyn BlobStore>)
            }
            None => None,
        };
        Ok(Self { stream: Arc::new(stream), titles_store, config, metrics: Arc::new(StdoutEmf) })
    }
}

/// The invocation payload; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerateRequest {
    /// Clean events to generate (default `DEFAULT_EVENTS`).
    #[serde(default)]
    pub events: Option<u64>,
    /// Days of viewing (default `DEFAULT_DAYS`).
    #[serde(default)]
    pub days: Option<u32>,
    /// Seed (default: derived from the request id, so scheduled runs differ).
    #[serde(default)]
    pub seed: Option<u64>,
    /// Share of events sent twice (default 0.01).
    #[serde(default)]
    pub duplicate_rate: Option<f64>,
    /// Bad records per clean event (default 0.005).
    #[serde(default)]
    pub bad_record_rate: Option<f64>,
    /// First simulated day, `YYYY-MM-DD` (default: `days` before today, so every event is
    /// in the past when Firehose stamps its arrival).
    #[serde(default)]
    pub start_date: Option<String>,
}

/// The invocation's result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GenerateSummary {
    /// The seed used.
    pub seed: u64,
    /// First simulated day.
    pub start_date: String,
    /// Records the generator produced (clean events, duplicates and bad records).
    pub events: u64,
    /// Events in records Firehose accepted.
    pub sent: u64,
    /// Events in records that stayed failed after every retry.
    pub failed: u64,
    /// Record re-sends after partial failures.
    pub retried: u64,
    /// Firehose records (packed) sent.
    pub records: u64,
    /// PutRecordBatch calls.
    pub batches: u64,
    /// The first failure, if any.
    pub first_error: Option<String>,
}

/// Handles one invocation.
pub async fn handle(event: LambdaEvent<GenerateRequest>, deps: &Deps) -> Result<GenerateSummary> {
    let request = event.payload;
    let config = &deps.config;
    let events = request.events.unwrap_or(config.default_events);
    if events == 0 || events > config.max_events {
        return Err(LambdaError::Payload(format!(
            "events must be between 1 and {} (MAX_EVENTS), got {events}",
            config.max_events
        )));
    }
    let days = request.days.unwrap_or(config.default_days);
    let start_date = match &request.start_date {
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|error| {
            LambdaError::Payload(format!("start_date {text:?} is not YYYY-MM-DD: {error}"))
        })?,
        None => chrono::Utc::now().date_naive() - chrono::Days::new(u64::from(days)),
    };
    let seed = request.seed.unwrap_or_else(|| seed_of(&event.context.request_id));
    let mut generator_config = GeneratorConfig::new(events, days, seed, start_date);
    generator_config.duplicate_rate = request.duplicate_rate.unwrap_or(0.01);
    generator_config.bad_record_rate = request.bad_record_rate.unwrap_or(0.005);
    generator_config.stream_name = config.stream_name.clone();
    let mut generator = Generator::new(generator_config)
        .map_err(|error| LambdaError::Payload(format!("invalid generator settings: {error}")))?;

    // The title dimension first: its bytes depend only on the catalog, so rewriting it on
    // every run is idempotent, and top_titles can name what the plays refer to.
    if let Some(store) = &deps.titles_store {
        write_titles(store.as_ref(), generator.titles()).await?;
    }

    let mut summary = GenerateSummary {
        seed,
        start_date: start_date.format("%Y-%m-%d").to_string(),
        ..GenerateSummary::default()
    };
    let outcome = send_all(&mut generator, deps, &mut summary).await;
    deps.metrics.emit(
        FUNCTION,
        &[
            Metric::count(names::EVENTS_SENT, summary.sent),
            Metric::count(names::EVENTS_FAILED, summary.failed),
        ],
    );
    outcome?;
    info!(
        sent = summary.sent,
        failed = summary.failed,
        retried = summary.retried,
        records = summary.records,
        "Generated"
    );
    Ok(summary)
}

/// Sends every batch; on a call that fails outright, stops and returns the error (the
/// summary then holds what was sent before it).
///
/// Consecutive generator batches share one `PutRecordBatch` call while it has room, so
/// packing pays off even when traffic is sparse (a quiet simulated second holds one or two
/// events). A call is only ever cut between generator batches, which keeps the injected
/// duplicates in the same call as their originals.
async fn send_all(
    generator: &mut Generator,
    deps: &Deps,
    summary: &mut GenerateSummary,
) -> Result<()> {
    let mut call = PendingCall::new(deps.config.pack_bytes);
    while let Some(batch) = generator.next_batch() {
        let batch_bytes: usize = batch.records.iter().map(|r| r.data.len()).sum();
        // Worst case, every event of the batch becomes its own record.
        if !call.fits(batch.records.len(), batch_bytes) {
            send_call(&mut call, deps, summary).await?;
        }
        summary.events += batch.records.len() as u64;
        call.push(&batch.records, batch_bytes, batch.arrival_ts);
    }
    send_call(&mut call, deps, summary).await?;
    deps.stream.flush().await.map_err(LambdaError::from)?;
    Ok(())
}

/// The packed records of the next `PutRecordBatch` call.
struct PendingCall {
    pack_bytes: usize,
    packer: RecordPacker,
    ready: Vec<PackedRecord>,
    bytes: usize,
    arrival_ts: Option<i64>,
}

impl PendingCall {
    fn new(pack_bytes: usize) -> Self {
        Self {
            pack_bytes,
            packer: RecordPacker::new(pack_bytes),
            ready: Vec::new(),
            bytes: 0,
            arrival_ts: None,
        }
    }

    /// Whether a batch of `records` events and `bytes` bytes is sure to fit the limits.
    fn fits(&self, records: usize, bytes: usize) -> bool {
        self.ready.len() + 1 + records <= firehose_limits::MAX_RECORDS_PER_BATCH
            && self.bytes + bytes <= firehose_limits::MAX_BYTES_PER_BATCH
    }

    fn push(&mut self, records: &[event_generator::Record], bytes: usize, arrival_ts: i64) {
        for record in records {
            self.packer.push(&record.data);
        }
        self.ready.extend(self.packer.take_ready());
        self.bytes += bytes;
        self.arrival_ts = Some(arrival_ts);
    }

    /// The call's records; leaves the call empty.
    fn take(&mut self) -> (Vec<PackedRecord>, Option<i64>) {
        let packer = std::mem::replace(&mut self.packer, RecordPacker::new(self.pack_bytes));
        let mut records = std::mem::take(&mut self.ready);
        records.extend(packer.finish());
        self.bytes = 0;
        (records, self.arrival_ts.take())
    }
}

async fn send_call(
    call: &mut PendingCall,
    deps: &Deps,
    summary: &mut GenerateSummary,
) -> Result<()> {
    let (packed, arrival_ts) = call.take();
    if packed.is_empty() {
        return Ok(());
    }
    let events: usize = packed.iter().map(|p| p.events).sum();
    let records: Vec<Bytes> = packed.iter().map(|p| p.data.clone()).collect();
    summary.records += records.len() as u64;
    summary.batches += 1;
    let outcome =
        deps.stream.put_record_batch(records, arrival_ts).await.map_err(LambdaError::from)?;
    let failed_events: usize =
        outcome.failed.iter().filter_map(|f| packed.get(f.index)).map(|p| p.events).sum();
    if let Some(first) = outcome.failed.first() {
        warn!(records = outcome.failed.len(), events = failed_events, code = %first.error_code, "Records not delivered");
        summary
            .first_error
            .get_or_insert_with(|| format!("{}: {}", first.error_code, first.message));
    }
    summary.failed += failed_events as u64;
    summary.sent += (events - failed_events) as u64;
    summary.retried += outcome.resent as u64;
    Ok(())
}

/// A seed from the request id (FNV-1a), so each scheduled invocation generates new
/// sessions and event ids, while a retried invocation (same request id) repeats itself.
pub fn seed_of(request_id: &str) -> u64 {
    request_id.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use async_trait::async_trait;
    use lambda_runtime::Context;
    use lambda_support::RecordingSink;
    use pipeline_core::ports::{FailedRecord, PutBatchOutcome};
    use serde_json::json;

    use super::*;

    /// Keeps accepted records; refuses (for good) every record containing `refuse`.
    #[derive(Default)]
    struct FakeStream {
        accepted: Mutex<Vec<Bytes>>,
        calls: Mutex<Vec<(usize, Option<i64>)>>,
        refuse: Option<&'static str>,
        flushed: Mutex<bool>,
    }

    #[async_trait]
    impl DeliveryStream for FakeStream {
        async fn put_record_batch(
            &self,
            records: Vec<Bytes>,
            simulated_arrival_ts: Option<i64>,
        ) -> pipeline_core::Result<PutBatchOutcome> {
            assert!(records.len() <= 500, "PutRecordBatch limit");
            self.calls.lock().unwrap().push((records.len(), simulated_arrival_ts));
            let mut outcome = PutBatchOutcome::default();
            for (index, record) in records.into_iter().enumerate() {
                let text = String::from_utf8_lossy(&record);
                if self.refuse.is_some_and(|needle| text.contains(needle)) {
                    outcome.failed.push(FailedRecord {
                        index,
                        error_code: "ServiceUnavailableException".into(),
                        message: "Slow down.".into(),
                    });
                    outcome.resent += 2;
                } else {
                    self.accepted.lock().unwrap().push(record);
                    outcome.accepted += 1;
                }
            }
            Ok(outcome)
        }
        async fn flush(&self) -> pipeline_core::Result<Vec<String>> {
            *self.flushed.lock().unwrap() = true;
            Ok(Vec::new())
        }
    }

    fn deps(stream: Arc<FakeStream>, metrics: Arc<RecordingSink>) -> Deps {
        let config = Config {
            stream_name: "streamlake-playback".into(),
            pack_bytes: 5_000,
            default_events: 2_000,
            default_days: 1,
            max_events: 50_000,
            processed_bucket: None,
        };
        Deps { stream, titles_store: None, config, metrics }
    }

    fn invocation(payload: serde_json::Value, request_id: &str) -> LambdaEvent<GenerateRequest> {
        let mut context = Context::default();
        context.request_id = request_id.to_owned();
        LambdaEvent::new(serde_json::from_value(payload).unwrap(), context)
    }

    fn reference_records(events: u64, seed: u64, start: &str) -> Vec<Vec<u8>> {
        let date = NaiveDate::parse_from_str(start, "%Y-%m-%d").unwrap();
        let mut config = GeneratorConfig::new(events, 1, seed, date);
        config.duplicate_rate = 0.01;
        config.bad_record_rate = 0.005;
        config.stream_name = "streamlake-playback".into();
        let mut generator = Generator::new(config).unwrap();
        let mut records = Vec::new();
        while let Some(batch) = generator.next_batch() {
            records.extend(batch.records.into_iter().map(|r| r.data));
        }
        records
    }

    fn lines_of(records: &[Bytes]) -> Vec<Vec<u8>> {
        records
            .iter()
            .flat_map(|r| {
                r.split_inclusive(|b| *b == b'\n').map(<[u8]>::to_vec).collect::<Vec<_>>()
            })
            .collect()
    }

    #[tokio::test]
    async fn every_generated_record_is_delivered_once_packed_into_few_records() {
        let stream = Arc::new(FakeStream::default());
        let metrics = Arc::new(RecordingSink::default());
        let payload = json!({"events": 3_000, "seed": 7, "start_date": "2024-03-04"});
        let summary = handle(invocation(payload, "req"), &deps(stream.clone(), metrics.clone()))
            .await
            .unwrap();

        let expected = reference_records(3_000, 7, "2024-03-04");
        let accepted = stream.accepted.lock().unwrap().clone();
        assert_eq!(lines_of(&accepted), expected, "same records, same order, nothing lost");
        assert_eq!(summary.events, expected.len() as u64);
        assert_eq!((summary.sent, summary.failed), (expected.len() as u64, 0));
        assert_eq!(summary.records, accepted.len() as u64);
        assert!(accepted.len() * 10 < expected.len(), "packed: {} records", accepted.len());
        assert!(accepted.iter().all(|r| r.len() <= 5_000 && r.ends_with(b"\n")));
        assert!(*stream.flushed.lock().unwrap());
        assert!(stream.calls.lock().unwrap().iter().all(|(_, ts)| ts.is_some()));
        assert_eq!(metrics.total(names::EVENTS_SENT), Some(expected.len() as f64));
        assert_eq!(metrics.total(names::EVENTS_FAILED), Some(0.0));
    }

    #[tokio::test]
    async fn records_that_stay_failed_are_counted_never_dropped_silently() {
        // Refuse every packed record holding a PLAY_START event.
        let stream = Arc::new(FakeStream { refuse: Some("PLAY_START"), ..FakeStream::default() });
        let metrics = Arc::new(RecordingSink::default());
        let payload = json!({"events": 1_000, "seed": 3, "start_date": "2024-03-04"});
        let summary =
            handle(invocation(payload, "r"), &deps(stream.clone(), metrics.clone())).await.unwrap();

        let delivered = lines_of(&stream.accepted.lock().unwrap());
        assert!(summary.failed > 0);
        assert_eq!(summary.sent, delivered.len() as u64);
        assert_eq!(summary.sent + summary.failed, summary.events, "every event accounted for");
        assert!(summary.retried > 0);
        assert!(summary.first_error.as_deref().unwrap().starts_with("ServiceUnavailableException"));
        assert_eq!(metrics.total(names::EVENTS_FAILED), Some(summary.failed as f64));
    }

    #[tokio::test]
    async fn writes_the_title_dimension_when_a_store_is_configured() {
        let store = Arc::new(pipeline_core::memory::MemoryBlobStore::new(0));
        let mut deps = deps(Arc::new(FakeStream::default()), Arc::new(RecordingSink::default()));
        deps.titles_store = Some(store.clone());
        let payload = json!({"events": 100, "seed": 1, "start_date": "2024-03-04"});
        handle(invocation(payload, "r"), &deps).await.unwrap();
        let written = store.get(pipeline_core::keys::TITLES_KEY).await.unwrap().unwrap();
        let catalog = Generator::new(GeneratorConfig::new(
            1,
            1,
            1,
            NaiveDate::from_ymd_opt(2024, 3, 4).unwrap(),
        ))
        .unwrap();
        let expected = pipeline_core::titles::titles_parquet(catalog.titles()).unwrap();
        assert_eq!(written.as_ref(), expected.as_slice(), "the same catalog, byte for byte");
    }

    #[tokio::test]
    async fn defaults_vary_the_seed_by_request_and_end_before_today() {
        let stream = Arc::new(FakeStream::default());
        let deps = deps(stream, Arc::new(RecordingSink::default()));
        let a = handle(invocation(json!({}), "request-a"), &deps).await.unwrap();
        let b = handle(invocation(json!({}), "request-b"), &deps).await.unwrap();
        assert_ne!(a.seed, b.seed);
        assert_eq!(a.seed, seed_of("request-a"), "a retry of the same request repeats itself");
        let yesterday = chrono::Utc::now().date_naive() - chrono::Days::new(1);
        assert_eq!(a.start_date, yesterday.format("%Y-%m-%d").to_string());
        assert!(a.events >= 2_000);
    }

    #[tokio::test]
    async fn bad_payloads_are_refused_before_sending() {
        let stream = Arc::new(FakeStream::default());
        let deps = deps(stream.clone(), Arc::new(RecordingSink::default()));
        let cases: BTreeMap<&str, serde_json::Value> = BTreeMap::from([
            ("events must be between", json!({"events": 60_000})),
            ("is not YYYY-MM-DD", json!({"start_date": "04/03/2024"})),
            ("invalid generator settings", json!({"duplicate_rate": 2.0})),
        ]);
        for (expected, payload) in cases {
            let error = handle(invocation(payload, "r"), &deps).await.unwrap_err();
            assert!(!error.is_retryable());
            assert!(error.to_string().contains(expected), "{error}");
        }
        assert!(stream.calls.lock().unwrap().is_empty());
        assert!(serde_json::from_value::<GenerateRequest>(json!({"event": 5})).is_err());
    }
}
