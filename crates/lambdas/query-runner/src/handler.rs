//! `handle(event, &Deps)`: one named query on Athena, rows back as JSON.
//!
//! The SQL comes only from the embedded `sql/queries/` files: a caller names a query, it
//! never sends SQL, so the function's IAM permissions cannot be turned into arbitrary
//! queries. Parameters are bound by Athena (execution parameters), never spliced into the
//! text, and their number must match the query's `?` placeholders. The Lambda request id is
//! the idempotency key, so a retried invocation reuses the execution it started.

use std::sync::Arc;

use aws_adapters::config::{athena_client, load_sdk_config};
use aws_adapters::AthenaEngine;
use lambda_runtime::LambdaEvent;
use lambda_support::metrics::names;
use lambda_support::{LambdaError, MetricSink, Result, StdoutEmf};
use pipeline_core::metrics::Metric;
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
}

impl Deps {
    /// The production wiring: Athena through the default credential chain, EMF on stdout.
    pub async fn from_aws(config: Config) -> Self {
        let sdk = load_sdk_config().await;
        Self {
            engine: Arc::new(AthenaEngine::new(athena_client(&sdk), config.athena)),
            max_result_rows: config.max_result_rows,
            metrics: Arc::new(StdoutEmf),
        }
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

/// Handles one invocation.
pub async fn handle(event: LambdaEvent<QueryRequest>, deps: &Deps) -> Result<QueryResponse> {
    let request = event.payload;
    let name = match (&request.query, request.refresh_gold) {
        (Some(_), true) => {
            return Err(LambdaError::Payload("give either query or refresh_gold, not both".into()))
        }
        (None, true) => {
            return Err(LambdaError::fatal(
                "refresh_gold: the gold layer (sql/gold/) is not part of this build yet",
            ))
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
    Ok(QueryResponse {
        query: name.clone(),
        columns: result.columns,
        rows,
        row_count,
        truncated,
        bytes_scanned: result.bytes_scanned,
        engine_ms: result.engine_ms,
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
            })
        }
    }

    fn setup(rows: usize, max_rows: usize) -> (Deps, Arc<FakeEngine>, Arc<RecordingSink>) {
        let engine = Arc::new(FakeEngine { rows, seen: Mutex::default() });
        let metrics = Arc::new(RecordingSink::default());
        let deps =
            Deps { engine: engine.clone(), max_result_rows: max_rows, metrics: metrics.clone() };
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
        let response =
            handle(invocation(json!({"query": "top_titles"}), "req-1"), &deps).await.unwrap();
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
        let response =
            handle(invocation(json!({"query": "rows_per_date"}), "r"), &deps).await.unwrap();
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
            (json!({"refresh_gold": true}), "gold layer"),
        ] {
            let error = handle(invocation(payload.clone(), "r"), &deps).await.unwrap_err();
            assert!(!error.is_retryable(), "{payload}");
            assert!(error.to_string().contains(expected), "{payload}: {error}");
        }
        assert!(engine.seen.lock().unwrap().is_empty());
        assert!(serde_json::from_value::<QueryRequest>(json!({"sql": "DROP TABLE t"})).is_err());
    }
}
