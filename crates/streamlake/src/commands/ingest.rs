//! `streamlake ingest`: transform every unprocessed raw object and register partitions.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use local_runtime::{IngestReport, Lake};

use crate::progress::{bar, IngestBar};

/// Arguments of `ingest`.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Lake directory.
    #[arg(long, default_value_os_t = crate::default_lake())]
    pub lake: PathBuf,
}

/// Ingests with a progress bar.
pub async fn ingest_with_progress(lake: &Lake) -> Result<(IngestReport, f64)> {
    let started = Instant::now();
    let config = super::transform_config(lake)?;
    let progress = bar(0, "transform", "objects");
    let report =
        local_runtime::ingest(lake, &config, Arc::new(IngestBar(progress.clone()))).await?;
    progress.finish_and_clear();
    Ok((report, started.elapsed().as_secs_f64()))
}

/// Prints a one-paragraph summary of an ingest.
pub fn summarise(report: &IngestReport, seconds: f64) {
    let records_in: u64 = report.processed.iter().map(|l| l.records_in).sum();
    let written: u64 = report.processed.iter().map(|l| l.written).sum();
    let quarantined: u64 = report.processed.iter().map(|l| l.quarantined).sum();
    let duplicates: u64 = report.processed.iter().map(|l| l.duplicates_dropped).sum();
    let files: usize =
        report.processed.iter().map(|l| l.outputs.len() + l.quarantine_outputs.len()).sum();
    let balanced = report.processed.iter().all(|l| l.balances());
    println!(
        "Ingested {} raw objects ({} already processed) in {:.1}s: {} records in → {} written, {} quarantined, {} duplicates dropped; {} Parquet files; {} new partitions; ledgers {}",
        report.processed.len(),
        report.already_processed,
        seconds,
        records_in,
        written,
        quarantined,
        duplicates,
        files,
        report.partitions_added,
        if balanced { "all balance" } else { "DO NOT BALANCE" },
    );
    let compaction = &report.compaction;
    if !compaction.compactions.is_empty() || compaction.vacuumed > 0 {
        let files_in: usize = compaction.compactions.iter().map(|c| c.inputs.len()).sum();
        let files_out: usize = compaction.compactions.iter().map(|c| c.outputs.len()).sum();
        println!(
            "   Compacted {} partitions: {} files → {}, {} cross-object duplicates dropped; {} superseded files deleted",
            compaction.compactions.len(),
            files_in,
            files_out,
            compaction.duplicates_dropped(),
            compaction.vacuumed
        );
    }
    if report.gold.rows() > 0 {
        let partitions: usize = report.gold.tables.iter().map(|t| t.partitions_written).sum();
        println!(
            "   Gold refreshed for the days touched: {} rows in {} partitions of {} tables",
            report.gold.rows(),
            partitions,
            report.gold.tables.len()
        );
    }
    for (key, error) in &report.failed {
        eprintln!("failed: {key}: {error}");
    }
}

/// Runs `ingest`.
pub async fn run(args: IngestArgs) -> Result<ExitCode> {
    let lake = super::open_lake(&args.lake)?;
    let (report, seconds) = ingest_with_progress(&lake).await?;
    summarise(&report, seconds);
    if !report.failed.is_empty() {
        anyhow::bail!("{} raw objects failed to process", report.failed.len());
    }
    Ok(ExitCode::SUCCESS)
}
