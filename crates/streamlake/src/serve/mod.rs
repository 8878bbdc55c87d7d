//! `streamlake serve`: the dashboard, served by the binary on 127.0.0.1 with its assets
//! embedded (no CDN, no network), and the JSON endpoints behind it.
//!
//! - [`api`]: the JSON endpoints, aggregating the gold tables on the server;
//! - [`health`]: the pipeline health checklist.

pub mod api;
pub mod health;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use clap::Args;
use tokio::net::TcpListener;

use health::{HealthInputs, LedgerIndex, Thresholds};

/// The page and its assets, embedded at compile time.
const INDEX_HTML: &str = include_str!("../../assets/dashboard/index.html");
const APP_JS: &str = include_str!("../../assets/dashboard/app.js");
const STYLE_CSS: &str = include_str!("../../assets/dashboard/style.css");

/// Arguments of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Lake directory.
    #[arg(long, default_value_os_t = crate::default_lake())]
    pub lake: PathBuf,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Judge freshness as of this instant (RFC 3339), or `latest-arrival` to replay a
    /// historical or generated lake as of its newest raw object. Default: now.
    #[arg(long)]
    pub as_of: Option<String>,
    /// The raw-arrivals check turns red when the newest raw object is older than this many
    /// minutes.
    #[arg(long, default_value_t = 60)]
    pub max_raw_age_minutes: i64,
    /// The quarantine-rate check turns red above this ratio (the quarantine_ratio alarm's
    /// default).
    #[arg(long, default_value_t = 0.05)]
    pub max_quarantine_rate: f64,
    /// The processed-freshness check turns red when the newest processed arrival trails the
    /// newest raw arrival by more than this many minutes.
    #[arg(long, default_value_t = 15)]
    pub max_processing_lag_minutes: i64,
}

/// When freshness is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOf {
    /// The wall clock at each request.
    Now,
    /// A fixed instant, epoch seconds.
    At(i64),
    /// The newest raw object's arrival.
    LatestArrival,
}

impl AsOf {
    /// Parses `--as-of`.
    pub fn parse(text: Option<&str>) -> Result<Self> {
        Ok(match text {
            None | Some("now") => AsOf::Now,
            Some("latest-arrival") => AsOf::LatestArrival,
            Some(instant) => AsOf::At(
                chrono::DateTime::parse_from_rfc3339(instant)
                    .with_context(|| {
                        format!("--as-of {instant:?} is not RFC 3339, `now` or `latest-arrival`")
                    })?
                    .timestamp(),
            ),
        })
    }

    /// The instant for `inputs`.
    pub fn resolve(&self, inputs: &HealthInputs<'_>) -> i64 {
        match self {
            AsOf::Now => chrono::Utc::now().timestamp(),
            AsOf::At(instant) => *instant,
            AsOf::LatestArrival => inputs
                .raw
                .iter()
                .map(|object| object.arrival_ts)
                .max()
                .unwrap_or_else(|| chrono::Utc::now().timestamp()),
        }
    }
}

/// What every request shares.
#[derive(Debug)]
pub struct AppState {
    /// The lake root (canonical).
    pub lake_root: PathBuf,
    /// When freshness is judged.
    pub as_of: AsOf,
    /// Check thresholds.
    pub thresholds: Thresholds,
    /// The ledger index, refreshed by each health request.
    pub ledgers: Mutex<LedgerIndex>,
}

impl AppState {
    /// State for the lake at `lake`, with the ledger index loaded.
    pub fn load(lake: &std::path::Path, as_of: AsOf, thresholds: Thresholds) -> Result<Self> {
        let lake = local_runtime::Lake::open(lake)?;
        let lake_root = lake.root().canonicalize().context("resolving the lake directory")?;
        let mut ledgers = LedgerIndex::default();
        ledgers.refresh(&health::ledger_dir(&lake_root)).context("reading the ledgers")?;
        Ok(Self { lake_root, as_of, thresholds, ledgers: Mutex::new(ledgers) })
    }
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-cache")], body)
}

/// Whether `host` (a `Host` header: name and optional port) names this machine's loopback
/// interface: `127.0.0.1`, `localhost` or `[::1]`.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split_once(']').map_or("", |(name, _)| name),
        None => match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host,
        },
    };
    name.eq_ignore_ascii_case("localhost") || name == "127.0.0.1" || name == "::1"
}

/// Refuses requests whose `Host` is not loopback, with 421 Misdirected Request. The server
/// binds 127.0.0.1, but a web page can rebind its own host name to 127.0.0.1 (DNS
/// rebinding) and then read the API as same-origin; its requests still carry that name, so
/// checking `Host` closes it. Browsers, curl and the dashboard itself send `127.0.0.1:<port>`
/// or `localhost:<port>`.
async fn require_loopback_host(request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .or_else(|| request.uri().authority().map(|authority| authority.as_str()));
    match host {
        Some(host) if is_loopback_host(host) => next.run(request).await,
        _ => (
            StatusCode::MISDIRECTED_REQUEST,
            "The StreamLake dashboard answers only to 127.0.0.1, localhost and [::1] (the Host header).\n",
        )
            .into_response(),
    }
}

/// The dashboard's routes.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(|| async { asset("text/html; charset=utf-8", INDEX_HTML) }))
        .route("/assets/app.js", get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }))
        .route("/assets/style.css", get(|| async { asset("text/css; charset=utf-8", STYLE_CSS) }))
        .route("/api/dates", get(api::dates))
        .route("/api/summary", get(api::summary))
        .route("/api/rows_per_date", get(api::rows_per_date))
        .route("/api/event_types", get(api::event_types))
        .route("/api/top_titles", get(api::top_titles))
        .route("/api/hours_by_date", get(api::hours_by_date))
        .route("/api/countries", get(api::countries))
        .route("/api/devices", get(api::devices))
        .route("/api/playback_quality", get(api::playback_quality))
        .route("/api/rejections", get(api::rejections))
        .route("/api/data_quality", get(api::data_quality))
        .route("/api/health", get(api::health))
        .layer(axum::middleware::from_fn(require_loopback_host))
        .with_state(state)
}

/// Every JSON endpoint, for the benchmark.
pub const ENDPOINTS: [&str; 12] = [
    "/api/dates",
    "/api/summary",
    "/api/rows_per_date",
    "/api/event_types",
    "/api/top_titles",
    "/api/hours_by_date",
    "/api/countries",
    "/api/devices",
    "/api/playback_quality",
    "/api/rejections",
    "/api/data_quality",
    "/api/health",
];

/// Binds 127.0.0.1:`port`.
pub async fn bind(port: u16) -> Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| format!("binding 127.0.0.1:{port}"))?;
    let address = listener.local_addr().context("reading the bound address")?;
    Ok((listener, address))
}

/// Runs `serve` until interrupted.
pub async fn run(args: ServeArgs) -> Result<ExitCode> {
    let as_of = AsOf::parse(args.as_of.as_deref())?;
    let thresholds = Thresholds {
        max_raw_age_s: args.max_raw_age_minutes.saturating_mul(60),
        max_quarantine_rate: args.max_quarantine_rate,
        max_processing_lag_s: args.max_processing_lag_minutes.saturating_mul(60),
        ..Thresholds::default()
    };
    let state = Arc::new(AppState::load(&args.lake, as_of, thresholds)?);
    let (listener, address) = bind(args.port).await?;
    println!(
        "Serving the StreamLake dashboard on http://{address}/ (lake {})",
        state.lake_root.display()
    );
    tracing::info!(address = %address, lake = %state.lake_root.display(), "Dashboard listening");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("serving the dashboard")?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use tower::ServiceExt;

    use super::*;

    fn app(lake: &std::path::Path) -> Router {
        router(Arc::new(AppState {
            lake_root: lake.to_path_buf(),
            as_of: AsOf::Now,
            thresholds: Thresholds::default(),
            ledgers: Mutex::new(LedgerIndex::default()),
        }))
    }

    async fn status(app: Router, host: Option<&str>) -> StatusCode {
        let mut request = axum::http::Request::builder().uri("/");
        if let Some(host) = host {
            request = request.header(header::HOST, host);
        }
        app.oneshot(request.body(Body::empty()).unwrap()).await.unwrap().status()
    }

    #[tokio::test]
    async fn only_loopback_host_names_are_served() {
        let lake = tempfile::tempdir().unwrap();
        for host in ["127.0.0.1:8080", "127.0.0.1", "localhost:8080", "LOCALHOST", "[::1]:8080"] {
            assert_eq!(status(app(lake.path()), Some(host)).await, StatusCode::OK, "{host}");
        }
        // A rebound name, look-alikes, and no Host at all.
        for host in [
            Some("attacker.example:8080"),
            Some("127.0.0.1.attacker.example"),
            Some("localhost.attacker.example:8080"),
            Some("[::2]:8080"),
            Some("127.0.0.1:80:80"),
            None,
        ] {
            assert_eq!(
                status(app(lake.path()), host).await,
                StatusCode::MISDIRECTED_REQUEST,
                "{host:?}"
            );
        }
    }
}
