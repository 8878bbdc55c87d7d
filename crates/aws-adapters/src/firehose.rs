//! [`DeliveryStream`] over Amazon Data Firehose (aws-sdk-firehose), Direct PUT.
//!
//! The adapter only translates: the batching, size limits, retry and packing policy live in
//! [`policy`] and [`packing`], which are pure and tested without a network. Each
//! PutRecordBatch response entry with an `ErrorCode` is a failed record; only those are
//! re-sent. `simulated_arrival_ts` is ignored (the service stamps arrival itself), and
//! [`DeliveryStream::flush`] has nothing to do: Firehose buffers server-side.

pub mod packing;
pub mod policy;

use async_trait::async_trait;
use aws_sdk_firehose::primitives::Blob;
use aws_sdk_firehose::types::Record;
use bytes::Bytes;
use pipeline_core::ports::{DeliveryStream, PutBatchOutcome};
use pipeline_core::{Error, Result};
use tracing::debug;

use crate::error::SdkFailure;
use packing::{pack_events, DEFAULT_PACK_BYTES};
use policy::{deliver, BatchSender, DeliveryReport, RetryPolicy, SendError};

const PORT: &str = "firehose";

/// Sends to one delivery stream.
#[derive(Debug, Clone)]
pub struct FirehoseDelivery {
    client: aws_sdk_firehose::Client,
    stream_name: String,
    policy: RetryPolicy,
    pack_bytes: usize,
}

/// The result of sending events packed into records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackedDelivery {
    /// Events handed in.
    pub events: usize,
    /// Events in accepted records.
    pub events_accepted: usize,
    /// Events in records that were not delivered.
    pub events_failed: usize,
    /// The record-level report (indices are record indices).
    pub report: DeliveryReport,
}

impl FirehoseDelivery {
    /// A delivery to `stream_name` with the default retry policy and pack size.
    pub fn new(client: aws_sdk_firehose::Client, stream_name: impl Into<String>) -> Self {
        Self {
            client,
            stream_name: stream_name.into(),
            policy: RetryPolicy::default(),
            pack_bytes: DEFAULT_PACK_BYTES,
        }
    }

    /// Replaces the retry policy.
    pub fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Replaces the packed-record size used by [`FirehoseDelivery::send_events`].
    pub fn with_pack_bytes(mut self, pack_bytes: usize) -> Self {
        self.pack_bytes = pack_bytes.max(1);
        self
    }

    /// The stream name.
    pub fn stream_name(&self) -> &str {
        &self.stream_name
    }

    /// Sends `records` as they are (one record each) and reports everything.
    pub async fn send_records(&self, records: &[Bytes]) -> Result<DeliveryReport> {
        let report = deliver(self, records, &self.policy).await.map_err(|error| Error::Port {
            port: PORT,
            message: format!(
                "PutRecordBatch to {}: {}: {}",
                self.stream_name, error.code, error.message
            ),
            retryable: error.retryable,
        })?;
        // Undelivered records are in the report; the caller decides how loudly to say so (the
        // generator Lambda warns, the CLI exits non-zero), so this only records the tally.
        debug!(stream = %self.stream_name, accepted = report.accepted, failed = report.failed.len(), calls = report.calls, resent = report.resent, "Delivered");
        Ok(report)
    }

    /// Packs newline-terminated events into records of at most the pack size and sends them.
    /// A failed packed record is retried as a unit and reported with all its events.
    pub async fn send_events<E: AsRef<[u8]>>(&self, events: &[E]) -> Result<PackedDelivery> {
        let packed = pack_events(events, self.pack_bytes);
        let records: Vec<Bytes> = packed.iter().map(|p| p.data.clone()).collect();
        let report = self.send_records(&records).await?;
        let events_failed: usize =
            report.failed.iter().filter_map(|f| packed.get(f.index)).map(|p| p.events).sum();
        Ok(PackedDelivery {
            events: events.len(),
            events_accepted: events.len() - events_failed,
            events_failed,
            report,
        })
    }
}

#[async_trait]
impl BatchSender for FirehoseDelivery {
    async fn send(
        &self,
        records: &[Bytes],
    ) -> std::result::Result<Vec<Option<SendError>>, SendError> {
        let mut entries = Vec::with_capacity(records.len());
        for record in records {
            let entry =
                Record::builder().data(Blob::new(record.to_vec())).build().map_err(|error| {
                    SendError {
                        code: "BuildError".into(),
                        message: error.to_string(),
                        retryable: false,
                    }
                })?;
            entries.push(entry);
        }
        let output = self
            .client
            .put_record_batch()
            .delivery_stream_name(&self.stream_name)
            .set_records(Some(entries))
            .send()
            .await
            .map_err(|error| {
                let failure = SdkFailure::of(&error);
                SendError {
                    code: failure.code.clone().unwrap_or_else(|| format!("{:?}", failure.kind)),
                    retryable: failure.retryable(),
                    message: failure.message,
                }
            })?;
        if output.failed_put_count() == 0 {
            return Ok(vec![None; records.len()]);
        }
        Ok(output
            .request_responses()
            .iter()
            .map(|entry| {
                entry.error_code().map(|code| SendError {
                    code: code.to_owned(),
                    message: entry.error_message().unwrap_or_default().to_owned(),
                    retryable: true,
                })
            })
            .collect())
    }
}

#[async_trait]
impl DeliveryStream for FirehoseDelivery {
    async fn put_record_batch(
        &self,
        records: Vec<Bytes>,
        _simulated_arrival_ts: Option<i64>,
    ) -> Result<PutBatchOutcome> {
        Ok(self.send_records(&records).await?.into())
    }

    async fn flush(&self) -> Result<Vec<String>> {
        Ok(Vec::new())
    }
}
