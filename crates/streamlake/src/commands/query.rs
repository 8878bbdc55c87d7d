//! `streamlake query`: Athena/Trino SQL on the local DataFusion engine, or on Amazon Athena
//! with `--athena WORKGROUP`.
//!
//! Both engines answer the same [`QueryEngine`] port and the result is printed by the same
//! [`output`](crate::output) module, so `--format table|csv|json` looks the same whichever
//! engine ran the SQL. On Athena the query runs in database `netflix-streams-aws`, in the
//! given workgroup, with results written to `--athena-output` when the workgroup does not
//! enforce a location. Each invocation is a new query execution: its idempotency token is
//! unique to the run, so SDK retries within the run never start a second query, while
//! running the command again re-reads the data. AWS settings come from the environment
//! (AWS_REGION, credentials, AWS_ENDPOINT_URL).

use std::path::PathBuf;
use std::process::ExitCode;
#[cfg(feature = "aws")]
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
#[cfg(feature = "aws")]
use aws_adapters::config::athena_client;
#[cfg(feature = "aws")]
use aws_adapters::{AthenaConfig, AthenaEngine};
use clap::Args;
use local_runtime::LocalQueryEngine;
use pipeline_core::queries::{named_query, NAMED_QUERIES};
use pipeline_core::QueryEngine;
#[cfg(feature = "aws")]
use pipeline_core::QueryResult;

#[cfg(feature = "aws")]
use crate::output::human_bytes;
use crate::output::{render, Format};

/// Arguments of `query`.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("statement").required(true).args(["named", "sql"]))]
pub struct QueryArgs {
    /// Lake directory.
    #[arg(long, default_value_os_t = crate::default_lake(), conflicts_with = "athena")]
    pub lake: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Run on Amazon Athena in this workgroup instead of the local engine. AWS settings come
    /// from the environment: AWS_REGION, credentials, and AWS_ENDPOINT_URL for an emulator.
    #[arg(long, value_name = "WORKGROUP")]
    pub athena: Option<String>,
    /// With --athena: where Athena writes the results (s3://bucket/prefix/), for workgroups
    /// that do not enforce a result location.
    #[arg(long, value_name = "S3_URI", requires = "athena", value_parser = parse_s3_uri)]
    pub athena_output: Option<String>,
    /// Run a named query from sql/queries/ (rows_per_date, event_type_distribution,
    /// top_titles, events_by_country, events_by_device, dq_rejections_by_reason).
    #[arg(long)]
    pub named: Option<String>,
    /// SQL text.
    pub sql: Option<String>,
}

/// Parses `--athena-output`: an `s3://bucket[/prefix]` URI.
fn parse_s3_uri(text: &str) -> std::result::Result<String, String> {
    match text.strip_prefix("s3://") {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') => Ok(text.to_owned()),
        _ => Err(format!("{text:?} is not an s3://bucket/prefix/ location")),
    }
}

#[cfg(feature = "aws")]
/// A nonce unique to this run (process id and wall-clock nanoseconds), so that each
/// invocation is a new Athena query execution.
fn run_nonce() -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("streamlake-cli-{}-{nanos}", std::process::id())
}

#[cfg(feature = "aws")]
/// The Athena engine for `workgroup`, configured from the environment.
async fn athena_engine(workgroup: &str, output_location: Option<String>) -> Result<AthenaEngine> {
    let config = aws_adapters::load_sdk_config().await;
    anyhow::ensure!(
        config.region().is_some(),
        "no AWS region configured: set AWS_REGION (or a region in the AWS profile)"
    );
    let mut settings = AthenaConfig::new(workgroup);
    settings.output_location = output_location;
    settings.nonce = run_nonce();
    Ok(AthenaEngine::new(athena_client(&config), settings))
}

#[cfg(feature = "aws")]
/// Notes Athena's statistics on stderr (stdout stays the rendered result).
fn note_statistics(result: &QueryResult) {
    if let (Some(bytes), Some(ms)) = (result.bytes_scanned, result.engine_ms) {
        eprintln!("Athena: {} scanned, {ms} ms engine time", human_bytes(bytes));
    }
}

/// Runs `query`.
pub async fn run(args: QueryArgs) -> Result<ExitCode> {
    let sql = match (&args.named, &args.sql) {
        (Some(name), _) => named_query(name)
            .with_context(|| {
                let names: Vec<&str> = NAMED_QUERIES.iter().map(|q| q.name).collect();
                format!("no named query {name:?}; choose one of {}", names.join(", "))
            })?
            .sql
            .to_owned(),
        (None, Some(sql)) => sql.clone(),
        (None, None) => anyhow::bail!("give SQL or --named NAME"),
    };
    let result = match &args.athena {
        #[cfg(feature = "aws")]
        Some(workgroup) => {
            let engine = athena_engine(workgroup, args.athena_output.clone()).await?;
            let result = engine.query(&sql).await?;
            if args.format == Format::Table {
                note_statistics(&result);
            }
            result
        }
        #[cfg(not(feature = "aws"))]
        Some(_) => return Err(super::without_aws("query --athena")),
        None => LocalQueryEngine::open(&args.lake).await?.query(&sql).await?,
    };
    println!("{}", render(&result, args.format));
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_locations_must_be_s3_uris() {
        assert_eq!(
            parse_s3_uri("s3://results/streamlake/").as_deref(),
            Ok("s3://results/streamlake/")
        );
        assert!(parse_s3_uri("s3://b").is_ok());
        for bad in ["results/", "s3://", "s3:///x", "https://b/x"] {
            assert!(parse_s3_uri(bad).is_err(), "{bad}");
        }
    }

    #[cfg(feature = "aws")]
    #[test]
    fn every_run_gets_its_own_nonce() {
        let first = run_nonce();
        std::thread::sleep(std::time::Duration::from_millis(2));
        assert_ne!(first, run_nonce());
        assert!(first.starts_with("streamlake-cli-"));
    }
}
