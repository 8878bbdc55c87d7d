//! # pipeline-core
//!
//! The pure pipeline of StreamLake, shared by the local runtime and the Lambdas. It never
//! imports an AWS SDK: the outside world is reached through the [`ports`].
//!
//! - [`commit`]: committed partitions (commit states, symlink manifests, the CAS protocol);
//! - [`compact`]: merging a silver partition's files with cross-object dedup;
//! - [`decode`]: streaming gzip NDJSON decoding, with oversized-line and corruption handling;
//! - [`transform`]: validation, PII removal, dedup, derived columns, per-partition output;
//! - [`encode`]: deterministic Snappy Parquet writers;
//! - [`keys`]: object layouts and digests (DESIGN §3);
//! - [`ledger`]: per-object accounting (DESIGN §5);
//! - [`process`]: the transform wired to the ports (read, transform, publish, ledger);
//! - [`memory`]: in-memory blob store and catalog (the fakes handler tests run against);
//! - [`metrics`]: CloudWatch EMF lines;
//! - [`queries`]: the named queries and Athena DDL of `sql/`, embedded;
//! - [`gold`]: the gold aggregate queries of `sql/gold/` and the date ranges they refresh;
//! - [`titles`]: the title dimension as Parquet;
//! - [`ports`]: blob store, delivery stream, partition catalog and query engine traits.

pub mod commit;
pub mod compact;
pub mod decode;
pub mod encode;
pub mod error;
pub mod gold;
pub mod keys;
pub mod ledger;
pub mod memory;
pub mod metrics;
pub mod ports;
pub mod process;
pub mod queries;
pub mod titles;
pub mod transform;

pub use error::{Error, Result};
pub use ledger::{Ledger, LedgerOutput, QuarantineOutput};
pub use ports::{
    BlobReader, BlobStore, ConditionalWrite, DeliveryStream, ObjectMeta, PartitionCatalog,
    PartitionSpec, PutBatchOutcome, QueryEngine, QueryResult, ResultColumn, Statement,
    WriteCondition,
};
pub use transform::{
    transform_object, SourceObject, StagedOutput, TransformConfig, TransformOutput,
};
