//! `streamlake gold`: refresh the gold tables of `sql/gold/` on the local engine, for every day
//! or for a range, the way the query-runner's `refresh_gold` does on Athena.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::Args;
use local_runtime::gold::{plan_everything, GoldPlan};
use local_runtime::{refresh_gold, GoldReport};
use pipeline_core::gold::DateRange;

/// Arguments of `gold`.
#[derive(Debug, Args)]
pub struct GoldArgs {
    /// Lake directory.
    #[arg(long, default_value_os_t = crate::default_lake())]
    pub lake: PathBuf,
    /// First day to refresh (UTC, YYYY-MM-DD). With --to; default: every day.
    #[arg(long, requires = "to")]
    pub from: Option<NaiveDate>,
    /// Last day to refresh (inclusive). With --from.
    #[arg(long, requires = "from")]
    pub to: Option<NaiveDate>,
}

/// Prints one line per gold table.
pub fn summarise(report: &GoldReport, seconds: f64) {
    println!(
        "Refreshed {} gold tables in {seconds:.1}s ({} rows):",
        report.tables.len(),
        report.rows()
    );
    for table in &report.tables {
        let removed = if table.partitions_removed > 0 {
            format!(", {} emptied partitions removed", table.partitions_removed)
        } else {
            String::new()
        };
        println!(
            "   {:<36} {:>8} rows in {:>3} partitions{removed}",
            table.table, table.rows, table.partitions_written
        );
    }
}

/// Runs `gold`.
pub async fn run(args: GoldArgs) -> Result<ExitCode> {
    let started = Instant::now();
    let lake = super::open_lake(&args.lake)?;
    let plan = match (args.from, args.to) {
        (Some(from), Some(to)) => GoldPlan::for_range(DateRange::new(from, to)?),
        _ => plan_everything(&lake).await.context("finding the days to refresh")?,
    };
    let report = refresh_gold(&lake, &plan).await.context("refreshing gold")?;
    summarise(&report, started.elapsed().as_secs_f64());
    Ok(ExitCode::SUCCESS)
}
