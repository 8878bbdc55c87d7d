//! # lambda-support
//!
//! The plumbing StreamLake's four Lambdas share, so each `main.rs` stays about 25 lines and
//! each `handler.rs` holds only its function's logic:
//!
//! - [`tracing_setup`]: JSON `tracing` logs for CloudWatch;
//! - [`env`]: typed, fail-fast environment configuration;
//! - [`error`]: [`LambdaError`], which tells the caller whether a retry can help;
//! - [`metrics`]: CloudWatch Embedded Metric Format lines behind a [`MetricSink`] port;
//! - [`s3_event`]: the objects of an S3 event notification, with keys URL-decoded.

pub mod env;
pub mod error;
pub mod metrics;
pub mod s3_event;
pub mod tracing_setup;

pub use env::Env;
pub use error::{LambdaError, Result};
pub use metrics::{MetricSink, RecordingSink, StdoutEmf};
pub use s3_event::{decode_key, encode_key, event_objects, EventObject, SkippedRecord};
pub use tracing_setup::init_tracing;
