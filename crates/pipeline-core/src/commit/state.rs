//! The commit state of one partition: its live data files, the files commits removed
//! (tombstones), its version and its last commit. Pure data and the rules for changing it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The state document's format version.
pub const STATE_FORMAT: u32 = 1;

/// How a file came to be in a partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileOrigin {
    /// A transformer output, appended by the registrar.
    Append,
    /// A compaction output.
    Compacted,
    /// A gold refresh output.
    Refresh,
}

/// A live data file of a partition.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CommittedFile {
    /// Object key.
    pub key: String,
    /// Rows in the file (from its Parquet footer).
    pub rows: u64,
    /// Size in bytes.
    pub bytes: u64,
    /// How it got here.
    pub origin: FileOrigin,
}

/// A file a commit removed from the partition. Tombstones are kept after the file itself is
/// deleted, so that a late or replayed S3 event can never add it back.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RemovedFile {
    /// Object key.
    pub key: String,
    /// Rows it held.
    pub rows: u64,
    /// The version whose commit removed it.
    pub removed_in: u64,
    /// When that commit happened (epoch seconds): garbage collection waits a grace period
    /// after it, so that a query already reading the file finishes.
    pub removed_at: i64,
    /// Whether garbage collection has deleted the object.
    #[serde(default)]
    pub deleted: bool,
}

/// What a commit did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// New transformer outputs appended.
    Append,
    /// Files merged (and cross-object duplicates removed).
    Compact,
    /// A gold partition replaced by a refresh.
    Refresh,
    /// Garbage collection recorded deleted files.
    Vacuum,
}

/// The last commit of a partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitInfo {
    /// The version it created.
    pub version: u64,
    /// What it did.
    pub operation: Operation,
    /// When (epoch seconds). For appends, the arrival time of the newest appended object,
    /// so that replaying the same objects writes the same state.
    pub at: i64,
    /// Files it added.
    pub files_added: usize,
    /// Files it removed.
    pub files_removed: usize,
}

/// The commit state of one partition of a committed table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionState {
    /// Format version ([`STATE_FORMAT`]).
    pub format: u32,
    /// Table name.
    pub table: String,
    /// Partition column (`event_date`, `ingest_date`).
    pub partition_key: String,
    /// Partition value (`YYYY-MM-DD`).
    pub partition_value: String,
    /// 0 before the first commit; every commit adds one.
    pub version: u64,
    /// Live data files, sorted by key: exactly what the manifest lists.
    pub files: Vec<CommittedFile>,
    /// Files removed by commits, sorted by key.
    pub removed: Vec<RemovedFile>,
    /// The last commit.
    pub last_commit: Option<CommitInfo>,
    /// For gold partitions: the version of each silver partition (by value) the live files
    /// were computed from. A refresh computed from older silver may not replace them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub lineage: BTreeMap<String, u64>,
}

/// A change to a partition, applied atomically by a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Adds files that are neither live nor removed (the others are ignored: appending is
    /// idempotent, and a file compaction replaced is never added back).
    Append(Vec<CommittedFile>),
    /// Removes `remove` (all of which must be live) and adds `add`.
    Replace {
        /// Keys of live files to remove.
        remove: Vec<String>,
        /// Files to add.
        add: Vec<CommittedFile>,
        /// What kind of replacement this is.
        operation: Operation,
        /// The new lineage (gold); `None` keeps the current one.
        lineage: Option<BTreeMap<String, u64>>,
    },
    /// Marks tombstoned files as deleted by garbage collection.
    MarkDeleted(Vec<String>),
}

impl PartitionState {
    /// The state of a partition that has never been committed.
    pub fn empty(table: &str, partition_key: &str, partition_value: &str) -> Self {
        Self {
            format: STATE_FORMAT,
            table: table.to_owned(),
            partition_key: partition_key.to_owned(),
            partition_value: partition_value.to_owned(),
            version: 0,
            files: Vec::new(),
            removed: Vec::new(),
            last_commit: None,
            lineage: BTreeMap::new(),
        }
    }

    /// Parses a stored state.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let state: Self = serde_json::from_slice(bytes)?;
        if state.format != STATE_FORMAT {
            return Err(Error::Invalid(format!(
                "commit state format {} of {} {}={} is not supported (expected {STATE_FORMAT})",
                state.format, state.table, state.partition_key, state.partition_value
            )));
        }
        Ok(state)
    }

    /// The stored form: pretty JSON, deterministic (sorted lists, fixed field order).
    pub fn to_json(&self) -> Result<Vec<u8>> {
        let mut json = serde_json::to_vec_pretty(self)?;
        json.push(b'\n');
        Ok(json)
    }

    /// Rows in the live files.
    pub fn rows(&self) -> u64 {
        self.files.iter().map(|file| file.rows).sum()
    }

    /// Whether `key` is live.
    pub fn is_live(&self, key: &str) -> bool {
        self.files.binary_search_by(|file| file.key.as_str().cmp(key)).is_ok()
    }

    /// Whether a commit removed `key`.
    pub fn is_removed(&self, key: &str) -> bool {
        self.removed.binary_search_by(|file| file.key.as_str().cmp(key)).is_ok()
    }

    /// Whether a rewrite computed from inputs `candidate` (input name to version) may replace
    /// the live files: only if it is at least as new as the committed lineage in every input,
    /// so that a refresh that finishes late never replaces a newer one.
    pub fn accepts_lineage(&self, candidate: &BTreeMap<String, u64>) -> bool {
        self.lineage
            .iter()
            .all(|(input, version)| candidate.get(input).is_some_and(|v| v >= version))
    }

    /// Live files that came from appends (not yet compacted).
    pub fn appended_files(&self) -> impl Iterator<Item = &CommittedFile> {
        self.files.iter().filter(|file| file.origin == FileOrigin::Append)
    }

    /// Applies `change` at time `at` (epoch seconds). Returns `None` when it changes nothing
    /// (every appended file already known, nothing to mark), so that no commit is made.
    pub fn apply(&self, change: &Change, at: i64) -> Result<Option<PartitionState>> {
        let mut next = self.clone();
        let version = self.version + 1;
        let (operation, added, removed) = match change {
            Change::Append(files) => {
                let mut added = 0;
                for file in files {
                    if next.is_live(&file.key) || next.is_removed(&file.key) {
                        continue;
                    }
                    let index = next
                        .files
                        .binary_search_by(|live| live.key.cmp(&file.key))
                        .unwrap_or_else(|index| index);
                    next.files.insert(index, file.clone());
                    added += 1;
                }
                if added == 0 {
                    return Ok(None);
                }
                (Operation::Append, added, 0)
            }
            Change::Replace { remove, add, operation, lineage } => {
                for key in remove {
                    let Ok(index) = next.files.binary_search_by(|file| file.key.cmp(key)) else {
                        return Err(Error::Invalid(format!(
                            "{} {}={}: {key} is not a live file (a concurrent commit removed it)",
                            self.table, self.partition_key, self.partition_value
                        )));
                    };
                    let file = next.files.remove(index);
                    let tombstone = RemovedFile {
                        key: file.key,
                        rows: file.rows,
                        removed_in: version,
                        removed_at: at,
                        deleted: false,
                    };
                    let slot = next
                        .removed
                        .binary_search_by(|removed| removed.key.cmp(&tombstone.key))
                        .unwrap_or_else(|index| index);
                    next.removed.insert(slot, tombstone);
                }
                for file in add {
                    if next.is_live(&file.key) {
                        return Err(Error::Invalid(format!(
                            "{} {}={}: {} is added twice",
                            self.table, self.partition_key, self.partition_value, file.key
                        )));
                    }
                    // A refresh that recomputes identical content may re-add a file it
                    // removed earlier (same key, same bytes): it is live again.
                    next.removed.retain(|removed| removed.key != file.key || removed.deleted);
                    if next.is_removed(&file.key) {
                        return Err(Error::Invalid(format!(
                            "{} {}={}: {} was deleted by garbage collection and cannot be re-added",
                            self.table, self.partition_key, self.partition_value, file.key
                        )));
                    }
                    let index = next
                        .files
                        .binary_search_by(|live| live.key.cmp(&file.key))
                        .unwrap_or_else(|index| index);
                    next.files.insert(index, file.clone());
                }
                if let Some(lineage) = lineage {
                    next.lineage = lineage.clone();
                }
                if next.files == self.files && next.lineage == self.lineage {
                    return Ok(None);
                }
                (*operation, add.len(), remove.len())
            }
            Change::MarkDeleted(keys) => {
                let mut marked = 0;
                for key in keys {
                    if let Ok(index) = next.removed.binary_search_by(|file| file.key.cmp(key)) {
                        if !next.removed[index].deleted {
                            next.removed[index].deleted = true;
                            marked += 1;
                        }
                    }
                }
                if marked == 0 {
                    return Ok(None);
                }
                (Operation::Vacuum, 0, 0)
            }
        };
        next.version = version;
        next.last_commit =
            Some(CommitInfo { version, operation, at, files_added: added, files_removed: removed });
        Ok(Some(next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(key: &str, rows: u64) -> CommittedFile {
        CommittedFile { key: key.into(), rows, bytes: rows * 10, origin: FileOrigin::Append }
    }

    #[test]
    fn appends_are_idempotent_and_sorted() {
        let empty = PartitionState::empty("t", "event_date", "2026-01-01");
        let one = empty.apply(&Change::Append(vec![file("b", 2), file("a", 1)]), 10).unwrap();
        let one = one.unwrap();
        assert_eq!(one.version, 1);
        assert_eq!(one.files.iter().map(|f| f.key.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(one.rows(), 3);
        assert_eq!(one.apply(&Change::Append(vec![file("a", 1)]), 11).unwrap(), None);
    }

    #[test]
    fn a_replaced_file_is_never_appended_again() {
        let state = PartitionState::empty("t", "event_date", "2026-01-01")
            .apply(&Change::Append(vec![file("a", 1), file("b", 1)]), 1)
            .unwrap()
            .unwrap();
        let compacted = CommittedFile { origin: FileOrigin::Compacted, ..file("c", 2) };
        let change = Change::Replace {
            remove: vec!["a".into(), "b".into()],
            add: vec![compacted],
            operation: Operation::Compact,
            lineage: None,
        };
        let state = state.apply(&change, 100).unwrap().unwrap();
        assert_eq!(state.version, 2);
        assert_eq!(state.removed.len(), 2);
        assert_eq!(state.removed[0].removed_at, 100);
        assert!(state.apply(&Change::Append(vec![file("a", 1)]), 101).unwrap().is_none());
        // A compaction that lost a race (its inputs are gone) is refused, not applied.
        assert!(state.apply(&change, 102).is_err());
    }

    #[test]
    fn state_round_trips_through_json() {
        let state = PartitionState::empty("t", "event_date", "2026-01-01")
            .apply(&Change::Append(vec![file("a", 1)]), 1)
            .unwrap()
            .unwrap();
        assert_eq!(PartitionState::from_json(&state.to_json().unwrap()).unwrap(), state);
        let mut future = state;
        future.format = 99;
        assert!(PartitionState::from_json(&future.to_json().unwrap()).is_err());
    }

    #[test]
    fn marking_deleted_keeps_the_tombstone() {
        let state = PartitionState::empty("t", "event_date", "2026-01-01")
            .apply(&Change::Append(vec![file("a", 1)]), 1)
            .unwrap()
            .unwrap()
            .apply(
                &Change::Replace {
                    remove: vec!["a".into()],
                    add: vec![],
                    operation: Operation::Compact,
                    lineage: None,
                },
                5,
            )
            .unwrap()
            .unwrap();
        let state = state.apply(&Change::MarkDeleted(vec!["a".into()]), 9).unwrap().unwrap();
        assert!(state.removed[0].deleted);
        assert!(state.is_removed("a"));
        assert!(state.apply(&Change::MarkDeleted(vec!["a".into()]), 9).unwrap().is_none());
    }
}
