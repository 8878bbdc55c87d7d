//! The commit protocol: optimistic concurrency on a partition's commit state, then the
//! symlink manifest brought up to date.
//!
//! 1. Read the state and its ETag (absent: version 0).
//! 2. Compute the change from *that* state (the caller's closure), and the next state.
//! 3. Write it with [`BlobStore::put_if`]: `If-Match` on the ETag read, or
//!    `If-None-Match: *` for the first commit. On a conflict another writer committed first:
//!    go back to 1, so the change is recomputed on the fresh state (a compaction that lost a
//!    race with an append keeps the appended file; an append lost to a compaction is not
//!    re-added if the compaction removed it).
//! 4. Record the version in the partition's commit log ([`CommitRecord`], one immutable
//!    object per version: what the commit added and removed, and the rows after it). The log
//!    is for people and audits (`streamlake status`, the troubleshooting guide); readers never
//!    need it.
//! 5. Publish the manifest ([`publish_manifest`]): each writer writes the manifest of the
//!    newest state it has read, conditionally on the manifest's ETag, and re-reads the state
//!    after its write until the two agree. Whatever the interleaving, the last manifest
//!    written is the newest state's, and every manifest ever written is some committed
//!    state's file list: readers see a whole version, never a mix.
//!
//! A writer that dies between 3 and 5 leaves the manifest one version behind (still a
//! committed state); the next commit, or [`publish_manifest`] from `compact`/`status`
//! repairs, brings it forward.

use bytes::Bytes;
use tracing::debug;

use serde::{Deserialize, Serialize};

use super::state::{Change, Operation, PartitionState};
use super::tables::CommittedTable;
use crate::error::{Error, Result};
use crate::ports::{BlobStore, ConditionalWrite, WriteCondition};

/// Attempts before a commit gives up on contention (a retryable error).
pub const MAX_COMMIT_ATTEMPTS: u32 = 50;

/// The result of [`commit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitOutcome {
    /// A new version was committed.
    Committed(PartitionState),
    /// The change was already in the state (or the closure asked for nothing).
    Unchanged(PartitionState),
}

impl CommitOutcome {
    /// The partition's state after the call.
    pub fn state(&self) -> &PartitionState {
        match self {
            CommitOutcome::Committed(state) | CommitOutcome::Unchanged(state) => state,
        }
    }

    /// Whether a new version was committed.
    pub fn committed(&self) -> bool {
        matches!(self, CommitOutcome::Committed(_))
    }
}

/// One version of a partition, as its commit log records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitRecord {
    /// Table.
    pub table: String,
    /// Partition column.
    pub partition_key: String,
    /// Partition value.
    pub partition_value: String,
    /// The version committed.
    pub version: u64,
    /// What the commit did.
    pub operation: Operation,
    /// When (epoch seconds).
    pub at: i64,
    /// Keys added.
    pub added: Vec<String>,
    /// Keys removed.
    pub removed: Vec<String>,
    /// Live files after the commit.
    pub files: usize,
    /// Rows after the commit.
    pub rows: u64,
}

impl CommitRecord {
    fn between(
        before: &PartitionState,
        after: &PartitionState,
        operation: Operation,
        at: i64,
    ) -> Self {
        let added = after.files.iter().filter(|f| !before.is_live(&f.key)).map(|f| f.key.clone());
        let removed = before.files.iter().filter(|f| !after.is_live(&f.key)).map(|f| f.key.clone());
        Self {
            table: after.table.clone(),
            partition_key: after.partition_key.clone(),
            partition_value: after.partition_value.clone(),
            version: after.version,
            operation,
            at,
            added: added.collect(),
            removed: removed.collect(),
            files: after.files.len(),
            rows: after.rows(),
        }
    }
}

/// Every record of a partition's commit log, by version.
pub async fn commit_log(
    store: &dyn BlobStore,
    table: &CommittedTable,
    value: &str,
) -> Result<Vec<CommitRecord>> {
    let mut records = Vec::new();
    for meta in store.list(&table.log_directory(value)).await? {
        let name = meta.key.rsplit('/').next().unwrap_or_default();
        if !(name.starts_with('v') && name.ends_with(".json")) {
            continue;
        }
        if let Some(bytes) = store.get(&meta.key).await? {
            records.push(serde_json::from_slice::<CommitRecord>(&bytes)?);
        }
    }
    records.sort_by_key(|record| record.version);
    Ok(records)
}

/// Reads a partition's state and its ETag; a partition never committed is version 0 with no
/// ETag.
pub async fn read_state(
    store: &dyn BlobStore,
    table: &CommittedTable,
    value: &str,
) -> Result<(PartitionState, Option<String>)> {
    match store.get_tagged(&table.state_key(value)).await? {
        Some((bytes, etag)) => Ok((PartitionState::from_json(&bytes)?, Some(etag))),
        None => Ok((PartitionState::empty(table.name(), table.partition_key(), value), None)),
    }
}

/// Commits the change `decide` computes from the current state of partition `value`, retrying
/// on conflicts. `decide` returns `None` when there is nothing to do; it is called again on
/// the fresh state after every conflict. `at` is the commit time (epoch seconds).
pub async fn commit<F>(
    store: &dyn BlobStore,
    table: &CommittedTable,
    value: &str,
    at: i64,
    mut decide: F,
) -> Result<CommitOutcome>
where
    F: FnMut(&PartitionState) -> Result<Option<Change>> + Send,
{
    let key = table.state_key(value);
    for attempt in 1..=MAX_COMMIT_ATTEMPTS {
        let (current, etag) = read_state(store, table, value).await?;
        let next = match decide(&current)? {
            Some(change) => current.apply(&change, at)?,
            None => None,
        };
        let Some(next) = next else {
            publish_manifest(store, table, value).await?;
            return Ok(CommitOutcome::Unchanged(current));
        };
        let condition = match etag {
            Some(etag) => WriteCondition::Matches(etag),
            None => WriteCondition::Absent,
        };
        match store.put_if(&key, Bytes::from(next.to_json()?), &condition).await? {
            ConditionalWrite::Written { .. } => {
                let operation =
                    next.last_commit.as_ref().map_or(Operation::Append, |commit| commit.operation);
                let record = CommitRecord::between(&current, &next, operation, at);
                let mut json = serde_json::to_vec(&record)?;
                json.push(b'\n');
                store.put(&table.log_key(value, next.version), Bytes::from(json)).await?;
                publish_manifest(store, table, value).await?;
                return Ok(CommitOutcome::Committed(next));
            }
            ConditionalWrite::Conflict => {
                debug!(
                    table = table.name(),
                    partition = value,
                    attempt,
                    "Commit conflict, retrying"
                );
            }
        }
    }
    Err(Error::Port {
        port: "commit",
        message: format!(
            "{} {}: gave up after {MAX_COMMIT_ATTEMPTS} conflicting commits",
            table.name(),
            table.partition_name(value)
        ),
        retryable: true,
    })
}

/// The manifest of a state: one line per live file, the URI a reader opens
/// ([`BlobStore::uri_of`]), in key order.
pub fn render_manifest(store: &dyn BlobStore, state: &PartitionState) -> Vec<u8> {
    let mut text = String::new();
    for file in &state.files {
        text.push_str(&store.uri_of(&file.key));
        text.push('\n');
    }
    text.into_bytes()
}

/// The keys a manifest lists; an error names a line that is not a URI of this store.
pub fn parse_manifest(store: &dyn BlobStore, manifest: &[u8]) -> Result<Vec<String>> {
    let text = std::str::from_utf8(manifest)
        .map_err(|_| Error::Invalid("a symlink manifest is not UTF-8".into()))?;
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            store.key_of_uri(line.trim()).ok_or_else(|| {
                Error::Invalid(format!("manifest line {line:?} is not a file of this lake"))
            })
        })
        .collect()
}

/// Brings the manifest of partition `value` up to its newest committed state (see the module
/// documentation for why this converges). An empty partition keeps an empty manifest.
pub async fn publish_manifest(
    store: &dyn BlobStore,
    table: &CommittedTable,
    value: &str,
) -> Result<()> {
    let key = table.manifest_key(value);
    for _ in 0..MAX_COMMIT_ATTEMPTS {
        let (state, _) = read_state(store, table, value).await?;
        if state.version == 0 {
            return Ok(());
        }
        let desired = render_manifest(store, &state);
        let current = store.get_tagged(&key).await?;
        let condition = match &current {
            Some((body, _)) if body.as_ref() == desired.as_slice() => return Ok(()),
            Some((_, etag)) => WriteCondition::Matches(etag.clone()),
            None => WriteCondition::Absent,
        };
        if let ConditionalWrite::Written { .. } =
            store.put_if(&key, Bytes::from(desired), &condition).await?
        {
            let (after, _) = read_state(store, table, value).await?;
            if after.version == state.version {
                return Ok(());
            }
        }
    }
    Err(Error::Port {
        port: "commit",
        message: format!(
            "{} {}: the manifest did not settle after {MAX_COMMIT_ATTEMPTS} attempts",
            table.name(),
            table.partition_name(value)
        ),
        retryable: true,
    })
}

/// Reads the keys a partition's manifest lists now (what a reader sees); an absent manifest
/// lists nothing.
pub async fn manifest_files(
    store: &dyn BlobStore,
    table: &CommittedTable,
    value: &str,
) -> Result<Vec<String>> {
    match store.get(&table.manifest_key(value)).await? {
        Some(bytes) => parse_manifest(store, &bytes),
        None => Ok(Vec::new()),
    }
}

/// Bytes read from the end of a Parquet file to find its footer: enough for StreamLake's
/// files in one request; a larger footer takes a second, exact one.
pub const FOOTER_GUESS: u64 = 64 * 1024;

/// The row count of the Parquet file `key`, read from its footer with ranged reads (never the
/// whole file).
pub async fn parquet_rows(store: &dyn BlobStore, key: &str) -> Result<u64> {
    let invalid = |why: &str| Error::Invalid(format!("{key} is not a Parquet file: {why}"));
    let mut tail = store.get_tail(key, FOOTER_GUESS).await?;
    if tail.len() < 12 || &tail[tail.len() - 4..] != b"PAR1" {
        return Err(invalid("no PAR1 footer"));
    }
    let length_at = tail.len() - 8;
    let mut length = [0u8; 4];
    length.copy_from_slice(&tail[length_at..length_at + 4]);
    let metadata_len = u64::from(u32::from_le_bytes(length));
    if metadata_len + 8 > tail.len() as u64 {
        tail = store.get_tail(key, metadata_len + 8).await?;
        if (tail.len() as u64) < metadata_len + 8 {
            return Err(invalid("truncated footer"));
        }
    }
    let end = tail.len() - 8;
    let start = end - usize::try_from(metadata_len).map_err(|_| invalid("footer too large"))?;
    let metadata =
        parquet::file::metadata::ParquetMetaDataReader::decode_metadata(&tail[start..end])
            .map_err(|error| invalid(&error.to_string()))?;
    u64::try_from(metadata.file_metadata().num_rows()).map_err(|_| invalid("negative row count"))
}

/// The partition values that have a commit state, sorted.
pub async fn committed_partitions(
    store: &dyn BlobStore,
    table: &CommittedTable,
) -> Result<Vec<String>> {
    Ok(store
        .list(table.state_prefix)
        .await?
        .iter()
        .filter_map(|meta| table.value_of_state_key(&meta.key).map(str::to_owned))
        .collect())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::commit::state::{CommittedFile, FileOrigin, Operation};
    use crate::commit::tables::SILVER;
    use crate::memory::MemoryBlobStore;

    fn file(key: &str) -> CommittedFile {
        CommittedFile { key: key.into(), rows: 1, bytes: 1, origin: FileOrigin::Append }
    }

    #[tokio::test]
    async fn row_counts_come_from_the_footer() {
        let store = MemoryBlobStore::new(0);
        let schema = Arc::new(arrow_schema::Schema::new(vec![arrow_schema::Field::new(
            "n",
            arrow_schema::DataType::Int64,
            false,
        )]));
        let batch = arrow_array::RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(arrow_array::Int64Array::from_iter_values(0..1_000))],
        )
        .unwrap();
        let mut bytes = Vec::new();
        let mut writer = parquet::arrow::ArrowWriter::try_new(&mut bytes, schema, None).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        store.put("p/f.parquet", Bytes::from(bytes)).await.unwrap();
        assert_eq!(parquet_rows(&store, "p/f.parquet").await.unwrap(), 1_000);
        store.put("p/not.parquet", Bytes::from_static(b"hello")).await.unwrap();
        assert!(parquet_rows(&store, "p/not.parquet").await.is_err());
    }

    #[tokio::test]
    async fn first_commit_creates_the_state_and_the_manifest() {
        let store = MemoryBlobStore::new(0);
        let outcome = commit(&store, &SILVER, "2026-01-01", 5, |_| {
            Ok(Some(Change::Append(vec![file("b"), file("a")])))
        })
        .await
        .unwrap();
        assert!(outcome.committed());
        assert_eq!(outcome.state().version, 1);
        assert_eq!(manifest_files(&store, &SILVER, "2026-01-01").await.unwrap(), ["a", "b"]);
        assert_eq!(committed_partitions(&store, &SILVER).await.unwrap(), ["2026-01-01"]);
        let again =
            commit(&store, &SILVER, "2026-01-01", 6, |_| Ok(Some(Change::Append(vec![file("a")]))))
                .await
                .unwrap();
        assert!(!again.committed());
        assert_eq!(again.state().version, 1);
    }

    /// Many writers append and compact the same partition at once, against a store whose
    /// conditional writes are atomic. Every append survives exactly once, the versions are
    /// gapless, and the manifest ends equal to the final state.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_appends_and_compactions_lose_nothing() {
        let store = Arc::new(MemoryBlobStore::new(0));
        let mut tasks = Vec::new();
        for writer in 0..16 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                for n in 0..8 {
                    let key = format!("w{writer:02}-{n}");
                    commit(store.as_ref(), &SILVER, "2026-01-01", 0, |_| {
                        Ok(Some(Change::Append(vec![file(&key)])))
                    })
                    .await
                    .unwrap();
                }
            }));
        }
        for compactor in 0..4 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                for round in 0..4 {
                    let output = format!("compacted-{compactor}-{round}");
                    commit(store.as_ref(), &SILVER, "2026-01-01", 0, |state| {
                        let inputs: Vec<&CommittedFile> = state.appended_files().collect();
                        if inputs.len() < 2 {
                            return Ok(None);
                        }
                        Ok(Some(Change::Replace {
                            remove: inputs.iter().map(|f| f.key.clone()).collect(),
                            add: vec![CommittedFile {
                                key: output.clone(),
                                rows: inputs.iter().map(|f| f.rows).sum(),
                                bytes: 1,
                                origin: FileOrigin::Compacted,
                            }],
                            operation: Operation::Compact,
                            lineage: None,
                        }))
                    })
                    .await
                    .unwrap();
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let (state, _) = read_state(store.as_ref(), &SILVER, "2026-01-01").await.unwrap();
        assert_eq!(state.rows(), 16 * 8, "every appended row is live exactly once");
        let manifest = manifest_files(store.as_ref(), &SILVER, "2026-01-01").await.unwrap();
        let live: Vec<String> = state.files.iter().map(|f| f.key.clone()).collect();
        assert_eq!(manifest, live);
        for removed in &state.removed {
            assert!(!state.is_live(&removed.key));
        }
    }
}
