//! [`QueryEngine`] over Amazon Athena (aws-sdk-athena).
//!
//! - `StartQueryExecution` in a workgroup, in database `netflix-streams-aws`, with a
//!   `ClientRequestToken` derived from the SQL and a caller-supplied nonce
//!   ([`client_request_token`]): a retried start with the same nonce is the same query, not a
//!   second bill.
//! - `GetQueryExecution` is polled with exponential backoff until a final state; past the
//!   overall timeout the query is stopped (`StopQueryExecution`) and an error returned.
//!   FAILED and CANCELLED are errors carrying Athena's `StateChangeReason`.
//! - `GetQueryResults` is paginated (1,000 rows a page). For a SELECT the first row of the
//!   first page repeats the column names and is skipped. Cells are typed from the result
//!   metadata ([`typed_value`]).
//! - Bytes scanned and engine time come from the execution statistics.

use std::future::Future;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_athena::types::{
    QueryExecutionContext, QueryExecutionState, ResultConfiguration, StatementType,
};
use pipeline_core::ports::{QueryEngine, QueryResult, ResultColumn, Statement};
use pipeline_core::{Error, Result};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tracing::{debug, warn};

use crate::error::{port_error, AdapterError};

const PORT: &str = "athena";
/// The Glue database of the StreamLake tables (DESIGN §4).
pub use crate::DEFAULT_DATABASE;
/// Rows per `GetQueryResults` page (the API's maximum).
pub const PAGE_SIZE: i32 = 1_000;

/// Where and how queries run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AthenaConfig {
    /// Workgroup (holds the result location and limits).
    pub workgroup: String,
    /// Database.
    pub database: String,
    /// Result location, when the workgroup does not enforce one.
    pub output_location: Option<String>,
    /// Give up (and stop the query) after this long.
    pub timeout: Duration,
    /// First polling interval; doubles up to `max_poll_interval`.
    pub poll_interval: Duration,
    /// Longest polling interval.
    pub max_poll_interval: Duration,
    /// Mixed into the `ClientRequestToken`; change it to run the same SQL again as a new
    /// query (the query-runner passes its invocation id).
    pub nonce: String,
}

impl AthenaConfig {
    /// Defaults for `workgroup`: database `netflix-streams-aws`, 5 minutes, polls from
    /// 200 ms to 2 s.
    pub fn new(workgroup: impl Into<String>) -> Self {
        Self {
            workgroup: workgroup.into(),
            database: DEFAULT_DATABASE.into(),
            output_location: None,
            timeout: Duration::from_secs(300),
            poll_interval: Duration::from_millis(200),
            max_poll_interval: Duration::from_secs(2),
            nonce: String::new(),
        }
    }
}

/// The idempotency token of a query: 64 hex chars of SHA-256 over the nonce and the SQL
/// (Athena accepts 32 to 128 characters).
pub fn client_request_token(sql: &str, nonce: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(nonce.as_bytes());
    hasher.update([0u8]);
    hasher.update(sql.as_bytes());
    hex::encode(hasher.finalize())
}

/// A cell typed by its Athena column type: integers and doubles become JSON numbers,
/// booleans bools, a missing value `null`, anything else (decimals, dates, timestamps,
/// strings, or a value that does not parse) a string.
pub fn typed_value(type_name: &str, value: Option<&str>) -> Value {
    let Some(text) = value else { return Value::Null };
    let number = match type_name.to_ascii_lowercase().as_str() {
        "bigint" | "integer" | "int" | "smallint" | "tinyint" => {
            text.parse::<i64>().ok().map(Value::from)
        }
        "double" | "float" | "real" => {
            text.parse::<f64>().ok().and_then(serde_json::Number::from_f64).map(Value::Number)
        }
        "boolean" => match text {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
        _ => None,
    };
    number.unwrap_or_else(|| Value::String(text.to_owned()))
}

/// One page of `GetQueryResults`, reduced to what the engine needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResultPage {
    /// Column names and types (Athena repeats them on every page).
    pub columns: Vec<ResultColumn>,
    /// Raw cells; `None` is SQL NULL.
    pub rows: Vec<Vec<Option<String>>>,
    /// Token of the next page.
    pub next_token: Option<String>,
}

/// Collects every page from `fetch` (called with the previous page's token) into typed rows.
/// When `has_header` is set, the first row of the first page is dropped if it repeats the
/// column names (Athena's header row for SELECT).
pub async fn collect_pages<F, Fut>(has_header: bool, mut fetch: F) -> Result<QueryResult>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<ResultPage>>,
{
    let mut result = QueryResult::default();
    let mut token = None;
    let mut first = true;
    loop {
        let page = fetch(token.take()).await?;
        if first {
            result.columns = page.columns.clone();
        }
        let is_header = |row: &Vec<Option<String>>| {
            row.len() == result.columns.len()
                && row
                    .iter()
                    .zip(&result.columns)
                    .all(|(cell, column)| cell.as_deref() == Some(column.name.as_str()))
        };
        let skip = usize::from(first && has_header && page.rows.first().is_some_and(is_header));
        for row in page.rows.into_iter().skip(skip) {
            let typed = result
                .columns
                .iter()
                .enumerate()
                .map(|(index, column)| {
                    typed_value(&column.type_name, row.get(index).and_then(|c| c.as_deref()))
                })
                .collect();
            result.rows.push(typed);
        }
        first = false;
        match page.next_token {
            Some(next) if !next.is_empty() => token = Some(next),
            _ => break,
        }
    }
    Ok(result)
}

/// Runs SQL on Athena.
#[derive(Debug, Clone)]
pub struct AthenaEngine {
    client: aws_sdk_athena::Client,
    config: AthenaConfig,
}

impl AthenaEngine {
    /// An engine using `client`.
    pub fn new(client: aws_sdk_athena::Client, config: AthenaConfig) -> Self {
        Self { client, config }
    }

    /// The settings.
    pub fn config(&self) -> &AthenaConfig {
        &self.config
    }

    /// Runs `sql` with an explicit idempotency nonce.
    pub async fn query_with_nonce(&self, sql: &str, nonce: &str) -> Result<QueryResult> {
        self.run(sql, &[], nonce).await
    }

    /// Runs `sql` with Athena execution parameters bound to its `?` placeholders, in order
    /// (the values are typed literals, e.g. `'2024-01-01'` or `10`).
    async fn run(&self, sql: &str, params: &[String], nonce: &str) -> Result<QueryResult> {
        let token_input = if params.is_empty() {
            sql.to_owned()
        } else {
            format!("{sql}\0{}", params.join("\0"))
        };
        let mut start = self
            .client
            .start_query_execution()
            .query_string(sql)
            .client_request_token(client_request_token(&token_input, nonce))
            .set_execution_parameters((!params.is_empty()).then(|| params.to_vec()))
            .work_group(&self.config.workgroup)
            .query_execution_context(
                QueryExecutionContext::builder().database(&self.config.database).build(),
            );
        if let Some(location) = &self.config.output_location {
            start = start.result_configuration(
                ResultConfiguration::builder().output_location(location).build(),
            );
        }
        let started =
            start.send().await.map_err(|error| port_error(PORT, "StartQueryExecution", &error))?;
        let id = started
            .query_execution_id()
            .ok_or_else(|| AdapterError::Unexpected {
                service: PORT,
                message: "StartQueryExecution returned no id".into(),
            })?
            .to_owned();
        debug!(query_execution_id = %id, "Started query");
        let (has_header, mut result) = self.wait(&id).await?;
        let paged = collect_pages(has_header, |token| self.page(&id, token)).await?;
        result.columns = paged.columns;
        result.rows = paged.rows;
        Ok(result)
    }

    /// Polls until the query ends; returns whether results carry a header row, and the
    /// statistics.
    async fn wait(&self, id: &str) -> Result<(bool, QueryResult)> {
        let deadline = Instant::now() + self.config.timeout;
        let mut interval = self.config.poll_interval;
        loop {
            let output =
                self.client.get_query_execution().query_execution_id(id).send().await.map_err(
                    |error| port_error(PORT, &format!("GetQueryExecution {id}"), &error),
                )?;
            let execution = output.query_execution().ok_or_else(|| AdapterError::Unexpected {
                service: PORT,
                message: format!("GetQueryExecution {id} returned no execution"),
            })?;
            let status = execution.status();
            let reason = status
                .and_then(|s| s.state_change_reason())
                .unwrap_or("no reason given")
                .to_owned();
            match status.and_then(|s| s.state()) {
                Some(QueryExecutionState::Succeeded) => {
                    let statistics = execution.statistics();
                    let result = QueryResult {
                        bytes_scanned: statistics
                            .and_then(|s| s.data_scanned_in_bytes())
                            .and_then(|n| u64::try_from(n).ok()),
                        engine_ms: statistics
                            .and_then(|s| s.engine_execution_time_in_millis())
                            .and_then(|n| u64::try_from(n).ok()),
                        execution_id: Some(id.to_owned()),
                        output_location: execution
                            .result_configuration()
                            .and_then(|c| c.output_location())
                            .map(str::to_owned),
                        ..QueryResult::default()
                    };
                    let has_header =
                        matches!(execution.statement_type(), Some(StatementType::Dml) | None);
                    return Ok((has_header, result));
                }
                Some(QueryExecutionState::Failed) => {
                    let retryable =
                        status.and_then(|s| s.athena_error()).is_some_and(|e| e.retryable());
                    return Err(Error::Port {
                        port: PORT,
                        message: format!("query {id} FAILED: {reason}"),
                        retryable,
                    });
                }
                Some(QueryExecutionState::Cancelled) => {
                    return Err(Error::Port {
                        port: PORT,
                        message: format!("query {id} was CANCELLED: {reason}"),
                        retryable: false,
                    });
                }
                _ => {}
            }
            let now = Instant::now();
            if now >= deadline {
                warn!(query_execution_id = %id, "Query timed out; stopping it");
                if let Err(error) =
                    self.client.stop_query_execution().query_execution_id(id).send().await
                {
                    warn!(query_execution_id = %id, error = %port_error(PORT, "StopQueryExecution", &error), "Could not stop the query");
                }
                return Err(Error::Port {
                    port: PORT,
                    message: format!(
                        "query {id} did not finish within {:?}; it was stopped",
                        self.config.timeout
                    ),
                    retryable: true,
                });
            }
            tokio::time::sleep(interval.min(deadline - now)).await;
            interval = (interval * 2).min(self.config.max_poll_interval);
        }
    }

    async fn page(&self, id: &str, token: Option<String>) -> Result<ResultPage> {
        let output = self
            .client
            .get_query_results()
            .query_execution_id(id)
            .max_results(PAGE_SIZE)
            .set_next_token(token)
            .send()
            .await
            .map_err(|error| port_error(PORT, &format!("GetQueryResults {id}"), &error))?;
        let Some(set) = output.result_set() else {
            return Ok(ResultPage {
                next_token: output.next_token().map(str::to_owned),
                ..ResultPage::default()
            });
        };
        let columns = set
            .result_set_metadata()
            .map(|m| {
                m.column_info()
                    .iter()
                    .map(|c| ResultColumn {
                        name: c.name().to_owned(),
                        type_name: c.r#type().to_owned(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let rows = set
            .rows()
            .iter()
            .map(|row| row.data().iter().map(|d| d.var_char_value().map(str::to_owned)).collect())
            .collect();
        Ok(ResultPage { columns, rows, next_token: output.next_token().map(str::to_owned) })
    }
}

#[async_trait]
impl QueryEngine for AthenaEngine {
    async fn query(&self, sql: &str) -> Result<QueryResult> {
        self.query_with_nonce(sql, &self.config.nonce).await
    }

    async fn execute(&self, statement: &Statement<'_>) -> Result<QueryResult> {
        let nonce = statement.idempotency_key.unwrap_or(&self.config.nonce);
        self.run(statement.sql, statement.params, nonce).await
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::Mutex;

    use super::*;

    fn columns() -> Vec<ResultColumn> {
        [("title_id", "varchar"), ("plays", "bigint"), ("ratio", "double"), ("ok", "boolean")]
            .into_iter()
            .map(|(name, type_name)| ResultColumn {
                name: name.into(),
                type_name: type_name.into(),
            })
            .collect()
    }

    fn row(cells: &[Option<&str>]) -> Vec<Option<String>> {
        cells.iter().map(|c| c.map(str::to_owned)).collect()
    }

    #[test]
    fn cells_are_typed_from_the_metadata() {
        assert_eq!(typed_value("bigint", Some("42")), Value::from(42));
        assert_eq!(typed_value("integer", Some("-7")), Value::from(-7));
        assert_eq!(typed_value("double", Some("0.5")), Value::from(0.5));
        assert_eq!(typed_value("double", Some("NaN")), Value::from("NaN"));
        assert_eq!(typed_value("boolean", Some("true")), Value::Bool(true));
        assert_eq!(typed_value("varchar", Some("12")), Value::from("12"));
        assert_eq!(typed_value("decimal(38,2)", Some("1.10")), Value::from("1.10"));
        assert_eq!(
            typed_value("timestamp", Some("2026-01-01 00:00:00.000")),
            Value::from("2026-01-01 00:00:00.000")
        );
        assert_eq!(typed_value("bigint", None), Value::Null);
        assert_eq!(typed_value("bigint", Some("x")), Value::from("x"));
    }

    #[test]
    fn tokens_are_stable_and_within_athena_limits() {
        let token = client_request_token("SELECT 1", "n1");
        assert_eq!(token, client_request_token("SELECT 1", "n1"));
        assert_ne!(token, client_request_token("SELECT 1", "n2"));
        assert_ne!(token, client_request_token("SELECT 2", "n1"));
        assert!((32..=128).contains(&token.len()));
    }

    #[tokio::test]
    async fn pages_are_followed_and_only_the_first_header_is_skipped() {
        let header = row(&[Some("title_id"), Some("plays"), Some("ratio"), Some("ok")]);
        let mut first: Vec<Vec<Option<String>>> = vec![header];
        first.extend((0..999).map(|i| row(&[Some("t"), Some(&i.to_string()), Some("1.5"), None])));
        let second: Vec<Vec<Option<String>>> = (999..1999)
            .map(|i| row(&[Some("t"), Some(&i.to_string()), None, Some("false")]))
            .collect();
        let third = vec![row(&[Some("last"), Some("1999"), Some("2"), Some("true")])];
        let pages = Mutex::new(VecDeque::from(vec![
            ResultPage { columns: columns(), rows: first, next_token: Some("p2".into()) },
            ResultPage { columns: columns(), rows: second, next_token: Some("p3".into()) },
            ResultPage { columns: columns(), rows: third, next_token: None },
        ]));
        let tokens = Mutex::new(Vec::new());
        let result = collect_pages(true, |token| {
            tokens.lock().unwrap().push(token);
            let page = pages.lock().unwrap().pop_front().unwrap();
            async move { Ok(page) }
        })
        .await
        .unwrap();
        assert_eq!(*tokens.lock().unwrap(), vec![None, Some("p2".into()), Some("p3".into())]);
        assert_eq!(result.rows.len(), 2_000);
        assert_eq!(result.columns, columns());
        for (i, row) in result.rows.iter().enumerate() {
            assert_eq!(row[1], Value::from(i as i64), "row {i} in order");
        }
        assert_eq!(result.rows[0][3], Value::Null);
        assert_eq!(result.rows[999][2], Value::Null);
        assert_eq!(
            result.rows[1999],
            vec![Value::from("last"), Value::from(1999), Value::from(2.0), Value::Bool(true)]
        );
    }

    #[tokio::test]
    async fn no_header_is_skipped_for_other_statements() {
        let cols = vec![ResultColumn { name: "tab_name".into(), type_name: "string".into() }];
        let page = ResultPage {
            columns: cols,
            rows: vec![row(&[Some("tab_name")]), row(&[Some("b")])],
            next_token: None,
        };
        let result = collect_pages(false, |_| {
            let page = page.clone();
            async move { Ok(page) }
        })
        .await
        .unwrap();
        assert_eq!(result.rows.len(), 2);
    }
}
