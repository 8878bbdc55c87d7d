//! Processing a raw object through the ports: read it from a [`BlobStore`], transform it,
//! publish the outputs and then the ledger. Shared by the local CLI and the transformer
//! Lambda, so both behave identically.

use bytes::Bytes;
use tracing::info;

use crate::error::Result;
use crate::keys::{ledger_key, object_digest};
use crate::ledger::Ledger;
use crate::ports::{BlobStore, ObjectMeta};
use crate::transform::{transform_object, SourceObject, TransformConfig, TransformOutput};

/// Whether `meta` already has a ledger (was processed in this exact version).
pub async fn is_processed(store: &dyn BlobStore, meta: &ObjectMeta) -> Result<bool> {
    store.exists(&ledger_key(&object_digest(&meta.key, &meta.etag))).await
}

/// Reads the ledger of `meta`, if it was processed.
pub async fn ledger_of(store: &dyn BlobStore, meta: &ObjectMeta) -> Result<Option<Ledger>> {
    match store.get(&ledger_key(&object_digest(&meta.key, &meta.etag))).await? {
        Some(bytes) => Ok(Some(Ledger::from_json(&bytes)?)),
        None => Ok(None),
    }
}

/// Transforms the object at `key` in `store` and publishes its outputs and ledger.
///
/// Safe to repeat and to run concurrently: keys are deterministic and outputs byte-identical.
pub async fn process_object(
    store: &dyn BlobStore,
    key: &str,
    config: &TransformConfig,
) -> Result<Ledger> {
    let meta = store.head(key).await?;
    let reader = store.open(key).await?;
    let source = SourceObject {
        key: meta.key.clone(),
        etag: meta.etag.clone(),
        last_modified: meta.last_modified,
    };
    let output = transform_object(&source, reader, config)?;
    publish(store, output).await
}

/// Publishes staged outputs, then the ledger (which marks the object processed).
pub async fn publish(store: &dyn BlobStore, output: TransformOutput) -> Result<Ledger> {
    for staged in &output.staged {
        store.put_file(&staged.key, staged.file.path()).await?;
        info!(key = %staged.key, rows = staged.rows, "Wrote partition");
    }
    let ledger = output.ledger;
    store.put(&ledger_key(&ledger.digest), Bytes::from(ledger.to_stored_json()?)).await?;
    Ok(ledger)
}
