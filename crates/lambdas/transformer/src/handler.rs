//! `handle(event, &Deps)`: every raw object of an S3 event through the shared transform.
//!
//! Per record:
//! 1. the key is URL-decoded (`+` is a space) and mapped to a lake key through the layout;
//!    objects of other buckets, and keys outside `raw/netflix/` (Firehose's error output,
//!    say), are skipped and logged;
//! 2. an object whose ledger already exists (this exact key and ETag was processed) is not
//!    transformed again; its ledger is returned;
//! 3. otherwise [`process_object`] streams it, writes silver, quarantine and the ledger.
//!
//! One failing object does not stop the others. If any failed, the invocation returns an
//! error after the rest are done, retryable when any failure is: the retry rewrites the same
//! keys and skips the objects that already have ledgers.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use aws_adapters::config::{load_sdk_config, s3_client};
use aws_adapters::{LakeLayout, S3Lake};
use aws_lambda_events::event::s3::S3Event;
use lambda_support::metrics::names;
use lambda_support::{event_objects, LambdaError, MetricSink, Result, SkippedRecord, StdoutEmf};
use pipeline_core::keys::RAW_PREFIX;
use pipeline_core::ledger::Ledger;
use pipeline_core::metrics::Metric;
use pipeline_core::ports::BlobStore;
use pipeline_core::process::{ledger_of, process_object};
use pipeline_core::transform::TransformConfig;
use serde::Serialize;
use tracing::{error, info, warn};

use crate::config::Config;

/// The function name in metrics and logs.
pub const FUNCTION: &str = "transformer";

/// What the handler needs, built once per cold start.
pub struct Deps {
    /// The lake (S3, or a local store in tests).
    pub store: Arc<dyn BlobStore>,
    /// Where each zone lives, to map event objects to lake keys.
    pub layout: LakeLayout,
    /// Transform settings.
    pub transform: TransformConfig,
    /// Where metrics go.
    pub metrics: Arc<dyn MetricSink>,
}

impl Deps {
    /// The production wiring: S3 through the default credential chain, EMF on stdout.
    pub async fn from_aws(config: Config) -> Result<Self> {
        let sdk = load_sdk_config().await;
        let store = S3Lake::new(s3_client(&sdk), config.layout.clone())
            .map_err(|error| LambdaError::Config(error.to_string()))?;
        Ok(Self {
            store: Arc::new(store),
            layout: config.layout,
            transform: config.transform,
            metrics: Arc::new(StdoutEmf),
        })
    }
}

/// An object that could not be processed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedObject {
    /// Lake key.
    pub key: String,
    /// The error.
    pub error: String,
    /// Whether a retry may help.
    pub retryable: bool,
}

/// The invocation's result.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TransformResponse {
    /// Ledgers of the objects transformed now.
    pub processed: Vec<Ledger>,
    /// Ledgers of objects that had been transformed before (a re-delivered event).
    pub already_processed: Vec<Ledger>,
    /// Records that name no raw object of this lake.
    pub skipped: Vec<SkippedRecord>,
    /// Objects that failed (the invocation then returns an error).
    pub failed: Vec<FailedObject>,
}

/// Handles one S3 event.
pub async fn handle(event: S3Event, deps: &Deps) -> Result<TransformResponse> {
    let started = Instant::now();
    let (objects, mut skipped) = event_objects(&event);
    let mut keys = Vec::new();
    let mut seen = BTreeSet::new();
    for object in objects {
        let Some(key) = deps.layout.key_of_object(&object.bucket, &object.key) else {
            skipped.push(SkippedRecord {
                key: object.key,
                reason: format!("bucket {} is not the lake's raw bucket", object.bucket),
            });
            continue;
        };
        if !key.starts_with(RAW_PREFIX) {
            skipped.push(SkippedRecord { key, reason: format!("not under {RAW_PREFIX}") });
            continue;
        }
        if seen.insert(key.clone()) {
            keys.push(key);
        }
    }
    for record in &skipped {
        warn!(key = %record.key, reason = %record.reason, "Skipped event record");
    }

    std::fs::create_dir_all(&deps.transform.staging_dir).map_err(|source| {
        LambdaError::from(pipeline_core::Error::io(
            format!("creating {}", deps.transform.staging_dir.display()),
            source,
        ))
    })?;

    let mut response = TransformResponse { skipped, ..TransformResponse::default() };
    for key in keys {
        match transform_one(deps, &key).await {
            Ok((ledger, false)) => {
                info!(
                    key = %key,
                    records_in = ledger.records_in,
                    written = ledger.written,
                    quarantined = ledger.quarantined,
                    duplicates_dropped = ledger.duplicates_dropped,
                    "Transformed raw object"
                );
                response.processed.push(ledger);
            }
            Ok((ledger, true)) => {
                info!(key = %key, "Raw object already processed; ledger found");
                response.already_processed.push(ledger);
            }
            Err(failure) => {
                error!(key = %key, error = %failure, retryable = failure.is_retryable(), "Transform failed");
                response.failed.push(FailedObject {
                    key,
                    retryable: failure.is_retryable(),
                    error: failure.to_string(),
                });
            }
        }
    }

    emit_metrics(deps, &response, started);
    if response.failed.is_empty() {
        return Ok(response);
    }
    let retryable = response.failed.iter().any(|failure| failure.retryable);
    let summary: Vec<String> =
        response.failed.iter().map(|f| format!("{}: {}", f.key, f.error)).collect();
    let message = format!(
        "{} of {} raw objects failed: {}",
        response.failed.len(),
        response.failed.len() + response.processed.len() + response.already_processed.len(),
        summary.join("; ")
    );
    Err(if retryable { LambdaError::retryable(message) } else { LambdaError::fatal(message) })
}

/// Transforms one object unless its ledger exists; `true` when it had been processed.
async fn transform_one(deps: &Deps, key: &str) -> pipeline_core::Result<(Ledger, bool)> {
    let meta = deps.store.head(key).await?;
    if let Some(ledger) = ledger_of(deps.store.as_ref(), &meta).await? {
        return Ok((ledger, true));
    }
    Ok((process_object(deps.store.as_ref(), key, &deps.transform).await?, false))
}

fn emit_metrics(deps: &Deps, response: &TransformResponse, started: Instant) {
    let ledgers = &response.processed;
    let sum = |f: fn(&Ledger) -> u64| ledgers.iter().map(f).sum::<u64>();
    let files = sum(|l| (l.outputs.len() + l.quarantine_outputs.len()) as u64);
    let elapsed = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    deps.metrics.emit(
        FUNCTION,
        &[
            Metric::count(names::RECORDS_IN, sum(|l| l.records_in)),
            Metric::count(names::RECORDS_WRITTEN, sum(|l| l.written)),
            Metric::count(names::RECORDS_QUARANTINED, sum(|l| l.quarantined)),
            Metric::count(names::DUPLICATES_DROPPED, sum(|l| l.duplicates_dropped)),
            Metric::bytes(names::BYTES_IN, sum(|l| l.bytes_in)),
            Metric::count(names::PARTITIONS_WRITTEN, files),
            Metric::milliseconds(names::DURATION_MS, elapsed),
        ],
    );
}

#[cfg(test)]
mod tests;
