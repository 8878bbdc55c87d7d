//! The transform: one raw object in, silver Parquet per `event_date`, one quarantine Parquet
//! file and a balanced [`Ledger`] out.
//!
//! It streams: records are decoded one at a time and appended to per-partition Parquet
//! writers that spill row groups to staging files, so memory grows with the open row groups
//! (at most ~32 partitions, because valid events lie within `max_event_age` + `max_clock_skew`
//! of arrival) and with the per-object dedup set (16 bytes per distinct `event_id`), never
//! with the object's size. No wall-clock time enters any output: every timestamp derives
//! from the raw object.

use std::collections::{BTreeMap, HashSet};

use std::path::PathBuf;

use event_model::{validate_record, ReasonCode, ValidationPolicy};
use tempfile::NamedTempFile;
use tracing::debug;
use xxhash_rust::xxh3::xxh3_128;

use crate::decode::{Decoded, RecordDecoder};
use crate::encode::{ProcessedPartitionWriter, QuarantineWriter};
use crate::error::{Error, Result};
use crate::keys::{
    date_of, firehose_arrival_ts, object_digest, processed_key, quarantine_key, rfc3339,
};
use crate::ledger::{Ledger, LedgerOutput, QuarantineOutput, MAX_SCHEMA_DRIFT_FIELDS};
use crate::ports::BlobReader;

/// The raw object being transformed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceObject {
    /// Its key (S3 key, or path under the lake root). Written to `source_object`.
    pub key: String,
    /// Its ETag or content hash; together with the key it names every output.
    pub etag: String,
    /// Last-modified time (epoch seconds); the arrival time when the key is not in Firehose form.
    pub last_modified: i64,
}

impl SourceObject {
    /// The arrival time: from the Firehose key when it has one, else the last-modified time.
    pub fn arrival_ts(&self) -> i64 {
        firehose_arrival_ts(&self.key).unwrap_or(self.last_modified)
    }

    /// The digest embedded in every output key.
    pub fn digest(&self) -> String {
        object_digest(&self.key, &self.etag)
    }
}

/// Tuning and rules for the transform.
#[derive(Debug, Clone)]
pub struct TransformConfig {
    /// Timeliness rules.
    pub policy: ValidationPolicy,
    /// Maximum rows per Parquet row group.
    pub row_group_rows: usize,
    /// Rows buffered in Arrow builders before they are handed to the Parquet encoder.
    pub batch_rows: usize,
    /// Where output files are staged before they are published.
    pub staging_dir: PathBuf,
}

impl TransformConfig {
    /// Defaults (128 Ki-row row groups, 8 Ki-row batches) staging into `staging_dir`.
    pub fn new(staging_dir: impl Into<PathBuf>) -> Self {
        Self {
            policy: ValidationPolicy::default(),
            row_group_rows: 128 * 1024,
            batch_rows: 8 * 1024,
            staging_dir: staging_dir.into(),
        }
    }
}

/// A finished output file waiting to be published under `key`.
#[derive(Debug)]
pub struct StagedOutput {
    /// Destination key.
    pub key: String,
    /// The staged file (deleted when dropped).
    pub file: NamedTempFile,
    /// Rows in the file.
    pub rows: u64,
}

/// What a transform produced.
#[derive(Debug)]
pub struct TransformOutput {
    /// The object's ledger (publish it after every staged file).
    pub ledger: Ledger,
    /// Silver files then the quarantine file.
    pub staged: Vec<StagedOutput>,
    /// Decompressed bytes read.
    pub decompressed_bytes: u64,
}

/// Transforms one raw object read from `reader`.
///
/// Bad records and a corrupt stream become quarantine rows; only failures of the machinery
/// (reading the source, writing staging files) are errors.
///
/// The reader is a trait object on purpose: the decode and validate loop is then compiled
/// once, here, with this crate's optimisation level, rather than once per caller's reader
/// type in the caller's crate.
pub fn transform_object(
    source: &SourceObject,
    reader: BlobReader,
    config: &TransformConfig,
) -> Result<TransformOutput> {
    let arrival = source.arrival_ts();
    let ingest_date = date_of(arrival).ok_or_else(|| {
        Error::Invalid(format!("arrival time {arrival} of {} is out of range", source.key))
    })?;
    let digest = source.digest();
    let mut decoder = RecordDecoder::new(reader);
    let mut partitions: BTreeMap<String, ProcessedPartitionWriter> = BTreeMap::new();
    let mut quarantine =
        QuarantineWriter::new(&config.staging_dir, config.row_group_rows, config.batch_rows);
    let mut seen: HashSet<u128> = HashSet::new();
    let mut schema_drift: BTreeMap<String, u64> = BTreeMap::new();
    let mut schema_drift_unlisted = 0u64;
    let mut by_reason: BTreeMap<String, u64> = BTreeMap::new();
    let (mut records_in, mut written, mut duplicates) = (0u64, 0u64, 0u64);

    while let Some(item) = decoder.next() {
        let item = item.map_err(|error| Error::io(format!("reading {}", source.key), error))?;
        records_in += 1;
        let (reason, detail, line_number, raw) = match item {
            Decoded::Record { line_number, bytes } => {
                match validate_record(bytes, arrival, &config.policy) {
                    Ok(validated) => {
                        if !seen.insert(xxh3_128(validated.event.event_id.as_bytes())) {
                            duplicates += 1;
                            continue;
                        }
                        schema_drift_unlisted +=
                            (validated.unknown_field_count - validated.unknown_fields.len()) as u64;
                        for field in validated.unknown_fields {
                            if schema_drift.len() < MAX_SCHEMA_DRIFT_FIELDS
                                || schema_drift.contains_key(&field)
                            {
                                *schema_drift.entry(field).or_default() += 1;
                            } else {
                                schema_drift_unlisted += 1;
                            }
                        }
                        let event_date = validated.event.event_date();
                        let writer = match partitions.get_mut(&event_date) {
                            Some(writer) => writer,
                            None => partitions.entry(event_date).or_insert(
                                ProcessedPartitionWriter::create(
                                    &config.staging_dir,
                                    config.row_group_rows,
                                    config.batch_rows,
                                )?,
                            ),
                        };
                        writer.push(&validated.event, arrival, &source.key)?;
                        written += 1;
                        continue;
                    }
                    Err(rejection) => (rejection.reason, rejection.detail, line_number, bytes),
                }
            }
            Decoded::Oversized { line_number, size, prefix } => (
                ReasonCode::OversizedRecord,
                format!("record is {size} bytes; the limit is {}", event_model::MAX_RECORD_BYTES),
                line_number,
                prefix,
            ),
            Decoded::Corrupt { line_number, detail, partial } => {
                (ReasonCode::CorruptObject, detail, line_number, partial)
            }
        };
        *by_reason.entry(reason.as_str().to_owned()).or_default() += 1;
        quarantine.push(reason, &detail, &source.key, line_number, raw, arrival)?;
    }

    let mut staged = Vec::with_capacity(partitions.len() + 1);
    let mut outputs = Vec::with_capacity(partitions.len());
    for (event_date, writer) in partitions {
        let (file, rows) = writer.finish()?;
        let key = processed_key(&event_date, &digest);
        outputs.push(LedgerOutput { key: key.clone(), event_date, rows });
        staged.push(StagedOutput { key, file, rows });
    }
    let quarantined = quarantine.rows();
    let mut quarantine_outputs = Vec::new();
    if let Some((file, rows)) = quarantine.finish()? {
        let key = quarantine_key(&ingest_date, &digest);
        quarantine_outputs.push(QuarantineOutput { key: key.clone(), ingest_date, rows });
        staged.push(StagedOutput { key, file, rows });
    }
    let ledger = Ledger {
        source: source.key.clone(),
        records_in,
        written,
        quarantined,
        duplicates_dropped: duplicates,
        outputs,
        quarantine_outputs,
        quarantined_by_reason: by_reason,
        schema_drift,
        schema_drift_unlisted,
        digest,
        source_etag: source.etag.clone(),
        bytes_in: decoder.compressed_bytes(),
        ingest_timestamp: rfc3339(arrival),
    };
    if !ledger.balances() {
        return Err(Error::Encode(format!(
            "ledger for {} does not balance: {ledger:?}",
            source.key
        )));
    }
    debug!(source = %source.key, records_in, written, quarantined, duplicates, "Transformed object");
    Ok(TransformOutput { ledger, staged, decompressed_bytes: decoder.decompressed_bytes() })
}

#[cfg(test)]
mod tests;
