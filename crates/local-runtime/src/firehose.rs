//! The local twin of Kinesis Data Firehose (Direct PUT to S3 with GZIP compression).
//!
//! - Enforces the PutRecordBatch limits: at most 500 records and 4 MiB per call and
//!   1,000 KiB per record. A call that breaks them fails whole, as the service's
//!   `ValidationException` does.
//! - Buffers by size (default 5 MiB of incoming data) and by interval (default 60 s of
//!   *simulated* arrival time, carried by each call), then gzips the buffer into one object
//!   named exactly as Firehose names it (DESIGN §3), timestamped with the arrival of the
//!   buffer's first record.
//! - Never splits one call across two objects, so records sent together land together.
//! - Object UUIDs come from a seeded generator, so a seeded run writes identical keys.

use std::io::Write;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use flate2::write::GzEncoder;
use flate2::Compression;
use pipeline_core::keys::firehose_object_key;
use pipeline_core::ports::firehose_limits::{
    MAX_BYTES_PER_BATCH, MAX_RECORDS_PER_BATCH, MAX_RECORD_BYTES,
};
use pipeline_core::ports::{BlobStore, DeliveryStream, PutBatchOutcome};
use pipeline_core::{Error, Result};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::sync::Mutex;
use tracing::debug;

/// Buffering hints, as configured on a Firehose stream.
#[derive(Debug, Clone)]
pub struct FirehoseConfig {
    /// Delivery stream name: the start of every object name.
    pub stream_name: String,
    /// Flush when this many bytes of incoming data are buffered (Firehose default 5 MiB).
    pub buffer_bytes: usize,
    /// Flush when the buffer is this old, in simulated seconds (Firehose default 300 s; the
    /// StreamLake Terraform sets 60 s).
    pub buffer_interval_secs: i64,
    /// Seed for object UUIDs.
    pub seed: u64,
    /// Gzip level (Firehose's GZIP is comparable to level 6).
    pub compression_level: u32,
}

impl FirehoseConfig {
    /// StreamLake's defaults: 5 MiB / 60 s.
    pub fn new(stream_name: impl Into<String>, seed: u64) -> Self {
        Self {
            stream_name: stream_name.into(),
            buffer_bytes: 5 * 1024 * 1024,
            buffer_interval_secs: 60,
            seed,
            compression_level: 6,
        }
    }
}

#[derive(Debug)]
struct Buffer {
    data: Vec<u8>,
    opened_at: Option<i64>,
    rng: ChaCha8Rng,
    objects: Vec<String>,
}

/// A local delivery stream writing gzip NDJSON objects into a [`BlobStore`].
pub struct LocalFirehose {
    store: Arc<dyn BlobStore>,
    config: FirehoseConfig,
    buffer: Mutex<Buffer>,
}

impl LocalFirehose {
    /// A stream delivering into `store` under the raw prefix.
    pub fn new(store: Arc<dyn BlobStore>, config: FirehoseConfig) -> Self {
        let rng = ChaCha8Rng::seed_from_u64(config.seed ^ 0x5EED_F12E_405E_0001);
        Self {
            store,
            buffer: Mutex::new(Buffer {
                data: Vec::with_capacity(config.buffer_bytes + MAX_BYTES_PER_BATCH),
                opened_at: None,
                rng,
                objects: Vec::new(),
            }),
            config,
        }
    }

    /// Keys of every object written so far.
    pub async fn objects(&self) -> Vec<String> {
        self.buffer.lock().await.objects.clone()
    }

    async fn flush_locked(&self, buffer: &mut Buffer) -> Result<Option<String>> {
        let Some(opened_at) = buffer.opened_at.take() else { return Ok(None) };
        let mut uuid_bytes = [0u8; 16];
        buffer.rng.fill_bytes(&mut uuid_bytes);
        let uuid = uuid::Builder::from_random_bytes(uuid_bytes).into_uuid().to_string();
        let key = firehose_object_key(&self.config.stream_name, opened_at, &uuid)
            .ok_or_else(|| Error::Invalid(format!("arrival time {opened_at} is out of range")))?;
        let mut encoder = GzEncoder::new(
            Vec::with_capacity(buffer.data.len() / 6),
            Compression::new(self.config.compression_level),
        );
        encoder
            .write_all(&buffer.data)
            .map_err(|error| Error::io("compressing a Firehose buffer", error))?;
        let body =
            encoder.finish().map_err(|error| Error::io("compressing a Firehose buffer", error))?;
        debug!(key = %key, raw_bytes = buffer.data.len(), gzip_bytes = body.len(), "Delivered object");
        buffer.data.clear();
        self.store.put(&key, Bytes::from(body)).await?;
        buffer.objects.push(key.clone());
        Ok(Some(key))
    }
}

/// Checks the PutRecordBatch limits for one call.
pub fn check_batch_limits(records: &[Bytes]) -> Result<()> {
    if records.is_empty() {
        return Err(Error::Invalid("PutRecordBatch needs at least one record".into()));
    }
    if records.len() > MAX_RECORDS_PER_BATCH {
        return Err(Error::Invalid(format!(
            "ValidationException: {} records in one PutRecordBatch call; the limit is {MAX_RECORDS_PER_BATCH}",
            records.len()
        )));
    }
    if let Some((index, record)) =
        records.iter().enumerate().find(|(_, r)| r.len() > MAX_RECORD_BYTES)
    {
        return Err(Error::Invalid(format!(
            "ValidationException: record {index} is {} bytes; the limit is {MAX_RECORD_BYTES}",
            record.len()
        )));
    }
    let total: usize = records.iter().map(Bytes::len).sum();
    if total > MAX_BYTES_PER_BATCH {
        return Err(Error::Invalid(format!(
            "ValidationException: PutRecordBatch carries {total} bytes; the limit is {MAX_BYTES_PER_BATCH}"
        )));
    }
    Ok(())
}

#[async_trait]
impl DeliveryStream for LocalFirehose {
    async fn put_record_batch(
        &self,
        records: Vec<Bytes>,
        simulated_arrival_ts: Option<i64>,
    ) -> Result<PutBatchOutcome> {
        check_batch_limits(&records)?;
        let arrival = match simulated_arrival_ts {
            Some(ts) => ts,
            None => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0),
        };
        let mut buffer = self.buffer.lock().await;
        if let Some(opened_at) = buffer.opened_at {
            if arrival - opened_at >= self.config.buffer_interval_secs {
                self.flush_locked(&mut buffer).await?;
            }
        }
        if buffer.opened_at.is_none() {
            buffer.opened_at = Some(arrival);
        }
        for record in &records {
            buffer.data.extend_from_slice(record);
        }
        if buffer.data.len() >= self.config.buffer_bytes {
            self.flush_locked(&mut buffer).await?;
        }
        Ok(PutBatchOutcome { accepted: records.len(), failed: Vec::new(), resent: 0 })
    }

    async fn flush(&self) -> Result<Vec<String>> {
        let mut buffer = self.buffer.lock().await;
        Ok(self.flush_locked(&mut buffer).await?.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use flate2::read::MultiGzDecoder;

    use super::*;
    use crate::fs_store::LocalBlobStore;

    fn records(n: usize, size: usize) -> Vec<Bytes> {
        (0..n)
            .map(|i| {
                let mut line = format!("{{\"n\":{i}}}").into_bytes();
                line.resize(size.max(line.len() + 1) - 1, b' ');
                line.push(b'\n');
                Bytes::from(line)
            })
            .collect()
    }

    async fn read_object(store: &LocalBlobStore, key: &str) -> Vec<u8> {
        let bytes = store.get(key).await.unwrap().unwrap();
        let mut out = Vec::new();
        MultiGzDecoder::new(&bytes[..]).read_to_end(&mut out).unwrap();
        out
    }

    #[tokio::test]
    async fn enforces_put_record_batch_limits() {
        let dir = tempfile::tempdir().unwrap();
        let firehose = LocalFirehose::new(
            Arc::new(LocalBlobStore::new(dir.path())),
            FirehoseConfig::new("s", 1),
        );
        assert!(firehose.put_record_batch(records(501, 10), Some(0)).await.is_err());
        assert!(firehose.put_record_batch(records(5, 1_000 * 1024 + 1), Some(0)).await.is_err());
        assert!(
            firehose.put_record_batch(records(5, 900 * 1024), Some(0)).await.is_err(),
            "4.4 MiB call"
        );
        assert!(
            firehose.put_record_batch(records(4, 1_000 * 1024), Some(0)).await.is_ok(),
            "4,000 KiB call"
        );
        assert!(firehose.put_record_batch(records(500, 100), Some(0)).await.is_ok());
        assert!(firehose.put_record_batch(Vec::new(), Some(0)).await.is_err());
    }

    #[tokio::test]
    async fn buffers_by_interval_and_names_objects_like_firehose() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobStore::new(dir.path());
        let firehose =
            LocalFirehose::new(Arc::new(store.clone()), FirehoseConfig::new("netflix-playback", 7));
        let t0 = 1_772_600_767; // 2026-03-04T05:06:07Z
        firehose.put_record_batch(records(3, 20), Some(t0)).await.unwrap();
        firehose.put_record_batch(records(2, 20), Some(t0 + 59)).await.unwrap();
        assert!(firehose.objects().await.is_empty(), "still inside the 60 s interval");
        firehose.put_record_batch(records(1, 20), Some(t0 + 60)).await.unwrap();
        let objects = firehose.objects().await;
        assert_eq!(objects.len(), 1);
        assert!(objects[0].starts_with(
            "raw/netflix/ingest_year=2026/ingest_month=03/ingest_day=04/ingest_hour=05/netflix-playback-1-2026-03-04-05-06-07-"
        ), "{}", objects[0]);
        assert_eq!(pipeline_core::keys::firehose_arrival_ts(&objects[0]), Some(t0));
        assert_eq!(
            read_object(&store, &objects[0]).await.iter().filter(|b| **b == b'\n').count(),
            5
        );
        let last = firehose.flush().await.unwrap();
        assert_eq!(last.len(), 1);
        assert_eq!(pipeline_core::keys::firehose_arrival_ts(&last[0]), Some(t0 + 60));
        assert!(firehose.flush().await.unwrap().is_empty(), "nothing left to flush");
    }

    #[tokio::test]
    async fn buffers_by_size_without_splitting_a_call() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobStore::new(dir.path());
        let mut config = FirehoseConfig::new("s", 3);
        config.buffer_bytes = 10_000;
        let firehose = LocalFirehose::new(Arc::new(store.clone()), config);
        for call in 0..10 {
            firehose.put_record_batch(records(30, 100), Some(1_700_000_000 + call)).await.unwrap();
        }
        firehose.flush().await.unwrap();
        let objects = firehose.objects().await;
        assert_eq!(objects.len(), 3, "4 calls of 3,000 bytes reach 10,000 bytes");
        let mut total = 0;
        for key in &objects {
            let data = read_object(&store, key).await;
            assert_eq!(data.len() % 3_000, 0, "whole calls only");
            total += data.len();
        }
        assert_eq!(total, 30_000);
    }

    #[tokio::test]
    async fn seeded_runs_write_identical_keys() {
        let mut keys = Vec::new();
        for _ in 0..2 {
            let dir = tempfile::tempdir().unwrap();
            let firehose = LocalFirehose::new(
                Arc::new(LocalBlobStore::new(dir.path())),
                FirehoseConfig::new("s", 11),
            );
            firehose.put_record_batch(records(2, 10), Some(1_700_000_000)).await.unwrap();
            keys.push(firehose.flush().await.unwrap());
        }
        assert_eq!(keys[0], keys[1]);
    }
}
