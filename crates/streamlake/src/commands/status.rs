//! `streamlake status`: the pipeline's accounting, and every committed partition.
//!
//! It fails (non-zero exit) when an object ledger or a silver partition does not balance:
//! per partition, the ledgers' `written` must equal the committed rows plus the cross-object
//! duplicates compaction dropped plus the rows not yet appended (DESIGN §5, invariant 7).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, ValueEnum};
use event_model::schema::QUARANTINED_EVENTS;
use local_runtime::commits::{partition_reports, PartitionReport};
use local_runtime::ingest::{pending_raw_objects, read_ledgers};
use pipeline_core::commit::SILVER;
use pipeline_core::ports::PartitionCatalog;
use serde::Serialize;

/// Output formats of `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    /// Lines for people.
    Text,
    /// One JSON document.
    Json,
}

/// Arguments of `status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Lake directory.
    #[arg(long, default_value_os_t = crate::default_lake())]
    pub lake: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = StatusFormat::Text)]
    pub format: StatusFormat,
}

/// The whole report.
#[derive(Debug, Serialize)]
struct Status {
    lake: String,
    raw_objects: RawObjects,
    ledgers: Ledgers,
    quarantine_partitions: usize,
    #[serde(serialize_with = "partitions_with_named_values")]
    partitions: Vec<PartitionReport>,
}

/// Each partition as its report plus its value under the partition column's name
/// (`"event_date": "2026-01-02"` for silver), the form the JSON contract promises.
fn partitions_with_named_values<S: serde::Serializer>(
    partitions: &[PartitionReport],
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Named<'a> {
        #[serde(flatten)]
        value: std::collections::BTreeMap<&'a str, &'a str>,
        #[serde(flatten)]
        report: &'a PartitionReport,
    }
    serializer.collect_seq(partitions.iter().map(|report| Named {
        value: [(report.partition_key.as_str(), report.partition_value.as_str())].into(),
        report,
    }))
}

#[derive(Debug, Serialize)]
struct RawObjects {
    processed: usize,
    pending: usize,
}

#[derive(Debug, Serialize)]
struct Ledgers {
    count: usize,
    unbalanced: usize,
    records_in: u64,
    written: u64,
    quarantined: u64,
    duplicates_dropped: u64,
}

/// Runs `status`.
pub async fn run(args: StatusArgs) -> Result<ExitCode> {
    let lake = super::open_lake(&args.lake)?;
    let (pending, processed) = pending_raw_objects(&lake).await?;
    let ledgers = read_ledgers(&lake).await?;
    let mut totals = Ledgers {
        count: ledgers.len(),
        unbalanced: 0,
        records_in: 0,
        written: 0,
        quarantined: 0,
        duplicates_dropped: 0,
    };
    let mut first_unbalanced = None;
    for ledger in &ledgers {
        totals.records_in += ledger.records_in;
        totals.written += ledger.written;
        totals.quarantined += ledger.quarantined;
        totals.duplicates_dropped += ledger.duplicates_dropped;
        if !ledger.balances() {
            totals.unbalanced += 1;
            first_unbalanced.get_or_insert_with(|| ledger.source.clone());
        }
    }
    let partitions = partition_reports(&lake, &ledgers).await?;
    let quarantine_partitions = lake.catalog().partitions(QUARANTINED_EVENTS.name).await?.len();
    let status = Status {
        lake: lake.root().display().to_string(),
        raw_objects: RawObjects { processed, pending: pending.len() },
        ledgers: totals,
        quarantine_partitions,
        partitions,
    };
    match args.format {
        StatusFormat::Json => println!("{}", serde_json::to_string_pretty(&status)?),
        StatusFormat::Text => print_text(&status),
    }
    if let Some(source) = first_unbalanced {
        anyhow::bail!("{} ledgers do not balance, first: {source}", status.ledgers.unbalanced);
    }
    if let Some(partition) = status.partitions.iter().find(|p| p.balanced == Some(false)) {
        anyhow::bail!(
            "silver partition {}={} does not balance: the ledgers wrote {} rows, {} are committed, {} were dropped as cross-object duplicates, {} are pending",
            partition.partition_key,
            partition.partition_value,
            partition.ledger_written.unwrap_or(0),
            partition.rows,
            partition.cross_object_duplicates_dropped.unwrap_or(0),
            partition.pending_rows.unwrap_or(0)
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn print_text(status: &Status) {
    let ledgers = &status.ledgers;
    println!("lake:              {}", status.lake);
    println!(
        "raw objects:       {} processed, {} pending",
        status.raw_objects.processed, status.raw_objects.pending
    );
    println!("ledgers:           {} ({} unbalanced)", ledgers.count, ledgers.unbalanced);
    println!(
        "records:           {} in = {} written + {} quarantined + {} duplicates",
        ledgers.records_in, ledgers.written, ledgers.quarantined, ledgers.duplicates_dropped
    );
    let silver: Vec<&PartitionReport> =
        status.partitions.iter().filter(|p| p.table == SILVER.name()).collect();
    println!(
        "partitions:        {} event_date ({} .. {}), {} ingest_date",
        silver.len(),
        silver.first().map(|p| p.partition_value.as_str()).unwrap_or_default(),
        silver.last().map(|p| p.partition_value.as_str()).unwrap_or_default(),
        status.quarantine_partitions
    );
    println!();
    println!(
        "{:<36} {:<24} {:>7} {:>6} {:>10} {:>10} {:>9} {:>8}",
        "table", "partition", "version", "files", "rows", "dups", "pending", "balance"
    );
    for partition in &status.partitions {
        println!(
            "{:<36} {:<24} {:>7} {:>6} {:>10} {:>10} {:>9} {:>8}",
            partition.table,
            format!("{}={}", partition.partition_key, partition.partition_value),
            partition.version,
            partition.files,
            partition.rows,
            partition.cross_object_duplicates_dropped.map(|n| n.to_string()).unwrap_or_default(),
            partition.pending_rows.map(|n| n.to_string()).unwrap_or_default(),
            match partition.balanced {
                Some(true) => "ok",
                Some(false) => "NO",
                None => "",
            }
        );
    }
}
