//! # aws-adapters
//!
//! StreamLake's [ports](pipeline_core::ports) implemented with aws-sdk-rust. Adapters only
//! translate between the ports and the AWS APIs; every business rule stays in
//! `pipeline-core` (DESIGN §6).
//!
//! - [`s3`]: [`S3BlobStore`], a [`pipeline_core::BlobStore`] (streaming GET to a temporary
//!   file, multipart PUT, paginated LIST);
//! - [`firehose`]: [`FirehoseDelivery`], a [`pipeline_core::DeliveryStream`] (PutRecordBatch
//!   limits, retry of failed entries only, record packing);
//! - [`glue`]: [`GlueCatalog`], a [`pipeline_core::PartitionCatalog`] (idempotent
//!   BatchCreatePartition);
//! - [`athena`]: [`AthenaEngine`], a [`pipeline_core::QueryEngine`] (idempotent start,
//!   polling with timeout and cancel, paginated typed results);
//! - [`layout`]: [`LakeLayout`] (which bucket holds which zone) and [`S3Lake`], a
//!   [`pipeline_core::BlobStore`] routing every key to its zone's bucket;
//! - [`config`]: the shared SDK configuration and clients (endpoint overrides for moto);
//! - [`error`]: SDK error classification (retryable or not).

//!
//! ## One SDK per feature
//!
//! Each service is a cargo feature, so that a binary compiles only the SDKs it calls (the
//! generated SDK crates are most of a cold build): `s3` ([`s3`], [`layout`]), `firehose`,
//! `glue` (needs `s3` for the lake layout) and `athena`. All four are on by default; the
//! Lambdas and the CLI turn defaults off and name theirs. The HTTPS client is hyper 1 with
//! rustls on `ring` (no C toolchain step, unlike `aws-lc-sys`), built in [`config`].

#[cfg(feature = "athena")]
pub mod athena;
pub mod config;
pub mod error;
#[cfg(feature = "firehose")]
pub mod firehose;
#[cfg(feature = "glue")]
pub mod glue;
#[cfg(feature = "s3")]
pub mod layout;
#[cfg(feature = "s3")]
pub mod s3;

/// The Glue database of every StreamLake table (DESIGN §4).
pub const DEFAULT_DATABASE: &str = "netflix-streams-aws";

#[cfg(feature = "athena")]
pub use athena::{AthenaConfig, AthenaEngine};
pub use config::{load_sdk_config, load_sdk_config_with, AwsSettings};
pub use error::{AdapterError, Result};
#[cfg(feature = "firehose")]
pub use firehose::packing::{RecordPacker, DEFAULT_PACK_BYTES};
#[cfg(feature = "firehose")]
pub use firehose::policy::{DeliveryReport, RetryPolicy};
#[cfg(feature = "firehose")]
pub use firehose::FirehoseDelivery;
#[cfg(feature = "glue")]
pub use glue::GlueCatalog;
#[cfg(feature = "s3")]
pub use layout::{LakeLayout, S3Lake};
#[cfg(feature = "s3")]
pub use s3::{S3BlobStore, S3Config};
