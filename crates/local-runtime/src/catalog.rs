//! The local twin of the Glue Data Catalog: one JSON document per database under
//! `<lake>/catalog/`, holding each table's location, columns, partition keys and registered
//! partitions.
//!
//! Like Athena without `MSCK REPAIR TABLE`, the query engine sees only the partitions that
//! were registered here. Updates take an exclusive file lock, then replace the document
//! atomically (write, fsync, rename); an update that changes nothing rewrites nothing, so
//! re-running an ingest leaves the catalog byte-identical.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use event_model::schema::{TableSpec, DATABASE, PARQUET_TABLES};
use pipeline_core::ports::{PartitionCatalog, PartitionSpec};
use pipeline_core::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::error::io;

/// A table column as the catalog stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogColumn {
    /// Column name.
    pub name: String,
    /// Glue type (`string`, `bigint`, `int`, `timestamp`).
    #[serde(rename = "type")]
    pub glue_type: String,
}

/// A table entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogTable {
    /// Location under the lake root.
    pub location: String,
    /// Data columns.
    pub columns: Vec<CatalogColumn>,
    /// Partition keys (all `string`).
    pub partition_keys: Vec<String>,
    /// Registered partitions: the joined values (`2026-01-02`) to their location.
    pub partitions: BTreeMap<String, String>,
}

impl CatalogTable {
    fn from_spec(spec: &TableSpec) -> Self {
        Self {
            location: spec.location.to_owned(),
            columns: spec
                .columns
                .iter()
                .map(|c| CatalogColumn {
                    name: c.name.to_owned(),
                    glue_type: c.column_type.glue_type().to_owned(),
                })
                .collect(),
            partition_keys: spec.partition_keys.iter().map(|k| (*k).to_owned()).collect(),
            partitions: BTreeMap::new(),
        }
    }
}

/// The catalog document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogDocument {
    /// Database name (`netflix-streams-aws`).
    pub database: String,
    /// Tables by name.
    pub tables: BTreeMap<String, CatalogTable>,
}

impl CatalogDocument {
    /// A document with every StreamLake Parquet table and no partitions.
    pub fn new() -> Self {
        Self {
            database: DATABASE.to_owned(),
            tables: PARQUET_TABLES
                .iter()
                .map(|spec| (spec.name.to_owned(), CatalogTable::from_spec(spec)))
                .collect(),
        }
    }
}

impl Default for CatalogDocument {
    fn default() -> Self {
        Self::new()
    }
}

/// The local catalog, rooted in a lake.
#[derive(Debug, Clone)]
pub struct LocalCatalog {
    directory: PathBuf,
}

impl LocalCatalog {
    /// The catalog of the lake at `lake_root` (`<lake>/catalog/`).
    pub fn new(lake_root: &Path) -> Self {
        Self { directory: lake_root.join("catalog") }
    }

    /// Path of the catalog document.
    pub fn document_path(&self) -> PathBuf {
        self.directory.join(format!("{DATABASE}.json"))
    }

    /// Reads the document; a missing file is an empty catalog with every table defined.
    pub fn load(&self) -> Result<CatalogDocument> {
        let path = self.document_path();
        match fs::read(&path) {
            Ok(bytes) => {
                let mut document: CatalogDocument = serde_json::from_slice(&bytes)?;
                // Tables added in a newer version appear with no partitions.
                for spec in PARQUET_TABLES {
                    document
                        .tables
                        .entry(spec.name.to_owned())
                        .or_insert_with(|| CatalogTable::from_spec(spec));
                }
                Ok(document)
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                Ok(CatalogDocument::new())
            }
            Err(error) => Err(io(format!("reading {}", path.display()), error)),
        }
    }

    /// Applies `change` under an exclusive lock and writes the document if it changed.
    /// Returns what `change` returned.
    pub fn update<T>(&self, change: impl FnOnce(&mut CatalogDocument) -> Result<T>) -> Result<T> {
        fs::create_dir_all(&self.directory)
            .map_err(|error| io(format!("creating {}", self.directory.display()), error))?;
        let lock_path = self.directory.join(".lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|error| io(format!("opening {}", lock_path.display()), error))?;
        lock.lock().map_err(|error| io("locking the catalog", error))?;
        let before = self.load()?;
        let mut after = before.clone();
        let result = change(&mut after)?;
        let path = self.document_path();
        if after != before || !path.exists() {
            let mut json = serde_json::to_vec_pretty(&after)?;
            json.push(b'\n');
            let mut temp = tempfile::Builder::new()
                .prefix(".tmp-")
                .tempfile_in(&self.directory)
                .map_err(|error| io("creating a temporary catalog file", error))?;
            temp.write_all(&json).map_err(|error| io("writing the catalog", error))?;
            temp.as_file().sync_all().map_err(|error| io("syncing the catalog", error))?;
            temp.persist(&path).map_err(|error| io("replacing the catalog", error.error))?;
        }
        drop::<File>(lock);
        Ok(result)
    }
}

impl LocalCatalog {
    /// Removes the partitions `values` (single-key tables) of `table`. Returns how many
    /// existed.
    pub fn remove_partitions(&self, table: &str, values: &[String]) -> Result<usize> {
        if values.is_empty() {
            return Ok(0);
        }
        self.update(|document| {
            let entry = document
                .tables
                .get_mut(table)
                .ok_or_else(|| Error::NotFound(format!("table {DATABASE}.{table}")))?;
            Ok(values
                .iter()
                .filter(|value| entry.partitions.remove(value.as_str()).is_some())
                .count())
        })
    }
}

#[async_trait]
impl PartitionCatalog for LocalCatalog {
    async fn add_partitions(&self, partitions: &[PartitionSpec]) -> Result<usize> {
        self.update(|document| {
            let mut added = 0;
            for partition in partitions {
                let table = document.tables.get_mut(&partition.table).ok_or_else(|| {
                    Error::NotFound(format!("table {}.{}", DATABASE, partition.table))
                })?;
                if partition.values.len() != table.partition_keys.len()
                    || partition.values.iter().any(|v| v.is_empty() || v.contains('/'))
                {
                    return Err(Error::Invalid(format!(
                        "partition {:?} does not match the keys {:?} of {}",
                        partition.values, table.partition_keys, partition.table
                    )));
                }
                let name = partition.values.join("/");
                match table.partitions.entry(name) {
                    std::collections::btree_map::Entry::Vacant(entry) => {
                        entry.insert(partition.location.clone());
                        added += 1;
                    }
                    // A lake from before committed tables: its silver partitions move from
                    // the data directory to the manifest directory (Glue's UpdatePartition).
                    std::collections::btree_map::Entry::Occupied(mut entry) => {
                        if *entry.get() != partition.location {
                            entry.insert(partition.location.clone());
                        }
                    }
                }
            }
            Ok(added)
        })
    }

    async fn partitions(&self, table: &str) -> Result<Vec<PartitionSpec>> {
        let document = self.load()?;
        let entry = document
            .tables
            .get(table)
            .ok_or_else(|| Error::NotFound(format!("table {DATABASE}.{table}")))?;
        Ok(entry
            .partitions
            .iter()
            .map(|(values, location)| PartitionSpec {
                table: table.to_owned(),
                values: values.split('/').map(str::to_owned).collect(),
                location: location.clone(),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(value: &str) -> PartitionSpec {
        PartitionSpec {
            table: "processed_netflix_events".into(),
            values: vec![value.into()],
            location: format!("processed/netflix/processed_partitioned/event_date={value}/"),
        }
    }

    #[tokio::test]
    async fn adds_partitions_idempotently_and_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = LocalCatalog::new(dir.path());
        assert_eq!(
            catalog.add_partitions(&[spec("2026-01-02"), spec("2026-01-01")]).await.unwrap(),
            2
        );
        let bytes = fs::read(catalog.document_path()).unwrap();
        assert_eq!(catalog.add_partitions(&[spec("2026-01-01")]).await.unwrap(), 0);
        assert_eq!(
            fs::read(catalog.document_path()).unwrap(),
            bytes,
            "no-op update rewrites nothing"
        );
        let values: Vec<String> = catalog
            .partitions("processed_netflix_events")
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.values[0].clone())
            .collect();
        assert_eq!(values, vec!["2026-01-01", "2026-01-02"]);
        let document = catalog.load().unwrap();
        assert_eq!(document.database, "netflix-streams-aws");
        assert!(document.tables.contains_key("netflix_titles"));
    }

    #[tokio::test]
    async fn unknown_tables_and_bad_values_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = LocalCatalog::new(dir.path());
        let mut bad = spec("2026-01-01");
        bad.table = "nope".into();
        assert!(matches!(catalog.add_partitions(&[bad]).await, Err(Error::NotFound(_))));
        let mut bad = spec("x");
        bad.values = vec![];
        assert!(catalog.add_partitions(&[bad]).await.is_err());
    }
}
