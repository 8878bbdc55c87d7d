//! The local gold refresh: the queries of `sql/gold/` on DataFusion, each day written as one
//! deterministic Snappy Parquet file under a fresh, content-addressed directory
//! (`gold/netflix/<table>/<key>=<day>/r-<hash>/part-00000.snappy.parquet`) and then
//! **committed** (DESIGN §8): the day's list of files is replaced in one atomic step, so a
//! reader sees the old day or the new day, never an empty or doubled one. Nothing is deleted
//! before its replacement is committed; the old file goes at the next garbage collection.
//!
//! Each commit records the silver versions it was computed from (its *lineage*: the versions
//! of silver days D-1, D and D+1 for day D; for the arrival-day tables, the number of ledgers
//! of the day). A refresh computed from older inputs than the committed day's is refused, so a
//! late refresh never replaces a newer one, and [`plan_stale`] refreshes exactly the days
//! whose inputs changed since their last commit (which also catches up after a crash).
//!
//! Refreshing the same lake twice gives byte-identical files: the query output is ordered,
//! and no wall-clock time is written into data.
//!
//! Silver is read from its committed (compacted) files in chunks of [`CHUNK_DAYS`] days (plus
//! one day either side, see [`DateRange::read_window`]), so memory grows with the chunk, not
//! the lake. (Before compaction, silver was thousands of small files per day and the refresh
//! pinned each chunk in memory to open them once; over compacted files that pinning cost more
//! time and memory than it saved.)

use std::collections::{BTreeMap, BTreeSet};

use arrow::array::{Array, ArrayRef, RecordBatch, StringArray};
use arrow::compute::kernels::cmp::eq;
use arrow::compute::{cast, concat_batches, filter_record_batch};
use arrow::datatypes::SchemaRef;
use bytes::Bytes;
use chrono::NaiveDate;
use event_model::schema::{TableSpec, PROCESSED_EVENTS, QUARANTINED_EVENTS};
use parquet::arrow::ArrowWriter;
use pipeline_core::commit::{
    commit, read_state, Change, CommittedFile, FileOrigin, Operation, GOLD, SILVER,
};
use pipeline_core::encode::writer_properties;
use pipeline_core::gold::{parse_day, DateRange, GoldSource, GOLD_QUERIES};
use pipeline_core::{BlobStore, Ledger, PartitionCatalog, PartitionSpec};
use sha2::{Digest, Sha256};
use tracing::{debug, info, warn};

use crate::error::{Error, Result};
use crate::{Lake, LocalQueryEngine};

/// Silver days refreshed per pass.
pub const CHUNK_DAYS: u64 = 7;

/// DataFusion's batch size for the refresh (see [`LocalQueryEngine::open_with_batch_size`]).
/// Measured on the 10M-event lake of docs/performance.md: 8,192 rows (the default) 65 s,
/// 65,536 rows 45 s, the same files.
pub const BATCH_ROWS: usize = 65_536;

/// The file name of a gold partition's only file (in its refresh directory).
pub const GOLD_FILE: &str = "part-00000.snappy.parquet";

/// The days a refresh covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoldPlan {
    /// Silver-based tables: days of `event_date`.
    pub silver: BTreeSet<NaiveDate>,
    /// Ledger- and quarantine-based tables: days of `ingest_date`.
    pub arrivals: BTreeSet<NaiveDate>,
}

impl GoldPlan {
    /// Whether there is nothing to refresh.
    pub fn is_empty(&self) -> bool {
        self.silver.is_empty() && self.arrivals.is_empty()
    }

    /// The days that `ledgers` (newly processed raw objects) can change: every day they wrote
    /// silver rows to and the day before it (whose sessions and last intervals may continue
    /// into it), and their arrival days.
    pub fn for_ledgers(ledgers: &[Ledger]) -> Self {
        let mut plan = Self::default();
        for ledger in ledgers {
            for output in &ledger.outputs {
                if let Ok(day) = parse_day(&output.event_date) {
                    plan.silver.insert(day);
                    if let Some(before) = day.pred_opt() {
                        plan.silver.insert(before);
                    }
                }
            }
            if let Some(day) = ledger.ingest_timestamp.get(..10).and_then(|d| parse_day(d).ok()) {
                plan.arrivals.insert(day);
            }
        }
        plan
    }

    /// Every day of `range`, for both kinds of table.
    pub fn for_range(range: DateRange) -> Self {
        let days: BTreeSet<NaiveDate> = range.days().collect();
        Self { silver: days.clone(), arrivals: days }
    }
}

/// What a refresh did to one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoldTableReport {
    /// Table name.
    pub table: &'static str,
    /// Partitions (days) written.
    pub partitions_written: usize,
    /// Partitions committed empty because the refreshed day has no rows any more.
    pub partitions_removed: usize,
    /// Rows written.
    pub rows: usize,
    /// Days not committed because a newer refresh (from newer inputs) already was.
    pub superseded: usize,
}

/// What a refresh did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoldReport {
    /// Per table, in [`GOLD_QUERIES`] order.
    pub tables: Vec<GoldTableReport>,
}

impl GoldReport {
    /// Rows written over every table.
    pub fn rows(&self) -> usize {
        self.tables.iter().map(|table| table.rows).sum()
    }
}

/// The plan that rebuilds every gold table: every day silver, the quarantine table or a ledger
/// has, and every day a gold table still holds (so stale days are removed).
pub async fn plan_everything(lake: &Lake) -> Result<GoldPlan> {
    let document = lake.catalog().load()?;
    let days_of = |table: &str| -> BTreeSet<NaiveDate> {
        document
            .tables
            .get(table)
            .map(|table| table.partitions.keys().filter_map(|v| parse_day(v).ok()).collect())
            .unwrap_or_default()
    };
    let mut plan = GoldPlan {
        silver: days_of(PROCESSED_EVENTS.name),
        arrivals: days_of(QUARANTINED_EVENTS.name),
    };
    for query in &GOLD_QUERIES {
        let days = days_of(query.table.name);
        match query.source {
            GoldSource::Silver => plan.silver.extend(days),
            GoldSource::Arrivals => plan.arrivals.extend(days),
        }
    }
    let engine = LocalQueryEngine::open(lake.root()).await?;
    let (_, batches) = engine
        .query_batches(
            "SELECT DISTINCT substr(ingest_timestamp, 1, 10) AS day FROM pipeline_ledgers",
        )
        .await?;
    for batch in &batches {
        let column = string_column(batch, 0)?;
        for row in 0..column.len() {
            if let Ok(day) = parse_day(column.value(row)) {
                plan.arrivals.insert(day);
            }
        }
    }
    Ok(plan)
}

/// What each gold day was computed from: silver partition versions by day, and ledgers by
/// arrival day. Read *before* the engine opens, so a recorded version is never newer than the
/// data the query saw.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    silver: BTreeMap<NaiveDate, u64>,
    ledgers: BTreeMap<NaiveDate, u64>,
}

impl Inputs {
    /// The current inputs of the lake.
    pub async fn read(lake: &Lake, ledgers: &[Ledger]) -> Result<Self> {
        let store = lake.store();
        let mut silver = BTreeMap::new();
        for value in pipeline_core::commit::committed_partitions(store.as_ref(), &SILVER).await? {
            let (state, _) = read_state(store.as_ref(), &SILVER, &value).await?;
            if let Ok(day) = parse_day(&value) {
                silver.insert(day, state.version);
            }
        }
        let mut by_day = BTreeMap::new();
        for ledger in ledgers {
            if let Some(day) = ledger.ingest_timestamp.get(..10).and_then(|d| parse_day(d).ok()) {
                *by_day.entry(day).or_insert(0) += 1;
            }
        }
        Ok(Self { silver, ledgers: by_day })
    }

    /// The lineage of gold `day` for a table computed from `source`.
    pub fn lineage(&self, source: GoldSource, day: NaiveDate) -> BTreeMap<String, u64> {
        match source {
            GoldSource::Silver => DateRange::day(day)
                .read_window()
                .days()
                .filter_map(|d| self.silver.get(&d).map(|version| (day_text(d), *version)))
                .collect(),
            GoldSource::Arrivals => self
                .ledgers
                .get(&day)
                .map(|count| BTreeMap::from([("ledgers".to_owned(), *count)]))
                .unwrap_or_default(),
        }
    }
}

/// The days whose gold is stale: a silver day (or a neighbour) changed version, or an arrival
/// day got new ledgers, since the day's last gold commit; and days whose gold has inputs no
/// longer present.
pub async fn plan_stale(lake: &Lake, ledgers: &[Ledger]) -> Result<GoldPlan> {
    let inputs = Inputs::read(lake, ledgers).await?;
    let store = lake.store();
    let mut plan = GoldPlan::default();
    for (query, table) in GOLD_QUERIES.iter().zip(GOLD.iter()) {
        let mut days: BTreeSet<NaiveDate> = match query.source {
            GoldSource::Silver => inputs
                .silver
                .keys()
                .flat_map(|day| DateRange::day(*day).read_window().days().collect::<Vec<_>>())
                .collect(),
            GoldSource::Arrivals => inputs.ledgers.keys().copied().collect(),
        };
        for value in pipeline_core::commit::committed_partitions(store.as_ref(), table).await? {
            if let Ok(day) = parse_day(&value) {
                days.insert(day);
            }
        }
        for day in days {
            let (state, _) = read_state(store.as_ref(), table, &day_text(day)).await?;
            let expected = inputs.lineage(query.source, day);
            if state.lineage != expected && !(state.version == 0 && expected.is_empty()) {
                match query.source {
                    GoldSource::Silver => plan.silver.insert(day),
                    GoldSource::Arrivals => plan.arrivals.insert(day),
                };
            }
        }
    }
    Ok(plan)
}

/// Refreshes the gold tables for the days of `plan`.
pub async fn refresh_gold(lake: &Lake, plan: &GoldPlan) -> Result<GoldReport> {
    let mut report = GoldReport {
        tables: GOLD_QUERIES
            .iter()
            .map(|query| GoldTableReport {
                table: query.table.name,
                partitions_written: 0,
                partitions_removed: 0,
                rows: 0,
                superseded: 0,
            })
            .collect(),
    };
    let ledgers = crate::ingest::read_ledgers(lake).await?;
    let silver_chunks: Vec<DateRange> =
        DateRange::runs(&plan.silver).iter().flat_map(|run| run.chunks(CHUNK_DAYS)).collect();
    for chunk in silver_chunks {
        let inputs = Inputs::read(lake, &ledgers).await?;
        let engine = LocalQueryEngine::open_with_batch_size(lake.root(), Some(BATCH_ROWS)).await?;
        info!(from = %chunk.from, to = %chunk.to, "Refreshing gold");
        for (index, query) in GOLD_QUERIES.iter().enumerate() {
            if query.source == GoldSource::Silver {
                let started = std::time::Instant::now();
                refresh_query(lake, &engine, index, &chunk, &inputs, &mut report.tables[index])
                    .await?;
                debug!(
                    table = query.table.name,
                    seconds = started.elapsed().as_secs_f64(),
                    "Gold query"
                );
            }
        }
    }
    let arrival_runs = DateRange::runs(&plan.arrivals);
    if !arrival_runs.is_empty() {
        let inputs = Inputs::read(lake, &ledgers).await?;
        let engine = LocalQueryEngine::open(lake.root()).await?;
        for range in arrival_runs {
            for (index, query) in GOLD_QUERIES.iter().enumerate() {
                if query.source == GoldSource::Arrivals {
                    refresh_query(lake, &engine, index, &range, &inputs, &mut report.tables[index])
                        .await?;
                }
            }
        }
    }
    for table in &report.tables {
        info!(
            table = table.table,
            partitions = table.partitions_written,
            removed = table.partitions_removed,
            superseded = table.superseded,
            rows = table.rows,
            "Refreshed gold table"
        );
    }
    Ok(report)
}

fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

fn string_column(batch: &RecordBatch, index: usize) -> Result<&StringArray> {
    batch
        .column(index)
        .as_any()
        .downcast_ref::<StringArray>()
        .ok_or_else(|| Error::Query(format!("column {index} is not a string column")))
}

/// Runs gold query `index` for `range` and commits each of its days: the new file is
/// written first, under a directory named by its content hash, then the day's file list is
/// replaced by it in one commit that records the day's lineage. A day with no rows any more
/// is committed empty.
async fn refresh_query(
    lake: &Lake,
    engine: &LocalQueryEngine,
    index: usize,
    range: &DateRange,
    inputs: &Inputs,
    report: &mut GoldTableReport,
) -> Result<()> {
    let (Some(query), Some(table)) = (GOLD_QUERIES.get(index), GOLD.get(index)) else {
        return Err(Error::Query(format!("no gold table {index}")));
    };
    let spec = query.table;
    let sql = query.bound_sql(range)?;
    let (schema, batches) = engine.query_batches(&sql).await?;
    let output = concat_batches(&schema, &batches)?;
    let expected = spec.columns.len() + 1;
    if output.num_columns() != expected
        || schema.field(expected - 1).name() != query.partition_key()
    {
        return Err(Error::Query(format!(
            "{}: the query must return the {} columns of the table then {}, got {:?}",
            spec.name,
            spec.columns.len(),
            query.partition_key(),
            schema.fields().iter().map(|f| f.name().as_str()).collect::<Vec<_>>()
        )));
    }
    let partition_column = cast(output.column(expected - 1), &arrow::datatypes::DataType::Utf8)?;
    let store = lake.store();
    let now = chrono::Utc::now().timestamp();
    let mut registered = Vec::new();
    for day in range.days() {
        let value = day_text(day);
        let mask = eq(&partition_column, &StringArray::new_scalar(value.clone()))?;
        let rows = filter_record_batch(&output, &mask)?;
        let mut added = Vec::new();
        if rows.num_rows() > 0 {
            let file = table_batch(spec, &rows)?;
            let bytes = parquet_bytes(spec.file_schema(), &file)?;
            let hash = hex::encode(&Sha256::digest(&bytes)[..8]);
            let key =
                format!("{}{GOLD_FILE}", table.rewrite_directory(&value, &format!("r-{hash}")));
            let size = bytes.len() as u64;
            if !store.exists(&key).await? {
                store.put(&key, Bytes::from(bytes)).await?;
            }
            added.push(CommittedFile {
                key,
                rows: file.num_rows() as u64,
                bytes: size,
                origin: FileOrigin::Refresh,
            });
        }
        let lineage = inputs.lineage(query.source, day);
        let mut superseded = false;
        let outcome = commit(store.as_ref(), table, &value, now, |current| {
            if !current.accepts_lineage(&lineage) {
                superseded = true;
                return Ok(None);
            }
            superseded = false;
            Ok(Some(Change::Replace {
                remove: current.files.iter().map(|file| file.key.clone()).collect(),
                add: added.clone(),
                operation: Operation::Refresh,
                lineage: Some(lineage.clone()),
            }))
        })
        .await?;
        if superseded {
            warn!(table = spec.name, day = %value, "A newer refresh is already committed; this one is dropped");
            report.superseded += 1;
            continue;
        }
        if outcome.state().files.is_empty() {
            if outcome.state().version > 0 {
                report.partitions_removed += usize::from(outcome.committed());
            }
        } else {
            report.partitions_written += 1;
            report.rows += added.iter().map(|file| file.rows as usize).sum::<usize>();
        }
        // A day is registered once it has rows; one committed empty (a neighbour of the
        // silver days, or a day emptied) stays out of the catalog.
        if !outcome.state().files.is_empty() {
            registered.push(PartitionSpec {
                table: spec.name.to_owned(),
                values: vec![value.clone()],
                location: table.manifest_location(&value),
            });
        }
    }
    lake.catalog().add_partitions(&registered).await?;
    Ok(())
}

/// The data columns of `rows`, cast to the table's types, refusing nulls where the table has
/// none.
fn table_batch(spec: &TableSpec, rows: &RecordBatch) -> Result<RecordBatch> {
    let schema = spec.file_schema();
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(spec.columns.len());
    for (index, field) in schema.fields().iter().enumerate() {
        let column = cast(rows.column(index), field.data_type())?;
        if !field.is_nullable() && column.null_count() > 0 {
            return Err(Error::Query(format!(
                "{}.{}: the query returned {} nulls in a non-nullable column",
                spec.name,
                field.name(),
                column.null_count()
            )));
        }
        columns.push(column);
    }
    Ok(RecordBatch::try_new(schema, columns)?)
}

fn parquet_bytes(schema: SchemaRef, batch: &RecordBatch) -> Result<Vec<u8>> {
    let mut buffer = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut buffer, schema, Some(writer_properties(1 << 20)))
        .map_err(|error| Error::Query(format!("Parquet writer: {error}")))?;
    writer.write(batch).map_err(|error| Error::Query(format!("writing Parquet: {error}")))?;
    writer.close().map_err(|error| Error::Query(format!("closing Parquet: {error}")))?;
    Ok(buffer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        parse_day(text).unwrap()
    }

    #[test]
    fn new_ledgers_refresh_their_days_and_the_day_before() {
        let ledger = Ledger {
            source: "raw/x.gz".into(),
            records_in: 2,
            written: 2,
            quarantined: 0,
            duplicates_dropped: 0,
            outputs: vec![pipeline_core::LedgerOutput {
                key: "k".into(),
                event_date: "2026-01-03".into(),
                rows: 2,
            }],
            quarantine_outputs: vec![],
            quarantined_by_reason: Default::default(),
            schema_drift: Default::default(),
            schema_drift_unlisted: 0,
            digest: "d".into(),
            source_etag: "e".into(),
            bytes_in: 10,
            ingest_timestamp: "2026-01-05T00:00:01Z".into(),
        };
        let plan = GoldPlan::for_ledgers(&[ledger]);
        assert_eq!(plan.silver, [day("2026-01-02"), day("2026-01-03")].into_iter().collect());
        assert_eq!(plan.arrivals, [day("2026-01-05")].into_iter().collect());
    }
}
