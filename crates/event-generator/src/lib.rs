//! # event-generator
//!
//! A synthetic Netflix-style client fleet for StreamLake. It produces the raw NDJSON records
//! clients send to Kinesis Data Firehose (DESIGN §2), grouped into `PutRecordBatch` calls, and
//! the exact [`GroundTruth`] the pipeline's outputs must match.
//!
//! - A title catalog with Zipf-like popularity ([`Generator::titles`], the `netflix_titles`
//!   dimension), a user pool with profiles, home countries and devices, and session starts
//!   that follow a diurnal curve in the viewer's local time.
//! - Each session runs a player state machine: `PLAY_START`, heartbeats every 60 s of
//!   playback, pauses, seeks, rebuffering, and `PLAY_STOP` or `PLAYBACK_ERROR`.
//! - Records arrive late by a realistic lag (up to 3 days), some with lower-case enums, PII or
//!   unknown fields (all valid); optional faults add byte-identical duplicates and bad records
//!   of every injectable reason code.
//!
//! Output is a pure function of [`GeneratorConfig`]: no wall clock, no global RNG; every
//! session draws from its own ChaCha8 stream keyed by `(seed, session index)`. Memory stays
//! bounded: session headers are small and events are simulated lazily in start order.
//!
//! ```
//! use event_generator::{Generator, GeneratorConfig};
//!
//! let start = chrono::NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
//! let mut config = GeneratorConfig::new(2_000, 1, 42, start);
//! config.duplicate_rate = 0.01;
//! let mut generator = Generator::new(config).unwrap();
//! let records: usize = generator.by_ref().map(|batch| batch.records.len()).sum();
//! assert_eq!(generator.truth().clean_events, 2_000);
//! assert_eq!(records as u64, generator.truth().records_sent);
//! ```

mod catalog;
pub mod config;
pub mod error;
mod faults;
pub mod generator;
pub mod gold_truth;
mod ids;
mod population;
mod render;
mod session;
pub mod truth;

pub use config::{GeneratorConfig, DEFAULT_STREAM_NAME, DEFAULT_TITLE_COUNT, MIN_TITLE_COUNT};
pub use error::{Error, Result};
pub use generator::{
    Batch, Generator, Record, MAX_BATCH_BYTES, MAX_BATCH_RECORDS, MAX_BATCH_SPAN_SECS, MAX_LAG_SECS,
};
pub use gold_truth::GoldTruth;
pub use truth::GroundTruth;
