//! Parquet encoding of silver and quarantine rows: Snappy, deterministic bytes, bounded
//! memory (rows are flushed to the encoder every `batch_rows`, and row groups to disk every
//! `row_group_rows`).

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{
    Int32Builder, Int64Builder, StringBuilder, TimestampMillisecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::SchemaRef;
use event_model::schema::MAX_RAW_RECORD_BYTES;
use event_model::{ReasonCode, ValidEvent, PROCESSED_EVENTS, QUARANTINED_EVENTS};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterPropertiesBuilder};
use tempfile::NamedTempFile;

use crate::error::{Error, Result};

/// The `created_by` string written into every file. Fixed so output bytes do not depend on
/// which build of the parquet crate wrote them within one StreamLake version.
pub const CREATED_BY: &str = concat!("streamlake version ", env!("CARGO_PKG_VERSION"));

/// Writer properties shared by every Parquet file StreamLake writes.
pub fn writer_properties(row_group_rows: usize) -> WriterProperties {
    writer_properties_builder(row_group_rows).build()
}

/// [`writer_properties`], still open to additions (the compactor adds its row order).
pub fn writer_properties_builder(row_group_rows: usize) -> WriterPropertiesBuilder {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(row_group_rows.max(1)))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_created_by(CREATED_BY.to_owned())
}

/// Columnar builders for silver rows.
struct ProcessedColumns {
    event_id: StringBuilder,
    user_id: StringBuilder,
    profile_id: StringBuilder,
    title_id: StringBuilder,
    session_id: StringBuilder,
    event_type: StringBuilder,
    device_type: StringBuilder,
    country: StringBuilder,
    event_ts: Int64Builder,
    event_timestamp: TimestampMillisecondBuilder,
    position_ms: Int64Builder,
    bitrate_kbps: Int32Builder,
    app_version: StringBuilder,
    ingest_timestamp: TimestampMillisecondBuilder,
    source_object: StringBuilder,
    rows: usize,
}

impl ProcessedColumns {
    fn new() -> Self {
        Self {
            event_id: StringBuilder::new(),
            user_id: StringBuilder::new(),
            profile_id: StringBuilder::new(),
            title_id: StringBuilder::new(),
            session_id: StringBuilder::new(),
            event_type: StringBuilder::new(),
            device_type: StringBuilder::new(),
            country: StringBuilder::new(),
            event_ts: Int64Builder::new(),
            event_timestamp: TimestampMillisecondBuilder::new().with_timezone("UTC"),
            position_ms: Int64Builder::new(),
            bitrate_kbps: Int32Builder::new(),
            app_version: StringBuilder::new(),
            ingest_timestamp: TimestampMillisecondBuilder::new().with_timezone("UTC"),
            source_object: StringBuilder::new(),
            rows: 0,
        }
    }

    fn push(&mut self, event: &ValidEvent, ingest_ts: i64, source: &str) {
        self.event_id.append_value(&event.event_id);
        self.user_id.append_value(&event.user_id);
        self.profile_id.append_value(&event.profile_id);
        self.title_id.append_value(&event.title_id);
        self.session_id.append_value(&event.session_id);
        self.event_type.append_value(event.event_type.as_str());
        self.device_type.append_value(event.device_type.as_str());
        self.country.append_value(event.country);
        self.event_ts.append_value(event.event_ts);
        self.event_timestamp.append_value(event.event_ts.saturating_mul(1000));
        self.position_ms.append_option(event.position_ms);
        self.bitrate_kbps.append_option(event.bitrate_kbps);
        self.app_version.append_option(event.app_version.as_deref());
        self.ingest_timestamp.append_value(ingest_ts.saturating_mul(1000));
        self.source_object.append_value(source);
        self.rows += 1;
    }

    fn finish(&mut self, schema: &SchemaRef) -> Result<RecordBatch> {
        self.rows = 0;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.event_id.finish()),
            Arc::new(self.user_id.finish()),
            Arc::new(self.profile_id.finish()),
            Arc::new(self.title_id.finish()),
            Arc::new(self.session_id.finish()),
            Arc::new(self.event_type.finish()),
            Arc::new(self.device_type.finish()),
            Arc::new(self.country.finish()),
            Arc::new(self.event_ts.finish()),
            Arc::new(self.event_timestamp.finish()),
            Arc::new(self.position_ms.finish()),
            Arc::new(self.bitrate_kbps.finish()),
            Arc::new(self.app_version.finish()),
            Arc::new(self.ingest_timestamp.finish()),
            Arc::new(self.source_object.finish()),
        ];
        Ok(RecordBatch::try_new(schema.clone(), columns)?)
    }
}

/// Columnar builders for quarantine rows.
struct QuarantineColumns {
    reason_code: StringBuilder,
    detail: StringBuilder,
    source_object: StringBuilder,
    line_number: Int64Builder,
    raw_record: StringBuilder,
    quarantined_at: TimestampMillisecondBuilder,
    rows: usize,
}

impl QuarantineColumns {
    fn new() -> Self {
        Self {
            reason_code: StringBuilder::new(),
            detail: StringBuilder::new(),
            source_object: StringBuilder::new(),
            line_number: Int64Builder::new(),
            raw_record: StringBuilder::new(),
            quarantined_at: TimestampMillisecondBuilder::new().with_timezone("UTC"),
            rows: 0,
        }
    }

    fn finish(&mut self, schema: &SchemaRef) -> Result<RecordBatch> {
        self.rows = 0;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.reason_code.finish()),
            Arc::new(self.detail.finish()),
            Arc::new(self.source_object.finish()),
            Arc::new(self.line_number.finish()),
            Arc::new(self.raw_record.finish()),
            Arc::new(self.quarantined_at.finish()),
        ];
        Ok(RecordBatch::try_new(schema.clone(), columns)?)
    }
}

/// Truncates raw bytes to at most 64 KiB of (lossily decoded) UTF-8, on a char boundary.
pub fn raw_record_text(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(MAX_RAW_RECORD_BYTES)];
    let text = String::from_utf8_lossy(head);
    if text.len() <= MAX_RAW_RECORD_BYTES {
        return text.into_owned();
    }
    let mut end = MAX_RAW_RECORD_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// A Parquet file being written into the staging directory.
struct StagedParquet {
    file: NamedTempFile,
    writer: ArrowWriter<File>,
    schema: SchemaRef,
}

impl StagedParquet {
    fn create(staging_dir: &Path, schema: SchemaRef, row_group_rows: usize) -> Result<Self> {
        let file = NamedTempFile::with_prefix_in(".staged-", staging_dir).map_err(|error| {
            Error::io(format!("creating a staging file in {}", staging_dir.display()), error)
        })?;
        let handle = file
            .reopen()
            .map_err(|error| Error::io("opening a staging file for writing", error))?;
        let writer =
            ArrowWriter::try_new(handle, schema.clone(), Some(writer_properties(row_group_rows)))?;
        Ok(Self { file, writer, schema })
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.writer.write(batch)?;
        Ok(())
    }

    fn close(self) -> Result<NamedTempFile> {
        self.writer.close()?;
        Ok(self.file)
    }
}

/// Writes the silver rows of one `event_date` of one raw object.
pub struct ProcessedPartitionWriter {
    staged: StagedParquet,
    columns: ProcessedColumns,
    batch_rows: usize,
    rows: u64,
}

impl ProcessedPartitionWriter {
    /// Opens a staged file.
    pub fn create(staging_dir: &Path, row_group_rows: usize, batch_rows: usize) -> Result<Self> {
        Ok(Self {
            staged: StagedParquet::create(
                staging_dir,
                PROCESSED_EVENTS.file_schema(),
                row_group_rows,
            )?,
            columns: ProcessedColumns::new(),
            batch_rows: batch_rows.max(1),
            rows: 0,
        })
    }

    /// Appends one row.
    pub fn push(&mut self, event: &ValidEvent, ingest_ts: i64, source: &str) -> Result<()> {
        self.columns.push(event, ingest_ts, source);
        self.rows += 1;
        if self.columns.rows >= self.batch_rows {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if self.columns.rows > 0 {
            let batch = self.columns.finish(&self.staged.schema)?;
            self.staged.write(&batch)?;
        }
        Ok(())
    }

    /// Finishes the file, returning it and its row count.
    pub fn finish(mut self) -> Result<(NamedTempFile, u64)> {
        self.flush()?;
        Ok((self.staged.close()?, self.rows))
    }
}

/// Writes the quarantine rows of one raw object.
pub struct QuarantineWriter {
    staged: Option<StagedParquet>,
    columns: QuarantineColumns,
    staging_dir: std::path::PathBuf,
    row_group_rows: usize,
    batch_rows: usize,
    rows: u64,
}

impl QuarantineWriter {
    /// Creates a writer; the file is only created when the first row arrives.
    pub fn new(staging_dir: &Path, row_group_rows: usize, batch_rows: usize) -> Self {
        Self {
            staged: None,
            columns: QuarantineColumns::new(),
            staging_dir: staging_dir.to_path_buf(),
            row_group_rows,
            batch_rows: batch_rows.max(1),
            rows: 0,
        }
    }

    /// Appends one quarantine row.
    pub fn push(
        &mut self,
        reason: ReasonCode,
        detail: &str,
        source: &str,
        line_number: u64,
        raw: &[u8],
        quarantined_at: i64,
    ) -> Result<()> {
        self.columns.reason_code.append_value(reason.as_str());
        self.columns.detail.append_value(detail);
        self.columns.source_object.append_value(source);
        self.columns.line_number.append_value(i64::try_from(line_number).unwrap_or(i64::MAX));
        self.columns.raw_record.append_value(raw_record_text(raw));
        self.columns.quarantined_at.append_value(quarantined_at.saturating_mul(1000));
        self.columns.rows += 1;
        self.rows += 1;
        if self.columns.rows >= self.batch_rows {
            self.flush()?;
        }
        Ok(())
    }

    /// Rows pushed so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    fn flush(&mut self) -> Result<()> {
        if self.columns.rows == 0 {
            return Ok(());
        }
        if self.staged.is_none() {
            self.staged = Some(StagedParquet::create(
                &self.staging_dir,
                QUARANTINED_EVENTS.file_schema(),
                self.row_group_rows,
            )?);
        }
        if let Some(staged) = self.staged.as_mut() {
            let batch = self.columns.finish(&staged.schema)?;
            staged.write(&batch)?;
        }
        Ok(())
    }

    /// Finishes the file; `None` when there were no rows.
    pub fn finish(mut self) -> Result<Option<(NamedTempFile, u64)>> {
        self.flush()?;
        match self.staged {
            Some(staged) => Ok(Some((staged.close()?, self.rows))),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_record_text_is_bounded_and_lossy() {
        assert_eq!(raw_record_text(b"abc"), "abc");
        assert_eq!(raw_record_text(b"a\xffb"), "a\u{fffd}b");
        let long = "é".repeat(MAX_RAW_RECORD_BYTES);
        let kept = raw_record_text(long.as_bytes());
        assert!(kept.len() <= MAX_RAW_RECORD_BYTES);
        assert!(kept.len() >= MAX_RAW_RECORD_BYTES - 1);
        // Invalid bytes expand to 3-byte replacement characters, still bounded.
        let kept = raw_record_text(&vec![0xff; MAX_RAW_RECORD_BYTES]);
        assert!(kept.len() <= MAX_RAW_RECORD_BYTES);
    }
}
