//! The gold layer: the aggregate queries of `sql/gold/`, embedded at compile time so that the
//! local refresh (`streamlake gold`) and the query-runner Lambda (`refresh_gold` on Athena)
//! run exactly the same SQL, and the date arithmetic both use to refresh a range of days.
//!
//! Each gold query is one `SELECT` in the Athena/Trino dialect (also valid on DataFusion)
//! whose **last** output column is its table's partition column, so that Athena can run it as
//! `INSERT INTO "<table>" <query>`. Its `?` placeholders are positional execution parameters,
//! named in order by the file's `-- parameters:` line and bound from a [`DateRange`]:
//!
//! - `from_date`, `to_date`: the days being refreshed (inclusive);
//! - `read_from`, `read_to`: the silver days read, one day either side, so that a session that
//!   crosses midnight is seen whole (sessions are assumed to last less than 24 h).

use chrono::{DateTime, Days, NaiveDate};
use event_model::schema::{
    TableSpec, DAILY_DATA_QUALITY, DAILY_ENGAGEMENT_BY_COUNTRY_DEVICE, DAILY_EVENT_TYPES,
    DAILY_PLAYBACK_QUALITY, DAILY_QUARANTINE_REASONS, DAILY_TITLE_ENGAGEMENT,
    DAILY_TTFH_DISTRIBUTION,
};

use std::collections::{BTreeMap, BTreeSet};

use crate::commit::{
    commit, parquet_rows, read_state, Change, CommittedFile, FileOrigin, Operation, PartitionState,
};
use crate::commit::{CommittedTable, GOLD, SILVER};
use crate::error::{Error, Result};
use crate::ports::{BlobStore, QueryEngine, Statement};
use crate::queries::placeholder_offsets;

/// The `UNLOAD` statement a gold refresh runs on Athena (`sql/gold/commit/unload.sql`).
pub const UNLOAD_TEMPLATE: &str = include_str!("../../../sql/gold/commit/unload.sql");
/// The Athena DDL that registers committed gold days (`sql/gold/commit/add_partitions.sql`).
pub const ADD_PARTITIONS_TEMPLATE: &str =
    include_str!("../../../sql/gold/commit/add_partitions.sql");

/// What a gold table is computed from, which decides which days a refresh covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoldSource {
    /// Silver (`processed_netflix_events`), partitioned by `event_date`.
    Silver,
    /// The ledgers and the quarantine table, by arrival day (`ingest_date`).
    Arrivals,
}

/// One gold query and the table it fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GoldQuery {
    /// The table it writes (name, columns, partition key, location).
    pub table: &'static TableSpec,
    /// What it reads.
    pub source: GoldSource,
    /// The SQL text of `sql/gold/<table>.sql`.
    pub sql: &'static str,
}

macro_rules! gold {
    ($spec:expr, $source:expr, $file:literal) => {
        GoldQuery {
            table: &$spec,
            source: $source,
            sql: include_str!(concat!("../../../sql/gold/", $file, ".sql")),
        }
    };
}

/// Every gold query, in refresh order (the order of [`event_model::schema::GOLD_TABLES`]).
pub const GOLD_QUERIES: [GoldQuery; 7] = [
    gold!(DAILY_TITLE_ENGAGEMENT, GoldSource::Silver, "daily_title_engagement"),
    gold!(
        DAILY_ENGAGEMENT_BY_COUNTRY_DEVICE,
        GoldSource::Silver,
        "daily_engagement_by_country_device"
    ),
    gold!(DAILY_PLAYBACK_QUALITY, GoldSource::Silver, "daily_playback_quality"),
    gold!(DAILY_TTFH_DISTRIBUTION, GoldSource::Silver, "daily_ttfh_distribution"),
    gold!(DAILY_EVENT_TYPES, GoldSource::Silver, "daily_event_types"),
    gold!(DAILY_DATA_QUALITY, GoldSource::Arrivals, "daily_data_quality"),
    gold!(DAILY_QUARANTINE_REASONS, GoldSource::Arrivals, "daily_quarantine_reasons"),
];

/// Looks up the gold query of `table`.
pub fn gold_query(table: &str) -> Option<&'static GoldQuery> {
    GOLD_QUERIES.iter().find(|query| query.table.name == table)
}

/// An inclusive range of UTC days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DateRange {
    /// First day.
    pub from: NaiveDate,
    /// Last day (inclusive).
    pub to: NaiveDate,
}

impl DateRange {
    /// A range; `from` must not be after `to`.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Self> {
        if from > to {
            return Err(Error::Invalid(format!("the range {from}..{to} ends before it starts")));
        }
        Ok(Self { from, to })
    }

    /// Parses two `YYYY-MM-DD` days.
    pub fn parse(from: &str, to: &str) -> Result<Self> {
        Self::new(parse_day(from)?, parse_day(to)?)
    }

    /// One day.
    pub fn day(day: NaiveDate) -> Self {
        Self { from: day, to: day }
    }

    /// Whether `day` lies in the range.
    pub fn contains(&self, day: NaiveDate) -> bool {
        (self.from..=self.to).contains(&day)
    }

    /// Every day of the range, in order.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> {
        self.from.iter_days().take_while(|day| *day <= self.to).collect::<Vec<_>>().into_iter()
    }

    /// The silver days read to refresh this range: one day either side.
    pub fn read_window(&self) -> DateRange {
        DateRange {
            from: self.from.checked_sub_days(Days::new(1)).unwrap_or(self.from),
            to: self.to.checked_add_days(Days::new(1)).unwrap_or(self.to),
        }
    }

    /// The runs of consecutive days in `days`, as ranges, in order.
    pub fn runs(days: &BTreeSet<NaiveDate>) -> Vec<DateRange> {
        let mut ranges: Vec<DateRange> = Vec::new();
        for day in days {
            match ranges.last_mut() {
                Some(range) if range.to.succ_opt() == Some(*day) => range.to = *day,
                _ => ranges.push(DateRange::day(*day)),
            }
        }
        ranges
    }

    /// Splits the range into consecutive chunks of at most `days` days.
    pub fn chunks(&self, days: u64) -> Vec<DateRange> {
        let days = days.max(1);
        let mut chunks = Vec::new();
        let mut from = self.from;
        while from <= self.to {
            let to = from.checked_add_days(Days::new(days - 1)).unwrap_or(self.to).min(self.to);
            chunks.push(DateRange { from, to });
            match to.checked_add_days(Days::new(1)) {
                Some(next) => from = next,
                None => break,
            }
        }
        chunks
    }
}

/// Parses a `YYYY-MM-DD` day.
pub fn parse_day(text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .filter(|day| day.format("%Y-%m-%d").to_string() == text)
        .ok_or_else(|| Error::Invalid(format!("{text:?} is not a YYYY-MM-DD date")))
}

impl GoldQuery {
    /// The parameter names of the `-- parameters:` line, one per `?`, in order.
    pub fn parameter_names(&self) -> Vec<&'static str> {
        self.sql
            .lines()
            .find_map(|line| line.trim().strip_prefix("-- parameters:"))
            .map(|names| names.split(',').map(str::trim).filter(|n| !n.is_empty()).collect())
            .unwrap_or_default()
    }

    /// The positional parameter values (`YYYY-MM-DD`) for refreshing `range`.
    pub fn parameters(&self, range: &DateRange) -> Result<Vec<String>> {
        let read = range.read_window();
        self.parameter_names()
            .into_iter()
            .map(|name| {
                let day = match name {
                    "from_date" => range.from,
                    "to_date" => range.to,
                    "read_from" => read.from,
                    "read_to" => read.to,
                    other => {
                        return Err(Error::Invalid(format!(
                            "{}: unknown gold parameter {other:?}",
                            self.table.name
                        )))
                    }
                };
                Ok(day.format("%Y-%m-%d").to_string())
            })
            .collect()
    }

    /// The query with its parameters for `range` bound as quoted date literals, which is how
    /// Athena substitutes execution parameters. For engines without positional parameters.
    pub fn bound_sql(&self, range: &DateRange) -> Result<String> {
        let values = self.parameters(range)?;
        let offsets = placeholder_offsets(self.sql);
        if offsets.len() != values.len() {
            return Err(Error::Invalid(format!(
                "{} has {} placeholders but names {} parameters",
                self.table.name,
                offsets.len(),
                values.len()
            )));
        }
        let mut sql = String::with_capacity(self.sql.len() + 16 * values.len());
        let mut last = 0;
        for (offset, value) in offsets.into_iter().zip(values) {
            sql.push_str(&self.sql[last..offset]);
            // The values are validated dates: no quote can appear in them.
            sql.push('\'');
            sql.push_str(&value);
            sql.push('\'');
            last = offset + 1;
        }
        sql.push_str(&self.sql[last..]);
        Ok(sql)
    }

    /// The Athena statement that writes the query's rows as Snappy Parquet under
    /// `destination` (an empty `s3://` prefix), one directory per partition value.
    pub fn unload_statement(&self, destination: &str) -> String {
        UNLOAD_TEMPLATE
            .replace("{query}", self.sql.trim_end())
            .replace("{destination}", destination)
            .replace("{partition_key}", self.partition_key())
    }

    /// The partition column: the table's only partition key, the query's last column.
    pub fn partition_key(&self) -> &'static str {
        self.table.partition_keys.first().copied().unwrap_or("event_date")
    }

    /// The object-key prefix of the partition `day` (`gold/netflix/<table>/<key>=<day>/`).
    pub fn partition_prefix(&self, day: NaiveDate) -> String {
        format!("{}{}={}/", self.table.location, self.partition_key(), day.format("%Y-%m-%d"))
    }
}

/// What refreshing one gold table on Athena did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UnloadRefresh {
    /// Table name.
    pub table: &'static str,
    /// Days of the range left alone because their inputs had not changed since their last
    /// commit ([`RefreshScope::Stale`]).
    pub days_fresh: usize,
    /// Days committed with the new files (a day without rows is committed empty).
    pub days_committed: usize,
    /// Days left alone because a refresh from newer inputs was already committed.
    pub days_superseded: usize,
    /// `UNLOAD` statements run: one per run of consecutive stale days (none when every day
    /// is fresh).
    pub statements: usize,
    /// Files the UNLOADs wrote.
    pub files: usize,
    /// Rows in them.
    pub rows: u64,
    /// Bytes the engine scanned (what the refresh cost on Athena).
    pub bytes_scanned: Option<u64>,
    /// Engine time.
    pub engine_ms: Option<u64>,
}

/// Which days of the requested range a refresh recomputes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefreshScope {
    /// Only the days whose inputs changed since their last gold commit ([`needs_refresh`]):
    /// what the schedule runs, so that a run in which nothing changed scans nothing.
    #[default]
    Stale,
    /// Every day of the range (a backfill, a repair, or after a redrive of old raw objects).
    All,
}

/// How long after an arrival day ends its ledgers and quarantine rows can still grow in the
/// normal course (the last raw objects of the day being delivered, transformed and retried).
/// A refresh of an arrival day that started at least this long after the day's end saw the
/// whole day; later refreshes of it are skipped by [`RefreshScope::Stale`]. (Raw objects
/// redriven from the dead-letter queue days later add to an old arrival day: refresh it with
/// [`RefreshScope::All`], as the runbook says.)
pub const ARRIVALS_SETTLE_SECONDS: i64 = 3_600;

/// Whether gold `day`, committed as `state`, must be recomputed at `now` (epoch seconds):
///
/// - a table computed from silver: when the silver versions of the days it reads (D-1, D,
///   D+1: its lineage) differ from those its last commit recorded. For a *closed* day (before
///   today, UTC), changes of days that are still open are ignored until they close: the
///   hourly appends to today would otherwise recompute yesterday every hour for the few
///   sessions that cross midnight, which the first refresh after today closes picks up;
/// - a table computed from arrivals (ledgers, quarantine): until a refresh has started at
///   least [`ARRIVALS_SETTLE_SECONDS`] after the day ended.
///
/// A silver-based day never committed is stale when it has inputs; an arrival day never
/// committed is always stale (an idle stack still publishes its arrival days, empty).
pub fn needs_refresh(
    source: GoldSource,
    day: NaiveDate,
    state: &PartitionState,
    silver: &BTreeMap<NaiveDate, u64>,
    now: i64,
) -> bool {
    let today = DateTime::from_timestamp(now, 0).map(|time| time.date_naive());
    let open = |d: NaiveDate| today.is_none_or(|today| d >= today);
    match source {
        GoldSource::Silver => {
            let current = day_lineage(source, day, silver, now);
            if state.version == 0 {
                return !current.is_empty();
            }
            if open(day) {
                return state.lineage != current;
            }
            DateRange::day(day).read_window().days().filter(|d| !open(*d)).any(|d| {
                let key = d.format("%Y-%m-%d").to_string();
                current.get(&key) != state.lineage.get(&key)
            })
        }
        GoldSource::Arrivals => {
            let settled = day
                .succ_opt()
                .and_then(|next| next.and_hms_opt(0, 0, 0))
                .map(|end| end.and_utc().timestamp() + ARRIVALS_SETTLE_SECONDS);
            let refreshed_at =
                state.lineage.get(ARRIVALS_LINEAGE_KEY).and_then(|at| i64::try_from(*at).ok());
            match (settled, refreshed_at) {
                (Some(settled), Some(at)) => at < settled,
                _ => true,
            }
        }
    }
}

/// The lineage key of an arrival-day gold commit on Athena: when its refresh started.
pub const ARRIVALS_LINEAGE_KEY: &str = "refresh_started_at";

/// The data manifest Athena writes for an `UNLOAD` (or CTAS, INSERT): `<QueryExecutionId>-
/// manifest.csv`, next to the execution's result location, listing every file it wrote.
pub fn data_manifest_uri(output_location: &str, execution_id: &str) -> String {
    let directory = output_location.rsplit_once('/').map_or("", |(directory, _)| directory);
    format!("{directory}/{execution_id}-manifest.csv")
}

/// The versions of silver days `days`, as recorded in their commit states (0: never
/// committed).
async fn silver_versions(
    lake: &dyn BlobStore,
    days: impl Iterator<Item = NaiveDate>,
) -> Result<BTreeMap<NaiveDate, u64>> {
    let mut versions = BTreeMap::new();
    for day in days {
        let (state, _) = read_state(lake, &SILVER, &day.format("%Y-%m-%d").to_string()).await?;
        if state.version > 0 {
            versions.insert(day, state.version);
        }
    }
    Ok(versions)
}

/// The lineage of gold `day`: the versions of silver days D-1, D and D+1 for a silver table;
/// for the arrival-day tables (computed from ledgers, which only accumulate), the refresh's
/// start time, so that a later refresh supersedes an earlier one.
pub fn day_lineage(
    source: GoldSource,
    day: NaiveDate,
    silver: &BTreeMap<NaiveDate, u64>,
    started_at: i64,
) -> BTreeMap<String, u64> {
    match source {
        GoldSource::Silver => DateRange::day(day)
            .read_window()
            .days()
            .filter_map(|d| silver.get(&d).map(|v| (d.format("%Y-%m-%d").to_string(), *v)))
            .collect(),
        GoldSource::Arrivals => BTreeMap::from([(
            ARRIVALS_LINEAGE_KEY.to_owned(),
            u64::try_from(started_at).unwrap_or(0),
        )]),
    }
}

/// Refreshes every gold table for `range` on Athena, as commits (DESIGN §8):
///
/// 1. the silver versions of the days read are taken from their commit states (the lineage);
///    with [`RefreshScope::Stale`], only the days whose inputs changed since their last commit
///    ([`needs_refresh`]) are recomputed, so a scheduled run scans a day again only when it
///    changed;
/// 2. `UNLOAD (<query>) TO '<gold/netflix/<table>/unload/<run_id>/<first day>/>'` writes Snappy
///    Parquet, one directory per day, one statement per run of consecutive stale days;
///    `run_id` is unique to this refresh run and attempt, so the destination is empty and the
///    `ClientRequestToken` is new (a repeated token would return the earlier execution and
///    write nothing);
/// 3. the files are read from UNLOAD's data manifest in `results` (never from a LIST);
/// 4. each day's file list is replaced by its new files in one commit, unless a refresh from
///    newer inputs already committed it; nothing is deleted (garbage collection removes the
///    old files after the grace period);
/// 5. the days are registered in the catalog with Athena DDL at their manifest locations.
///
/// Overlapping refreshes of a day therefore end with one refresh's whole result, never a sum
/// and never an empty day; a retried refresh simply commits again.
pub async fn refresh_by_unload(
    lake: &dyn BlobStore,
    results: &dyn BlobStore,
    engine: &dyn QueryEngine,
    range: &DateRange,
    scope: RefreshScope,
    run_id: &str,
    now: i64,
) -> Result<Vec<UnloadRefresh>> {
    if run_id.is_empty() || !run_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(Error::Invalid(format!("refresh run id {run_id:?}: letters, digits and '-'")));
    }
    let silver = silver_versions(lake, range.read_window().days()).await?;
    let mut refreshed = Vec::with_capacity(GOLD_QUERIES.len());
    for (query, table) in GOLD_QUERIES.iter().zip(GOLD.iter()) {
        let mut stale = BTreeSet::new();
        for day in range.days() {
            let recompute = match scope {
                RefreshScope::All => true,
                RefreshScope::Stale => {
                    let (state, _) =
                        read_state(lake, table, &day.format("%Y-%m-%d").to_string()).await?;
                    needs_refresh(query.source, day, &state, &silver, now)
                }
            };
            if recompute {
                stale.insert(day);
            }
        }
        let mut report = UnloadRefresh {
            table: query.table.name,
            days_fresh: range.days().count() - stale.len(),
            days_committed: 0,
            days_superseded: 0,
            statements: 0,
            files: 0,
            rows: 0,
            bytes_scanned: None,
            engine_ms: None,
        };
        let mut committed_days = Vec::new();
        for run in DateRange::runs(&stale) {
            let prefix =
                format!("{}unload/{run_id}/{}/", query.table.location, run.from.format("%Y-%m-%d"));
            let statement_sql = query.unload_statement(&lake.uri_of(&prefix));
            let params: Vec<String> =
                query.parameters(&run)?.into_iter().map(|day| format!("'{day}'")).collect();
            let result = engine
                .execute(&Statement {
                    sql: &statement_sql,
                    params: &params,
                    idempotency_key: Some(run_id),
                })
                .await?;
            report.statements += 1;
            if let Some(bytes) = result.bytes_scanned {
                report.bytes_scanned = Some(report.bytes_scanned.unwrap_or(0) + bytes);
            }
            if let Some(ms) = result.engine_ms {
                report.engine_ms = Some(report.engine_ms.unwrap_or(0) + ms);
            }
            let files = unloaded_files(lake, results, &result, &prefix, query).await?;
            report.files += files.values().map(Vec::len).sum::<usize>();
            for day in run.days() {
                let value = day.format("%Y-%m-%d").to_string();
                let mut added = Vec::new();
                for key in files.get(&value).map(Vec::as_slice).unwrap_or_default() {
                    let rows = parquet_rows(lake, key).await?;
                    let bytes = lake.head(key).await?.size;
                    added.push(CommittedFile {
                        key: key.clone(),
                        rows,
                        bytes,
                        origin: FileOrigin::Refresh,
                    });
                }
                let lineage = day_lineage(query.source, day, &silver, now);
                let mut superseded = false;
                let outcome = commit(lake, table, &value, now, |current| {
                    superseded = !current.accepts_lineage(&lineage);
                    if superseded {
                        return Ok(None);
                    }
                    Ok(Some(Change::Replace {
                        remove: current.files.iter().map(|file| file.key.clone()).collect(),
                        add: added.clone(),
                        operation: Operation::Refresh,
                        lineage: Some(lineage.clone()),
                    }))
                })
                .await?;
                if superseded {
                    tracing::warn!(table = query.table.name, day = %value, "A refresh from newer inputs is already committed");
                    report.days_superseded += 1;
                    continue;
                }
                report.days_committed += 1;
                report.rows += added.iter().map(|file| file.rows).sum::<u64>();
                if !outcome.state().files.is_empty() {
                    committed_days.push(value);
                }
            }
        }
        register_days(lake, engine, table, &committed_days, run_id).await?;
        tracing::info!(
            table = query.table.name,
            from = %range.from,
            to = %range.to,
            fresh = report.days_fresh,
            committed = report.days_committed,
            superseded = report.days_superseded,
            statements = report.statements,
            files = report.files,
            bytes_scanned = report.bytes_scanned,
            "Refreshed gold table"
        );
        refreshed.push(report);
    }
    Ok(refreshed)
}

/// The files an UNLOAD wrote, by partition value, read from its data manifest.
async fn unloaded_files(
    lake: &dyn BlobStore,
    results: &dyn BlobStore,
    result: &crate::ports::QueryResult,
    prefix: &str,
    query: &GoldQuery,
) -> Result<BTreeMap<String, Vec<String>>> {
    let (Some(location), Some(id)) = (&result.output_location, &result.execution_id) else {
        return Err(Error::Invalid(
            "the engine reported no execution id or result location for the UNLOAD".into(),
        ));
    };
    let manifest_uri = data_manifest_uri(location, id);
    let key = results.key_of_uri(&manifest_uri).ok_or_else(|| {
        Error::Invalid(format!(
            "the UNLOAD data manifest {manifest_uri} is outside the results store"
        ))
    })?;
    let manifest = results.get(&key).await?.ok_or_else(|| Error::Port {
        port: "athena",
        message: format!("the UNLOAD data manifest {manifest_uri} is missing"),
        retryable: true,
    })?;
    let text = std::str::from_utf8(&manifest)
        .map_err(|_| Error::Invalid(format!("{manifest_uri} is not UTF-8")))?;
    let partition = format!("{}=", query.partition_key());
    let mut files: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for line in text.lines().map(str::trim).filter(|line| !line.is_empty()) {
        let key = lake.key_of_uri(line).filter(|key| key.starts_with(prefix)).ok_or_else(|| {
            Error::Invalid(format!("{manifest_uri} lists {line}, outside {prefix}"))
        })?;
        let value = key[prefix.len()..]
            .split('/')
            .next()
            .and_then(|segment| segment.strip_prefix(&partition))
            .filter(|value| parse_day(value).is_ok())
            .ok_or_else(|| {
                Error::Invalid(format!("{line} is not in a {partition}<day> directory"))
            })?
            .to_owned();
        if seen.insert(key.clone()) {
            files.entry(value).or_default().push(key);
        }
    }
    Ok(files)
}

/// Adds the committed `days` of `table` to the catalog (Athena DDL), at their manifests.
async fn register_days(
    lake: &dyn BlobStore,
    engine: &dyn QueryEngine,
    table: &CommittedTable,
    days: &[String],
    run_id: &str,
) -> Result<()> {
    if days.is_empty() {
        return Ok(());
    }
    let partitions: Vec<String> = days
        .iter()
        .map(|day| {
            format!(
                "PARTITION ({} = '{day}') LOCATION '{}'",
                table.partition_key(),
                lake.uri_of(&table.manifest_location(day))
            )
        })
        .collect();
    let sql = ADD_PARTITIONS_TEMPLATE
        .replace("{table}", table.name())
        .replace("{partitions}", &partitions.join("\n"));
    let key = format!("{run_id}-partitions");
    engine.execute(&Statement { sql: &sql, params: &[], idempotency_key: Some(&key) }).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bytes::Bytes;
    use event_model::schema::GOLD_TABLES;

    use crate::memory::{MemoryAthena, MemoryBlobStore};

    use super::*;
    use crate::queries::placeholder_count;

    fn day(text: &str) -> NaiveDate {
        parse_day(text).unwrap()
    }

    #[test]
    fn every_gold_table_has_a_query_whose_last_column_is_its_partition() {
        assert_eq!(GOLD_QUERIES.len(), GOLD_TABLES.len());
        for (query, spec) in GOLD_QUERIES.iter().zip(GOLD_TABLES) {
            assert_eq!(query.table.name, spec.name);
            assert_eq!(spec.partition_keys.len(), 1, "{}", spec.name);
            assert!(query.sql.starts_with("-- "), "{} has a summary line", spec.name);
            assert_eq!(
                placeholder_count(query.sql),
                query.parameter_names().len(),
                "{}: one named parameter per placeholder",
                spec.name
            );
            // The outermost (unindented) SELECT list ends with the partition column.
            let select = &query.sql[query.sql.rfind("\nSELECT").unwrap()..];
            let list = &select[..select.find("\nFROM").unwrap()];
            let last = list.lines().last().unwrap().trim();
            assert!(
                last.ends_with(&format!("AS {}", query.partition_key()))
                    || last.ends_with(&format!(".{}", query.partition_key()))
                    || last == query.partition_key(),
                "{}: last column is {last:?}",
                spec.name
            );
            for column in spec.columns {
                assert!(query.sql.contains(column.name), "{} computes {}", spec.name, column.name);
            }
        }
        assert!(gold_query("daily_event_types").is_some());
        assert!(gold_query("nope").is_none());
    }

    #[test]
    fn parameters_bind_the_refreshed_days_and_the_read_window() {
        let query = gold_query("daily_title_engagement").unwrap();
        assert_eq!(query.parameter_names(), ["read_from", "read_to", "from_date", "to_date"]);
        let range = DateRange::parse("2026-03-01", "2026-03-02").unwrap();
        assert_eq!(
            query.parameters(&range).unwrap(),
            ["2026-02-28", "2026-03-03", "2026-03-01", "2026-03-02"]
        );
        let bound = query.bound_sql(&range).unwrap();
        assert_eq!(placeholder_count(&bound), 0);
        assert!(bound.contains("BETWEEN '2026-02-28' AND '2026-03-03'"));
        assert!(bound.contains("BETWEEN '2026-03-01' AND '2026-03-02'"));
        let unload = query.unload_statement("s3://b/gold/netflix/daily_title_engagement/unload/r/");
        assert!(unload.contains("UNLOAD (\n-- "), "{unload}");
        assert!(unload.contains("TO 's3://b/gold/netflix/daily_title_engagement/unload/r/'"));
        assert!(unload.contains("partitioned_by = ARRAY['event_date']"));
        assert!(unload.contains("compression = 'SNAPPY'"));
        assert_eq!(placeholder_count(&unload), 4, "only the query's own placeholders");
        assert_eq!(
            data_manifest_uri("s3://results/streamlake/q-1.csv", "q-1"),
            "s3://results/streamlake/q-1-manifest.csv"
        );
        assert_eq!(
            query.partition_prefix(day("2026-03-01")),
            "gold/netflix/daily_title_engagement/event_date=2026-03-01/"
        );
        let dq = gold_query("daily_data_quality").unwrap();
        assert_eq!(
            dq.partition_prefix(day("2026-03-01")),
            "gold/netflix/daily_data_quality/ingest_date=2026-03-01/"
        );
        assert_eq!(dq.parameters(&range).unwrap(), ["2026-03-01", "2026-03-02"]);
    }

    /// A Parquet file of `rows` rows (what a gold query wrote for one day).
    fn parquet(rows: i64) -> Bytes {
        use std::sync::Arc;
        let schema = Arc::new(arrow_schema::Schema::new(vec![arrow_schema::Field::new(
            "n",
            arrow_schema::DataType::Int64,
            false,
        )]));
        let batch = arrow_array::RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(arrow_array::Int64Array::from_iter_values(0..rows))],
        )
        .unwrap();
        let mut bytes = Vec::new();
        let mut writer = parquet::arrow::ArrowWriter::try_new(&mut bytes, schema, None).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        Bytes::from(bytes)
    }

    /// The truth the fake computes: day N of March has 10 * N rows in every gold table.
    fn expected_rows(day: &str) -> u64 {
        10 * day[8..].parse::<u64>().unwrap()
    }

    fn athena(lake: &Arc<MemoryBlobStore>, results: &Arc<MemoryBlobStore>) -> MemoryAthena {
        MemoryAthena::new(
            lake.clone(),
            results.clone(),
            Box::new(|_sql, params| {
                // The last two parameters are the refreshed days.
                let n = params.len();
                let range = DateRange::parse(
                    params[n - 2].trim_matches('\''),
                    params[n - 1].trim_matches('\''),
                )?;
                Ok(range
                    .days()
                    .map(|day| {
                        let value = day.format("%Y-%m-%d").to_string();
                        let rows = expected_rows(&value) as i64;
                        (value, parquet(rows))
                    })
                    .collect())
            }),
        )
    }

    /// Rows every gold table shows for each day of `range`, read as a reader would: through
    /// the day's manifest.
    async fn visible_rows(lake: &MemoryBlobStore, range: &DateRange) -> Vec<(String, String, u64)> {
        let mut rows = Vec::new();
        for table in GOLD.iter() {
            for day in range.days() {
                let value = day.format("%Y-%m-%d").to_string();
                let mut total = 0;
                for key in crate::commit::manifest_files(lake, table, &value).await.unwrap() {
                    total += parquet_rows(lake, &key).await.unwrap();
                }
                rows.push((table.name().to_owned(), value, total));
            }
        }
        rows
    }

    fn truth(range: &DateRange) -> Vec<(String, String, u64)> {
        let mut rows = Vec::new();
        for table in GOLD.iter() {
            for day in range.days() {
                let value = day.format("%Y-%m-%d").to_string();
                rows.push((table.name().to_owned(), value.clone(), expected_rows(&value)));
            }
        }
        rows
    }

    #[tokio::test]
    async fn two_scheduled_refreshes_in_a_row_leave_every_day_whole() {
        let (lake, results) =
            (Arc::new(MemoryBlobStore::new(0)), Arc::new(MemoryBlobStore::new(0)));
        let engine = athena(&lake, &results);
        let range = DateRange::parse("2026-03-01", "2026-03-02").unwrap();
        let first = refresh_by_unload(
            lake.as_ref(),
            results.as_ref(),
            &engine,
            &range,
            RefreshScope::All,
            "run-1",
            100,
        )
        .await
        .unwrap();
        assert_eq!(first.len(), GOLD_QUERIES.len());
        assert!(first.iter().all(|t| t.days_committed == 2 && t.days_superseded == 0));
        assert_eq!(visible_rows(&lake, &range).await, truth(&range));
        // The next scheduled refresh of the same days: a new run, new tokens, new files.
        refresh_by_unload(
            lake.as_ref(),
            results.as_ref(),
            &engine,
            &range,
            RefreshScope::All,
            "run-2",
            200,
        )
        .await
        .unwrap();
        assert_eq!(visible_rows(&lake, &range).await, truth(&range), "not empty, not doubled");
        let (state, _) = read_state(lake.as_ref(), &GOLD[4], "2026-03-01").await.unwrap();
        assert_eq!(state.version, 2);
        assert!(state.files.iter().all(|f| f.key.contains("/unload/run-2/")));
        assert_eq!(state.removed.len(), 1, "the first run's file is tombstoned, not deleted");
        assert!(lake.exists(&state.removed[0].key).await.unwrap());
        let statements = engine.statements();
        assert!(statements.iter().any(|s| s.contains("compression = 'SNAPPY'")));
        assert!(statements
            .iter()
            .any(|s| s.starts_with("-- Registers") && s.contains("daily_event_types")));
    }

    #[tokio::test]
    async fn a_retried_refresh_is_harmless_whether_or_not_its_run_id_is_new() {
        let (lake, results) =
            (Arc::new(MemoryBlobStore::new(0)), Arc::new(MemoryBlobStore::new(0)));
        let engine = athena(&lake, &results);
        let range = DateRange::parse("2026-03-03", "2026-03-03").unwrap();
        refresh_by_unload(
            lake.as_ref(),
            results.as_ref(),
            &engine,
            &range,
            RefreshScope::All,
            "run-a",
            1,
        )
        .await
        .unwrap();
        let ran = engine.statements().len();
        // The same attempt again (a Lambda retry of a run that had finished): Athena returns
        // the earlier executions, and their files are committed again: no change.
        refresh_by_unload(
            lake.as_ref(),
            results.as_ref(),
            &engine,
            &range,
            RefreshScope::All,
            "run-a",
            2,
        )
        .await
        .unwrap();
        assert_eq!(engine.statements().len(), ran, "no query ran twice");
        assert_eq!(visible_rows(&lake, &range).await, truth(&range));
        // A new attempt with its own run id.
        refresh_by_unload(
            lake.as_ref(),
            results.as_ref(),
            &engine,
            &range,
            RefreshScope::All,
            "run-b",
            3,
        )
        .await
        .unwrap();
        assert_eq!(visible_rows(&lake, &range).await, truth(&range));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn overlapping_refreshes_end_with_one_whole_result() {
        let (lake, results) =
            (Arc::new(MemoryBlobStore::new(0)), Arc::new(MemoryBlobStore::new(0)));
        let engine = Arc::new(athena(&lake, &results));
        let range = DateRange::parse("2026-03-04", "2026-03-05").unwrap();
        let mut tasks = Vec::new();
        for run in ["manual", "hourly", "retry"] {
            let (lake, results, engine) = (lake.clone(), results.clone(), engine.clone());
            tasks.push(tokio::spawn(async move {
                refresh_by_unload(
                    lake.as_ref(),
                    results.as_ref(),
                    engine.as_ref(),
                    &range,
                    RefreshScope::All,
                    run,
                    5,
                )
                .await
                .unwrap()
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(visible_rows(&lake, &range).await, truth(&range));
        for table in GOLD.iter() {
            let (state, _) = read_state(lake.as_ref(), table, "2026-03-04").await.unwrap();
            let runs: BTreeSet<&str> = state
                .files
                .iter()
                .map(|f| f.key.split("/unload/").nth(1).unwrap().split('/').next().unwrap())
                .collect();
            assert_eq!(runs.len(), 1, "one refresh's files, never a mix: {:?}", state.files);
        }
    }

    #[tokio::test]
    async fn a_refresh_computed_from_older_silver_never_replaces_a_newer_one() {
        let (lake, results) =
            (Arc::new(MemoryBlobStore::new(0)), Arc::new(MemoryBlobStore::new(0)));
        let engine = athena(&lake, &results);
        let range = DateRange::parse("2026-03-06", "2026-03-06").unwrap();
        // Silver 2026-03-06 at version 1; the gold day is then committed from version 3 by
        // another refresh (which saw silver after two more commits).
        commit(lake.as_ref(), &SILVER, "2026-03-06", 0, |_| {
            Ok(Some(Change::Append(vec![CommittedFile {
                key: "processed/netflix/processed_partitioned/event_date=2026-03-06/part-a.snappy.parquet".into(),
                rows: 1,
                bytes: 1,
                origin: FileOrigin::Append,
            }])))
        })
        .await
        .unwrap();
        let newer = BTreeMap::from([("2026-03-06".to_owned(), 3u64)]);
        commit(lake.as_ref(), &GOLD[4], "2026-03-06", 0, |_| {
            Ok(Some(Change::Replace {
                remove: vec![],
                add: vec![],
                operation: Operation::Refresh,
                lineage: Some(newer.clone()),
            }))
        })
        .await
        .unwrap();
        let report = refresh_by_unload(
            lake.as_ref(),
            results.as_ref(),
            &engine,
            &range,
            RefreshScope::All,
            "late",
            9,
        )
        .await
        .unwrap();
        let event_types = report.iter().find(|t| t.table == "daily_event_types").unwrap();
        assert_eq!((event_types.days_committed, event_types.days_superseded), (0, 1));
        let (state, _) = read_state(lake.as_ref(), &GOLD[4], "2026-03-06").await.unwrap();
        assert_eq!(state.lineage, newer, "the newer refresh stands");
    }

    /// Appends one file to silver day `value` (a new commit, a new version).
    async fn append_silver(lake: &MemoryBlobStore, value: &str, name: &str) {
        let key = format!(
            "processed/netflix/processed_partitioned/event_date={value}/part-{name}.snappy.parquet"
        );
        commit(lake, &SILVER, value, 0, |_| {
            Ok(Some(Change::Append(vec![CommittedFile {
                key: key.clone(),
                rows: 1,
                bytes: 1,
                origin: FileOrigin::Append,
            }])))
        })
        .await
        .unwrap();
    }

    /// Epoch seconds of `day` at `hour`:00 UTC.
    fn at(day_text: &str, hour: u32) -> i64 {
        day(day_text).and_hms_opt(hour, 0, 0).unwrap().and_utc().timestamp()
    }

    fn report<'a>(reports: &'a [UnloadRefresh], table: &str) -> &'a UnloadRefresh {
        reports.iter().find(|r| r.table == table).unwrap()
    }

    #[tokio::test]
    async fn the_scheduled_refresh_recomputes_only_days_whose_inputs_changed() {
        let (lake, results) =
            (Arc::new(MemoryBlobStore::new(0)), Arc::new(MemoryBlobStore::new(0)));
        let engine = athena(&lake, &results);
        let range = DateRange::parse("2026-03-01", "2026-03-05").unwrap();
        for value in ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05"] {
            append_silver(&lake, value, "a").await;
        }
        let refresh = |run: &'static str, now: i64| {
            let (lake, results, engine) = (lake.clone(), results.clone(), &engine);
            async move {
                refresh_by_unload(
                    lake.as_ref(),
                    results.as_ref(),
                    engine,
                    &range,
                    RefreshScope::Stale,
                    run,
                    now,
                )
                .await
                .unwrap()
            }
        };
        // 2026-03-06 is today: every day of the range is closed. The first run recomputes all.
        let first = refresh("r1", at("2026-03-06", 2)).await;
        assert!(first.iter().all(|t| t.days_committed == 5 && t.statements == 1), "{first:?}");
        assert_eq!(visible_rows(&lake, &range).await, truth(&range));
        // An hour later nothing changed: nothing runs on Athena, nothing is committed.
        let ran = engine.statements().len();
        let second = refresh("r2", at("2026-03-06", 3)).await;
        assert!(second.iter().all(|t| t.days_fresh == 5 && t.statements == 0), "{second:?}");
        assert_eq!(engine.statements().len(), ran, "an unchanged hour scans nothing");
        // Late data for 2026-03-05 (and hourly appends to today, which is open): the silver
        // tables recompute 03-04 and 03-05 (whose windows hold 03-05) in one UNLOAD; the
        // arrival-day tables, settled, do not.
        append_silver(&lake, "2026-03-05", "late").await;
        append_silver(&lake, "2026-03-06", "today").await;
        let third = refresh("r3", at("2026-03-06", 4)).await;
        let titles = report(&third, "daily_title_engagement");
        assert_eq!((titles.days_fresh, titles.days_committed, titles.statements), (3, 2, 1));
        assert_eq!(report(&third, "daily_data_quality").statements, 0);
        let (state, _) = read_state(lake.as_ref(), &GOLD[0], "2026-03-05").await.unwrap();
        assert_eq!(
            state.lineage,
            BTreeMap::from([
                ("2026-03-04".to_owned(), 1),
                ("2026-03-05".to_owned(), 2),
                ("2026-03-06".to_owned(), 1)
            ])
        );
        // Today's appends alone do not recompute yesterday every hour ...
        append_silver(&lake, "2026-03-06", "today-2").await;
        let fourth = refresh("r4", at("2026-03-06", 5)).await;
        assert!(fourth.iter().all(|t| t.statements == 0), "{fourth:?}");
        // ... until today closes: then 03-05 is recomputed once with the whole of 03-06.
        let fifth = refresh("r5", at("2026-03-07", 2)).await;
        let titles = report(&fifth, "daily_title_engagement");
        assert_eq!((titles.days_committed, titles.statements), (1, 1));
        let (state, _) = read_state(lake.as_ref(), &GOLD[0], "2026-03-05").await.unwrap();
        assert_eq!(state.lineage.get("2026-03-06"), Some(&2));
        assert_eq!(visible_rows(&lake, &range).await, truth(&range));
        // A forced refresh recomputes every day.
        let forced = refresh_by_unload(
            lake.as_ref(),
            results.as_ref(),
            &engine,
            &range,
            RefreshScope::All,
            "r6",
            at("2026-03-07", 3),
        )
        .await
        .unwrap();
        assert!(forced.iter().all(|t| t.days_committed == 5 && t.days_fresh == 0));
    }

    #[test]
    fn an_arrival_day_is_refreshed_until_a_refresh_saw_it_settled() {
        let silver = BTreeMap::new();
        let never = PartitionState::empty("daily_data_quality", "ingest_date", "2026-03-05");
        let committed = |started_at: i64| PartitionState {
            version: 1,
            lineage: day_lineage(GoldSource::Arrivals, day("2026-03-05"), &silver, started_at),
            ..never.clone()
        };
        let stale = |state: &PartitionState, now: i64| {
            needs_refresh(GoldSource::Arrivals, day("2026-03-05"), state, &silver, now)
        };
        assert!(stale(&never, at("2026-03-07", 0)), "never refreshed");
        // Refreshed while the day was open, or in the hour after: its last objects may still
        // have been in flight.
        assert!(stale(&committed(at("2026-03-05", 12)), at("2026-03-05", 13)));
        assert!(stale(&committed(at("2026-03-06", 0)), at("2026-03-06", 2)));
        // Refreshed once settled: done.
        assert!(!stale(&committed(at("2026-03-06", 1)), at("2026-03-06", 2)));
        assert!(!stale(&committed(at("2026-03-08", 1)), at("2026-03-09", 2)));
    }

    /// The refresh this module replaced (delete a day's gold objects, then `INSERT INTO` with
    /// no idempotency key), against the token-faithful fake: the second scheduled refresh of
    /// a day sends the same `ClientRequestToken`, Athena answers with the earlier execution
    /// and inserts nothing, and the day is left empty. This is what `refresh_by_unload` fixes;
    /// the test keeps the fake honest (it must model tokens for this to hold).
    #[tokio::test]
    async fn the_old_delete_then_insert_refresh_empties_a_day_on_athena() {
        let (lake, results) =
            (Arc::new(MemoryBlobStore::new(0)), Arc::new(MemoryBlobStore::new(0)));
        let engine = athena(&lake, &results);
        let range = DateRange::parse("2026-03-07", "2026-03-07").unwrap();
        let query = gold_query("daily_event_types").unwrap();
        let day_prefix = query.partition_prefix(range.from);
        for run in 0..2 {
            let stale: Vec<String> =
                lake.list(&day_prefix).await.unwrap().into_iter().map(|m| m.key).collect();
            lake.delete(&stale).await.unwrap();
            let sql = format!("INSERT INTO \"{}\"\n{}", query.table.name, query.sql);
            let params: Vec<String> =
                query.parameters(&range).unwrap().into_iter().map(|d| format!("'{d}'")).collect();
            engine
                .execute(&Statement { sql: &sql, params: &params, idempotency_key: None })
                .await
                .unwrap();
            let files = lake.list(&day_prefix).await.unwrap().len();
            assert_eq!(files, if run == 0 { 1 } else { 0 }, "run {run}");
        }
    }

    #[test]
    fn runs_split_at_gaps() {
        let days: BTreeSet<NaiveDate> =
            ["2026-01-01", "2026-01-02", "2026-01-04"].into_iter().map(day).collect();
        assert_eq!(
            DateRange::runs(&days),
            [
                DateRange::parse("2026-01-01", "2026-01-02").unwrap(),
                DateRange::day(day("2026-01-04"))
            ]
        );
        assert!(DateRange::runs(&BTreeSet::new()).is_empty());
    }

    #[test]
    fn date_ranges_are_validated_iterated_and_chunked() {
        assert!(DateRange::parse("2026-03-02", "2026-03-01").is_err());
        assert!(DateRange::parse("2026-3-1", "2026-03-01").is_err());
        assert!(DateRange::parse("2026-02-30", "2026-03-01").is_err());
        let range = DateRange::parse("2026-02-27", "2026-03-03").unwrap();
        let days: Vec<String> = range.days().map(|d| d.to_string()).collect();
        assert_eq!(days, ["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02", "2026-03-03"]);
        assert!(range.contains(day("2026-03-01")) && !range.contains(day("2026-03-04")));
        let chunks = range.chunks(2);
        assert_eq!(
            chunks,
            [
                DateRange::parse("2026-02-27", "2026-02-28").unwrap(),
                DateRange::parse("2026-03-01", "2026-03-02").unwrap(),
                DateRange::day(day("2026-03-03")),
            ]
        );
        assert_eq!(range.chunks(0).len(), 5);
        assert_eq!(
            DateRange::day(day("2026-01-01")).read_window(),
            DateRange::parse("2025-12-31", "2026-01-02").unwrap()
        );
    }
}
