//! Where the lake's zones live on S3, and a [`BlobStore`] that routes by zone.
//!
//! Lake keys are the same strings everywhere (DESIGN §3): `raw/netflix/…`,
//! `processed/netflix/…`, `quarantine/netflix/…`, `ledger/netflix/…`, `gold/netflix/…`. On
//! AWS each zone (the key's first path segment) lives in a bucket, optionally under a prefix.
//! The Terraform stack uses two buckets ([`LakeLayout::two_buckets`]):
//!
//! | zone | bucket |
//! |---|---|
//! | `raw/`, `quarantine/`, `ledger/` | raw (bronze, access-restricted: PII and rejected rows) |
//! | `processed/`, `gold/` | processed (silver and gold) |
//!
//! The S3 key is `<prefix><lake key>`, so an S3 event's key *is* the lake key when the prefix
//! is empty, and Firehose's `raw/netflix/…` prefix lands exactly where the transformer reads.

use std::collections::BTreeMap;
use std::path::Path;

use async_trait::async_trait;
use bytes::Bytes;
use pipeline_core::ports::{BlobReader, BlobStore, ConditionalWrite, ObjectMeta, WriteCondition};
use pipeline_core::{Error, Result};

use crate::error::AdapterError;
use crate::s3::{S3BlobStore, S3Config};

/// The lake zones (first key segments) StreamLake writes.
pub const ZONES: [&str; 5] = ["raw", "quarantine", "ledger", "processed", "gold"];

/// The S3 location of every zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LakeLayout {
    zones: BTreeMap<String, S3Config>,
}

/// The zone of a key: its first path segment.
pub fn zone_of(key: &str) -> &str {
    key.split('/').next().unwrap_or_default()
}

impl LakeLayout {
    /// Every zone in one bucket (or under one prefix of it): `s3://bucket[/prefix]`.
    pub fn single(root: &str) -> crate::error::Result<Self> {
        let config = S3Config::from_uri(root)?;
        Ok(Self { zones: ZONES.iter().map(|zone| ((*zone).to_owned(), config.clone())).collect() })
    }

    /// The Terraform layout: bronze, quarantine and ledgers in `raw_bucket`; silver and gold
    /// in `processed_bucket`.
    pub fn two_buckets(raw_bucket: &str, processed_bucket: &str) -> crate::error::Result<Self> {
        let raw = S3Config::from_uri(raw_bucket)?;
        let processed = S3Config::from_uri(processed_bucket)?;
        let zones = ZONES
            .iter()
            .map(|zone| {
                let config = if matches!(*zone, "processed" | "gold") { &processed } else { &raw };
                ((*zone).to_owned(), config.clone())
            })
            .collect();
        Ok(Self { zones })
    }

    /// Replaces the upload settings of every zone (part sizes, page size).
    pub fn with_settings(mut self, update: impl Fn(&mut S3Config)) -> Self {
        self.zones.values_mut().for_each(update);
        self
    }

    /// The S3 settings of the zone holding `key`.
    pub fn config_of(&self, key: &str) -> Result<&S3Config> {
        let zone = zone_of(key);
        self.zones.get(zone).ok_or_else(|| {
            Error::Invalid(format!(
                "key {key:?} is outside the lake: its zone {zone:?} is not one of {}",
                ZONES.join(", ")
            ))
        })
    }

    /// The bucket holding `key`.
    pub fn bucket_of(&self, key: &str) -> Result<&str> {
        Ok(&self.config_of(key)?.bucket)
    }

    /// The `s3://` URI of a lake key or key prefix.
    pub fn uri(&self, key: &str) -> Result<String> {
        let config = self.config_of(key)?;
        Ok(format!("s3://{}/{}{key}", config.bucket, config.prefix))
    }

    /// The lake key of an `s3://` URI, if it lies in one of the zones.
    pub fn key_of_uri(&self, uri: &str) -> Option<String> {
        let rest = uri.strip_prefix("s3://")?;
        let (bucket, s3_key) = rest.split_once('/')?;
        self.key_of_object(bucket, s3_key)
    }

    /// The lake key of the S3 object `bucket`/`s3_key`, if it lies in one of the zones.
    pub fn key_of_object(&self, bucket: &str, s3_key: &str) -> Option<String> {
        let key = self.zones.iter().find_map(|(zone, config)| {
            let key = s3_key.strip_prefix(config.prefix.as_str())?;
            (config.bucket == bucket && zone_of(key) == zone).then_some(key)
        })?;
        Some(key.to_owned())
    }
}

/// A [`BlobStore`] over every zone of a [`LakeLayout`]: each key goes to its zone's bucket.
#[derive(Debug, Clone)]
pub struct S3Lake {
    layout: LakeLayout,
    stores: BTreeMap<String, S3BlobStore>,
}

impl S3Lake {
    /// A lake using `client` (see [`crate::config::s3_client`]).
    pub fn new(client: aws_sdk_s3::Client, layout: LakeLayout) -> crate::error::Result<Self> {
        let mut stores = BTreeMap::new();
        for (zone, config) in &layout.zones {
            stores.insert(zone.clone(), S3BlobStore::new(client.clone(), config.clone())?);
        }
        Ok(Self { layout, stores })
    }

    /// The layout.
    pub fn layout(&self) -> &LakeLayout {
        &self.layout
    }

    fn store(&self, key: &str) -> Result<&S3BlobStore> {
        let zone = zone_of(key);
        self.stores.get(zone).ok_or_else(|| {
            Error::from(AdapterError::Config(format!(
                "key {key:?} is outside the lake: its zone {zone:?} is not one of {}",
                ZONES.join(", ")
            )))
        })
    }
}

#[async_trait]
impl BlobStore for S3Lake {
    async fn head(&self, key: &str) -> Result<ObjectMeta> {
        self.store(key)?.head(key).await
    }

    async fn open(&self, key: &str) -> Result<BlobReader> {
        self.store(key)?.open(key).await
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>> {
        self.store(key)?.get(key).await
    }

    async fn put(&self, key: &str, body: Bytes) -> Result<()> {
        self.store(key)?.put(key, body).await
    }

    async fn put_file(&self, key: &str, path: &Path) -> Result<()> {
        self.store(key)?.put_file(key, path).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>> {
        if prefix.contains('/') {
            return self.store(prefix)?.list(prefix).await;
        }
        // A prefix inside the zone name ("" or "pro"): every matching zone, merged in order.
        let mut all = Vec::new();
        for (zone, store) in &self.stores {
            if zone.starts_with(prefix) {
                all.extend(store.list(&format!("{zone}/")).await?);
            }
        }
        all.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(all)
    }

    async fn exists(&self, key: &str) -> Result<bool> {
        self.store(key)?.exists(key).await
    }

    async fn get_tagged(&self, key: &str) -> Result<Option<(Bytes, String)>> {
        self.store(key)?.get_tagged(key).await
    }

    async fn put_if(
        &self,
        key: &str,
        body: Bytes,
        condition: &WriteCondition,
    ) -> Result<ConditionalWrite> {
        self.store(key)?.put_if(key, body, condition).await
    }

    async fn get_tail(&self, key: &str, len: u64) -> Result<Bytes> {
        self.store(key)?.get_tail(key, len).await
    }

    fn uri_of(&self, key: &str) -> String {
        self.layout.uri(key).unwrap_or_else(|_| key.to_owned())
    }

    fn key_of_uri(&self, uri: &str) -> Option<String> {
        self.layout.key_of_uri(uri)
    }

    async fn delete(&self, keys: &[String]) -> Result<()> {
        // Grouped by zone, in key order, so each bucket gets batched DeleteObjects calls.
        let mut by_zone: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for key in keys {
            by_zone.entry(zone_of(key)).or_default().push(key.clone());
        }
        for (_, keys) in by_zone {
            if let Some(first) = keys.first() {
                self.store(first)?.delete(&keys).await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_buckets_route_each_zone() {
        let layout = LakeLayout::two_buckets("sl-raw", "sl-processed").unwrap();
        assert_eq!(layout.bucket_of("raw/netflix/x.gz").unwrap(), "sl-raw");
        assert_eq!(layout.bucket_of("quarantine/netflix/quarantine/x").unwrap(), "sl-raw");
        assert_eq!(layout.bucket_of("ledger/netflix/d.json").unwrap(), "sl-raw");
        assert_eq!(layout.bucket_of("processed/netflix/p").unwrap(), "sl-processed");
        assert_eq!(layout.bucket_of("gold/netflix/t").unwrap(), "sl-processed");
        assert!(matches!(layout.bucket_of("tmp/x"), Err(Error::Invalid(_))));
        assert_eq!(
            layout.uri("processed/netflix/processed_partitioned/event_date=2024-01-01/").unwrap(),
            "s3://sl-processed/processed/netflix/processed_partitioned/event_date=2024-01-01/"
        );
    }

    #[test]
    fn uris_map_back_to_keys_only_inside_their_zone() {
        let layout = LakeLayout::two_buckets("sl-raw", "s3://sl-processed/lake").unwrap();
        let key = "processed/netflix/processed_partitioned/event_date=2024-01-01/";
        let uri = layout.uri(key).unwrap();
        assert_eq!(uri, format!("s3://sl-processed/lake/{key}"));
        assert_eq!(layout.key_of_uri(&uri).as_deref(), Some(key));
        assert_eq!(
            layout.key_of_object("sl-raw", "raw/netflix/a.gz").as_deref(),
            Some("raw/netflix/a.gz")
        );
        // Silver in the raw bucket, or raw in the processed bucket, is not part of the lake.
        assert_eq!(layout.key_of_object("sl-raw", "processed/netflix/a"), None);
        assert_eq!(layout.key_of_object("sl-processed", "lake/raw/netflix/a.gz"), None);
        assert_eq!(layout.key_of_uri("s3://other/raw/netflix/a.gz"), None);
    }

    #[test]
    fn single_root_puts_every_zone_in_one_place() {
        let layout = LakeLayout::single("s3://lake-bucket/prefix").unwrap();
        for zone in ZONES {
            assert_eq!(
                layout.uri(&format!("{zone}/k")).unwrap(),
                format!("s3://lake-bucket/prefix/{zone}/k")
            );
        }
        assert!(LakeLayout::single("s3://Not_A_Bucket").is_err());
    }
}
