//! The ports: small traits the pipeline needs from the outside world. Adapters implement
//! them: `local-runtime` with the filesystem and DataFusion, `aws-adapters` with aws-sdk-rust.
//! Adapters hold no business rules; the rules live in this crate.

use std::io::Read;
use std::path::Path;

use async_trait::async_trait;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// Metadata of a stored object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectMeta {
    /// Key (S3 key, or path under the lake root with `/` separators).
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// ETag on S3; a content hash locally.
    pub etag: String,
    /// Last-modified time, epoch seconds.
    pub last_modified: i64,
}

/// A streaming reader over an object's bytes.
pub type BlobReader = Box<dyn Read + Send>;

/// Object storage: S3, or the local lake directory.
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Metadata of one object; [`crate::Error::NotFound`] if it does not exist.
    async fn head(&self, key: &str) -> Result<ObjectMeta>;
    /// Opens an object for streaming reads.
    async fn open(&self, key: &str) -> Result<BlobReader>;
    /// Reads a small object whole (ledgers, catalog documents); `None` if absent.
    async fn get(&self, key: &str) -> Result<Option<Bytes>>;
    /// Writes a small object whole, atomically.
    async fn put(&self, key: &str, body: Bytes) -> Result<()>;
    /// Publishes a staged local file under `key`, atomically and without buffering it whole
    /// (a rename locally, a multipart upload on S3 above a threshold).
    async fn put_file(&self, key: &str, path: &Path) -> Result<()>;
    /// Lists every object under `prefix`, sorted by key.
    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>>;
    /// Whether an object exists.
    async fn exists(&self, key: &str) -> Result<bool>;
    /// Deletes objects; keys that do not exist are not an error (S3 `DeleteObjects`
    /// semantics). Used by garbage collection, for files a commit removed long ago.
    async fn delete(&self, keys: &[String]) -> Result<()>;

    /// Reads a small object whole together with its ETag, the token a later
    /// [`BlobStore::put_if`] compares against; `None` if absent.
    async fn get_tagged(&self, key: &str) -> Result<Option<(Bytes, String)>>;

    /// Writes a small object whole if, and only if, `condition` holds at the moment of the
    /// write: the check and the write are one atomic step (S3 conditional writes,
    /// `If-None-Match: *` and `If-Match: <etag>`; locally a lock around check and rename).
    /// A failed condition is [`ConditionalWrite::Conflict`], not an error.
    async fn put_if(
        &self,
        key: &str,
        body: Bytes,
        condition: &WriteCondition,
    ) -> Result<ConditionalWrite>;

    /// The last `len` bytes of an object (all of it if it is shorter): a Parquet footer.
    async fn get_tail(&self, key: &str, len: u64) -> Result<Bytes>;

    /// The URI a reader outside StreamLake uses for `key` (`s3://bucket/key` on S3). Symlink
    /// manifests list these. The local lake answers the key itself, so that a lake can be
    /// moved or copied.
    fn uri_of(&self, key: &str) -> String {
        key.to_owned()
    }

    /// The key of a URI made by [`BlobStore::uri_of`], if it belongs to this store.
    fn key_of_uri(&self, uri: &str) -> Option<String> {
        (!uri.contains("://")).then(|| uri.to_owned())
    }
}

/// The precondition of a [`BlobStore::put_if`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteCondition {
    /// The object must not exist yet (`If-None-Match: *`).
    Absent,
    /// The object must exist with this ETag (`If-Match`).
    Matches(String),
}

/// The outcome of a [`BlobStore::put_if`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConditionalWrite {
    /// The condition held and the object was written; its new ETag.
    Written {
        /// The ETag of the object just written.
        etag: String,
    },
    /// Another writer got there first (HTTP 412 or 409): re-read and try again.
    Conflict,
}

/// One failed entry of a PutRecordBatch call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedRecord {
    /// Index of the record in the request.
    pub index: usize,
    /// Error code (`ServiceUnavailableException`, `ValidationException`, ...).
    pub error_code: String,
    /// Error message.
    pub message: String,
}

/// The outcome of one PutRecordBatch call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PutBatchOutcome {
    /// Records accepted.
    pub accepted: usize,
    /// Records refused (to be retried by the caller, or reported).
    pub failed: Vec<FailedRecord>,
    /// Record re-sends the stream made itself after partial failures (a record retried
    /// twice counts twice); 0 for a stream that does not retry.
    #[serde(default)]
    pub resent: usize,
}

/// The Firehose PutRecordBatch limits (DESIGN §2, AWS quotas).
pub mod firehose_limits {
    /// Records per PutRecordBatch call.
    pub const MAX_RECORDS_PER_BATCH: usize = 500;
    /// Bytes per PutRecordBatch call.
    pub const MAX_BYTES_PER_BATCH: usize = 4 * 1024 * 1024;
    /// Bytes per record.
    pub const MAX_RECORD_BYTES: usize = 1000 * 1024;
}

/// A Firehose-like delivery stream.
#[async_trait]
pub trait DeliveryStream: Send + Sync {
    /// Sends one batch of records. `simulated_arrival_ts` is the producer's simulated clock
    /// (epoch seconds) for the local twin; a real stream uses its own clock and ignores it.
    async fn put_record_batch(
        &self,
        records: Vec<Bytes>,
        simulated_arrival_ts: Option<i64>,
    ) -> Result<PutBatchOutcome>;
    /// Flushes buffered records (the local twin writes its last object).
    async fn flush(&self) -> Result<Vec<String>>;
}

/// A partition to register in the catalog.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PartitionSpec {
    /// Table name.
    pub table: String,
    /// Partition values, in partition-key order.
    pub values: Vec<String>,
    /// Location (key prefix ending in `/`).
    pub location: String,
}

/// A Glue-like catalog of partitions.
#[async_trait]
pub trait PartitionCatalog: Send + Sync {
    /// Adds partitions; already-registered ones count as success. Returns how many were new.
    async fn add_partitions(&self, partitions: &[PartitionSpec]) -> Result<usize>;
    /// The registered partitions of a table, sorted.
    async fn partitions(&self, table: &str) -> Result<Vec<PartitionSpec>>;
}

/// A column of a query result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultColumn {
    /// Column name.
    pub name: String,
    /// Engine type name (`bigint`, `varchar`, `Int64`, ...).
    pub type_name: String,
}

/// A query result in engine-neutral form, for printing and comparing across engines.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QueryResult {
    /// Columns in order.
    pub columns: Vec<ResultColumn>,
    /// Rows; each cell is a JSON value (numbers stay numbers, timestamps are strings).
    pub rows: Vec<Vec<serde_json::Value>>,
    /// Bytes scanned, when the engine reports it.
    pub bytes_scanned: Option<u64>,
    /// Engine execution time in milliseconds, when reported.
    pub engine_ms: Option<u64>,
    /// The engine's id of the execution (Athena's `QueryExecutionId`), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_id: Option<String>,
    /// Where the engine wrote the execution's results (Athena's `OutputLocation`); for an
    /// `UNLOAD`, its data manifest lies next to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_location: Option<String>,
}

/// A SQL engine: Athena, or DataFusion locally.
#[async_trait]
pub trait QueryEngine: Send + Sync {
    /// Runs one statement and returns its rows.
    async fn query(&self, sql: &str) -> Result<QueryResult>;

    /// Runs a [`Statement`]: SQL with values bound to its `?` placeholders, and an
    /// idempotency key. Engines without parameter support refuse a non-empty list.
    async fn execute(&self, statement: &Statement<'_>) -> Result<QueryResult> {
        if statement.params.is_empty() {
            self.query(statement.sql).await
        } else {
            Err(crate::Error::Invalid(
                "this query engine does not support execution parameters".into(),
            ))
        }
    }
}

/// One query execution request.
#[derive(Debug, Clone, Copy, Default)]
pub struct Statement<'a> {
    /// The SQL (Athena/Trino dialect).
    pub sql: &'a str,
    /// Values for the `?` placeholders, in order, as typed SQL literals (`'2024-01-01'`,
    /// `10`): Athena execution parameters.
    pub params: &'a [String],
    /// Requests with the same key, SQL and parameters are the same execution (Athena's
    /// `ClientRequestToken`): a retried invocation passes its request id and gets the query
    /// it already started instead of a second one.
    pub idempotency_key: Option<&'a str>,
}
