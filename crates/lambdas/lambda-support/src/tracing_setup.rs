//! JSON logs. Lambda sends stdout to CloudWatch Logs; one JSON object per line makes them
//! queryable with Logs Insights (`fields @timestamp, level, fields.message | filter ...`).

use tracing_subscriber::EnvFilter;

/// Installs a JSON `tracing` subscriber on stdout. The level comes from `RUST_LOG`, then
/// `AWS_LAMBDA_LOG_LEVEL` (set by Lambda's advanced logging controls), then `info`.
/// Calling it twice is harmless.
pub fn init_tracing() {
    let directive = std::env::var("RUST_LOG")
        .or_else(|_| std::env::var("AWS_LAMBDA_LOG_LEVEL").map(|level| level.to_lowercase()))
        .unwrap_or_else(|_| "info".to_owned());
    let filter = EnvFilter::try_new(&directive).unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_target(false)
        .with_current_span(false)
        .try_init();
}
