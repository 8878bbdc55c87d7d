//! # lambda-query-runner
//!
//! The query-runner Lambda: runs one of StreamLake's named queries (the `sql/queries/*.sql`
//! files, embedded at compile time, the same SQL the local engine runs) on Athena and
//! returns the rows as JSON with the bytes scanned.
//!
//! Payloads: `{"query": "top_titles"}`, optionally with `"params": ["'2024-01-01'"]` bound
//! to `?` placeholders as Athena execution parameters; or `{"refresh_gold": true}` for the
//! hourly gold refresh (the gold layer is not built yet: it fails with a clear error).
//!
//! - [`config`]: typed environment configuration;
//! - [`handler`]: `handle(event, &Deps)`.

pub mod config;
pub mod handler;
