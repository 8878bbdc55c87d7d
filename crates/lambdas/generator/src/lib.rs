//! # lambda-generator
//!
//! The generator Lambda: simulates playback sessions with the same generator the local
//! pipeline uses (`event-generator`) and streams them into Firehose, several events packed
//! per record (Firehose bills each record rounded up to 5 KB). Only failed records are
//! retried, with backoff; records that stay failed are counted in the summary and in the
//! `EventsFailed` metric, never dropped silently.
//!
//! Payload: `{"events", "days", "seed", "duplicate_rate", "bad_record_rate", "start_date"}`,
//! every field optional (an EventBridge schedule sends `{}`).
//!
//! - [`config`]: typed environment configuration;
//! - [`handler`]: `handle(event, &Deps)`.

pub mod config;
pub mod handler;
