//! Writing the title dimension (`netflix_titles`) as one Snappy Parquet file.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Array, RecordBatch, StringArray};
use bytes::Bytes;
use event_model::{Title, TITLES};
use parquet::arrow::ArrowWriter;
use pipeline_core::encode::writer_properties;
use pipeline_core::keys::TITLES_KEY;
use pipeline_core::ports::BlobStore;

use crate::error::{Error, Result};

/// Encodes titles as Parquet bytes (deterministic).
pub fn titles_parquet(titles: &[Title]) -> Result<Vec<u8>> {
    let column = |f: &dyn Fn(&Title) -> String| -> ArrayRef {
        Arc::new(StringArray::from(titles.iter().map(f).collect::<Vec<_>>()))
    };
    let columns: Vec<ArrayRef> = vec![
        column(&|t| t.title_id.clone()),
        column(&|t| t.title_name.clone()),
        column(&|t| t.genre.clone()),
        column(&|t| t.content_type.as_str().to_owned()),
        Arc::new(Int32Array::from(titles.iter().map(|t| t.runtime_minutes).collect::<Vec<_>>())),
        Arc::new(Int32Array::from(titles.iter().map(|t| t.release_year).collect::<Vec<_>>())),
    ];
    let batch = RecordBatch::try_new(TITLES.file_schema(), columns)?;
    let mut buffer = Vec::new();
    let mut writer =
        ArrowWriter::try_new(&mut buffer, TITLES.file_schema(), Some(writer_properties(64 * 1024)))
            .map_err(|error| Error::Query(error.to_string()))?;
    writer.write(&batch).map_err(|error| Error::Query(error.to_string()))?;
    writer.close().map_err(|error| Error::Query(error.to_string()))?;
    Ok(buffer)
}

/// Writes the title dimension to its fixed key.
pub async fn write_titles(store: &dyn BlobStore, titles: &[Title]) -> Result<()> {
    store.put(TITLES_KEY, Bytes::from(titles_parquet(titles)?)).await?;
    Ok(())
}
