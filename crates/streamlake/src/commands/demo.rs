//! `streamlake demo`: the whole pipeline on the embedded default, end to end.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use local_runtime::{Lake, LocalQueryEngine};
use pipeline_core::queries::NAMED_QUERIES;
use pipeline_core::QueryEngine;

use super::generate::{generate_into, GenerationShape};
use super::ingest::{ingest_with_progress, summarise};
use crate::output::{render, Format};

/// Arguments of `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Clean playback events to generate.
    #[arg(long, default_value_t = 200_000)]
    pub events: u64,
    #[command(flatten)]
    pub shape: GenerationShape,
    /// Lake directory.
    #[arg(long, default_value_os_t = crate::default_lake())]
    pub lake: PathBuf,
}

/// Runs `demo`.
pub async fn run(args: DemoArgs) -> Result<ExitCode> {
    let started = Instant::now();
    let lake = Lake::create(&args.lake)?;
    let shown = lake.root().canonicalize().unwrap_or_else(|_| lake.root().to_path_buf());
    println!("StreamLake demo: lake at {}", shown.display());
    println!();
    let generated = generate_into(&lake, args.events, &args.shape).await?;
    let truth = &generated.truth;
    println!(
        "1. Generated {} clean playback events in {} sessions over {} days (seed {}), {} records sent to the local Firehose ({} duplicates, {} bad records; {} oversized refused before sending) → {} gzip objects in raw/ ({:.1}s)",
        truth.clean_events,
        truth.sessions,
        args.shape.days,
        args.shape.seed,
        truth.records_sent,
        truth.duplicates,
        truth.expected_quarantined_total(),
        truth.rejected_before_send.values().sum::<u64>(),
        generated.objects,
        generated.seconds,
    );
    let (report, seconds) = ingest_with_progress(&lake).await?;
    print!("2. ");
    summarise(&report, seconds);
    if !report.failed.is_empty() {
        anyhow::bail!("{} raw objects failed to process", report.failed.len());
    }
    let engine = LocalQueryEngine::open(lake.root()).await?;
    println!("3. Named queries from sql/queries/ on DataFusion, over silver and gold (the same SQL runs on Athena):");
    for query in NAMED_QUERIES {
        let result = engine.query(query.sql).await?;
        println!();
        println!("── {} — {}", query.name, query.summary());
        println!("{}", render(&result, Format::Table));
    }
    println!();
    println!(
        "Done in {:.1}s. Try: streamlake query --lake {} \"SELECT country, COUNT(*) FROM processed_netflix_events GROUP BY 1\"",
        started.elapsed().as_secs_f64(),
        shown.display()
    );
    println!(
        "     or the dashboard: streamlake serve --lake {} --as-of latest-arrival",
        shown.display()
    );
    Ok(ExitCode::SUCCESS)
}
