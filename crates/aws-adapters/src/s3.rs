//! [`BlobStore`] over Amazon S3 (aws-sdk-s3).
//!
//! Keys are the DESIGN §3 keys under an optional key prefix in one bucket
//! (`s3://bucket/prefix/` + `raw/netflix/...`).
//!
//! - **Streaming GET.** The port hands the pure transform a *blocking* [`std::io::Read`],
//!   and the transform runs synchronously on the async task that called
//!   [`pipeline_core::process::process_object`]. A channel bridge would have to block that
//!   very runtime thread waiting for chunks that only the runtime can produce (a deadlock on
//!   a current-thread runtime, such as a Lambda's). So [`S3BlobStore::open`] streams the body
//!   chunk by chunk into an anonymous temporary file (deleted when dropped) and returns the
//!   file: memory stays at one network chunk whatever the object size, the download is
//!   complete and length-checked before the transform reads a byte, and a broken download is
//!   a retryable error rather than a truncated (and so mis-quarantined) object.
//! - **PUT.** Small objects in one `PutObject`; [`BlobStore::put_file`] streams the file
//!   from disk, switching to a multipart upload above [`S3Config::multipart_threshold`]
//!   (default 16 MiB, parts of 8 MiB), which is aborted if any part fails.
//! - **LIST** is paginated with `ListObjectsV2` continuation tokens.

use std::io::{Seek, SeekFrom};
use std::path::Path;

use async_trait::async_trait;
use aws_sdk_s3::primitives::{ByteStream, Length};
use aws_sdk_s3::types::{
    ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart, Delete, ObjectIdentifier,
};
use bytes::Bytes;
use pipeline_core::ports::{BlobReader, BlobStore, ConditionalWrite, ObjectMeta, WriteCondition};
use pipeline_core::{Error, Result};
use tokio::io::AsyncWriteExt;
use tracing::{debug, warn};

use crate::error::{port_error, AdapterError, SdkFailure};

const PORT: &str = "s3";
const MIB: u64 = 1024 * 1024;
/// S3's smallest part size (every part but the last).
pub const MIN_PART_SIZE: u64 = 5 * MIB;
/// S3's largest part count.
pub const MAX_PARTS: u64 = 10_000;
/// Default size above which `put_file` uses a multipart upload.
pub const DEFAULT_MULTIPART_THRESHOLD: u64 = 16 * MIB;
/// Default multipart part size.
pub const DEFAULT_PART_SIZE: u64 = 8 * MIB;

/// Where and how the store writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Config {
    /// Bucket name.
    pub bucket: String,
    /// Key prefix prepended to every key: empty, or ending in `/`.
    pub prefix: String,
    /// `put_file` uses a multipart upload for files at least this large.
    pub multipart_threshold: u64,
    /// Multipart part size (at least [`MIN_PART_SIZE`]; raised if a file needs more than
    /// [`MAX_PARTS`] parts).
    pub part_size: u64,
    /// `MaxKeys` per `ListObjectsV2` page (S3 caps it at 1,000; `None` = service default).
    pub list_page_size: Option<i32>,
}

impl S3Config {
    /// A bucket and prefix with the default upload settings.
    pub fn new(bucket: impl Into<String>, prefix: impl Into<String>) -> Self {
        let mut prefix: String = prefix.into();
        let trimmed = prefix.trim_matches('/').to_owned();
        prefix = if trimmed.is_empty() { String::new() } else { format!("{trimmed}/") };
        Self {
            bucket: bucket.into(),
            prefix,
            multipart_threshold: DEFAULT_MULTIPART_THRESHOLD,
            part_size: DEFAULT_PART_SIZE,
            list_page_size: None,
        }
    }

    /// Parses `s3://bucket[/prefix]` or `bucket[/prefix]` (DESIGN §3: the first path segment
    /// is the bucket).
    pub fn from_uri(uri: &str) -> crate::error::Result<Self> {
        let rest = uri.strip_prefix("s3://").unwrap_or(uri);
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty()
            || !bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.".contains(&b))
        {
            return Err(AdapterError::Config(format!("{uri:?} does not name an S3 bucket")));
        }
        Ok(Self::new(bucket, prefix))
    }

    /// Checks the part settings against S3's limits.
    pub fn validate(&self) -> crate::error::Result<()> {
        if self.part_size < MIN_PART_SIZE {
            return Err(AdapterError::Config(format!(
                "part size {} is below the S3 minimum of {MIN_PART_SIZE} bytes",
                self.part_size
            )));
        }
        if self.multipart_threshold < self.part_size.min(MIN_PART_SIZE) {
            return Err(AdapterError::Config("multipart threshold below 5 MiB".into()));
        }
        if matches!(self.list_page_size, Some(n) if !(1..=1000).contains(&n)) {
            return Err(AdapterError::Config("list page size must be 1..=1000".into()));
        }
        Ok(())
    }
}

/// One part of a multipart upload: its number (from 1), offset and length in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartPlan {
    /// Part number, from 1.
    pub number: i32,
    /// Offset in the file.
    pub offset: u64,
    /// Length in bytes.
    pub length: u64,
}

/// Splits `size` bytes into parts of `part_size` (raised to stay within [`MAX_PARTS`], in
/// whole MiB). Every part but the last has the same size; an empty file is one empty part.
pub fn plan_parts(size: u64, part_size: u64) -> Vec<PartPlan> {
    let mut part_size = part_size.max(MIN_PART_SIZE);
    if size.div_ceil(part_size) > MAX_PARTS {
        part_size = size.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB;
    }
    if size == 0 {
        return vec![PartPlan { number: 1, offset: 0, length: 0 }];
    }
    (0..size.div_ceil(part_size))
        .map(|index| {
            let offset = index * part_size;
            PartPlan {
                number: i32::try_from(index + 1).unwrap_or(i32::MAX),
                offset,
                length: part_size.min(size - offset),
            }
        })
        .collect()
}

/// Whether a conditional `PutObject` failed on its condition (412 `PreconditionFailed`) or
/// lost a race with another conditional write (409 `ConditionalRequestConflict`).
pub fn is_condition_conflict(code: Option<&str>, status: Option<u16>) -> bool {
    matches!(code, Some("PreconditionFailed" | "ConditionalRequestConflict"))
        || matches!(status, Some(412 | 409))
}

/// A blob store in one S3 bucket, under an optional prefix.
#[derive(Debug, Clone)]
pub struct S3BlobStore {
    client: aws_sdk_s3::Client,
    config: S3Config,
}

impl S3BlobStore {
    /// A store using `client` (see [`crate::config::s3_client`]).
    pub fn new(client: aws_sdk_s3::Client, config: S3Config) -> crate::error::Result<Self> {
        config.validate()?;
        Ok(Self { client, config })
    }

    /// The settings.
    pub fn config(&self) -> &S3Config {
        &self.config
    }

    /// The S3 key of a store key.
    pub fn s3_key(&self, key: &str) -> String {
        format!("{}{key}", self.config.prefix)
    }

    /// The `s3://` URI of a store key (or of a key prefix).
    pub fn uri(&self, key: &str) -> String {
        format!("s3://{}/{}", self.config.bucket, self.s3_key(key))
    }

    fn store_key<'a>(&self, s3_key: &'a str) -> Option<&'a str> {
        s3_key.strip_prefix(self.config.prefix.as_str())
    }

    async fn put_single(&self, key: &str, body: ByteStream) -> Result<()> {
        self.client
            .put_object()
            .bucket(&self.config.bucket)
            .key(self.s3_key(key))
            .body(body)
            .send()
            .await
            .map_err(|error| port_error(PORT, &format!("PutObject {}", self.uri(key)), &error))?;
        Ok(())
    }

    async fn put_multipart(&self, key: &str, path: &Path, size: u64) -> Result<()> {
        let s3_key = self.s3_key(key);
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.config.bucket)
            .key(&s3_key)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .send()
            .await
            .map_err(|error| {
                port_error(PORT, &format!("CreateMultipartUpload {}", self.uri(key)), &error)
            })?;
        let upload_id = created
            .upload_id()
            .ok_or_else(|| AdapterError::Unexpected {
                service: PORT,
                message: "CreateMultipartUpload returned no upload id".into(),
            })?
            .to_owned();
        match self.upload_parts(&s3_key, &upload_id, path, size).await {
            Ok(()) => Ok(()),
            Err(error) => {
                warn!(key = %s3_key, %error, "Multipart upload failed; aborting it");
                if let Err(abort) = self
                    .client
                    .abort_multipart_upload()
                    .bucket(&self.config.bucket)
                    .key(&s3_key)
                    .upload_id(&upload_id)
                    .send()
                    .await
                {
                    warn!(key = %s3_key, error = %SdkFailure::of(&abort).message, "AbortMultipartUpload failed");
                }
                Err(error)
            }
        }
    }

    async fn upload_parts(
        &self,
        s3_key: &str,
        upload_id: &str,
        path: &Path,
        size: u64,
    ) -> Result<()> {
        let mut completed = Vec::new();
        for part in plan_parts(size, self.config.part_size) {
            let body = ByteStream::read_from()
                .path(path)
                .offset(part.offset)
                .length(Length::Exact(part.length))
                .build()
                .await
                .map_err(|error| Error::Port {
                    port: PORT,
                    message: format!("reading part {} of {}: {error}", part.number, path.display()),
                    retryable: true,
                })?;
            let uploaded = self
                .client
                .upload_part()
                .bucket(&self.config.bucket)
                .key(s3_key)
                .upload_id(upload_id)
                .part_number(part.number)
                .checksum_algorithm(ChecksumAlgorithm::Crc32)
                .body(body)
                .send()
                .await
                .map_err(|error| {
                    port_error(PORT, &format!("UploadPart {} of {s3_key}", part.number), &error)
                })?;
            debug!(key = %s3_key, part = part.number, bytes = part.length, "Uploaded part");
            completed.push(
                CompletedPart::builder()
                    .part_number(part.number)
                    .set_e_tag(uploaded.e_tag().map(str::to_owned))
                    .set_checksum_crc32(uploaded.checksum_crc32().map(str::to_owned))
                    .build(),
            );
        }
        self.client
            .complete_multipart_upload()
            .bucket(&self.config.bucket)
            .key(s3_key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder().set_parts(Some(completed)).build(),
            )
            .send()
            .await
            .map_err(|error| {
                port_error(PORT, &format!("CompleteMultipartUpload {s3_key}"), &error)
            })?;
        Ok(())
    }
}

fn epoch_secs(time: Option<&aws_sdk_s3::primitives::DateTime>) -> i64 {
    time.map(|t| t.secs()).unwrap_or(0)
}

#[async_trait]
impl BlobStore for S3BlobStore {
    async fn head(&self, key: &str) -> Result<ObjectMeta> {
        let output = self
            .client
            .head_object()
            .bucket(&self.config.bucket)
            .key(self.s3_key(key))
            .send()
            .await
            .map_err(|error| {
                SdkFailure::of(&error).into_not_found_or_port_error(
                    PORT,
                    "HeadObject",
                    self.uri(key),
                )
            })?;
        Ok(ObjectMeta {
            key: key.to_owned(),
            size: output.content_length().and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
            etag: output.e_tag().unwrap_or_default().trim_matches('"').to_owned(),
            last_modified: epoch_secs(output.last_modified()),
        })
    }

    async fn open(&self, key: &str) -> Result<BlobReader> {
        let output = self
            .client
            .get_object()
            .bucket(&self.config.bucket)
            .key(self.s3_key(key))
            .send()
            .await
            .map_err(|error| {
                SdkFailure::of(&error).into_not_found_or_port_error(
                    PORT,
                    "GetObject",
                    self.uri(key),
                )
            })?;
        let expected = output.content_length().and_then(|n| u64::try_from(n).ok());
        let mut body = output.body;
        let file =
            tempfile::tempfile().map_err(|error| Error::io("creating a download file", error))?;
        let mut writer = tokio::fs::File::from_std(file);
        let mut written = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|error| Error::Port {
                port: PORT,
                message: format!("reading the body of {}: {error}", self.uri(key)),
                retryable: true,
            })?;
            writer.write_all(&chunk).await.map_err(|error| {
                Error::io(format!("buffering {} to disk", self.uri(key)), error)
            })?;
            written += chunk.len() as u64;
        }
        writer.flush().await.map_err(|error| Error::io("flushing a download file", error))?;
        if let Some(expected) = expected {
            if expected != written {
                return Err(Error::Port {
                    port: PORT,
                    message: format!(
                        "GetObject {}: got {written} bytes of {expected}",
                        self.uri(key)
                    ),
                    retryable: true,
                });
            }
        }
        let mut file = writer.into_std().await;
        file.seek(SeekFrom::Start(0))
            .map_err(|error| Error::io("rewinding a download file", error))?;
        debug!(key = %key, bytes = written, "Downloaded object to a temporary file");
        Ok(Box::new(std::io::BufReader::with_capacity(256 * 1024, file)))
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>> {
        let output = match self
            .client
            .get_object()
            .bucket(&self.config.bucket)
            .key(self.s3_key(key))
            .send()
            .await
        {
            Ok(output) => output,
            Err(error) => {
                let failure = SdkFailure::of(&error);
                if failure.is_not_found() {
                    return Ok(None);
                }
                return Err(failure.into_port_error(PORT, &format!("GetObject {}", self.uri(key))));
            }
        };
        let data = output.body.collect().await.map_err(|error| Error::Port {
            port: PORT,
            message: format!("reading the body of {}: {error}", self.uri(key)),
            retryable: true,
        })?;
        Ok(Some(data.into_bytes()))
    }

    async fn put(&self, key: &str, body: Bytes) -> Result<()> {
        self.put_single(key, ByteStream::from(body)).await
    }

    async fn get_tagged(&self, key: &str) -> Result<Option<(Bytes, String)>> {
        let output = match self
            .client
            .get_object()
            .bucket(&self.config.bucket)
            .key(self.s3_key(key))
            .send()
            .await
        {
            Ok(output) => output,
            Err(error) => {
                let failure = SdkFailure::of(&error);
                if failure.is_not_found() {
                    return Ok(None);
                }
                return Err(failure.into_port_error(PORT, &format!("GetObject {}", self.uri(key))));
            }
        };
        // The ETag exactly as S3 sent it (quoted): `If-Match` compares it.
        let etag = output.e_tag().unwrap_or_default().to_owned();
        let data = output.body.collect().await.map_err(|error| Error::Port {
            port: PORT,
            message: format!("reading the body of {}: {error}", self.uri(key)),
            retryable: true,
        })?;
        Ok(Some((data.into_bytes(), etag)))
    }

    /// S3 conditional writes: `If-None-Match: *` creates only; `If-Match: <etag>` replaces
    /// only that version. S3 answers a failed condition with 412 `PreconditionFailed`, and a
    /// conflicting concurrent conditional write with 409 `ConditionalRequestConflict`; both
    /// mean "re-read and retry" ([`ConditionalWrite::Conflict`]).
    async fn put_if(
        &self,
        key: &str,
        body: Bytes,
        condition: &WriteCondition,
    ) -> Result<ConditionalWrite> {
        let request = self
            .client
            .put_object()
            .bucket(&self.config.bucket)
            .key(self.s3_key(key))
            .body(ByteStream::from(body));
        let request = match condition {
            WriteCondition::Absent => request.if_none_match("*"),
            WriteCondition::Matches(etag) => request.if_match(etag),
        };
        match request.send().await {
            Ok(output) => Ok(ConditionalWrite::Written {
                etag: output.e_tag().unwrap_or_default().to_owned(),
            }),
            Err(error) => {
                let failure = SdkFailure::of(&error);
                if is_condition_conflict(failure.code.as_deref(), failure.status) {
                    Ok(ConditionalWrite::Conflict)
                } else {
                    Err(failure.into_port_error(
                        PORT,
                        &format!("PutObject {} (conditional)", self.uri(key)),
                    ))
                }
            }
        }
    }

    async fn get_tail(&self, key: &str, len: u64) -> Result<Bytes> {
        let output = self
            .client
            .get_object()
            .bucket(&self.config.bucket)
            .key(self.s3_key(key))
            .range(format!("bytes=-{}", len.max(1)))
            .send()
            .await
            .map_err(|error| {
                SdkFailure::of(&error).into_not_found_or_port_error(
                    PORT,
                    "GetObject (range)",
                    self.uri(key),
                )
            })?;
        let data = output.body.collect().await.map_err(|error| Error::Port {
            port: PORT,
            message: format!("reading the body of {}: {error}", self.uri(key)),
            retryable: true,
        })?;
        Ok(data.into_bytes())
    }

    fn uri_of(&self, key: &str) -> String {
        self.uri(key)
    }

    fn key_of_uri(&self, uri: &str) -> Option<String> {
        let rest = uri.strip_prefix("s3://")?;
        let (bucket, s3_key) = rest.split_once('/')?;
        if bucket != self.config.bucket {
            return None;
        }
        self.store_key(s3_key).map(str::to_owned)
    }

    async fn put_file(&self, key: &str, path: &Path) -> Result<()> {
        let size = tokio::fs::metadata(path)
            .await
            .map_err(|error| Error::io(format!("reading the size of {}", path.display()), error))?
            .len();
        if size >= self.config.multipart_threshold {
            self.put_multipart(key, path, size).await
        } else {
            let body = ByteStream::from_path(path).await.map_err(|error| Error::Port {
                port: PORT,
                message: format!("opening {}: {error}", path.display()),
                retryable: false,
            })?;
            self.put_single(key, body).await
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>> {
        let mut metas = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_objects_v2()
                .bucket(&self.config.bucket)
                .prefix(self.s3_key(prefix))
                .set_max_keys(self.config.list_page_size)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|error| {
                    port_error(PORT, &format!("ListObjectsV2 {}", self.uri(prefix)), &error)
                })?;
            for object in page.contents() {
                let Some(key) = object.key().and_then(|k| self.store_key(k)) else { continue };
                metas.push(ObjectMeta {
                    key: key.to_owned(),
                    size: object.size().and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
                    etag: object.e_tag().unwrap_or_default().trim_matches('"').to_owned(),
                    last_modified: epoch_secs(object.last_modified()),
                });
            }
            match page.next_continuation_token() {
                Some(next) if page.is_truncated().unwrap_or(false) => token = Some(next.to_owned()),
                _ => break,
            }
        }
        metas.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(metas)
    }

    async fn exists(&self, key: &str) -> Result<bool> {
        match self.head(key).await {
            Ok(_) => Ok(true),
            Err(Error::NotFound(_)) => Ok(false),
            Err(error) => Err(error),
        }
    }

    async fn delete(&self, keys: &[String]) -> Result<()> {
        // DeleteObjects takes at most 1,000 keys; missing keys are reported as deleted.
        for chunk in keys.chunks(1_000) {
            let objects = chunk
                .iter()
                .map(|key| ObjectIdentifier::builder().key(self.s3_key(key)).build())
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|error| Error::Invalid(format!("DeleteObjects request: {error}")))?;
            let delete = Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .map_err(|error| Error::Invalid(format!("DeleteObjects request: {error}")))?;
            let output = self
                .client
                .delete_objects()
                .bucket(&self.config.bucket)
                .delete(delete)
                .checksum_algorithm(ChecksumAlgorithm::Crc32)
                .send()
                .await
                .map_err(|error| {
                    port_error(PORT, &format!("DeleteObjects {}", self.uri(&chunk[0])), &error)
                })?;
            if let Some(failed) = output.errors().first() {
                return Err(Error::Port {
                    port: PORT,
                    message: format!(
                        "DeleteObjects {}: {} keys failed, first {} ({}: {})",
                        self.uri(&chunk[0]),
                        output.errors().len(),
                        failed.key().unwrap_or_default(),
                        failed.code().unwrap_or_default(),
                        failed.message().unwrap_or_default()
                    ),
                    retryable: true,
                });
            }
            debug!(bucket = %self.config.bucket, keys = chunk.len(), "Deleted objects");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_cover_the_file_exactly() {
        let size = 20 * MIB + 3;
        let parts = plan_parts(size, 8 * MIB);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts.iter().map(|p| p.length).sum::<u64>(), size);
        assert_eq!(parts[0], PartPlan { number: 1, offset: 0, length: 8 * MIB });
        assert_eq!(parts[2].offset, 16 * MIB);
        assert_eq!(parts[2].length, 4 * MIB + 3);
        for pair in parts.windows(2) {
            assert_eq!(pair[0].offset + pair[0].length, pair[1].offset);
            assert_eq!(pair[0].number + 1, pair[1].number);
        }
    }

    #[test]
    fn parts_respect_the_s3_limits() {
        // Below the minimum part size: raised to 5 MiB.
        assert_eq!(plan_parts(11 * MIB, MIB).len(), 3);
        // More than 10,000 parts: the part size grows, in whole MiB.
        let size = 200_000 * MIB;
        let parts = plan_parts(size, 8 * MIB);
        assert!(parts.len() as u64 <= MAX_PARTS);
        assert_eq!(parts[0].length % MIB, 0);
        assert_eq!(parts.iter().map(|p| p.length).sum::<u64>(), size);
        // Exact multiple: no empty trailing part.
        assert_eq!(plan_parts(16 * MIB, 8 * MIB).len(), 2);
        assert_eq!(plan_parts(0, 8 * MIB), vec![PartPlan { number: 1, offset: 0, length: 0 }]);
    }

    #[test]
    fn uris_name_a_bucket_and_prefix() {
        let config = S3Config::from_uri("s3://lake-bucket/team/streamlake/").unwrap();
        assert_eq!(config.bucket, "lake-bucket");
        assert_eq!(config.prefix, "team/streamlake/");
        assert_eq!(S3Config::from_uri("lake").unwrap().prefix, "");
        assert!(S3Config::from_uri("s3:///x").is_err());
        assert!(S3Config::from_uri("s3://Bad_Bucket").is_err());
        let mut config = S3Config::new("b", "");
        config.part_size = MIB;
        assert!(config.validate().is_err());
        config.part_size = MIN_PART_SIZE;
        config.list_page_size = Some(0);
        assert!(config.validate().is_err());
    }
}
