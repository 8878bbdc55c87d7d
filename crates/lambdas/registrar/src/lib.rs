//! # lambda-registrar
//!
//! The registrar Lambda. S3 invokes it with `ObjectCreated` events for silver
//! (`processed/netflix/processed_partitioned/event_date=…/`) and quarantine
//! (`quarantine/netflix/quarantine/ingest_date=…/`) Parquet files. It parses the partition
//! value from each key, deduplicates within the event, and adds the partitions to the Glue
//! catalog with `BatchCreatePartition`; partitions that exist already count as success, so
//! a re-delivered event is harmless.
//!
//! - [`config`]: typed environment configuration;
//! - [`handler`]: `handle(event, &Deps)`.

pub mod config;
pub mod handler;
