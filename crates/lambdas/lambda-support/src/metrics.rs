//! Metrics as CloudWatch Embedded Metric Format (EMF) lines on stdout: CloudWatch extracts
//! them from the logs, so publishing costs no API call and no latency.
//!
//! Every metric is in namespace `StreamLake` with one dimension, `Function` (`generator`,
//! `transformer`, `registrar`, `query-runner`). The names are in [`names`]; the Terraform
//! alarms and dashboard use exactly these.

use std::sync::Mutex;

use pipeline_core::metrics::{emf_line, Metric};

/// The metric names each function emits (docs/metrics.md lists them with their meaning).
pub mod names {
    /// Transformer: non-blank input lines (plus one per corrupt-object fault).
    pub const RECORDS_IN: &str = "RecordsIn";
    /// Transformer: rows written to silver.
    pub const RECORDS_WRITTEN: &str = "RecordsWritten";
    /// Transformer: rows written to quarantine.
    pub const RECORDS_QUARANTINED: &str = "RecordsQuarantined";
    /// Transformer: valid records dropped as duplicates of an earlier `event_id`.
    pub const DUPLICATES_DROPPED: &str = "DuplicatesDropped";
    /// Transformer: compressed bytes of the raw objects read.
    pub const BYTES_IN: &str = "BytesIn";
    /// Transformer: silver and quarantine files written.
    pub const PARTITIONS_WRITTEN: &str = "PartitionsWritten";
    /// Transformer: wall time of the invocation.
    pub const DURATION_MS: &str = "DurationMs";
    /// Generator: events accepted by Firehose.
    pub const EVENTS_SENT: &str = "EventsSent";
    /// Generator: events in records that stayed failed after every retry.
    pub const EVENTS_FAILED: &str = "EventsFailed";
    /// Registrar: partitions newly added to the Glue catalog.
    pub const PARTITIONS_REGISTERED: &str = "PartitionsRegistered";
    /// Registrar: silver files newly appended to their partition's commit.
    pub const FILES_COMMITTED: &str = "FilesCommitted";
    /// Registrar (scheduled compaction): silver partitions compacted.
    pub const PARTITIONS_COMPACTED: &str = "PartitionsCompacted";
    /// Registrar (scheduled compaction): rows dropped as cross-object duplicates.
    pub const CROSS_OBJECT_DUPLICATES_DROPPED: &str = "CrossObjectDuplicatesDropped";
    /// Registrar (scheduled compaction): removed files deleted after the grace period.
    pub const FILES_VACUUMED: &str = "FilesVacuumed";
    /// Registrar (scheduled compaction): seconds the oldest partition still due for
    /// compaction has waited (0 when none is); alarmed, and missing when compaction stops.
    pub const COMPACTION_LAG_SECONDS: &str = "CompactionLagSeconds";
    /// Query-runner: bytes Athena scanned.
    pub const BYTES_SCANNED: &str = "BytesScanned";
}

/// The dimension every metric carries.
pub const FUNCTION_DIMENSION: &str = "Function";

/// Where a handler's metrics go.
pub trait MetricSink: Send + Sync {
    /// Publishes `metrics` for `function` (one EMF document).
    fn emit(&self, function: &str, metrics: &[Metric]);
}

/// Prints one EMF line per call on stdout (what CloudWatch reads in a Lambda).
#[derive(Debug, Default, Clone, Copy)]
pub struct StdoutEmf;

impl MetricSink for StdoutEmf {
    fn emit(&self, function: &str, metrics: &[Metric]) {
        let line = emf_line(
            &[(FUNCTION_DIMENSION, function)],
            metrics,
            chrono::Utc::now().timestamp_millis(),
        );
        println!("{line}");
    }
}

/// Keeps every emitted metric in memory, for handler tests.
#[derive(Debug, Default)]
pub struct RecordingSink {
    emitted: Mutex<Vec<(String, Vec<Metric>)>>,
}

impl RecordingSink {
    /// Everything emitted so far, in order.
    pub fn emitted(&self) -> Vec<(String, Vec<Metric>)> {
        self.emitted.lock().map(|list| list.clone()).unwrap_or_default()
    }

    /// The sum of every emitted value of `name`; `None` if it was never emitted.
    pub fn total(&self, name: &str) -> Option<f64> {
        let emitted = self.emitted();
        let values: Vec<f64> = emitted
            .iter()
            .flat_map(|(_, metrics)| metrics.iter())
            .filter(|metric| metric.name == name)
            .map(|metric| metric.value)
            .collect();
        (!values.is_empty()).then(|| values.iter().sum())
    }
}

impl MetricSink for RecordingSink {
    fn emit(&self, function: &str, metrics: &[Metric]) {
        if let Ok(mut list) = self.emitted.lock() {
            list.push((function.to_owned(), metrics.to_vec()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recording_sink_sums_by_name() {
        let sink = RecordingSink::default();
        sink.emit("transformer", &[Metric::count(names::RECORDS_IN, 3)]);
        sink.emit("transformer", &[Metric::count(names::RECORDS_IN, 4)]);
        assert_eq!(sink.total(names::RECORDS_IN), Some(7.0));
        assert_eq!(sink.total(names::BYTES_IN), None);
        assert_eq!(sink.emitted()[0].0, "transformer");
    }
}
