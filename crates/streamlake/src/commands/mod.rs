//! One module per subcommand.

pub mod bench;
pub mod compact;
pub mod demo;
pub mod generate;
pub mod gold;
pub mod ingest;
pub mod query;
pub mod schema;
pub mod status;
pub mod transform;

use std::path::Path;

use anyhow::{Context, Result};
use local_runtime::Lake;
use pipeline_core::TransformConfig;

/// The error of an AWS path in a build without the `aws` feature.
#[cfg(not(feature = "aws"))]
pub fn without_aws(what: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "{what} talks to AWS, and this streamlake was built without AWS support (it compiles faster): rebuild with `cargo build --release -p streamlake --features aws`"
    )
}

/// Opens an existing lake, with a clear error if it is missing.
pub fn open_lake(path: &Path) -> Result<Lake> {
    Ok(Lake::open(path)?)
}

/// The transform configuration for a lake (staging inside it).
pub fn transform_config(lake: &Lake) -> Result<TransformConfig> {
    let staging = lake.staging_dir().context("preparing the staging directory")?;
    Ok(TransformConfig::new(staging))
}
