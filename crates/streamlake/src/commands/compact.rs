//! `streamlake compact`: compact and deduplicate the committed silver partitions, then
//! garbage-collect files removed longer ago than the grace period (DESIGN §8).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::Args;
use local_runtime::commits::{compact_lake, register_partitions, DEFAULT_GRACE_SECONDS};
use local_runtime::gold::{plan_stale, refresh_gold};
use local_runtime::ingest::read_ledgers;
use pipeline_core::compact::CompactionPolicy;

/// Arguments of `compact`.
#[derive(Debug, Args)]
pub struct CompactArgs {
    /// Lake directory.
    #[arg(long, default_value_os_t = crate::default_lake())]
    pub lake: PathBuf,
    /// First day to compact (UTC, YYYY-MM-DD). With --to; default: every due partition.
    #[arg(long, requires = "to")]
    pub from: Option<NaiveDate>,
    /// Last day to compact (inclusive). With --from.
    #[arg(long, requires = "from")]
    pub to: Option<NaiveDate>,
    /// Target size of a compacted file, in MiB.
    #[arg(long, default_value_t = 128)]
    pub target_file_mib: u64,
    /// Seconds a file removed by a commit is kept for queries in flight before it is deleted.
    #[arg(long, default_value_t = DEFAULT_GRACE_SECONDS)]
    pub grace_seconds: i64,
}

/// Runs `compact`.
pub async fn run(args: CompactArgs) -> Result<ExitCode> {
    let started = Instant::now();
    let lake = super::open_lake(&args.lake)?;
    // Files transformed but not yet appended (an interrupted ingest) are committed first.
    register_partitions(&lake).await.context("committing pending appends")?;
    let policy = CompactionPolicy {
        target_file_bytes: args.target_file_mib.max(1) * 1024 * 1024,
        ..CompactionPolicy::default()
    };
    let (from, to) = match (args.from, args.to) {
        (Some(from), Some(to)) => (Some(from.to_string()), Some(to.to_string())),
        _ => (None, None),
    };
    let range = from.as_deref().zip(to.as_deref());
    let now = chrono::Utc::now().timestamp();
    let report =
        compact_lake(&lake, &policy, range, now, args.grace_seconds).await.context("compacting")?;
    for ledger in &report.compactions {
        println!(
            "   {} {}={}: v{}, {} files → {}, {} rows in → {} out, {} cross-object duplicates dropped",
            ledger.table,
            ledger.partition_key,
            ledger.partition_value,
            ledger.version,
            ledger.inputs.len(),
            ledger.outputs.len(),
            ledger.rows_in,
            ledger.rows_out,
            ledger.cross_object_duplicates_dropped
        );
    }
    // Gold follows the new silver versions.
    let ledgers = read_ledgers(&lake).await?;
    let plan = plan_stale(&lake, &ledgers).await?;
    let gold = refresh_gold(&lake, &plan).await.context("refreshing gold")?;
    println!(
        "Compacted {} partitions ({} cross-object duplicates dropped), deleted {} files past the {}s grace period, refreshed {} gold rows, in {:.1}s",
        report.compactions.len(),
        report.duplicates_dropped(),
        report.vacuumed,
        args.grace_seconds,
        gold.rows(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
