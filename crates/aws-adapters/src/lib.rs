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

pub mod athena;
pub mod config;
pub mod error;
pub mod firehose;
pub mod glue;
pub mod layout;
pub mod s3;

pub use athena::{AthenaConfig, AthenaEngine};
pub use config::{load_sdk_config, load_sdk_config_with, AwsSettings};
pub use error::{AdapterError, Result};
pub use firehose::packing::{RecordPacker, DEFAULT_PACK_BYTES};
pub use firehose::policy::{DeliveryReport, RetryPolicy};
pub use firehose::FirehoseDelivery;
pub use glue::GlueCatalog;
pub use layout::{LakeLayout, S3Lake};
pub use s3::{S3BlobStore, S3Config};
