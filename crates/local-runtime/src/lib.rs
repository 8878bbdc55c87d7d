//! # local-runtime
//!
//! StreamLake on one machine, with no AWS account: the ports of `pipeline-core` implemented
//! over a local directory (the lake) and Apache DataFusion.
//!
//! | AWS | local twin |
//! |---|---|
//! | S3 buckets | [`fs_store::LocalBlobStore`] over `./lake` |
//! | Kinesis Data Firehose | [`firehose::LocalFirehose`] (same buffering, gzip and key names) |
//! | S3 notification → transformer / registrar Lambdas | [`ingest`] |
//! | Glue Data Catalog | [`catalog::LocalCatalog`] (`lake/catalog/netflix-streams-aws.json`) |
//! | Athena | [`engine::LocalQueryEngine`] (DataFusion, registered partitions only) |
//! | Glue symlink tables (`SymlinkTextInputFormat`) | [`symlink_table::SymlinkTable`] |
//! | registrar appends, scheduled compaction, garbage collection | [`commits`] |
//! | query-runner `refresh_gold` (Athena `UNLOAD`, [`pipeline_core::gold`]) | [`gold`] |

pub mod catalog;
pub mod commits;
pub mod engine;
pub mod error;
pub mod firehose;
pub mod fs_store;
pub mod gold;
pub mod ingest;
pub mod lake;
pub mod symlink_table;
pub mod titles;

pub use catalog::LocalCatalog;
pub use engine::{LocalQueryEngine, ScanReport};
pub use error::{Error, Result};
pub use firehose::{FirehoseConfig, LocalFirehose};
pub use fs_store::LocalBlobStore;
pub use gold::{refresh_gold, GoldPlan, GoldReport};
pub use ingest::{ingest, ingest_with, IngestOptions, IngestProgress, IngestReport};
pub use lake::Lake;
