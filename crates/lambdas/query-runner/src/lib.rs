//! # lambda-query-runner
//!
//! The query-runner Lambda: runs one of StreamLake's named queries (the `sql/queries/*.sql`
//! files, embedded at compile time, the same SQL the local engine runs) on Athena and
//! returns the rows as JSON with the bytes scanned.
//!
//! Payloads: `{"query": "top_titles"}`, optionally with `"params": ["'2024-01-01'"]` bound
//! to `?` placeholders as Athena execution parameters; or `{"refresh_gold": true}` for the
//! incremental gold refresh (`"from"`, `"to"`, `"scope"`, `"open_day"` optional): the gold
//! days whose inputs changed, or every day of a given range, recomputed with Athena `UNLOAD`
//! and committed (see [`handler`]).
//!
//! - [`config`]: typed environment configuration;
//! - [`handler`]: `handle(event, &Deps)`.

pub mod config;
pub mod handler;
