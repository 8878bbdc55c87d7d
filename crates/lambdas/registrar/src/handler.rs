//! `handle(event, &Deps)`: the partitions of the silver and quarantine files an S3 event
//! names, added to the catalog once each.
//!
//! A key is a partition file when [`partition_of_key`] recognises it (the DESIGN §3 layout
//! with a valid `YYYY-MM-DD` value); anything else (ledgers, the title dimension, a
//! `__HIVE_DEFAULT_PARTITION__` directory, another bucket) is skipped and logged. A catalog
//! failure is returned as an error, retryable when the catalog says so (throttling); a
//! missing table is not retryable.

use std::collections::BTreeSet;
use std::sync::Arc;

use aws_adapters::config::{glue_client, load_sdk_config};
use aws_adapters::{GlueCatalog, LakeLayout};
use aws_lambda_events::event::s3::S3Event;
use lambda_support::metrics::names;
use lambda_support::{event_objects, MetricSink, Result, SkippedRecord, StdoutEmf};
use pipeline_core::keys::partition_of_key;
use pipeline_core::metrics::Metric;
use pipeline_core::ports::{PartitionCatalog, PartitionSpec};
use serde::Serialize;
use tracing::{info, warn};

use crate::config::Config;

/// The function name in metrics and logs.
pub const FUNCTION: &str = "registrar";

/// What the handler needs, built once per cold start.
pub struct Deps {
    /// The catalog (Glue, or an in-memory catalog in tests).
    pub catalog: Arc<dyn PartitionCatalog>,
    /// Where each zone lives.
    pub layout: LakeLayout,
    /// Where metrics go.
    pub metrics: Arc<dyn MetricSink>,
}

impl Deps {
    /// The production wiring: Glue through the default credential chain, EMF on stdout.
    pub async fn from_aws(config: Config) -> Result<Self> {
        let sdk = load_sdk_config().await;
        let catalog =
            GlueCatalog::with_layout(glue_client(&sdk), config.database, config.layout.clone());
        Ok(Self { catalog: Arc::new(catalog), layout: config.layout, metrics: Arc::new(StdoutEmf) })
    }
}

/// The invocation's result.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RegisterResponse {
    /// The distinct partitions of the event, sorted.
    pub partitions: Vec<PartitionSpec>,
    /// How many of them were new to the catalog.
    pub added: usize,
    /// Records that name no partition file.
    pub skipped: Vec<SkippedRecord>,
}

/// The distinct partitions named by `event`, and the records that name none.
pub fn partitions_of(
    event: &S3Event,
    layout: &LakeLayout,
) -> (Vec<PartitionSpec>, Vec<SkippedRecord>) {
    let (objects, mut skipped) = event_objects(event);
    let mut partitions = BTreeSet::new();
    for object in objects {
        let Some(key) = layout.key_of_object(&object.bucket, &object.key) else {
            skipped.push(SkippedRecord {
                key: object.key,
                reason: format!("bucket {} does not hold this zone of the lake", object.bucket),
            });
            continue;
        };
        match partition_of_key(&key) {
            Some(partition) => {
                partitions.insert(PartitionSpec {
                    table: partition.table.to_owned(),
                    values: vec![partition.value],
                    location: partition.location,
                });
            }
            None => skipped.push(SkippedRecord { key, reason: "not a partition file".into() }),
        }
    }
    (partitions.into_iter().collect(), skipped)
}

/// Handles one S3 event.
pub async fn handle(event: S3Event, deps: &Deps) -> Result<RegisterResponse> {
    let (partitions, skipped) = partitions_of(&event, &deps.layout);
    for record in &skipped {
        warn!(key = %record.key, reason = %record.reason, "Skipped event record");
    }
    let added =
        if partitions.is_empty() { 0 } else { deps.catalog.add_partitions(&partitions).await? };
    info!(partitions = partitions.len(), added, "Registered partitions");
    deps.metrics.emit(FUNCTION, &[Metric::count(names::PARTITIONS_REGISTERED, added as u64)]);
    Ok(RegisterResponse { partitions, added, skipped })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use lambda_support::RecordingSink;
    use pipeline_core::memory::MemoryCatalog;

    use super::*;

    const PROCESSED: &str = "processed_netflix_events";
    const QUARANTINED: &str = "quarantined_netflix_events";

    fn event(name: &str) -> S3Event {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../tests/fixtures").join(name);
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    fn deps(catalog: Arc<MemoryCatalog>, metrics: Arc<RecordingSink>) -> Deps {
        Deps {
            catalog,
            layout: LakeLayout::two_buckets(
                "streamlake-raw-123456789012",
                "streamlake-processed-123456789012",
            )
            .unwrap(),
            metrics,
        }
    }

    #[tokio::test]
    async fn registers_each_partition_once_and_skips_other_objects() {
        let catalog = Arc::new(MemoryCatalog::with_tables(&[PROCESSED, QUARANTINED]));
        let metrics = Arc::new(RecordingSink::default());
        let deps = deps(catalog.clone(), metrics.clone());

        let response = handle(event("s3_put_processed_objects.json"), &deps).await.unwrap();

        let found: Vec<(&str, &str)> =
            response.partitions.iter().map(|p| (p.table.as_str(), p.values[0].as_str())).collect();
        assert_eq!(
            found,
            [(PROCESSED, "2024-03-04"), (PROCESSED, "2024-03-05"), (QUARANTINED, "2024-03-05")],
            "the %3D-encoded keys decoded, and 2024-03-05 deduplicated"
        );
        assert_eq!(
            response.partitions[1].location,
            "processed/netflix/processed_partitioned/event_date=2024-03-05/"
        );
        assert_eq!(response.added, 3);
        assert_eq!(response.skipped.len(), 3, "ledger, titles, Hive default: {response:?}");
        assert_eq!(catalog.partitions(PROCESSED).await.unwrap().len(), 2);
        assert_eq!(catalog.partitions(QUARANTINED).await.unwrap().len(), 1);
        assert_eq!(metrics.total(names::PARTITIONS_REGISTERED), Some(3.0));

        // Re-delivery: nothing new, still success.
        let again = handle(event("s3_put_processed_objects.json"), &deps).await.unwrap();
        assert_eq!((again.partitions.len(), again.added), (3, 0));
        assert_eq!(metrics.total(names::PARTITIONS_REGISTERED), Some(3.0));
    }

    #[tokio::test]
    async fn a_missing_table_is_a_non_retryable_error() {
        let catalog = Arc::new(MemoryCatalog::with_tables(&[PROCESSED]));
        let deps = deps(catalog, Arc::new(RecordingSink::default()));
        let error = handle(event("s3_put_processed_objects.json"), &deps).await.unwrap_err();
        assert!(!error.is_retryable());
        assert!(error.to_string().contains(QUARANTINED), "{error}");
    }

    #[tokio::test]
    async fn raw_objects_are_not_partitions() {
        let deps = deps(Arc::new(MemoryCatalog::default()), Arc::new(RecordingSink::default()));
        let response = handle(event("s3_put_raw_object.json"), &deps).await.unwrap();
        assert!(response.partitions.is_empty());
        assert_eq!(response.skipped.len(), 1);
    }
}
