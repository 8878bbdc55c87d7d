//! `handle(event, &Deps)`: one named query on Athena, rows back as JSON; or the gold refresh
//! (`{"refresh_gold": true, "from"?, "to"?, "scope"?, "open_day"?}`): the tables of `sql/gold/`
//! recomputed for the given days with `UNLOAD` into a fresh prefix, then each day committed to
//! its symlink manifest ([`pipeline_core::gold::refresh_by_unload`]). Without days (the
//! schedule), the refresh looks at the last [`DEFAULT_REFRESH_DAYS`] closed days (and today
//! with `open_day`) and recomputes only those whose inputs changed since their last commit
//! (`scope: "stale"`); with days, it recomputes every one of them (`scope: "all"`). Each
//! invocation attempt gets its own run id, so its `ClientRequestToken`s are new: a retry
//! recomputes instead of receiving an earlier execution's (empty) answer.
//!
//! The SQL comes only from the embedded `sql/queries/` files: a caller names a query, it
//! never sends SQL, so the function's IAM permissions cannot be turned into arbitrary
//! queries. Parameters are bound by Athena (execution parameters), never spliced into the
//! text, and their number must match the query's `?` placeholders. The Lambda request id is
//! the idempotency key, so a retried invocation reuses the execution it started.

use std::sync::Arc;

use aws_adapters::config::{athena_client, load_sdk_config, s3_client};
use aws_adapters::s3::{S3BlobStore, S3Config};
use aws_adapters::AthenaEngine;
use lambda_runtime::LambdaEvent;
use lambda_support::metrics::names;
use lambda_support::{LambdaError, MetricSink, Result, StdoutEmf};
use pipeline_core::gold::{refresh_by_unload, DateRange, RefreshScope, UnloadRefresh};
use pipeline_core::metrics::Metric;
use pipeline_core::ports::BlobStore;
use pipeline_core::ports::{QueryEngine, ResultColumn, Statement};
use pipeline_core::queries::{named_query, placeholder_count, NAMED_QUERIES};
use serde::{Deserialize, Serialize};
use tracing::info;

use crate::config::Config;

/// The function name in metrics and logs.
pub const FUNCTION: &str = "query-runner";

/// What the handler needs, built once per cold start.
pub struct Deps {
    /// The engine (Athena, or a fake in tests).
    pub engine: Arc<dyn QueryEngine>,
    /// Rows returned inline.
    pub max_result_rows: usize,
    /// Where metrics go.
    pub metrics: Arc<dyn MetricSink>,
    /// The processed bucket, where gold lives (`None` without `PROCESSED_BUCKET`: the gold
    /// refresh then fails clearly).
    pub gold_store: Option<Arc<dyn BlobStore>>,
    /// The Athena results bucket, where UNLOAD's data manifests are (`None` without
    /// `ATHENA_OUTPUT_LOCATION`: the gold refresh then fails clearly).
    pub results_store: Option<Arc<dyn BlobStore>>,
}

impl Deps {
    /// The production wiring: Athena through the default credential chain, EMF on stdout.
    pub async fn from_aws(config: Config) -> Result<Self> {
        let sdk = load_sdk_config().await;
        let gold_store = match &config.processed_bucket {
            Some(bucket) => {
                let store = S3BlobStore::new(s3_client(&sdk), S3Config::new(bucket.clone(), ""))
                    .map_err(|error| LambdaError::Config(format!("PROCESSED_BUCKET: {error}")))?;
                Some(Arc::new(store) as Arc<dyn BlobStore>)
            }
            None => None,
        };
        let results_store = match &config.athena.output_location {
            Some(location) => {
                let mut results = S3Config::from_uri(location).map_err(|error| {
                    LambdaError::Config(format!("ATHENA_OUTPUT_LOCATION: {error}"))
                })?;
                // Keys are whole S3 keys: the manifests are read by URI.
                results.prefix = String::new();
                let store = S3BlobStore::new(s3_client(&sdk), results).map_err(|error| {
                    LambdaError::Config(format!("ATHENA_OUTPUT_LOCATION: {error}"))
                })?;
                Some(Arc::new(store) as Arc<dyn BlobStore>)
            }
            None => None,
        };
        Ok(Self {
            engine: Arc::new(AthenaEngine::new(athena_client(&sdk), config.athena)),
            max_result_rows: config.max_result_rows,
            metrics: Arc::new(StdoutEmf),
            gold_store,
            results_store,
        })
    }
}

/// The invocation payload.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryRequest {
    /// A named query (`sql/queries/<name>.sql`).
    #[serde(default)]
    pub query: Option<String>,
    /// Values for the query's `?` placeholders, as SQL literals.
    #[serde(default)]
    pub params: Vec<String>,
    /// Refresh the gold tables instead of running a query.
    #[serde(default)]
    pub refresh_gold: bool,
    /// With `refresh_gold`: the first day to refresh (`YYYY-MM-DD`; default
    /// [`DEFAULT_REFRESH_DAYS`] days before today, UTC).
    #[serde(default)]
    pub from: Option<String>,
    /// With `refresh_gold`: the last day to refresh (inclusive; default yesterday, UTC, or
    /// today with `open_day`).
    #[serde(default)]
    pub to: Option<String>,
    /// With `refresh_gold`: `"stale"` recomputes only the days whose inputs changed since their
    /// last commit, `"all"` every day. Default: `"all"` when `from` or `to` is given (a repair
    /// or backfill), `"stale"` otherwise (the schedule).
    #[serde(default)]
    pub scope: Option<RefreshScope>,
    /// With `refresh_gold` and no `to`: include today (UTC), which is still filling. Today then
    /// changes between any two runs and is recomputed by every run (docs/cost.md prices it).
    #[serde(default)]
    pub open_day: bool,
}

/// The closed days a scheduled refresh looks at: late data for older days needs an explicit
/// range (silver accepts events up to `max_event_age`, 30 days, old).
pub const DEFAULT_REFRESH_DAYS: u64 = 7;

/// The longest range one gold refresh accepts: a backfill of more is split by the caller.
pub const MAX_REFRESH_DAYS: i64 = 31;

/// What a gold refresh did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GoldRefreshResponse {
    /// Always true: tells the two response shapes apart.
    pub refresh_gold: bool,
    /// First day refreshed.
    pub from: String,
    /// Last day refreshed.
    pub to: String,
    /// The run id (unique to this invocation attempt): the UNLOAD prefix and token nonce.
    pub run_id: String,
    /// Which days were recomputed: `stale` or `all`.
    pub scope: RefreshScope,
    /// Per table, in refresh order.
    pub tables: Vec<UnloadRefresh>,
    /// Bytes Athena scanned in all.
    pub bytes_scanned: u64,
}

/// The invocation's result: a query's rows, or what a gold refresh did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Response {
    /// A named query.
    Query(QueryResponse),
    /// A gold refresh.
    Gold(GoldRefreshResponse),
}

/// The invocation's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueryResponse {
    /// The query name.
    pub query: String,
    /// Columns with their Athena types.
    pub columns: Vec<ResultColumn>,
    /// Rows, at most `MAX_RESULT_ROWS`.
    pub rows: Vec<Vec<serde_json::Value>>,
    /// Rows the query returned in all.
    pub row_count: usize,
    /// Whether `rows` was cut at `MAX_RESULT_ROWS`.
    pub truncated: bool,
    /// Bytes Athena scanned (what a query costs).
    pub bytes_scanned: Option<u64>,
    /// Athena engine time.
    pub engine_ms: Option<u64>,
}

/// The days a refresh covers: `from`..`to`, defaulting to the [`DEFAULT_REFRESH_DAYS`] days
/// before `today` (UTC), and `today` itself with `open_day`.
pub fn refresh_range(request: &QueryRequest, today: chrono::NaiveDate) -> Result<DateRange> {
    let day = |text: &Option<String>, default: chrono::NaiveDate| match text {
        Some(text) => pipeline_core::gold::parse_day(text)
            .map_err(|error| LambdaError::Payload(error.to_string())),
        None => Ok(default),
    };
    let yesterday = today.pred_opt().unwrap_or(today);
    let to = day(&request.to, if request.open_day { today } else { yesterday })?;
    let from = day(
        &request.from,
        today.checked_sub_days(chrono::Days::new(DEFAULT_REFRESH_DAYS)).unwrap_or(today).min(to),
    )?;
    let range =
        DateRange::new(from, to).map_err(|error| LambdaError::Payload(error.to_string()))?;
    let days = (range.to - range.from).num_days() + 1;
    if days > MAX_REFRESH_DAYS {
        return Err(LambdaError::Payload(format!(
            "refresh_gold covers at most {MAX_REFRESH_DAYS} days per invocation, {days} asked: split the backfill"
        )));
    }
    Ok(range)
}

/// Handles one invocation.
pub async fn handle(event: LambdaEvent<QueryRequest>, deps: &Deps) -> Result<Response> {
    let request = event.payload;
    if !request.refresh_gold
        && (request.from.is_some()
            || request.to.is_some()
            || request.scope.is_some()
            || request.open_day)
    {
        return Err(LambdaError::Payload(
            "from, to, scope and open_day go with refresh_gold".into(),
        ));
    }
    let name = match (&request.query, request.refresh_gold) {
        (Some(_), true) => {
            return Err(LambdaError::Payload("give either query or refresh_gold, not both".into()))
        }
        (None, true) => {
            let range = refresh_range(&request, chrono::Utc::now().date_naive())?;
            let scope =
                request.scope.unwrap_or(if request.from.is_some() || request.to.is_some() {
                    RefreshScope::All
                } else {
                    RefreshScope::Stale
                });
            return refresh(range, scope, &run_id(&event.context.request_id), deps)
                .await
                .map(Response::Gold);
        }
        (None, false) => {
            return Err(LambdaError::Payload(format!(
                "expected {{\"query\": NAME}} with NAME one of {}",
                query_names()
            )))
        }
        (Some(name), false) => name,
    };
    let named = named_query(name).ok_or_else(|| {
        LambdaError::Payload(format!("unknown query {name:?}; known: {}", query_names()))
    })?;
    let expected = placeholder_count(named.sql);
    if request.params.len() != expected {
        return Err(LambdaError::Payload(format!(
            "query {name} takes {expected} parameters, {} given",
            request.params.len()
        )));
    }
    let request_id = event.context.request_id;
    let statement = Statement {
        sql: named.sql,
        params: &request.params,
        idempotency_key: (!request_id.is_empty()).then_some(request_id.as_str()),
    };
    let result = deps.engine.execute(&statement).await?;
    let row_count = result.rows.len();
    let truncated = row_count > deps.max_result_rows;
    let mut rows = result.rows;
    rows.truncate(deps.max_result_rows);
    let bytes_scanned = result.bytes_scanned.unwrap_or(0);
    info!(query = %name, rows = row_count, bytes_scanned, engine_ms = result.engine_ms, "Ran query");
    deps.metrics.emit(FUNCTION, &[Metric::bytes(names::BYTES_SCANNED, bytes_scanned)]);
    Ok(Response::Query(QueryResponse {
        query: name.clone(),
        columns: result.columns,
        rows,
        row_count,
        truncated,
        bytes_scanned: result.bytes_scanned,
        engine_ms: result.engine_ms,
    }))
}

/// A run id unique to this invocation attempt: the request id (shared by Lambda's retries of
/// one event) and 64 random bits (new on every attempt), in the characters S3 keys and tokens
/// take.
pub fn run_id(request_id: &str) -> String {
    let request: String =
        request_id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(40).collect();
    format!(
        "{}{:016x}",
        if request.is_empty() { String::new() } else { format!("{request}-") },
        rand::random::<u64>()
    )
}

async fn refresh(
    range: DateRange,
    scope: RefreshScope,
    run_id: &str,
    deps: &Deps,
) -> Result<GoldRefreshResponse> {
    let store = deps.gold_store.as_ref().ok_or_else(|| {
        LambdaError::Config("refresh_gold needs PROCESSED_BUCKET (where gold lives)".into())
    })?;
    let results = deps.results_store.as_ref().ok_or_else(|| {
        LambdaError::Config(
            "refresh_gold needs ATHENA_OUTPUT_LOCATION (where UNLOAD's data manifests are)".into(),
        )
    })?;
    let now = chrono::Utc::now().timestamp();
    let tables = refresh_by_unload(
        store.as_ref(),
        results.as_ref(),
        deps.engine.as_ref(),
        &range,
        scope,
        run_id,
        now,
    )
    .await?;
    let bytes_scanned = tables.iter().filter_map(|table| table.bytes_scanned).sum();
    info!(from = %range.from, to = %range.to, run_id, tables = tables.len(), bytes_scanned, "Refreshed gold");
    deps.metrics.emit(FUNCTION, &[Metric::bytes(names::BYTES_SCANNED, bytes_scanned)]);
    Ok(GoldRefreshResponse {
        refresh_gold: true,
        from: range.from.to_string(),
        to: range.to.to_string(),
        run_id: run_id.to_owned(),
        scope,
        tables,
        bytes_scanned,
    })
}

fn query_names() -> String {
    NAMED_QUERIES.iter().map(|q| q.name).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use async_trait::async_trait;
    use lambda_runtime::Context;
    use lambda_support::RecordingSink;
    use pipeline_core::ports::QueryResult;
    use serde_json::json;

    use super::*;

    /// SQL, parameters and idempotency key of one execution.
    type Seen = (String, Vec<String>, Option<String>);

    /// Records every statement; answers with `rows` integer rows.
    struct FakeEngine {
        rows: usize,
        seen: Mutex<Vec<Seen>>,
    }

    #[async_trait]
    impl QueryEngine for FakeEngine {
        async fn query(&self, _sql: &str) -> pipeline_core::Result<QueryResult> {
            unreachable!("the handler always goes through execute")
        }
        async fn execute(&self, s: &Statement<'_>) -> pipeline_core::Result<QueryResult> {
            self.seen.lock().unwrap().push((
                s.sql.to_owned(),
                s.params.to_vec(),
                s.idempotency_key.map(str::to_owned),
            ));
            Ok(QueryResult {
                columns: vec![ResultColumn { name: "n".into(), type_name: "bigint".into() }],
                rows: (0..self.rows).map(|i| vec![json!(i)]).collect(),
                bytes_scanned: Some(4_096),
                engine_ms: Some(321),
                ..QueryResult::default()
            })
        }
    }

    fn setup(rows: usize, max_rows: usize) -> (Deps, Arc<FakeEngine>, Arc<RecordingSink>) {
        let engine = Arc::new(FakeEngine { rows, seen: Mutex::default() });
        let metrics = Arc::new(RecordingSink::default());
        let deps = Deps {
            engine: engine.clone(),
            max_result_rows: max_rows,
            metrics: metrics.clone(),
            gold_store: None,
            results_store: None,
        };
        (deps, engine, metrics)
    }

    fn invocation(payload: serde_json::Value, request_id: &str) -> LambdaEvent<QueryRequest> {
        let mut context = Context::default();
        context.request_id = request_id.to_owned();
        LambdaEvent::new(serde_json::from_value(payload).unwrap(), context)
    }

    #[tokio::test]
    async fn runs_the_embedded_sql_with_the_request_id_as_idempotency_key() {
        let (deps, engine, metrics) = setup(3, 10);
        let Response::Query(response) =
            handle(invocation(json!({"query": "top_titles"}), "req-1"), &deps).await.unwrap()
        else {
            panic!("a query response")
        };
        assert_eq!(response.row_count, 3);
        assert!(!response.truncated);
        assert_eq!(response.bytes_scanned, Some(4_096));
        let seen = engine.seen.lock().unwrap().clone();
        assert_eq!(
            seen,
            [(named_query("top_titles").unwrap().sql.to_owned(), vec![], Some("req-1".into()))]
        );
        assert_eq!(metrics.total(names::BYTES_SCANNED), Some(4_096.0));
        assert_eq!(metrics.emitted()[0].0, FUNCTION);
        let body = serde_json::to_value(&response).unwrap();
        assert_eq!(body["rows"], json!([[0], [1], [2]]));
        assert_eq!(body["columns"][0]["type_name"], "bigint");
    }

    #[tokio::test]
    async fn large_results_are_truncated_and_say_so() {
        let (deps, _, _) = setup(25, 10);
        let Response::Query(response) =
            handle(invocation(json!({"query": "rows_per_date"}), "r"), &deps).await.unwrap()
        else {
            panic!("a query response")
        };
        assert_eq!((response.rows.len(), response.row_count, response.truncated), (10, 25, true));
    }

    #[tokio::test]
    async fn bad_payloads_are_clear_non_retryable_errors_and_run_nothing() {
        let (deps, engine, _) = setup(1, 10);
        for (payload, expected) in [
            (json!({"query": "no_such_query"}), "unknown query"),
            (json!({"query": "top_titles", "params": ["'x'"]}), "takes 0 parameters, 1 given"),
            (json!({}), "expected {\"query\": NAME}"),
            (json!({"query": "top_titles", "refresh_gold": true}), "not both"),
            (json!({"refresh_gold": true}), "PROCESSED_BUCKET"),
            (json!({"query": "top_titles", "from": "2026-01-01"}), "go with refresh_gold"),
            (
                json!({"refresh_gold": true, "from": "2026-01-05", "to": "2026-01-01"}),
                "ends before",
            ),
            (json!({"refresh_gold": true, "from": "2025-01-01", "to": "2026-01-01"}), "at most 31"),
            (json!({"refresh_gold": true, "to": "yesterday"}), "YYYY-MM-DD"),
        ] {
            let error = handle(invocation(payload.clone(), "r"), &deps).await.unwrap_err();
            assert!(!error.is_retryable(), "{payload}");
            assert!(error.to_string().contains(expected), "{payload}: {error}");
        }
        assert!(engine.seen.lock().unwrap().is_empty());
        assert!(serde_json::from_value::<QueryRequest>(json!({"sql": "DROP TABLE t"})).is_err());
    }

    #[tokio::test]
    async fn refresh_gold_unloads_and_commits_every_gold_table_with_a_new_run_id_each_time() {
        use pipeline_core::memory::{MemoryAthena, MemoryBlobStore};
        let lake = Arc::new(MemoryBlobStore::new(0));
        let results = Arc::new(MemoryBlobStore::new(0));
        // Every query writes one empty-schema Parquet file per refreshed day.
        let athena = Arc::new(MemoryAthena::new(
            lake.clone(),
            results.clone(),
            Box::new(|_, params| {
                let day =
                    params.last().map(|p| p.trim_matches('\'').to_owned()).unwrap_or_default();
                Ok(vec![(day, parquet_file())])
            }),
        ));
        let metrics = Arc::new(RecordingSink::default());
        let deps = Deps {
            engine: athena.clone(),
            max_result_rows: 10,
            metrics: metrics.clone(),
            gold_store: Some(lake.clone()),
            results_store: Some(results.clone()),
        };
        let payload = json!({"refresh_gold": true, "from": "2026-01-02", "to": "2026-01-02"});
        let mut runs = Vec::new();
        for attempt in 0..2 {
            // The same request id both times: a Lambda retry.
            let Response::Gold(response) =
                handle(invocation(payload.clone(), "req-1"), &deps).await.unwrap()
            else {
                panic!("a gold response")
            };
            assert_eq!(response.tables.len(), pipeline_core::gold::GOLD_QUERIES.len());
            assert!(response.tables.iter().all(|t| t.days_committed == 1), "attempt {attempt}");
            assert!(response.run_id.starts_with("req-1-"));
            runs.push(response.run_id);
        }
        assert_ne!(runs[0], runs[1], "each attempt is a new run");
        let manifest = pipeline_core::commit::manifest_files(
            lake.as_ref(),
            &pipeline_core::commit::GOLD[4],
            "2026-01-02",
        )
        .await
        .unwrap();
        assert_eq!(manifest.len(), 1);
        assert!(
            manifest[0].contains(&format!("/unload/{}/2026-01-02/event_date=2026-01-02/", runs[1]))
        );
        assert_eq!(metrics.total(names::BYTES_SCANNED), Some(2.0 * 7.0 * 1_000.0));

        // The scheduled shape (`scope: stale`) over the same, long-closed day: silver has
        // not changed since the last commit and the arrival day had settled, so nothing runs.
        let ran = athena.statements().len();
        let payload = json!({"refresh_gold": true, "from": "2026-01-02", "to": "2026-01-02", "scope": "stale"});
        let Response::Gold(response) = handle(invocation(payload, "req-2"), &deps).await.unwrap()
        else {
            panic!("a gold response")
        };
        assert_eq!(response.scope, RefreshScope::Stale);
        assert!(response.tables.iter().all(|t| t.days_fresh == 1 && t.statements == 0));
        assert_eq!(response.bytes_scanned, 0);
        assert_eq!(athena.statements().len(), ran, "an unchanged day scans nothing");
    }

    fn parquet_file() -> bytes::Bytes {
        let schema = Arc::new(arrow_schema::Schema::new(vec![arrow_schema::Field::new(
            "n",
            arrow_schema::DataType::Int64,
            false,
        )]));
        let batch = arrow_array::RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(arrow_array::Int64Array::from_iter_values(0..3))],
        )
        .unwrap();
        let mut bytes = Vec::new();
        let mut writer = parquet::arrow::ArrowWriter::try_new(&mut bytes, schema, None).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        bytes.into()
    }

    #[test]
    fn the_default_refresh_is_the_last_closed_week_and_today_only_when_asked() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let request = QueryRequest { refresh_gold: true, ..QueryRequest::default() };
        let range = refresh_range(&request, today).unwrap();
        assert_eq!(
            (range.from.to_string(), range.to.to_string()),
            ("2026-02-22".into(), "2026-02-28".into())
        );
        let open = QueryRequest { open_day: true, ..request.clone() };
        assert_eq!(refresh_range(&open, today).unwrap().to.to_string(), "2026-03-01");
        let request = QueryRequest { to: Some("2026-01-10".into()), ..request };
        let range = refresh_range(&request, today).unwrap();
        assert_eq!(
            (range.from.to_string(), range.to.to_string()),
            ("2026-01-10".into(), "2026-01-10".into())
        );
    }
}
