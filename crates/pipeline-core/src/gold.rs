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

use chrono::{Days, NaiveDate};
use event_model::schema::{
    TableSpec, DAILY_DATA_QUALITY, DAILY_ENGAGEMENT_BY_COUNTRY_DEVICE, DAILY_EVENT_TYPES,
    DAILY_PLAYBACK_QUALITY, DAILY_QUARANTINE_REASONS, DAILY_TITLE_ENGAGEMENT,
    DAILY_TTFH_DISTRIBUTION,
};

use crate::error::{Error, Result};
use crate::ports::{BlobStore, QueryEngine, Statement};
use crate::queries::placeholder_offsets;

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

    /// The Athena statement that appends the query's rows to its table.
    pub fn insert_statement(&self) -> String {
        format!("INSERT INTO \"{}\"\n{}", self.table.name, self.sql)
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

/// What refreshing one gold table on an engine with `INSERT INTO` did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InsertRefresh {
    /// Table name.
    pub table: &'static str,
    /// Objects of the refreshed days deleted before the insert.
    pub deleted_objects: usize,
    /// Bytes the engine scanned.
    pub bytes_scanned: Option<u64>,
    /// Engine time.
    pub engine_ms: Option<u64>,
}

/// Refreshes every gold table for `range` on an engine that writes tables itself (Athena):
/// for each table, every object of the refreshed days is deleted from `store`, then
/// `INSERT INTO "<table>" <query>` runs with the range's execution parameters (Athena adds
/// the partitions to Glue as it writes them).
///
/// Re-running it is safe: a day is cleared before it is written, so a retried refresh
/// replaces, never appends. No idempotency key is passed on purpose: a retry must run the
/// insert again after clearing the day again. Two refreshes of the same day must not run
/// at once (the query-runner has a reserved concurrency of one).
pub async fn refresh_by_insert(
    store: &dyn BlobStore,
    engine: &dyn QueryEngine,
    range: &DateRange,
) -> Result<Vec<InsertRefresh>> {
    let mut refreshed = Vec::with_capacity(GOLD_QUERIES.len());
    for query in &GOLD_QUERIES {
        let mut stale = Vec::new();
        for day in range.days() {
            stale
                .extend(store.list(&query.partition_prefix(day)).await?.into_iter().map(|m| m.key));
        }
        store.delete(&stale).await?;
        let params: Vec<String> =
            query.parameters(range)?.into_iter().map(|day| format!("'{day}'")).collect();
        let sql = query.insert_statement();
        let result = engine
            .execute(&Statement { sql: &sql, params: &params, idempotency_key: None })
            .await?;
        tracing::info!(
            table = query.table.name,
            from = %range.from,
            to = %range.to,
            deleted = stale.len(),
            bytes_scanned = result.bytes_scanned,
            "Refreshed gold table"
        );
        refreshed.push(InsertRefresh {
            table: query.table.name,
            deleted_objects: stale.len(),
            bytes_scanned: result.bytes_scanned,
            engine_ms: result.engine_ms,
        });
    }
    Ok(refreshed)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use async_trait::async_trait;
    use bytes::Bytes;
    use event_model::schema::GOLD_TABLES;

    use crate::memory::MemoryBlobStore;
    use crate::ports::QueryResult;

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
        assert!(query.insert_statement().starts_with("INSERT INTO \"daily_title_engagement\"\n--"));
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

    /// Records statements; fails the insert into `fail_on`.
    #[derive(Default)]
    struct RecordingEngine {
        statements: Mutex<Vec<(String, Vec<String>, bool)>>,
        fail_on: Option<&'static str>,
    }

    #[async_trait]
    impl QueryEngine for RecordingEngine {
        async fn query(&self, _sql: &str) -> Result<QueryResult> {
            Err(Error::Invalid("only execute".into()))
        }

        async fn execute(&self, statement: &Statement<'_>) -> Result<QueryResult> {
            if self.fail_on.is_some_and(|table| statement.sql.contains(&format!("\"{table}\""))) {
                return Err(Error::Port {
                    port: "athena",
                    message: "boom".into(),
                    retryable: true,
                });
            }
            self.statements.lock().unwrap().push((
                statement.sql.to_owned(),
                statement.params.to_vec(),
                statement.idempotency_key.is_some(),
            ));
            Ok(QueryResult { bytes_scanned: Some(10), ..QueryResult::default() })
        }
    }

    #[tokio::test]
    async fn insert_refresh_clears_each_day_then_inserts_with_parameters() {
        let store = MemoryBlobStore::new(0);
        let old = "gold/netflix/daily_event_types/event_date=2026-03-01/20260301_x.parquet";
        let kept = "gold/netflix/daily_event_types/event_date=2026-02-28/20260228_x.parquet";
        let other = "gold/netflix/daily_data_quality/ingest_date=2026-03-02/a.parquet";
        for key in [old, kept, other] {
            store.put(key, Bytes::from_static(b"x")).await.unwrap();
        }
        let engine = RecordingEngine::default();
        let range = DateRange::parse("2026-03-01", "2026-03-02").unwrap();
        let report = refresh_by_insert(&store, &engine, &range).await.unwrap();
        assert_eq!(report.len(), GOLD_QUERIES.len());
        assert!(!store.exists(old).await.unwrap() && !store.exists(other).await.unwrap());
        assert!(store.exists(kept).await.unwrap(), "days outside the range are kept");
        let deleted: usize = report.iter().map(|r| r.deleted_objects).sum();
        assert_eq!(deleted, 2);
        let statements = engine.statements.lock().unwrap();
        assert_eq!(statements.len(), GOLD_QUERIES.len());
        let (sql, params, keyed) = &statements[0];
        assert!(sql.starts_with("INSERT INTO \"daily_title_engagement\""));
        assert_eq!(params, &["'2026-02-28'", "'2026-03-03'", "'2026-03-01'", "'2026-03-02'"]);
        assert!(!keyed, "a retry must insert again");
        assert_eq!(statements[5].1, ["'2026-03-01'", "'2026-03-02'"]);
    }

    #[tokio::test]
    async fn a_failed_insert_is_an_error_not_a_partial_success() {
        let store = MemoryBlobStore::new(0);
        let engine = RecordingEngine { fail_on: Some("daily_event_types"), ..Default::default() };
        let range = DateRange::parse("2026-03-01", "2026-03-01").unwrap();
        let error = refresh_by_insert(&store, &engine, &range).await.unwrap_err();
        assert!(error.is_retryable(), "{error}");
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
