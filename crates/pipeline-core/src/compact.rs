//! Compaction of silver partitions (DESIGN §8): a partition's live files are merged into a
//! few large files, cross-object duplicates are removed, and the new list is committed in one
//! step.
//!
//! **Dedup rule.** Of the rows sharing an `event_id`, the one kept is the one from the
//! earliest arrival (`ingest_timestamp`), then the smallest source key (`source_object`).
//! Within one raw object the transformer already kept the first valid line, so the line
//! number never has to decide. Event ids are compared by their XXH3-128 hash, as the
//! transformer does.
//!
//! **Streaming, in two passes.** Pass 1 reads only `event_id`, `ingest_timestamp` and
//! `source_object` of every input and keeps, per event id, the best (arrival, source). Pass 2
//! reads the inputs again batch by batch and collects the winning rows into a sort buffer of
//! bounded size; each full buffer is sorted in [session order](SESSION_ORDER) and written to
//! staging files that roll over at the target size. Memory is the winner map (about 40 bytes
//! per distinct event id), one input object and the sort buffer.
//!
//! **Session order.** Every output file is sorted by `session_id`, `event_ts`, the event
//! type's rank within a second and `event_id`: the order of the gold queries' window
//! functions (`sql/gold/`), so that a reader which knows it (the local engine; see
//! [`SESSION_ORDER`]) merges the files instead of sorting days of rows. The files say so in
//! their Parquet footer (key [`SORT_ORDER_KEY`]).
//!
//! **Determinism.** The output keys embed a digest of the sorted input keys, and the bytes
//! depend only on the inputs: compacting the same inputs twice writes the same files.
//!
//! **Accounting.** Each compaction writes a [`CompactionLedger`]:
//! `rows_in = rows_out + cross_object_duplicates_dropped`, per partition and version.

use std::collections::HashMap;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMillisecondType;
use arrow_array::{Array, BooleanArray, RecordBatch};
use bytes::Bytes;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::arrow::ProjectionMask;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;
use tracing::info;

use crate::commit::{
    commit, committed_partitions, manifest_files, publish_manifest, read_state, Change,
    CommitOutcome, CommittedFile, CommittedTable, FileOrigin, Operation, PartitionState, GOLD,
    SILVER,
};
use crate::encode::writer_properties_builder;
use crate::error::{Error, Result};
use crate::ports::BlobStore;

/// The order of the rows in every compacted file, as the gold queries' windows order a
/// session's events (`PARTITION BY session_id ORDER BY event_ts, <rank>, event_type,
/// title_id, profile_id, country, device_type` in `sql/gold/`), then `event_id` so that
/// the bytes of a compacted file are deterministic: the value stored under
/// [`SORT_ORDER_KEY`] in each file's footer. (Files written with an older order say so, and
/// are read as unsorted.)
pub const SESSION_ORDER: &str =
    "session_id,event_ts,event_type_rank,event_type,title_id,profile_id,country,device_type,event_id";

/// The Parquet footer key (key-value metadata) that names a file's row order.
pub const SORT_ORDER_KEY: &str = "streamlake.sort_order";

/// An event type's rank among events of the same session and second, as the gold queries'
/// `CASE event_type WHEN 'PLAY_START' THEN 0 … ELSE 1 END` ranks it.
pub fn event_type_rank(event_type: &str) -> u8 {
    match event_type {
        "PLAY_START" => 0,
        "PAUSE" | "REBUFFER_START" => 2,
        "PLAY_STOP" | "PLAYBACK_ERROR" => 3,
        _ => 1,
    }
}

/// When and how partitions are compacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompactionPolicy {
    /// Compact a partition once it has at least this many live files, one of them appended
    /// since its last compaction.
    pub min_files: usize,
    /// Roll to a new output file after about this many bytes.
    pub target_file_bytes: u64,
    /// Rows per row group of the outputs.
    pub row_group_rows: usize,
    /// Sort the winning rows in runs of at most about this many bytes of Arrow memory; each
    /// run is written as one or more files. A partition that fits is one sorted run.
    pub sort_buffer_bytes: usize,
}

impl Default for CompactionPolicy {
    fn default() -> Self {
        Self {
            min_files: 2,
            target_file_bytes: 128 * 1024 * 1024,
            row_group_rows: 128 * 1024,
            sort_buffer_bytes: 256 * 1024 * 1024,
        }
    }
}

impl CompactionPolicy {
    /// Whether `state` is due for compaction.
    pub fn is_due(&self, state: &PartitionState) -> bool {
        state.appended_files().next().is_some() && state.files.len() >= self.min_files.max(2)
    }
}

/// What one compaction did: the compaction ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompactionLedger {
    /// Table.
    pub table: String,
    /// Partition column.
    pub partition_key: String,
    /// Partition value.
    pub partition_value: String,
    /// The version the compaction committed.
    pub version: u64,
    /// Files merged.
    pub inputs: Vec<String>,
    /// Files written.
    pub outputs: Vec<CommittedFile>,
    /// Rows read.
    pub rows_in: u64,
    /// Rows written.
    pub rows_out: u64,
    /// Rows dropped because an earlier arrival holds the same `event_id`.
    pub cross_object_duplicates_dropped: u64,
    /// Commit time (epoch seconds).
    pub committed_at: i64,
}

impl CompactionLedger {
    /// Whether `rows_in = rows_out + cross_object_duplicates_dropped` and the outputs hold
    /// `rows_out` rows.
    pub fn balances(&self) -> bool {
        self.rows_in == self.rows_out + self.cross_object_duplicates_dropped
            && self.outputs.iter().map(|file| file.rows).sum::<u64>() == self.rows_out
    }

    /// The key of this ledger, in the partition's commit log next to the record of the
    /// version it committed: `…/<key>=<value>/compaction-v<version>.json`.
    pub fn key(table: &CommittedTable, value: &str, version: u64) -> String {
        format!("{}compaction-v{version:08}.json", table.log_directory(value))
    }
}

/// Best (arrival ms, source index) per event-id hash, and whether it was written yet.
type Winners = HashMap<u128, (i64, u32, bool)>;

/// Compacts one partition of `table` if `policy` says it is due (or `force`), committing the
/// result. Returns the ledger of the compaction, or `None` when there was nothing to do or a
/// concurrent commit already replaced the inputs (then this run's files are removed again).
pub async fn compact_partition(
    store: &dyn BlobStore,
    table: &CommittedTable,
    value: &str,
    policy: &CompactionPolicy,
    staging_dir: &Path,
    now: i64,
) -> Result<Option<CompactionLedger>> {
    if table.compacted_prefix.is_none() {
        return Err(Error::Invalid(format!("{} is not compacted", table.name())));
    }
    let (state, _) = read_state(store, table, value).await?;
    if !policy.is_due(&state) {
        return Ok(None);
    }
    let inputs: Vec<CommittedFile> = state.files.clone();
    let input_keys: Vec<String> = inputs.iter().map(|file| file.key.clone()).collect();
    let digest = inputs_digest(&input_keys);

    // Pass 1: the winner of every event id.
    let mut sources: Vec<String> = Vec::new();
    let mut source_index: HashMap<String, u32> = HashMap::new();
    let mut winners: Winners = HashMap::new();
    let mut rows_in = 0u64;
    for file in &inputs {
        let body = read_object(store, &file.key).await?;
        for batch in read_batches(&body, &["event_id", "ingest_timestamp", "source_object"])? {
            let batch = batch?;
            rows_in += batch.num_rows() as u64;
            let (ids, arrivals, origins) = key_columns(&batch, 0, 1, 2)?;
            for row in 0..batch.num_rows() {
                let origin = origins.value(row);
                let index = match source_index.get(origin) {
                    Some(index) => *index,
                    None => {
                        let index = u32::try_from(sources.len()).map_err(|_| {
                            Error::Invalid("more than 2^32 source objects in a partition".into())
                        })?;
                        sources.push(origin.to_owned());
                        source_index.insert(origin.to_owned(), index);
                        index
                    }
                };
                let candidate = (arrivals.value(row), index);
                let hash = xxhash_rust::xxh3::xxh3_128(ids.value(row).as_bytes());
                winners
                    .entry(hash)
                    .and_modify(|best| {
                        if (candidate.0, sources[candidate.1 as usize].as_str())
                            < (best.0, sources[best.1 as usize].as_str())
                        {
                            *best = (candidate.0, candidate.1, false);
                        }
                    })
                    .or_insert((candidate.0, candidate.1, false));
            }
        }
    }

    // Pass 2: the winning rows, collected into a bounded sort buffer; each full buffer is
    // sorted in session order and written to files of about the target size. Each file is
    // published as soon as it is full, so staging holds at most one at a time.
    let schema = table.spec.file_schema();
    let columns: Vec<&str> = table.spec.columns.iter().map(|column| column.name).collect();
    let (id_col, arrival_col, source_col) = (
        column_index(&columns, "event_id")?,
        column_index(&columns, "ingest_timestamp")?,
        column_index(&columns, "source_object")?,
    );
    let mut output = SortedOutput {
        store,
        directory: table.rewrite_directory(value, ""),
        digest: digest.clone(),
        schema: schema.clone(),
        order: SessionOrderColumns {
            session: column_index(&columns, "session_id")?,
            ts: column_index(&columns, "event_ts")?,
            event_type: column_index(&columns, "event_type")?,
            title: column_index(&columns, "title_id")?,
            profile: column_index(&columns, "profile_id")?,
            country: column_index(&columns, "country")?,
            device: column_index(&columns, "device_type")?,
            id: id_col,
        },
        policy,
        staging_dir,
        buffer: Vec::new(),
        buffered_bytes: 0,
        added: Vec::new(),
    };
    let mut rows_out = 0u64;
    for file in &inputs {
        let body = read_object(store, &file.key).await?;
        for batch in read_batches(&body, &columns)? {
            let batch = batch?;
            let (ids, arrivals, origins) = key_columns(&batch, id_col, arrival_col, source_col)?;
            let mut keep = Vec::with_capacity(batch.num_rows());
            for row in 0..batch.num_rows() {
                let hash = xxhash_rust::xxh3::xxh3_128(ids.value(row).as_bytes());
                let won = match winners.get_mut(&hash) {
                    Some(best)
                        if !best.2
                            && best.0 == arrivals.value(row)
                            && sources[best.1 as usize] == origins.value(row) =>
                    {
                        best.2 = true;
                        true
                    }
                    _ => false,
                };
                keep.push(won);
            }
            let kept =
                arrow_select::filter::filter_record_batch(&batch, &BooleanArray::from(keep))?;
            if kept.num_rows() == 0 {
                continue;
            }
            let kept = RecordBatch::try_new(schema.clone(), kept.columns().to_vec())?;
            rows_out += kept.num_rows() as u64;
            output.push(kept).await?;
        }
    }
    output.flush().await?;
    let added = output.added;

    // Commit the outputs in place of the inputs.
    let outcome = commit(store, table, value, now, |current| {
        if input_keys.iter().all(|key| current.is_live(key)) {
            Ok(Some(Change::Replace {
                remove: input_keys.clone(),
                add: added.clone(),
                operation: Operation::Compact,
                lineage: None,
            }))
        } else {
            Ok(None)
        }
    })
    .await?;
    let CommitOutcome::Committed(committed) = outcome else {
        // Another compaction replaced these inputs first: our files were never referenced.
        let ours: Vec<String> = added.iter().map(|file| file.key.clone()).collect();
        let live = outcome.state();
        let orphans: Vec<String> = ours.into_iter().filter(|key| !live.is_live(key)).collect();
        store.delete(&orphans).await?;
        return Ok(None);
    };
    let ledger = CompactionLedger {
        table: table.name().to_owned(),
        partition_key: table.partition_key().to_owned(),
        partition_value: value.to_owned(),
        version: committed.version,
        inputs: input_keys,
        outputs: added,
        rows_in,
        rows_out,
        cross_object_duplicates_dropped: rows_in - rows_out,
        committed_at: now,
    };
    let mut json = serde_json::to_vec(&ledger)?;
    json.push(b'\n');
    store.put(&CompactionLedger::key(table, value, committed.version), Bytes::from(json)).await?;
    info!(
        table = table.name(),
        partition = value,
        version = committed.version,
        inputs = ledger.inputs.len(),
        outputs = ledger.outputs.len(),
        rows_in,
        rows_out,
        duplicates = ledger.cross_object_duplicates_dropped,
        "Compacted partition"
    );
    Ok(Some(ledger))
}

/// Compacts every partition of silver that `policy` says is due (only those in `[from, to]`
/// when a range is given, inclusive `YYYY-MM-DD`). Returns one ledger per compaction.
pub async fn compact_due(
    store: &dyn BlobStore,
    policy: &CompactionPolicy,
    staging_dir: &Path,
    range: Option<(&str, &str)>,
    now: i64,
) -> Result<Vec<CompactionLedger>> {
    let mut ledgers = Vec::new();
    for value in committed_partitions(store, &SILVER).await? {
        if let Some((from, to)) = range {
            if value.as_str() < from || value.as_str() > to {
                continue;
            }
        }
        if let Some(ledger) =
            compact_partition(store, &SILVER, &value, policy, staging_dir, now).await?
        {
            ledgers.push(ledger);
        }
    }
    Ok(ledgers)
}

/// Seconds the oldest still-due silver partition has waited since its last commit, after a
/// compaction run (0 when none is due): the `CompactionLagSeconds` metric.
pub async fn compaction_lag(
    store: &dyn BlobStore,
    policy: &CompactionPolicy,
    now: i64,
) -> Result<i64> {
    let mut lag = 0;
    for value in committed_partitions(store, &SILVER).await? {
        let (state, _) = read_state(store, &SILVER, &value).await?;
        if policy.is_due(&state) {
            let since = state.last_commit.as_ref().map_or(now, |commit| commit.at);
            lag = lag.max(now - since);
        }
    }
    Ok(lag)
}

/// Garbage collection of every committed table (silver and gold): deletes the files commits
/// removed at least `grace_seconds` before `now`, then marks them deleted in their
/// partition's state (the tombstone stays, so a replayed event cannot add them back). A file
/// still listed by the published manifest (a writer died before publishing the newer one) is
/// kept, and the manifest is republished first. Returns how many files were deleted.
pub async fn vacuum(store: &dyn BlobStore, now: i64, grace_seconds: i64) -> Result<usize> {
    let mut deleted = 0;
    for table in std::iter::once(&SILVER).chain(GOLD.iter()) {
        for value in committed_partitions(store, table).await? {
            publish_manifest(store, table, &value).await?;
            let (state, _) = read_state(store, table, &value).await?;
            let due: Vec<String> = state
                .removed
                .iter()
                .filter(|file| {
                    !file.deleted && file.removed_at.saturating_add(grace_seconds) <= now
                })
                .map(|file| file.key.clone())
                .collect();
            if due.is_empty() {
                continue;
            }
            let listed: std::collections::BTreeSet<String> =
                manifest_files(store, table, &value).await?.into_iter().collect();
            let due: Vec<String> = due.into_iter().filter(|key| !listed.contains(key)).collect();
            store.delete(&due).await?;
            commit(store, table, &value, now, |_| Ok(Some(Change::MarkDeleted(due.clone()))))
                .await?;
            info!(table = table.name(), partition = %value, files = due.len(), "Vacuumed");
            deleted += due.len();
        }
    }
    Ok(deleted)
}

/// Where the session-order key columns are in the table's schema.
struct SessionOrderColumns {
    session: usize,
    ts: usize,
    event_type: usize,
    title: usize,
    profile: usize,
    country: usize,
    device: usize,
    id: usize,
}

/// Pass 2's output: a sort buffer of winning rows, and the files written from it.
struct SortedOutput<'a> {
    store: &'a dyn BlobStore,
    directory: String,
    digest: String,
    schema: arrow_schema::SchemaRef,
    order: SessionOrderColumns,
    policy: &'a CompactionPolicy,
    staging_dir: &'a Path,
    buffer: Vec<RecordBatch>,
    buffered_bytes: usize,
    added: Vec<CommittedFile>,
}

impl SortedOutput<'_> {
    /// Adds winning rows; sorts and writes the buffer once it is full.
    async fn push(&mut self, batch: RecordBatch) -> Result<()> {
        self.buffered_bytes += batch.get_array_memory_size();
        self.buffer.push(batch);
        if self.buffered_bytes >= self.policy.sort_buffer_bytes {
            self.flush().await?;
        }
        Ok(())
    }

    /// Sorts the buffered rows in session order and writes them, rolling to a new file at
    /// the target size (every file is a contiguous slice of one sorted run, so each is sorted).
    async fn flush(&mut self) -> Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let run = arrow_select::concat::concat_batches(&self.schema, &self.buffer)?;
        self.buffer.clear();
        self.buffered_bytes = 0;
        let indices = session_order_indices(&run, &self.order)?;
        let sorted = arrow_select::take::take_record_batch(&run, &indices)?;
        drop(run);
        let slice_rows = self.policy.row_group_rows.max(1);
        let mut writer: Option<(ArrowWriter<NamedTempFile>, u64)> = None;
        let mut offset = 0;
        while offset < sorted.num_rows() {
            let length = slice_rows.min(sorted.num_rows() - offset);
            let slice = sorted.slice(offset, length);
            offset += length;
            if writer.is_none() {
                let temp = tempfile::Builder::new()
                    .prefix(".compact-")
                    .tempfile_in(self.staging_dir)
                    .map_err(|error| Error::io("creating a compaction staging file", error))?;
                let properties = sorted_writer_properties(self.policy.row_group_rows);
                writer =
                    Some((ArrowWriter::try_new(temp, self.schema.clone(), Some(properties))?, 0));
            }
            if let Some((active, rows)) = writer.as_mut() {
                active.write(&slice)?;
                *rows += length as u64;
                if active.bytes_written() as u64 + active.in_progress_size() as u64
                    >= self.policy.target_file_bytes
                {
                    if let Some((full, rows)) = writer.take() {
                        self.publish(full, rows).await?;
                    }
                }
            }
        }
        if let Some((last, rows)) = writer.take() {
            self.publish(last, rows).await?;
        }
        Ok(())
    }

    async fn publish(&mut self, writer: ArrowWriter<NamedTempFile>, rows: u64) -> Result<()> {
        let key = format!(
            "{}part-{}-{:04}.snappy.parquet",
            self.directory,
            self.digest,
            self.added.len()
        );
        let file = publish_output(self.store, key, writer.into_inner()?, rows).await?;
        self.added.push(file);
        Ok(())
    }
}

/// The writer settings of the compacted files: silver's, plus the row order in the footer.
fn sorted_writer_properties(row_group_rows: usize) -> parquet::file::properties::WriterProperties {
    writer_properties_builder(row_group_rows)
        .set_key_value_metadata(Some(vec![parquet::file::metadata::KeyValue::new(
            SORT_ORDER_KEY.to_owned(),
            SESSION_ORDER.to_owned(),
        )]))
        .build()
}

/// The permutation that puts `batch` in session order.
fn session_order_indices(
    batch: &RecordBatch,
    order: &SessionOrderColumns,
) -> Result<arrow_array::UInt32Array> {
    let text = |index: usize, name: &str| {
        batch
            .column(index)
            .as_string_opt::<i32>()
            .ok_or_else(|| Error::Invalid(format!("{name} is not a string column")))
    };
    let sessions = text(order.session, "session_id")?;
    let types = text(order.event_type, "event_type")?;
    let titles = text(order.title, "title_id")?;
    let profiles = text(order.profile, "profile_id")?;
    let countries = text(order.country, "country")?;
    let devices = text(order.device, "device_type")?;
    let ids = text(order.id, "event_id")?;
    let ts = batch
        .column(order.ts)
        .as_primitive_opt::<arrow_array::types::Int64Type>()
        .ok_or_else(|| Error::Invalid("event_ts is not a bigint column".into()))?;
    let nulls = [sessions, types, titles, profiles, countries, devices, ids]
        .iter()
        .map(|column| column.null_count())
        .sum::<usize>()
        + ts.null_count();
    if nulls > 0 {
        return Err(Error::Invalid(format!(
            "a silver file has nulls in one of the sort columns ({SESSION_ORDER})"
        )));
    }
    let rows = u32::try_from(batch.num_rows())
        .map_err(|_| Error::Invalid("more than 2^32 rows in one sort run".into()))?;
    let ranks: Vec<u8> =
        (0..batch.num_rows()).map(|row| event_type_rank(types.value(row))).collect();
    let mut indices: Vec<u32> = (0..rows).collect();
    indices.sort_unstable_by(|&a, &b| {
        let (a, b) = (a as usize, b as usize);
        sessions
            .value(a)
            .cmp(sessions.value(b))
            .then_with(|| ts.value(a).cmp(&ts.value(b)))
            .then_with(|| ranks[a].cmp(&ranks[b]))
            .then_with(|| types.value(a).cmp(types.value(b)))
            .then_with(|| titles.value(a).cmp(titles.value(b)))
            .then_with(|| profiles.value(a).cmp(profiles.value(b)))
            .then_with(|| countries.value(a).cmp(countries.value(b)))
            .then_with(|| devices.value(a).cmp(devices.value(b)))
            .then_with(|| ids.value(a).cmp(ids.value(b)))
    });
    Ok(arrow_array::UInt32Array::from(indices))
}

/// Publishes one finished compaction output (the staging file is removed when dropped).
async fn publish_output(
    store: &dyn BlobStore,
    key: String,
    file: NamedTempFile,
    rows: u64,
) -> Result<CommittedFile> {
    let bytes = file
        .as_file()
        .metadata()
        .map_err(|error| Error::io("sizing a compacted file", error))?
        .len();
    store.put_file(&key, file.path()).await?;
    Ok(CommittedFile { key, rows, bytes, origin: FileOrigin::Compacted })
}

/// Every compaction ledger of partition `value`, by version.
pub async fn compaction_ledgers(
    store: &dyn BlobStore,
    table: &CommittedTable,
    value: &str,
) -> Result<Vec<CompactionLedger>> {
    let mut ledgers = Vec::new();
    for meta in store.list(&table.log_directory(value)).await? {
        if !meta.key.rsplit('/').next().is_some_and(|name| name.starts_with("compaction-v")) {
            continue;
        }
        if let Some(bytes) = store.get(&meta.key).await? {
            ledgers.push(serde_json::from_slice(&bytes)?);
        }
    }
    Ok(ledgers)
}

fn inputs_digest(keys: &[String]) -> String {
    let mut sorted: Vec<&String> = keys.iter().collect();
    sorted.sort();
    let mut hasher = Sha256::new();
    for key in sorted {
        hasher.update(key.as_bytes());
        hasher.update(b"\n");
    }
    hex::encode(&hasher.finalize()[..8])
}

async fn read_object(store: &dyn BlobStore, key: &str) -> Result<Bytes> {
    store.get(key).await?.ok_or_else(|| {
        Error::NotFound(format!("{key}, a live file of a committed partition, is missing"))
    })
}

fn column_index(columns: &[&str], name: &str) -> Result<usize> {
    columns
        .iter()
        .position(|column| *column == name)
        .ok_or_else(|| Error::Invalid(format!("the table has no {name} column")))
}

fn read_batches(
    body: &Bytes,
    columns: &[&str],
) -> Result<parquet::arrow::arrow_reader::ParquetRecordBatchReader> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(body.clone())?;
    let schema = builder.parquet_schema();
    let indices: Vec<usize> = columns
        .iter()
        .map(|name| {
            schema
                .columns()
                .iter()
                .position(|column| column.name() == *name)
                .ok_or_else(|| Error::Invalid(format!("a silver file has no {name} column")))
        })
        .collect::<Result<_>>()?;
    let mask = ProjectionMask::leaves(schema, indices);
    Ok(builder.with_projection(mask).with_batch_size(8 * 1024).build()?)
}

type KeyColumns<'a> = (
    &'a arrow_array::StringArray,
    &'a arrow_array::PrimitiveArray<TimestampMillisecondType>,
    &'a arrow_array::StringArray,
);

fn key_columns(
    batch: &RecordBatch,
    id: usize,
    arrival: usize,
    source: usize,
) -> Result<KeyColumns<'_>> {
    let ids = batch
        .column(id)
        .as_string_opt::<i32>()
        .ok_or_else(|| Error::Invalid("event_id is not a string column".into()))?;
    let arrivals = batch
        .column(arrival)
        .as_primitive_opt::<TimestampMillisecondType>()
        .ok_or_else(|| Error::Invalid("ingest_timestamp is not a millisecond timestamp".into()))?;
    let sources = batch
        .column(source)
        .as_string_opt::<i32>()
        .ok_or_else(|| Error::Invalid("source_object is not a string column".into()))?;
    if ids.null_count() > 0 || arrivals.null_count() > 0 || sources.null_count() > 0 {
        return Err(Error::Invalid(
            "a silver file has nulls in event_id, ingest_timestamp or source_object".into(),
        ));
    }
    Ok((ids, arrivals, sources))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Int64Array, StringArray, TimestampMillisecondArray};
    use event_model::PROCESSED_EVENTS;

    use super::*;
    use crate::commit::{manifest_files, SILVER};
    use crate::memory::MemoryBlobStore;

    const DAY: &str = "2026-01-02";

    /// A silver file from raw object `source` (arrival `arrival` s) holding `ids`.
    fn silver_file(source: &str, arrival: i64, ids: &[&str]) -> Bytes {
        let schema = PROCESSED_EVENTS.file_schema();
        let n = ids.len();
        let text = |value: &str| Arc::new(StringArray::from(vec![value; n])) as ArrayRef;
        let columns: Vec<ArrayRef> = schema
            .fields()
            .iter()
            .map(|field| match field.name().as_str() {
                "event_id" => Arc::new(StringArray::from(ids.to_vec())) as ArrayRef,
                "event_ts" => Arc::new(Int64Array::from(vec![1_767_312_000; n])) as ArrayRef,
                "event_timestamp" => Arc::new(
                    TimestampMillisecondArray::from(vec![1_767_312_000_000; n])
                        .with_timezone("UTC"),
                ) as ArrayRef,
                "ingest_timestamp" => Arc::new(
                    TimestampMillisecondArray::from(vec![arrival * 1000; n]).with_timezone("UTC"),
                ) as ArrayRef,
                "position_ms" => Arc::new(Int64Array::from(vec![None::<i64>; n])) as ArrayRef,
                "bitrate_kbps" => {
                    Arc::new(arrow_array::Int32Array::from(vec![None::<i32>; n])) as ArrayRef
                }
                "app_version" => Arc::new(StringArray::from(vec![None::<&str>; n])) as ArrayRef,
                "source_object" => text(source),
                _ => text("X"),
            })
            .collect();
        let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
        let mut bytes = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut bytes, schema, None).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        Bytes::from(bytes)
    }

    /// A silver file from `source` whose rows are `(event_id, session_id, event_ts, event_type)`.
    fn session_file(source: &str, rows: &[(String, String, i64, &str)]) -> Bytes {
        let ids: Vec<&str> = rows.iter().map(|row| row.0.as_str()).collect();
        let body = silver_file(source, 100, &ids);
        let batch = read_batches(
            &body,
            &PROCESSED_EVENTS.columns.iter().map(|c| c.name).collect::<Vec<_>>(),
        )
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
        let schema = PROCESSED_EVENTS.file_schema();
        let columns: Vec<ArrayRef> = schema
            .fields()
            .iter()
            .zip(batch.columns())
            .map(|(field, column)| match field.name().as_str() {
                "session_id" => Arc::new(StringArray::from(
                    rows.iter().map(|row| row.1.as_str()).collect::<Vec<_>>(),
                )) as ArrayRef,
                "event_ts" => {
                    Arc::new(Int64Array::from(rows.iter().map(|row| row.2).collect::<Vec<_>>()))
                        as ArrayRef
                }
                "event_type" => {
                    Arc::new(StringArray::from(rows.iter().map(|row| row.3).collect::<Vec<_>>()))
                        as ArrayRef
                }
                _ => column.clone(),
            })
            .collect();
        let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
        let mut bytes = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut bytes, schema, None).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        Bytes::from(bytes)
    }

    #[tokio::test]
    async fn every_compacted_file_is_in_session_order_and_says_so() {
        // Three appended files of interleaved sessions; a sort buffer of a few hundred bytes
        // and files of one row group force several sorted runs and several files per run.
        const TYPES: [&str; 6] =
            ["HEARTBEAT", "PLAY_STOP", "PAUSE", "PLAY_START", "PLAYBACK_ERROR", "SEEK"];
        let store = MemoryBlobStore::new(0);
        let mut files = Vec::new();
        let mut all = Vec::new();
        for file in 0..3 {
            let rows: Vec<(String, String, i64, &str)> = (0..40)
                .map(|i: i64| {
                    let n = file * 40 + i;
                    (
                        format!("e{n:03}"),
                        format!("s{}", (n * 7) % 5),
                        1_767_312_000 + (n * 13) % 4,
                        TYPES[(n % 6) as usize],
                    )
                })
                .collect();
            all.extend(rows.iter().map(|row| row.0.clone()));
            files.push((file.to_string(), session_file(&format!("raw/{file}.gz"), &rows), 40));
        }
        append_silver_files(&store, files).await;
        let policy = CompactionPolicy {
            sort_buffer_bytes: 1,
            row_group_rows: 16,
            target_file_bytes: 1,
            ..CompactionPolicy::default()
        };
        let staging = tempfile::tempdir().unwrap();
        let ledger = compact_partition(&store, &SILVER, DAY, &policy, staging.path(), 400)
            .await
            .unwrap()
            .expect("due");
        assert!(ledger.outputs.len() > 3, "several runs and files: {}", ledger.outputs.len());
        let mut seen = Vec::new();
        for key in manifest_files(&store, &SILVER, DAY).await.unwrap() {
            let body = store.get(&key).await.unwrap().unwrap();
            let reader = ParquetRecordBatchReaderBuilder::try_new(body.clone()).unwrap();
            let pairs = reader.metadata().file_metadata().key_value_metadata().cloned();
            assert!(
                pairs.unwrap_or_default().iter().any(|pair| pair.key == SORT_ORDER_KEY
                    && pair.value.as_deref() == Some(SESSION_ORDER)),
                "{key} names its order in the footer"
            );
            let mut keys = Vec::new();
            let names = [
                "session_id",
                "event_ts",
                "event_type",
                "title_id",
                "profile_id",
                "country",
                "device_type",
                "event_id",
            ];
            for batch in read_batches(&body, &names).unwrap() {
                let batch = batch.unwrap();
                let column =
                    |name: &str| batch.column(batch.schema().index_of(name).unwrap()).clone();
                let text: Vec<_> = names.iter().map(|name| column(name)).collect();
                let text = |name: &str, row: usize| {
                    let index = names.iter().position(|n| *n == name).unwrap();
                    text[index].as_string::<i32>().value(row).to_owned()
                };
                let ts = column("event_ts");
                let ts = ts.as_primitive::<arrow_array::types::Int64Type>();
                for row in 0..batch.num_rows() {
                    let event_type = text("event_type", row);
                    keys.push((
                        text("session_id", row),
                        ts.value(row),
                        event_type_rank(&event_type),
                        event_type,
                        [
                            text("title_id", row),
                            text("profile_id", row),
                            text("country", row),
                            text("device_type", row),
                        ],
                        text("event_id", row),
                    ));
                }
            }
            assert!(keys.windows(2).all(|pair| pair[0] <= pair[1]), "{key} is sorted: {keys:?}");
            seen.extend(keys.into_iter().map(|key| key.5));
        }
        seen.sort();
        all.sort();
        assert_eq!(seen, all, "every row once");
    }

    #[test]
    fn event_type_ranks_follow_the_gold_queries() {
        for (event_type, rank) in [
            ("PLAY_START", 0),
            ("HEARTBEAT", 1),
            ("RESUME", 1),
            ("SEEK", 1),
            ("REBUFFER_END", 1),
            ("PAUSE", 2),
            ("REBUFFER_START", 2),
            ("PLAY_STOP", 3),
            ("PLAYBACK_ERROR", 3),
        ] {
            assert_eq!(event_type_rank(event_type), rank, "{event_type}");
        }
    }

    /// Puts `files` (name, body, rows) into partition `DAY` of silver and appends them in one
    /// commit, as the registrar would.
    async fn append_silver_files(store: &MemoryBlobStore, files: Vec<(String, Bytes, u64)>) {
        let mut appended = Vec::new();
        for (name, body, rows) in files {
            let key =
                format!("{}event_date={DAY}/part-{name}.snappy.parquet", PROCESSED_EVENTS.location);
            appended.push(CommittedFile {
                key: key.clone(),
                rows,
                bytes: body.len() as u64,
                origin: FileOrigin::Append,
            });
            store.put(&key, body).await.unwrap();
        }
        commit(store, &SILVER, DAY, 300, |_| Ok(Some(Change::Append(appended.clone()))))
            .await
            .unwrap();
    }

    async fn lake_with_appends() -> MemoryBlobStore {
        let store = MemoryBlobStore::new(0);
        let files = [
            ("a", "raw/a.gz", 100, vec!["e1", "e2", "e3"]),
            ("b", "raw/b.gz", 200, vec!["e2", "e4"]),
            ("c", "raw/c.gz", 50, vec!["e3", "e5"]),
        ];
        let files = files
            .into_iter()
            .map(|(name, source, arrival, ids)| {
                (name.to_owned(), silver_file(source, arrival, &ids), ids.len() as u64)
            })
            .collect();
        append_silver_files(&store, files).await;
        store
    }

    /// `(event_id, source_object)` of every live row.
    async fn live_rows(store: &MemoryBlobStore) -> Vec<(String, String)> {
        let mut rows = Vec::new();
        for key in manifest_files(store, &SILVER, DAY).await.unwrap() {
            let body = store.get(&key).await.unwrap().unwrap();
            for batch in read_batches(&body, &["event_id", "source_object"]).unwrap() {
                let batch = batch.unwrap();
                let ids = batch.column(0).as_string::<i32>();
                let sources = batch.column(1).as_string::<i32>();
                for row in 0..batch.num_rows() {
                    rows.push((ids.value(row).to_owned(), sources.value(row).to_owned()));
                }
            }
        }
        rows.sort();
        rows
    }

    #[tokio::test]
    async fn the_earliest_arrival_wins_and_the_accounting_balances() {
        let store = lake_with_appends().await;
        let staging = tempfile::tempdir().unwrap();
        let ledger = compact_partition(
            &store,
            &SILVER,
            DAY,
            &CompactionPolicy::default(),
            staging.path(),
            400,
        )
        .await
        .unwrap()
        .expect("due: three appended files");
        assert_eq!(
            (ledger.rows_in, ledger.rows_out, ledger.cross_object_duplicates_dropped),
            (7, 5, 2)
        );
        assert!(ledger.balances());
        assert_eq!(ledger.version, 2);
        assert_eq!(
            live_rows(&store).await,
            [
                ("e1", "raw/a.gz"),
                ("e2", "raw/a.gz"),
                ("e3", "raw/c.gz"),
                ("e4", "raw/b.gz"),
                ("e5", "raw/c.gz")
            ]
            .map(|(id, source)| (id.to_owned(), source.to_owned()))
        );
        let (state, _) = read_state(&store, &SILVER, DAY).await.unwrap();
        assert_eq!(state.files.len(), 1);
        assert!(state.files[0]
            .key
            .starts_with("processed/netflix/processed_compacted/event_date=2026-01-02/part-"));
        assert_eq!(state.removed.len(), 3, "the inputs are tombstoned, not deleted");
        assert_eq!(compaction_ledgers(&store, &SILVER, DAY).await.unwrap(), [ledger]);
        // Nothing is due any more.
        let policy = CompactionPolicy::default();
        let again = compact_partition(&store, &SILVER, DAY, &policy, staging.path(), 500);
        assert!(again.await.unwrap().is_none());
    }

    #[tokio::test]
    async fn compacting_the_same_inputs_writes_the_same_keys_and_bytes() {
        let (one, two) = (lake_with_appends().await, lake_with_appends().await);
        let staging = tempfile::tempdir().unwrap();
        for store in [&one, &two] {
            compact_partition(
                store,
                &SILVER,
                DAY,
                &CompactionPolicy::default(),
                staging.path(),
                400,
            )
            .await
            .unwrap();
        }
        let compacted = |store: &MemoryBlobStore| {
            store
                .snapshot()
                .into_iter()
                .filter(|(key, _)| key.starts_with("processed/netflix/processed_compacted/"))
                .collect::<Vec<_>>()
        };
        assert_eq!(compacted(&one), compacted(&two));
        assert_eq!(compacted(&one).len(), 1);
    }

    #[tokio::test]
    async fn small_target_files_roll_over_and_vacuum_waits_for_the_grace_period() {
        let store = lake_with_appends().await;
        let staging = tempfile::tempdir().unwrap();
        let policy =
            CompactionPolicy { target_file_bytes: 1, row_group_rows: 1, ..Default::default() };
        let ledger = compact_partition(&store, &SILVER, DAY, &policy, staging.path(), 1_000)
            .await
            .unwrap()
            .unwrap();
        assert!(ledger.outputs.len() > 1, "{:?}", ledger.outputs);
        assert_eq!(live_rows(&store).await.len(), 5);
        assert_eq!(
            vacuum(&store, 1_000 + 3_599, 3_600).await.unwrap(),
            0,
            "within the grace period"
        );
        assert_eq!(vacuum(&store, 1_000 + 3_600, 3_600).await.unwrap(), 3);
        let (state, _) = read_state(&store, &SILVER, DAY).await.unwrap();
        assert!(state.removed.iter().all(|file| file.deleted));
        assert!(store.keys().iter().all(|key| !key.contains("processed_partitioned")));
        assert_eq!(live_rows(&store).await.len(), 5, "live files are never vacuumed");
    }
}
