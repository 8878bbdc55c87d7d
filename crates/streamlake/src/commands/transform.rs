//! `streamlake transform`: process raw objects wherever they lie, exactly as the transformer
//! Lambda would, and print one ledger JSON per input on stdout.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::UNIX_EPOCH;

use anyhow::{Context, Result};
use clap::Args;
use local_runtime::fs_store::content_hash;
use local_runtime::ingest::register_partitions;
use local_runtime::Lake;
use pipeline_core::process::publish;
use pipeline_core::{transform_object, Ledger, SourceObject, TransformConfig};

/// Arguments of `transform`.
#[derive(Debug, Args)]
pub struct TransformArgs {
    /// Lake directory (created if missing).
    #[arg(long, default_value_os_t = crate::default_lake())]
    pub lake: PathBuf,
    /// Raw objects (gzip NDJSON) to process.
    #[arg(long, required = true, num_args = 1..)]
    pub input: Vec<PathBuf>,
}

/// The source key of an input: its key when inside the lake, else its absolute path.
fn source_key(lake: &Lake, path: &Path) -> Result<String> {
    let absolute =
        path.canonicalize().with_context(|| format!("cannot read {}", path.display()))?;
    let root = lake
        .root()
        .canonicalize()
        .with_context(|| format!("cannot open the lake {}", lake.root().display()))?;
    if let Ok(relative) = absolute.strip_prefix(&root) {
        if let Some(key) = relative.to_str() {
            return Ok(key.replace(std::path::MAIN_SEPARATOR, "/"));
        }
    }
    absolute
        .to_str()
        .map(str::to_owned)
        .with_context(|| format!("{} is not valid UTF-8", path.display()))
}

async fn transform_one(lake: &Lake, config: &TransformConfig, path: &Path) -> Result<Ledger> {
    let key = source_key(lake, path)?;
    let metadata =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    anyhow::ensure!(metadata.is_file(), "{} is not a file", path.display());
    let last_modified = metadata
        .modified()
        .ok()
        .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
        .map(|duration| duration.as_secs() as i64)
        .unwrap_or(0);
    let etag = content_hash(path)?;
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let source = SourceObject { key, etag, last_modified };
    let output = transform_object(&source, Box::new(std::io::BufReader::new(file)), config)
        .with_context(|| format!("transforming {}", path.display()))?;
    Ok(publish(lake.store().as_ref(), output).await?)
}

/// Runs `transform`.
pub async fn run(args: TransformArgs) -> Result<ExitCode> {
    let lake = Lake::create(&args.lake)?;
    let config = super::transform_config(&lake)?;
    let mut failures = 0;
    for path in &args.input {
        match transform_one(&lake, &config, path).await {
            Ok(ledger) => println!("{}", ledger.to_json()?),
            Err(error) => {
                failures += 1;
                eprintln!("error: {}", format!("{error:#}").replace('\n', " "));
            }
        }
    }
    // The registrar would be notified of the new outputs: register their partitions.
    register_partitions(&lake).await?;
    if failures > 0 {
        anyhow::bail!("{failures} of {} inputs failed", args.input.len());
    }
    Ok(ExitCode::SUCCESS)
}
