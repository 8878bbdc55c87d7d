//! # lambda-transformer
//!
//! The transformer Lambda. S3 invokes it with `ObjectCreated` events for raw objects
//! (`raw/netflix/…`, written by Firehose); for each object it runs exactly the transform the
//! local pipeline runs ([`pipeline_core::process`]) through the S3 adapter: Snappy Parquet
//! silver partitioned by `event_date`, quarantine rows with reason codes, and a ledger.
//!
//! - [`config`]: typed environment configuration, read once per cold start;
//! - [`handler`]: `handle(event, &Deps)`, testable with in-memory or local fakes.
//!
//! Output keys derive from the raw object's key and ETag, so a retried or duplicated event
//! rewrites identical objects: returning a retryable error is always safe.

pub mod config;
pub mod handler;
