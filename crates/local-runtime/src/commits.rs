//! Committed silver on the local lake: the local twin of the registrar's appends, of the
//! scheduled compaction and of garbage collection (DESIGN §8), plus the per-partition
//! accounting `streamlake status` reports.
//!
//! - [`register_partitions`]: every silver file a ledger names is appended to its
//!   partition's commit (idempotently: live or removed files are never added again), and
//!   the partition is registered in the catalog at its manifest location; quarantine
//!   partitions are registered as plain directories, as before.
//! - [`compact_lake`]: every silver partition the policy says is due is compacted (merge,
//!   cross-object dedup, one commit).
//! - [`vacuum`]: files a commit removed more than the grace period ago are deleted, then
//!   marked deleted in their partition's state (the tombstone stays).
//! - [`silver_accounting`]: per partition, the ledgers' `written` against committed rows,
//!   cross-object duplicates dropped and rows not yet appended.

use std::collections::{BTreeMap, BTreeSet};

use pipeline_core::commit::{
    commit, committed_partitions, read_state, Change, CommitInfo, CommittedFile, CommittedTable,
    FileOrigin, PartitionState, GOLD, SILVER,
};
use pipeline_core::compact::{
    compact_due, compaction_ledgers, vacuum, CompactionLedger, CompactionPolicy,
};
use pipeline_core::keys::partition_of_key;
use pipeline_core::ports::{PartitionCatalog, PartitionSpec};
use pipeline_core::Ledger;
use serde::Serialize;

use crate::error::Result;
use crate::ingest::read_ledgers;
use crate::lake::Lake;

/// The default grace period before a removed file is deleted: longer than the longest query.
pub const DEFAULT_GRACE_SECONDS: i64 = 3600;

/// What [`register_partitions`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegisterReport {
    /// Partitions new to the catalog.
    pub partitions_added: usize,
    /// Silver files appended to their partition's commit.
    pub files_appended: usize,
    /// Silver partitions that got a new version.
    pub partitions_committed: usize,
}

/// Epoch seconds of an RFC 3339 `…Z` timestamp (a ledger's arrival time).
fn epoch_of(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339).map(|t| t.timestamp()).unwrap_or(0)
}

/// Appends every silver file the lake's ledgers name to its partition, and registers every
/// partition (silver at its manifest location, quarantine at its directory) in the catalog.
pub async fn register_partitions(lake: &Lake) -> Result<RegisterReport> {
    register_ledgers(lake, &read_ledgers(lake).await?).await
}

/// [`register_partitions`] for the given ledgers.
pub async fn register_ledgers(lake: &Lake, ledgers: &[Ledger]) -> Result<RegisterReport> {
    let store = lake.store();
    // Silver files per partition, with the newest arrival among their objects.
    let mut silver: BTreeMap<String, (Vec<CommittedFile>, i64)> = BTreeMap::new();
    let mut catalog = BTreeSet::new();
    for ledger in ledgers {
        let arrival = epoch_of(&ledger.ingest_timestamp);
        for output in &ledger.outputs {
            let path = store.path_of(&output.key)?;
            let bytes = std::fs::metadata(&path)
                .map_err(|error| {
                    crate::error::io(format!("reading the size of {}", path.display()), error)
                })?
                .len();
            let entry = silver.entry(output.event_date.clone()).or_default();
            entry.0.push(CommittedFile {
                key: output.key.clone(),
                rows: output.rows,
                bytes,
                origin: FileOrigin::Append,
            });
            entry.1 = entry.1.max(arrival);
        }
        for output in &ledger.quarantine_outputs {
            if let Some(partition) = partition_of_key(&output.key) {
                catalog.insert(PartitionSpec {
                    table: partition.table.to_owned(),
                    values: vec![partition.value],
                    location: partition.location,
                });
            }
        }
    }
    let mut report = RegisterReport::default();
    for (value, (files, arrival)) in silver {
        let outcome = commit(store.as_ref(), &SILVER, &value, arrival, |_| {
            Ok(Some(Change::Append(files.clone())))
        })
        .await?;
        if let Some(CommitInfo { files_added, .. }) =
            outcome.committed().then(|| outcome.state().last_commit.clone()).flatten()
        {
            report.files_appended += files_added;
            report.partitions_committed += 1;
        }
        catalog.insert(PartitionSpec {
            table: SILVER.name().to_owned(),
            values: vec![value.clone()],
            location: SILVER.manifest_location(&value),
        });
    }
    let catalog: Vec<PartitionSpec> = catalog.into_iter().collect();
    report.partitions_added = lake.catalog().add_partitions(&catalog).await?;
    Ok(report)
}

/// What [`compact_lake`] did.
#[derive(Debug, Clone, Default)]
pub struct CompactReport {
    /// One ledger per compacted partition.
    pub compactions: Vec<CompactionLedger>,
    /// Files deleted by garbage collection.
    pub vacuumed: usize,
}

impl CompactReport {
    /// Cross-object duplicates removed over every partition.
    pub fn duplicates_dropped(&self) -> u64 {
        self.compactions.iter().map(|ledger| ledger.cross_object_duplicates_dropped).sum()
    }
}

/// Compacts every silver partition that `policy` says is due, optionally only those in
/// `[from, to]` (inclusive `YYYY-MM-DD`), then garbage-collects with `grace_seconds`.
pub async fn compact_lake(
    lake: &Lake,
    policy: &CompactionPolicy,
    range: Option<(&str, &str)>,
    now: i64,
    grace_seconds: i64,
) -> Result<CompactReport> {
    let store = lake.store();
    let staging = lake.staging_dir()?;
    let compactions = compact_due(store.as_ref(), policy, &staging, range, now).await?;
    let vacuumed = vacuum(store.as_ref(), now, grace_seconds).await?;
    Ok(CompactReport { compactions, vacuumed })
}

/// One committed partition, as `streamlake status --format json` reports it.
#[derive(Debug, Clone, Serialize)]
pub struct PartitionReport {
    /// Table.
    pub table: String,
    /// Partition column.
    pub partition_key: String,
    /// Partition value.
    pub partition_value: String,
    /// Committed version.
    pub version: u64,
    /// Live files.
    pub files: usize,
    /// Live files appended since the last compaction.
    pub appended_files: usize,
    /// Committed rows.
    pub rows: u64,
    /// The last commit.
    pub last_commit: Option<CommitInfo>,
    /// Silver only: rows the object ledgers wrote to this partition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ledger_written: Option<u64>,
    /// Silver only: cross-object duplicates compactions dropped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cross_object_duplicates_dropped: Option<u64>,
    /// Silver only: rows in files a ledger names that are not committed yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_rows: Option<u64>,
    /// Silver only: `ledger_written = rows + cross_object_duplicates_dropped + pending_rows`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balanced: Option<bool>,
}

impl PartitionReport {
    fn of(table: &CommittedTable, state: &PartitionState) -> Self {
        Self {
            table: table.name().to_owned(),
            partition_key: table.partition_key().to_owned(),
            partition_value: state.partition_value.clone(),
            version: state.version,
            files: state.files.len(),
            appended_files: state.appended_files().count(),
            rows: state.rows(),
            last_commit: state.last_commit.clone(),
            ledger_written: None,
            cross_object_duplicates_dropped: None,
            pending_rows: None,
            balanced: None,
        }
    }
}

/// Every committed partition of every committed table, silver with its accounting
/// (DESIGN §5, invariant 7).
pub async fn partition_reports(lake: &Lake, ledgers: &[Ledger]) -> Result<Vec<PartitionReport>> {
    let store = lake.store();
    let mut written: BTreeMap<&str, Vec<(&str, u64)>> = BTreeMap::new();
    for ledger in ledgers {
        for output in &ledger.outputs {
            written.entry(output.event_date.as_str()).or_default().push((&output.key, output.rows));
        }
    }
    let mut reports = Vec::new();
    let mut values: BTreeSet<String> =
        committed_partitions(store.as_ref(), &SILVER).await?.into_iter().collect();
    values.extend(written.keys().map(|value| (*value).to_owned()));
    for value in values {
        let (state, _) = read_state(store.as_ref(), &SILVER, &value).await?;
        let files = written.get(value.as_str()).cloned().unwrap_or_default();
        let ledger_written: u64 = files.iter().map(|(_, rows)| rows).sum();
        let pending: u64 = files
            .iter()
            .filter(|(key, _)| !state.is_live(key) && !state.is_removed(key))
            .map(|(_, rows)| rows)
            .sum();
        let dropped: u64 = compaction_ledgers(store.as_ref(), &SILVER, &value)
            .await?
            .iter()
            .map(|ledger| ledger.cross_object_duplicates_dropped)
            .sum();
        let mut report = PartitionReport::of(&SILVER, &state);
        report.balanced = Some(ledger_written == report.rows + dropped + pending);
        report.ledger_written = Some(ledger_written);
        report.cross_object_duplicates_dropped = Some(dropped);
        report.pending_rows = Some(pending);
        reports.push(report);
    }
    for table in &GOLD {
        for value in committed_partitions(store.as_ref(), table).await? {
            let (state, _) = read_state(store.as_ref(), table, &value).await?;
            reports.push(PartitionReport::of(table, &state));
        }
    }
    Ok(reports)
}
