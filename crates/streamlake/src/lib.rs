//! # streamlake
//!
//! The StreamLake command line. It runs the whole pipeline on one machine, with the lake in
//! a local directory and DataFusion standing in for Athena:
//!
//! ```text
//! streamlake demo                      # generate → Firehose → transform → catalog → queries
//! streamlake generate --events 100000  # synthetic plays into lake/raw through the local Firehose
//! streamlake ingest                    # transform every new raw object, register partitions,
//!                                      # refresh gold for the days it touched
//! streamlake compact                  # merge small silver files, drop cross-object duplicates
//! streamlake gold [--from D --to D]    # rebuild the gold tables (sql/gold/) on DataFusion
//! streamlake transform --input F.gz    # one object, exactly as the transformer Lambda would
//! streamlake query --named top_titles  # Athena SQL on DataFusion
//! streamlake serve --port 8080         # the dashboard on http://127.0.0.1:8080/
//! streamlake status [--format json]    # accounting and every committed partition
//! streamlake bench transform --input F # events/s, MB/s and peak RSS
//! streamlake schema --format glue      # Glue columns of the Parquet tables, as JSON
//! ```
//!
//! Two commands also run against AWS (settings from the environment: `AWS_REGION`,
//! credentials, and `AWS_ENDPOINT_URL` for an emulator such as moto):
//!
//! ```text
//! streamlake generate --events 100000 --firehose netflix-playback [--rate 5000]
//!                                      # the same records into a real Firehose delivery stream
//! streamlake query --athena primary --athena-output s3://results/ --named top_titles
//!                                      # the same SQL and output formats on Athena
//! ```
//!
//! Errors print one line on stderr and exit non-zero.
//!
//! The CLI is this library plus a four-line `main.rs`: cargo can then compile it as soon as
//! DataFusion's metadata is ready, in parallel with DataFusion's code generation, instead of
//! after it (a minute off a cold build on 2 cores).

mod commands;
mod output;
#[cfg(feature = "aws")]
mod pacing;
mod progress;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// StreamLake: a Netflix-style playback-analytics lakehouse, local twin of the AWS pipeline.
#[derive(Debug, Parser)]
#[command(name = "streamlake", version, about, long_about = None)]
struct Cli {
    /// More logging on stderr (-v info, -vv debug). RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate → Firehose-style raw objects → Parquet → catalog → queries, printed as tables.
    Demo(commands::demo::DemoArgs),
    /// Generate synthetic playback events into the raw zone through the local Firehose, or
    /// into a real Firehose delivery stream (--firehose).
    Generate(commands::generate::GenerateArgs),
    /// Transform raw objects (anywhere on disk) exactly as the transformer Lambda would.
    Transform(commands::transform::TransformArgs),
    /// Transform every unprocessed raw object, register its partitions and refresh the gold
    /// tables of the days it touched.
    Ingest(commands::ingest::IngestArgs),
    /// Compact and deduplicate the committed silver partitions, then garbage-collect.
    Compact(commands::compact::CompactArgs),
    /// Refresh the gold tables (sql/gold/) for every day, or --from/--to.
    Gold(commands::gold::GoldArgs),
    /// Run SQL (Athena/Trino dialect) on the local engine, or on Athena (--athena).
    Query(commands::query::QueryArgs),
    /// Serve the dashboard (charts over the gold tables, pipeline health) on 127.0.0.1.
    Serve(serve::ServeArgs),
    /// Summarise the lake: objects, ledgers, partitions, rows.
    Status(commands::status::StatusArgs),
    /// Benchmarks.
    Bench(commands::bench::BenchArgs),
    /// Print the table schemas the transformer writes (`--format glue` for Terraform).
    Schema(commands::schema::SchemaArgs),
}

/// The default lake directory.
pub(crate) fn default_lake() -> PathBuf {
    PathBuf::from("lake")
}

fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// Parses the command line, runs the command and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.verbose);
    // Worker and blocking threads get 16 MiB stacks: query planning recurses over the SQL
    // and plan trees, and DataFusion's planner is compiled for build speed (Cargo.toml).
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(16 * 1024 * 1024)
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: could not start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Demo(args) => commands::demo::run(args).await,
            Command::Generate(args) => commands::generate::run(args).await,
            Command::Transform(args) => commands::transform::run(args).await,
            Command::Ingest(args) => commands::ingest::run(args).await,
            Command::Compact(args) => commands::compact::run(args).await,
            Command::Gold(args) => commands::gold::run(args).await,
            Command::Query(args) => commands::query::run(args).await,
            Command::Status(args) => commands::status::run(args).await,
            Command::Serve(args) => serve::run(args).await,
            Command::Bench(args) => commands::bench::run(args).await,
            Command::Schema(args) => commands::schema::run(args),
        }
    });
    match result {
        Ok(code) => code,
        Err(error) => {
            let message = format!("{error:#}").replace('\n', " ");
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
