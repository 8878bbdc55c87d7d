//! The title dimension (`netflix_titles`) as one deterministic Snappy Parquet file at
//! [`TITLES_KEY`]. The local generator and the generator Lambda both write it, so
//! `top_titles` can join titles on either engine.

use std::sync::Arc;

use arrow_array::{ArrayRef, Int32Array, RecordBatch, StringArray};
use bytes::Bytes;
use event_model::{Title, TITLES};
use parquet::arrow::ArrowWriter;

use crate::encode::writer_properties;
use crate::error::Result;
use crate::keys::TITLES_KEY;
use crate::ports::BlobStore;

/// Encodes titles as Parquet bytes (deterministic: the same titles give the same bytes).
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
    let mut writer = ArrowWriter::try_new(
        &mut buffer,
        TITLES.file_schema(),
        Some(writer_properties(64 * 1024)),
    )?;
    writer.write(&batch)?;
    writer.close()?;
    Ok(buffer)
}

/// Writes the title dimension to its fixed key. Idempotent: the bytes depend only on the
/// titles.
pub async fn write_titles(store: &dyn BlobStore, titles: &[Title]) -> Result<()> {
    store.put(TITLES_KEY, Bytes::from(titles_parquet(titles)?)).await
}
