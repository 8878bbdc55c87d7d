//! The per-object ledger (DESIGN §5): what went in and where every record went.
//!
//! The ledger is written last, after every output object, so its presence marks the raw
//! object as processed. Its JSON is deterministic (fixed field order, sorted maps).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Distinct unknown field names a ledger counts by name ([`Ledger::schema_drift`]).
pub const MAX_SCHEMA_DRIFT_FIELDS: usize = 64;

fn is_zero(value: &u64) -> bool {
    *value == 0
}

/// One silver output of a raw object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerOutput {
    /// Object key of the Parquet file.
    pub key: String,
    /// Partition value.
    pub event_date: String,
    /// Rows in the file.
    pub rows: u64,
}

/// The quarantine output of a raw object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantineOutput {
    /// Object key of the Parquet file.
    pub key: String,
    /// Partition value (the raw object's arrival date).
    pub ingest_date: String,
    /// Rows in the file.
    pub rows: u64,
}

/// The accounting for one raw object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    /// The raw object's key (lineage).
    pub source: String,
    /// Records seen: every non-blank line, plus one for a corrupt-object fault.
    pub records_in: u64,
    /// Rows written to silver.
    pub written: u64,
    /// Rows written to quarantine.
    pub quarantined: u64,
    /// Valid records dropped because an earlier valid record had the same `event_id`.
    pub duplicates_dropped: u64,
    /// Silver files, sorted by key.
    pub outputs: Vec<LedgerOutput>,
    /// Quarantine files (zero or one).
    pub quarantine_outputs: Vec<QuarantineOutput>,
    /// Quarantined rows per reason code.
    pub quarantined_by_reason: BTreeMap<String, u64>,
    /// Valid records carrying each unknown field (schema drift): at most
    /// [`MAX_SCHEMA_DRIFT_FIELDS`] names per object.
    pub schema_drift: BTreeMap<String, u64>,
    /// Unknown fields of valid records not counted in `schema_drift` by name: names past the
    /// object's first [`MAX_SCHEMA_DRIFT_FIELDS`], or past a record's first
    /// [`event_model::validate::MAX_UNKNOWN_FIELD_NAMES`]. A hostile producer sending
    /// thousands of field names thus costs a ledger of bounded size. Absent when 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub schema_drift_unlisted: u64,
    /// The digest every output key of this object embeds.
    pub digest: String,
    /// ETag (or content hash) of the raw object that was processed.
    pub source_etag: String,
    /// Compressed size of the raw object.
    pub bytes_in: u64,
    /// The raw object's arrival time (RFC 3339), from its Firehose key or last-modified time.
    pub ingest_timestamp: String,
}

impl Ledger {
    /// Whether the ledger balances: `records_in = written + quarantined + duplicates_dropped`,
    /// and the output files hold exactly the rows it claims.
    pub fn balances(&self) -> bool {
        let outputs: u64 = self.outputs.iter().map(|output| output.rows).sum();
        let quarantine: u64 = self.quarantine_outputs.iter().map(|output| output.rows).sum();
        let by_reason: u64 = self.quarantined_by_reason.values().sum();
        self.records_in == self.written + self.quarantined + self.duplicates_dropped
            && outputs == self.written
            && quarantine == self.quarantined
            && by_reason == self.quarantined
    }

    /// Serialises the ledger as one line of JSON.
    pub fn to_json(&self) -> crate::Result<String> {
        Ok(serde_json::to_string(self)?)
    }

    /// The stored form: one line of JSON and a newline, so that the ledger zone is NDJSON that
    /// Athena's JSON SerDe (`pipeline_ledgers`) and DataFusion read as a table.
    pub fn to_stored_json(&self) -> crate::Result<String> {
        Ok(serde_json::to_string(self)? + "\n")
    }

    /// Parses a stored ledger.
    pub fn from_json(bytes: &[u8]) -> crate::Result<Self> {
        Ok(serde_json::from_slice(bytes)?)
    }
}
