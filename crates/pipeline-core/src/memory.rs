//! In-memory implementations of the [blob store](BlobStore) and [catalog](PartitionCatalog)
//! ports: the fakes the Lambda handler tests run against, and handy for tools that need a
//! throwaway lake. They follow the ports' contracts exactly (sorted lists, idempotent
//! partition adds, `NotFound` from `head`), so a handler that passes against them behaves the
//! same on S3 and Glue.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;
use std::path::Path;
use std::sync::Mutex;

use async_trait::async_trait;
use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::ports::{
    BlobReader, BlobStore, ConditionalWrite, ObjectMeta, PartitionCatalog, PartitionSpec,
    QueryEngine, QueryResult, Statement, WriteCondition,
};

fn poisoned(what: &str) -> Error {
    Error::Port { port: "memory", message: format!("{what} lock poisoned"), retryable: false }
}

/// A blob store in memory. ETags are content hashes; every object's last-modified time is
/// the store's clock, set with [`MemoryBlobStore::set_clock`].
#[derive(Debug, Default)]
pub struct MemoryBlobStore {
    objects: Mutex<BTreeMap<String, (Bytes, i64)>>,
    clock: Mutex<i64>,
}

impl MemoryBlobStore {
    /// An empty store whose clock reads `now` (epoch seconds).
    pub fn new(now: i64) -> Self {
        Self { objects: Mutex::default(), clock: Mutex::new(now) }
    }

    /// Sets the last-modified time given to objects written from now on.
    pub fn set_clock(&self, now: i64) {
        if let Ok(mut clock) = self.clock.lock() {
            *clock = now;
        }
    }

    /// Every key, sorted.
    pub fn keys(&self) -> Vec<String> {
        self.objects.lock().map(|o| o.keys().cloned().collect()).unwrap_or_default()
    }

    /// A snapshot of every object's bytes, by key.
    pub fn snapshot(&self) -> BTreeMap<String, Bytes> {
        self.objects
            .lock()
            .map(|o| o.iter().map(|(k, (body, _))| (k.clone(), body.clone())).collect())
            .unwrap_or_default()
    }

    fn meta(key: &str, body: &Bytes, last_modified: i64) -> ObjectMeta {
        let digest = Sha256::digest(body);
        ObjectMeta {
            key: key.to_owned(),
            size: body.len() as u64,
            etag: hex::encode(&digest[..16]),
            last_modified,
        }
    }

    fn insert(&self, key: &str, body: Bytes) -> Result<()> {
        if key.is_empty() || key.starts_with('/') || key.ends_with('/') {
            return Err(Error::Invalid(format!("{key:?} is not an object key")));
        }
        let now = *self.clock.lock().map_err(|_| poisoned("clock"))?;
        self.objects.lock().map_err(|_| poisoned("objects"))?.insert(key.to_owned(), (body, now));
        Ok(())
    }
}

#[async_trait]
impl BlobStore for MemoryBlobStore {
    async fn head(&self, key: &str) -> Result<ObjectMeta> {
        let objects = self.objects.lock().map_err(|_| poisoned("objects"))?;
        let (body, modified) =
            objects.get(key).ok_or_else(|| Error::NotFound(format!("object {key}")))?;
        Ok(Self::meta(key, body, *modified))
    }

    async fn open(&self, key: &str) -> Result<BlobReader> {
        let objects = self.objects.lock().map_err(|_| poisoned("objects"))?;
        let (body, _) = objects.get(key).ok_or_else(|| Error::NotFound(format!("object {key}")))?;
        Ok(Box::new(Cursor::new(body.clone())))
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>> {
        let objects = self.objects.lock().map_err(|_| poisoned("objects"))?;
        Ok(objects.get(key).map(|(body, _)| body.clone()))
    }

    async fn put(&self, key: &str, body: Bytes) -> Result<()> {
        self.insert(key, body)
    }

    async fn put_file(&self, key: &str, path: &Path) -> Result<()> {
        let body = std::fs::read(path)
            .map_err(|source| Error::io(format!("reading {}", path.display()), source))?;
        self.insert(key, Bytes::from(body))
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>> {
        let objects = self.objects.lock().map_err(|_| poisoned("objects"))?;
        Ok(objects
            .range(prefix.to_owned()..)
            .take_while(|(key, _)| key.starts_with(prefix))
            .map(|(key, (body, modified))| Self::meta(key, body, *modified))
            .collect())
    }

    async fn exists(&self, key: &str) -> Result<bool> {
        Ok(self.objects.lock().map_err(|_| poisoned("objects"))?.contains_key(key))
    }

    async fn delete(&self, keys: &[String]) -> Result<()> {
        let mut objects = self.objects.lock().map_err(|_| poisoned("objects"))?;
        for key in keys {
            objects.remove(key);
        }
        Ok(())
    }

    async fn get_tagged(&self, key: &str) -> Result<Option<(Bytes, String)>> {
        let objects = self.objects.lock().map_err(|_| poisoned("objects"))?;
        Ok(objects
            .get(key)
            .map(|(body, modified)| (body.clone(), Self::meta(key, body, *modified).etag)))
    }

    /// The check and the write happen under the one lock of the store: conditional writes
    /// are atomic, as S3's are.
    async fn put_if(
        &self,
        key: &str,
        body: Bytes,
        condition: &WriteCondition,
    ) -> Result<ConditionalWrite> {
        if key.is_empty() || key.starts_with('/') || key.ends_with('/') {
            return Err(Error::Invalid(format!("{key:?} is not an object key")));
        }
        let now = *self.clock.lock().map_err(|_| poisoned("clock"))?;
        let mut objects = self.objects.lock().map_err(|_| poisoned("objects"))?;
        let current =
            objects.get(key).map(|(body, modified)| Self::meta(key, body, *modified).etag);
        let holds = match (condition, current) {
            (WriteCondition::Absent, None) => true,
            (WriteCondition::Matches(expected), Some(etag)) => *expected == etag,
            _ => false,
        };
        if !holds {
            return Ok(ConditionalWrite::Conflict);
        }
        let etag = Self::meta(key, &body, now).etag;
        objects.insert(key.to_owned(), (body, now));
        Ok(ConditionalWrite::Written { etag })
    }

    async fn get_tail(&self, key: &str, len: u64) -> Result<Bytes> {
        let objects = self.objects.lock().map_err(|_| poisoned("objects"))?;
        let (body, _) = objects.get(key).ok_or_else(|| Error::NotFound(format!("object {key}")))?;
        let start = body.len().saturating_sub(usize::try_from(len).unwrap_or(usize::MAX));
        Ok(body.slice(start..))
    }
}

/// A partition catalog in memory: tables must be declared first, like Glue tables.
#[derive(Debug, Default)]
pub struct MemoryCatalog {
    tables: Mutex<BTreeMap<String, BTreeSet<PartitionSpec>>>,
}

impl MemoryCatalog {
    /// A catalog with these (empty) tables.
    pub fn with_tables(tables: &[&str]) -> Self {
        Self {
            tables: Mutex::new(tables.iter().map(|t| ((*t).to_owned(), BTreeSet::new())).collect()),
        }
    }
}

#[async_trait]
impl PartitionCatalog for MemoryCatalog {
    async fn add_partitions(&self, partitions: &[PartitionSpec]) -> Result<usize> {
        let mut tables = self.tables.lock().map_err(|_| poisoned("tables"))?;
        if let Some(missing) = partitions.iter().find(|p| !tables.contains_key(&p.table)) {
            return Err(Error::NotFound(format!("table {}", missing.table)));
        }
        let mut added = 0;
        for partition in partitions {
            if let Some(set) = tables.get_mut(&partition.table) {
                let known = set.iter().any(|p| p.values == partition.values);
                if !known {
                    set.insert(partition.clone());
                    added += 1;
                }
            }
        }
        Ok(added)
    }

    async fn partitions(&self, table: &str) -> Result<Vec<PartitionSpec>> {
        let tables = self.tables.lock().map_err(|_| poisoned("tables"))?;
        let set = tables.get(table).ok_or_else(|| Error::NotFound(format!("table {table}")))?;
        Ok(set.iter().cloned().collect())
    }
}

/// What a [`MemoryAthena`] query writes: `(partition value, Parquet bytes)` per file.
pub type AthenaOutput = Vec<(String, Bytes)>;

/// Computes the files of a statement (its SQL and execution parameters).
pub type AthenaCompute = Box<dyn Fn(&str, &[String]) -> Result<AthenaOutput> + Send + Sync>;

/// A fake Athena for the gold refresh, faithful where the refresh's correctness depends on
/// it:
///
/// - **`ClientRequestToken` idempotency**, as the Athena API reference documents it for
///   `StartQueryExecution`: "If another StartQueryExecution request is received, the same
///   response is returned and another query is not created." The token is derived from the
///   statement exactly as `aws_adapters::AthenaEngine` derives it (SQL, parameters and the
///   idempotency key, an empty key when there is none), and a repeated token returns the
///   earlier execution without running anything.
/// - **`UNLOAD … TO '<prefix>' WITH (partitioned_by = ARRAY['<key>'])`** writes its files under
///   `<prefix><key>=<value>/` in the lake and a data manifest `<id>-manifest.csv` listing
///   their URIs in the results store, next to the reported `OutputLocation` (Athena's
///   "Working with query results" documentation).
/// - **`INSERT INTO "<table>"`** appends its files under the table's day directories.
/// - **`ALTER TABLE … ADD IF NOT EXISTS PARTITION`** succeeds and is recorded.
///
/// What the SQL computes is supplied by the test ([`AthenaCompute`]).
pub struct MemoryAthena {
    lake: std::sync::Arc<MemoryBlobStore>,
    results: std::sync::Arc<MemoryBlobStore>,
    compute: AthenaCompute,
    executions: Mutex<BTreeMap<String, QueryResult>>,
    statements: Mutex<Vec<String>>,
    started: std::sync::atomic::AtomicUsize,
}

impl std::fmt::Debug for MemoryAthena {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryAthena").finish_non_exhaustive()
    }
}

impl MemoryAthena {
    /// A fake writing into `lake` and `results`, with the rows `compute` says.
    pub fn new(
        lake: std::sync::Arc<MemoryBlobStore>,
        results: std::sync::Arc<MemoryBlobStore>,
        compute: AthenaCompute,
    ) -> Self {
        Self {
            lake,
            results,
            compute,
            executions: Mutex::default(),
            statements: Mutex::default(),
            started: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// Every statement that actually ran (repeated tokens excluded), in order.
    pub fn statements(&self) -> Vec<String> {
        self.statements.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn token(statement: &Statement<'_>) -> String {
        let mut hasher = Sha256::new();
        hasher.update(statement.idempotency_key.unwrap_or_default().as_bytes());
        hasher.update([0u8]);
        hasher.update(statement.sql.as_bytes());
        for param in statement.params {
            hasher.update([0u8]);
            hasher.update(param.as_bytes());
        }
        hex::encode(hasher.finalize())
    }

    fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
        let start = text.find(open)? + open.len();
        let end = text[start..].find(close)? + start;
        Some(&text[start..end])
    }

    fn run(&self, id: &str, statement: &Statement<'_>) -> Result<QueryResult> {
        let body: String = statement
            .sql
            .lines()
            .filter(|line| !line.trim_start().starts_with("--"))
            .collect::<Vec<_>>()
            .join("\n");
        let verb = body.trim_start();
        let mut result = QueryResult {
            execution_id: Some(id.to_owned()),
            output_location: Some(format!("results/{id}.csv")),
            bytes_scanned: Some(1_000),
            ..QueryResult::default()
        };
        if verb.starts_with("ALTER TABLE") {
            return Ok(result);
        }
        let files = (self.compute)(statement.sql, statement.params)?;
        let mut written = Vec::new();
        if verb.starts_with("UNLOAD") {
            let destination = Self::between(&body, "TO '", "'")
                .ok_or_else(|| Error::Invalid("UNLOAD without TO".into()))?;
            let prefix = self
                .lake
                .key_of_uri(destination)
                .ok_or_else(|| Error::Invalid(format!("{destination} is not in the lake")))?;
            if !self.lake.keys().iter().all(|key| !key.starts_with(&prefix)) {
                // Athena: "the destination location must be empty".
                return Err(Error::Port {
                    port: "athena",
                    message: format!("HIVE_PATH_ALREADY_EXISTS: {destination} is not empty"),
                    retryable: false,
                });
            }
            let key = Self::between(&body, "ARRAY['", "'")
                .ok_or_else(|| Error::Invalid("UNLOAD without partitioned_by".into()))?;
            for (index, (value, bytes)) in files.into_iter().enumerate() {
                let object = format!("{prefix}{key}={value}/{id}_{index:05}");
                self.lake.insert(&object, bytes)?;
                written.push(self.lake.uri_of(&object));
            }
        } else if let Some(table) = verb.strip_prefix("INSERT INTO \"") {
            let table = table.split('"').next().unwrap_or_default();
            let key = if table.contains("quality") || table.contains("quarantine") {
                "ingest_date"
            } else {
                "event_date"
            };
            for (index, (value, bytes)) in files.into_iter().enumerate() {
                let object = format!("gold/netflix/{table}/{key}={value}/{id}_{index:05}");
                self.lake.insert(&object, bytes)?;
                written.push(self.lake.uri_of(&object));
            }
        } else {
            return Ok(result);
        }
        let manifest: String = written.iter().map(|uri| format!("{uri}\n")).collect();
        self.results.insert(&format!("results/{id}-manifest.csv"), Bytes::from(manifest))?;
        result.rows = vec![];
        Ok(result)
    }
}

#[async_trait]
impl QueryEngine for MemoryAthena {
    async fn query(&self, sql: &str) -> Result<QueryResult> {
        self.execute(&Statement { sql, params: &[], idempotency_key: None }).await
    }

    async fn execute(&self, statement: &Statement<'_>) -> Result<QueryResult> {
        let token = Self::token(statement);
        // One lock over check and run: a token runs at most once even when repeated at once.
        let mut executions = self.executions.lock().map_err(|_| poisoned("executions"))?;
        if let Some(earlier) = executions.get(&token) {
            return Ok(earlier.clone());
        }
        let n = self.started.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        let result = self.run(&format!("q{n:05}"), statement)?;
        self.statements.lock().map_err(|_| poisoned("statements"))?.push(statement.sql.to_owned());
        executions.insert(token, result.clone());
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_store_keeps_the_port_contract() {
        let store = MemoryBlobStore::new(1_700_000_000);
        store.put("raw/b", Bytes::from_static(b"two")).await.unwrap();
        store.put("raw/a", Bytes::from_static(b"one")).await.unwrap();
        store.put("rawx/c", Bytes::from_static(b"three")).await.unwrap();
        let listed: Vec<String> =
            store.list("raw/").await.unwrap().into_iter().map(|m| m.key).collect();
        assert_eq!(listed, ["raw/a", "raw/b"]);
        let meta = store.head("raw/a").await.unwrap();
        assert_eq!((meta.size, meta.last_modified), (3, 1_700_000_000));
        assert!(matches!(store.head("raw/zz").await, Err(Error::NotFound(_))));
        let mut text = String::new();
        std::io::Read::read_to_string(&mut store.open("raw/b").await.unwrap(), &mut text).unwrap();
        assert_eq!(text, "two");
        assert!(store.put("raw/", Bytes::new()).await.is_err());
    }

    #[tokio::test]
    async fn the_catalog_is_idempotent_and_needs_its_tables() {
        let catalog = MemoryCatalog::with_tables(&["t"]);
        let spec = |v: &str| PartitionSpec {
            table: "t".into(),
            values: vec![v.into()],
            location: format!("t/d={v}/"),
        };
        assert_eq!(catalog.add_partitions(&[spec("1"), spec("2")]).await.unwrap(), 2);
        assert_eq!(catalog.add_partitions(&[spec("2"), spec("3")]).await.unwrap(), 1);
        assert_eq!(catalog.partitions("t").await.unwrap().len(), 3);
        let other = PartitionSpec { table: "u".into(), ..spec("1") };
        assert!(matches!(catalog.add_partitions(&[other]).await, Err(Error::NotFound(_))));
    }
}
