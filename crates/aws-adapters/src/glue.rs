//! [`PartitionCatalog`] over the AWS Glue Data Catalog (aws-sdk-glue).
//!
//! Partitions are added with `BatchCreatePartition` in chunks of 100 (the API's limit). Each
//! partition gets a copy of its table's storage descriptor (read once with `GetTable` and
//! cached), with the location set to `s3://<bucket>/<prefix><partition.location>`, so
//! formats and SerDe always match the table. A per-entry `AlreadyExistsException` counts as
//! success, which makes registering idempotent. A missing database or table
//! (`EntityNotFoundException`) is [`pipeline_core::Error::NotFound`]: clear and not retryable.

use std::collections::{BTreeSet, HashMap};

use async_trait::async_trait;
use aws_sdk_glue::types::{PartitionInput, StorageDescriptor};
use pipeline_core::ports::{PartitionCatalog, PartitionSpec};
use pipeline_core::{Error, Result};
use tokio::sync::Mutex;
use tracing::info;

use crate::error::SdkFailure;
use crate::layout::LakeLayout;

const PORT: &str = "glue";
/// Partitions per `BatchCreatePartition` call (the API limit).
pub const MAX_PARTITIONS_PER_CALL: usize = 100;

/// Where partition data lives.
#[derive(Debug)]
enum Locations {
    /// Every key under one `s3://bucket/prefix/` root.
    Root(String),
    /// Each zone in its own bucket.
    Layout(LakeLayout),
}

/// A Glue database whose table data lives under one S3 root, or in a [`LakeLayout`].
#[derive(Debug)]
pub struct GlueCatalog {
    client: aws_sdk_glue::Client,
    database: String,
    locations: Locations,
    descriptors: Mutex<HashMap<String, StorageDescriptor>>,
}

impl GlueCatalog {
    /// A catalog of `database` whose partition locations are keys under `location_root`
    /// (`s3://bucket/` or `s3://bucket/prefix/`).
    pub fn new(
        client: aws_sdk_glue::Client,
        database: impl Into<String>,
        location_root: impl Into<String>,
    ) -> Self {
        let mut location_root: String = location_root.into();
        if !location_root.ends_with('/') {
            location_root.push('/');
        }
        Self {
            client,
            database: database.into(),
            locations: Locations::Root(location_root),
            descriptors: Mutex::new(HashMap::new()),
        }
    }

    /// A catalog of `database` whose partitions live where `layout` puts their zone (the
    /// Terraform stack: quarantine in the raw bucket, silver in the processed bucket).
    pub fn with_layout(
        client: aws_sdk_glue::Client,
        database: impl Into<String>,
        layout: LakeLayout,
    ) -> Self {
        Self {
            client,
            database: database.into(),
            locations: Locations::Layout(layout),
            descriptors: Mutex::new(HashMap::new()),
        }
    }

    /// The S3 location of a partition key prefix.
    pub fn location_of(&self, key_prefix: &str) -> Result<String> {
        match &self.locations {
            Locations::Root(root) => Ok(format!("{root}{key_prefix}")),
            Locations::Layout(layout) => layout.uri(key_prefix),
        }
    }

    /// The lake key prefix of a partition's S3 location (the inverse of
    /// [`GlueCatalog::location_of`]); foreign locations are returned unchanged.
    fn key_prefix_of(&self, location: &str) -> String {
        match &self.locations {
            Locations::Root(root) => {
                location.strip_prefix(root.as_str()).unwrap_or(location).to_owned()
            }
            Locations::Layout(layout) => {
                layout.key_of_uri(location).unwrap_or_else(|| location.to_owned())
            }
        }
    }

    fn glue_error(&self, failure: SdkFailure, context: &str) -> Error {
        if failure.code.as_deref() == Some("EntityNotFoundException") {
            Error::NotFound(format!(
                "Glue {context} in database {}: {} (EntityNotFoundException; create the database and tables first, e.g. with Terraform)",
                self.database, failure.message
            ))
        } else {
            failure.into_port_error(PORT, context)
        }
    }

    /// The table's storage descriptor, from the cache or `GetTable`.
    async fn descriptor(&self, table: &str) -> Result<StorageDescriptor> {
        let mut cache = self.descriptors.lock().await;
        if let Some(descriptor) = cache.get(table) {
            return Ok(descriptor.clone());
        }
        let output = self
            .client
            .get_table()
            .database_name(&self.database)
            .name(table)
            .send()
            .await
            .map_err(|error| self.glue_error(SdkFailure::of(&error), &format!("table {table}")))?;
        let descriptor =
            output.table().and_then(|t| t.storage_descriptor()).cloned().ok_or_else(|| {
                Error::Invalid(format!("Glue table {table} has no storage descriptor"))
            })?;
        cache.insert(table.to_owned(), descriptor.clone());
        Ok(descriptor)
    }

    async fn add_to_table(&self, table: &str, partitions: &[&PartitionSpec]) -> Result<usize> {
        let descriptor = self.descriptor(table).await?;
        let mut added = 0;
        for chunk in partitions.chunks(MAX_PARTITIONS_PER_CALL) {
            let inputs = chunk
                .iter()
                .map(|partition| {
                    let mut storage = descriptor.clone();
                    storage.location = Some(self.location_of(&partition.location)?);
                    Ok(PartitionInput::builder()
                        .set_values(Some(partition.values.clone()))
                        .storage_descriptor(storage)
                        .build())
                })
                .collect::<Result<Vec<PartitionInput>>>()?;
            let output = self
                .client
                .batch_create_partition()
                .database_name(&self.database)
                .table_name(table)
                .set_partition_input_list(Some(inputs))
                .send()
                .await
                .map_err(|error| {
                    self.glue_error(
                        SdkFailure::of(&error),
                        &format!("BatchCreatePartition {table}"),
                    )
                })?;
            let mut existing = 0;
            let mut failures = Vec::new();
            for error in output.errors() {
                let code = error.error_detail().and_then(|d| d.error_code()).unwrap_or("Unknown");
                if code == "AlreadyExistsException" {
                    existing += 1;
                } else {
                    let message =
                        error.error_detail().and_then(|d| d.error_message()).unwrap_or("");
                    failures.push((
                        code.to_owned(),
                        format!("{:?}: {code}: {message}", error.partition_values()),
                    ));
                }
            }
            if !failures.is_empty() {
                let retryable = failures.iter().all(|(code, _)| {
                    crate::error::is_retryable(crate::error::FailureKind::Service, Some(code), None)
                });
                let details: Vec<String> = failures.into_iter().map(|(_, m)| m).collect();
                return Err(Error::Port {
                    port: PORT,
                    message: format!("BatchCreatePartition {table}: {}", details.join("; ")),
                    retryable,
                });
            }
            added += chunk.len() - existing;
        }
        info!(table, added, requested = partitions.len(), "Registered partitions");
        Ok(added)
    }
}

#[async_trait]
impl PartitionCatalog for GlueCatalog {
    async fn add_partitions(&self, partitions: &[PartitionSpec]) -> Result<usize> {
        // Deduplicated and grouped by table, in a stable order.
        let unique: BTreeSet<&PartitionSpec> = partitions.iter().collect();
        let mut by_table: Vec<(&str, Vec<&PartitionSpec>)> = Vec::new();
        for partition in unique {
            if partition.values.is_empty() {
                return Err(Error::Invalid(format!(
                    "partition of {} has no values",
                    partition.table
                )));
            }
            match by_table.iter_mut().find(|(table, _)| *table == partition.table) {
                Some((_, list)) => list.push(partition),
                None => by_table.push((&partition.table, vec![partition])),
            }
        }
        let mut added = 0;
        for (table, list) in by_table {
            added += self.add_to_table(table, &list).await?;
        }
        Ok(added)
    }

    async fn partitions(&self, table: &str) -> Result<Vec<PartitionSpec>> {
        let mut specs = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .get_partitions()
                .database_name(&self.database)
                .table_name(table)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|error| {
                    self.glue_error(SdkFailure::of(&error), &format!("GetPartitions {table}"))
                })?;
            for partition in page.partitions() {
                let location =
                    partition.storage_descriptor().and_then(|s| s.location()).unwrap_or_default();
                specs.push(PartitionSpec {
                    table: table.to_owned(),
                    values: partition.values().to_vec(),
                    location: self.key_prefix_of(location),
                });
            }
            match page.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                _ => break,
            }
        }
        specs.sort();
        Ok(specs)
    }
}
