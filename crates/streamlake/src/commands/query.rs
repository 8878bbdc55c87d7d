//! `streamlake query`: Athena/Trino SQL on the local DataFusion engine.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use local_runtime::LocalQueryEngine;
use pipeline_core::queries::{named_query, NAMED_QUERIES};
use pipeline_core::QueryEngine;

use crate::output::{render, Format};

/// Arguments of `query`.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("statement").required(true).args(["named", "sql"]))]
pub struct QueryArgs {
    /// Lake directory.
    #[arg(long, default_value_os_t = crate::default_lake())]
    pub lake: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Run a named query from sql/queries/ (rows_per_date, event_type_distribution,
    /// top_titles, events_by_country, events_by_device, dq_rejections_by_reason).
    #[arg(long)]
    pub named: Option<String>,
    /// SQL text.
    pub sql: Option<String>,
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
    let engine = LocalQueryEngine::open(&args.lake).await?;
    let result = engine.query(&sql).await?;
    println!("{}", render(&result, args.format));
    Ok(ExitCode::SUCCESS)
}
