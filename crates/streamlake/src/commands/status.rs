//! `streamlake status`: what the lake holds and whether it is healthy.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use event_model::schema::{PROCESSED_EVENTS, QUARANTINED_EVENTS};
use local_runtime::ingest::{pending_raw_objects, read_ledgers};
use pipeline_core::ports::PartitionCatalog;

/// Arguments of `status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Lake directory.
    #[arg(long, default_value_os_t = crate::default_lake())]
    pub lake: PathBuf,
}

/// Runs `status`.
pub async fn run(args: StatusArgs) -> Result<ExitCode> {
    let lake = super::open_lake(&args.lake)?;
    let (pending, processed) = pending_raw_objects(&lake).await?;
    let mut totals = [0u64; 4];
    let mut unbalanced = Vec::new();
    let ledgers = read_ledgers(&lake).await?;
    for ledger in &ledgers {
        totals[0] += ledger.records_in;
        totals[1] += ledger.written;
        totals[2] += ledger.quarantined;
        totals[3] += ledger.duplicates_dropped;
        if !ledger.balances() {
            unbalanced.push(ledger.source.clone());
        }
    }
    let processed_partitions = lake.catalog().partitions(PROCESSED_EVENTS.name).await?;
    let quarantine_partitions = lake.catalog().partitions(QUARANTINED_EVENTS.name).await?;
    println!("lake:              {}", lake.root().display());
    println!("raw objects:       {} processed, {} pending", processed, pending.len());
    println!("ledgers:           {} ({} unbalanced)", ledgers.len(), unbalanced.len());
    println!(
        "records:           {} in = {} written + {} quarantined + {} duplicates",
        totals[0], totals[1], totals[2], totals[3]
    );
    println!(
        "partitions:        {} event_date ({} .. {}), {} ingest_date",
        processed_partitions.len(),
        processed_partitions.first().map(|p| p.values.join("/")).unwrap_or_default(),
        processed_partitions.last().map(|p| p.values.join("/")).unwrap_or_default(),
        quarantine_partitions.len()
    );
    if !unbalanced.is_empty() {
        anyhow::bail!("{} ledgers do not balance, first: {}", unbalanced.len(), unbalanced[0]);
    }
    Ok(ExitCode::SUCCESS)
}
