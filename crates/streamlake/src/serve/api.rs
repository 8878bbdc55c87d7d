//! The dashboard's JSON endpoints. Each one aggregates the small gold tables on the server
//! (DataFusion over `gold/netflix/`) and sends the browser summaries, never silver rows, so the
//! page stays fast on a lake of any size.
//!
//! Every endpoint but `/api/dates` and `/api/health` takes optional `from` and `to`
//! (inclusive `YYYY-MM-DD`): `event_date` for engagement tables, `ingest_date` for the
//! data-quality ones.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use local_runtime::engine::to_query_result;
use local_runtime::LocalQueryEngine;
use pipeline_core::gold::parse_day;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::health::{evaluate, HealthInputs};
use super::AppState;

/// An endpoint failure: HTTP status and a one-line message, sent as `{"error": …}`.
#[derive(Debug)]
pub struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl ApiError {
    fn internal(error: impl std::fmt::Display) -> Self {
        Self(StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
    }
}

type ApiResult = Result<Json<Value>, ApiError>;

/// The `from` / `to` / `limit` query parameters.
#[derive(Debug, Default, Deserialize)]
pub struct RangeParams {
    from: Option<String>,
    to: Option<String>,
    limit: Option<usize>,
}

impl RangeParams {
    /// A SQL predicate on `column` for the range (validated dates only: no injection).
    fn predicate(&self, column: &str) -> Result<String, ApiError> {
        let mut clauses = vec!["TRUE".to_owned()];
        for (value, op) in [(&self.from, ">="), (&self.to, "<=")] {
            if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
                parse_day(value)
                    .map_err(|error| ApiError(StatusCode::BAD_REQUEST, error.to_string()))?;
                clauses.push(format!("{column} {op} '{value}'"));
            }
        }
        Ok(clauses.join(" AND "))
    }
}

/// The engine over the lake as it is now (catalog re-read, so new gold partitions show).
async fn open(state: &AppState) -> Result<LocalQueryEngine, ApiError> {
    LocalQueryEngine::open(&state.lake_root).await.map_err(ApiError::internal)
}

/// Runs SQL and returns its rows as JSON objects keyed by column name.
async fn rows(engine: &LocalQueryEngine, sql: &str) -> Result<Vec<Map<String, Value>>, ApiError> {
    let (schema, batches) = engine.query_batches(sql).await.map_err(ApiError::internal)?;
    let result = to_query_result(&schema, &batches).map_err(ApiError::internal)?;
    Ok(result
        .rows
        .into_iter()
        .map(|row| {
            result.columns.iter().map(|column| column.name.clone()).zip(row).collect::<Map<_, _>>()
        })
        .collect())
}

async fn rows_response(state: &AppState, sql: &str) -> ApiResult {
    Ok(Json(json!({ "rows": rows(&open(state).await?, sql).await? })))
}

/// `/api/dates`: the days gold holds.
pub async fn dates(State(state): State<Arc<AppState>>) -> ApiResult {
    let dates: Vec<Value> = rows(
        &open(&state).await?,
        "SELECT DISTINCT event_date FROM daily_event_types ORDER BY event_date",
    )
    .await?
    .into_iter()
    .filter_map(|mut row| row.remove("event_date"))
    .collect();
    Ok(Json(json!({
        "min": dates.first().cloned().unwrap_or(Value::Null),
        "max": dates.last().cloned().unwrap_or(Value::Null),
        "dates": dates,
    })))
}

/// `/api/summary`: the KPI tiles.
pub async fn summary(
    State(state): State<Arc<AppState>>,
    Query(params): Query<RangeParams>,
) -> ApiResult {
    let events = params.predicate("event_date")?;
    let ingest = params.predicate("ingest_date")?;
    let sql = format!(
        "SELECT
           (SELECT SUM(events) FROM daily_event_types WHERE {events}) AS events,
           (SELECT SUM(plays) FROM daily_engagement_by_country_device WHERE {events}) AS plays,
           (SELECT SUM(sessions) FROM daily_engagement_by_country_device WHERE {events}) AS sessions,
           (SELECT SUM(hours_viewed) FROM daily_engagement_by_country_device WHERE {events}) AS hours_viewed,
           (SELECT SUM(views) FROM daily_title_engagement WHERE {events}) AS views,
           (SELECT SUM(records_in) FROM daily_data_quality WHERE {ingest}) AS records_in,
           (SELECT SUM(quarantined) FROM daily_data_quality WHERE {ingest}) AS quarantined,
           (SELECT SUM(duplicates_dropped) FROM daily_data_quality WHERE {ingest}) AS duplicates_dropped"
    );
    let mut row = rows(&open(&state).await?, &sql).await?.into_iter().next().unwrap_or_default();
    let count = |row: &Map<String, Value>, key: &str| row.get(key).and_then(Value::as_u64);
    let rate = match (count(&row, "quarantined"), count(&row, "records_in")) {
        (Some(q), Some(n)) if n > 0 => json!(q as f64 / n as f64),
        _ => Value::Null,
    };
    for key in ["events", "plays", "sessions", "records_in", "quarantined", "duplicates_dropped"] {
        let value = row.get(key).cloned().filter(|v| !v.is_null()).unwrap_or(json!(0));
        row.insert(key.to_owned(), value);
    }
    row.insert("rejection_rate".into(), rate);
    row.insert("from".into(), json!(params.from));
    row.insert("to".into(), json!(params.to));
    Ok(Json(Value::Object(row)))
}

/// `/api/rows_per_date`: silver rows per event date.
pub async fn rows_per_date(
    State(state): State<Arc<AppState>>,
    Query(params): Query<RangeParams>,
) -> ApiResult {
    let filter = params.predicate("event_date")?;
    rows_response(
        &state,
        &format!(
            "SELECT event_date, SUM(events) AS \"rows\" FROM daily_event_types WHERE {filter}
             GROUP BY event_date ORDER BY event_date"
        ),
    )
    .await
}

/// `/api/event_types`: rows per event type, with its share.
pub async fn event_types(
    State(state): State<Arc<AppState>>,
    Query(params): Query<RangeParams>,
) -> ApiResult {
    let filter = params.predicate("event_date")?;
    rows_response(
        &state,
        &format!(
            "SELECT event_type, SUM(events) AS events,
                    CAST(SUM(events) AS DOUBLE) / SUM(SUM(events)) OVER () AS share
             FROM daily_event_types WHERE {filter}
             GROUP BY event_type ORDER BY events DESC, event_type"
        ),
    )
    .await
}

/// `/api/top_titles`: titles ranked by views.
pub async fn top_titles(
    State(state): State<Arc<AppState>>,
    Query(params): Query<RangeParams>,
) -> ApiResult {
    let filter = params.predicate("event_date")?;
    let limit = params.limit.unwrap_or(10).clamp(1, 1000);
    rows_response(
        &state,
        &format!(
            "SELECT title_id, MAX(title_name) AS title_name, SUM(views) AS views,
                    SUM(hours_viewed) AS hours_viewed, SUM(plays) AS plays
             FROM daily_title_engagement WHERE {filter}
             GROUP BY title_id ORDER BY views DESC NULLS LAST, title_id LIMIT {limit}"
        ),
    )
    .await
}

/// `/api/hours_by_date`: hours viewed, plays and sessions per day.
pub async fn hours_by_date(
    State(state): State<Arc<AppState>>,
    Query(params): Query<RangeParams>,
) -> ApiResult {
    let filter = params.predicate("event_date")?;
    rows_response(
        &state,
        &format!(
            "SELECT event_date, SUM(hours_viewed) AS hours_viewed, SUM(plays) AS plays,
                    SUM(sessions) AS sessions
             FROM daily_engagement_by_country_device WHERE {filter}
             GROUP BY event_date ORDER BY event_date"
        ),
    )
    .await
}

async fn engagement_by(state: &AppState, params: &RangeParams, column: &str) -> ApiResult {
    let filter = params.predicate("event_date")?;
    rows_response(
        state,
        &format!(
            "SELECT {column}, SUM(hours_viewed) AS hours_viewed, SUM(plays) AS plays,
                    SUM(sessions) AS sessions
             FROM daily_engagement_by_country_device WHERE {filter}
             GROUP BY {column} ORDER BY hours_viewed DESC, {column}"
        ),
    )
    .await
}

/// `/api/countries`.
pub async fn countries(
    State(state): State<Arc<AppState>>,
    Query(params): Query<RangeParams>,
) -> ApiResult {
    engagement_by(&state, &params, "country").await
}

/// `/api/devices`.
pub async fn devices(
    State(state): State<Arc<AppState>>,
    Query(params): Query<RangeParams>,
) -> ApiResult {
    engagement_by(&state, &params, "device_type").await
}

/// The nearest-rank percentile of a histogram (`value → count`, ascending values).
pub fn histogram_rank(histogram: &[(i64, u64)], rank: u64) -> Option<i64> {
    let mut seen = 0;
    for (value, count) in histogram {
        seen += count;
        if seen >= rank && rank > 0 {
            return Some(*value);
        }
    }
    None
}

/// `/api/playback_quality`: per device, with exact TTFH percentiles over the range (merged
/// from the per-second distribution).
pub async fn playback_quality(
    State(state): State<Arc<AppState>>,
    Query(params): Query<RangeParams>,
) -> ApiResult {
    let filter = params.predicate("event_date")?;
    let engine = open(&state).await?;
    let mut quality = rows(
        &engine,
        &format!(
            "SELECT device_type, SUM(sessions) AS sessions, SUM(playing_hours) AS playing_hours,
                    SUM(rebuffer_hours) AS rebuffer_hours,
                    SUM(rebuffer_hours) / NULLIF(SUM(playing_hours), 0) AS rebuffer_ratio,
                    SUM(error_sessions) AS error_sessions,
                    CAST(1000 * SUM(error_sessions) AS DOUBLE) / NULLIF(SUM(sessions), 0)
                      AS error_sessions_per_1000
             FROM daily_playback_quality WHERE {filter}
             GROUP BY device_type ORDER BY device_type"
        ),
    )
    .await?;
    let buckets = rows(
        &engine,
        &format!(
            "SELECT device_type, ttfh_s, SUM(sessions) AS sessions
             FROM daily_ttfh_distribution WHERE {filter}
             GROUP BY device_type, ttfh_s ORDER BY device_type, ttfh_s"
        ),
    )
    .await?;
    let mut histograms: BTreeMap<String, Vec<(i64, u64)>> = BTreeMap::new();
    for bucket in buckets {
        if let (Some(device), Some(ttfh), Some(sessions)) = (
            bucket.get("device_type").and_then(Value::as_str),
            bucket.get("ttfh_s").and_then(Value::as_i64),
            bucket.get("sessions").and_then(Value::as_u64),
        ) {
            histograms.entry(device.to_owned()).or_default().push((ttfh, sessions));
        }
    }
    for row in &mut quality {
        let histogram = row
            .get("device_type")
            .and_then(Value::as_str)
            .and_then(|device| histograms.get(device))
            .cloned()
            .unwrap_or_default();
        let n: u64 = histogram.iter().map(|(_, count)| count).sum();
        row.insert("ttfh_median_s".into(), json!(histogram_rank(&histogram, n.div_ceil(2))));
        row.insert("ttfh_p95_s".into(), json!(histogram_rank(&histogram, (95 * n).div_ceil(100))));
    }
    Ok(Json(json!({ "rows": quality })))
}

/// `/api/rejections`: quarantined rows per reason code.
pub async fn rejections(
    State(state): State<Arc<AppState>>,
    Query(params): Query<RangeParams>,
) -> ApiResult {
    let filter = params.predicate("ingest_date")?;
    rows_response(
        &state,
        &format!(
            "SELECT reason_code, SUM(quarantined) AS quarantined
             FROM daily_quarantine_reasons WHERE {filter}
             GROUP BY reason_code ORDER BY quarantined DESC, reason_code"
        ),
    )
    .await
}

/// `/api/data_quality`: the ledgers per arrival day.
pub async fn data_quality(
    State(state): State<Arc<AppState>>,
    Query(params): Query<RangeParams>,
) -> ApiResult {
    let filter = params.predicate("ingest_date")?;
    rows_response(
        &state,
        &format!(
            "SELECT ingest_date, raw_objects, records_in, written, quarantined,
                    duplicates_dropped, rejection_rate
             FROM daily_data_quality WHERE {filter} ORDER BY ingest_date"
        ),
    )
    .await
}

/// `/api/health`: the operator checklist.
pub async fn health(State(state): State<Arc<AppState>>) -> ApiResult {
    let state = Arc::clone(&state);
    let health = tokio::task::spawn_blocking(move || -> Result<Value, ApiError> {
        let document = local_runtime::LocalCatalog::new(&state.lake_root)
            .load()
            .map_err(ApiError::internal)?;
        let mut index =
            state.ledgers.lock().map_err(|_| ApiError::internal("ledger index poisoned"))?;
        index.refresh(&super::health::ledger_dir(&state.lake_root)).map_err(ApiError::internal)?;
        let inputs =
            HealthInputs::read(&state.lake_root, &document, &index).map_err(ApiError::internal)?;
        let as_of = state.as_of.resolve(&inputs);
        serde_json::to_value(evaluate(&inputs, as_of, &state.thresholds))
            .map_err(ApiError::internal)
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(Json(health))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_percentiles_are_nearest_rank() {
        let histogram = [(1, 1), (2, 1), (3, 1), (4, 1), (5, 1), (100, 1)];
        assert_eq!(histogram_rank(&histogram, 3), Some(3));
        assert_eq!(histogram_rank(&histogram, 6), Some(100));
        assert_eq!(histogram_rank(&[(7, 10)], 1), Some(7));
        assert_eq!(histogram_rank(&[], 1), None);
        assert_eq!(histogram_rank(&histogram, 0), None);
    }

    #[test]
    fn ranges_are_validated_before_they_reach_sql() {
        let params = RangeParams { from: Some("2026-01-01".into()), to: None, limit: None };
        assert_eq!(params.predicate("event_date").unwrap(), "TRUE AND event_date >= '2026-01-01'");
        let bad = RangeParams { from: Some("2026-01-01' OR '1'='1".into()), to: None, limit: None };
        assert_eq!(bad.predicate("event_date").unwrap_err().0, StatusCode::BAD_REQUEST);
    }
}
