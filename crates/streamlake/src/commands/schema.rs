//! `streamlake schema --format glue`: the Glue table definitions of the Parquet tables, derived
//! from the Arrow schemas the transformer writes (not from a hand-kept list), as JSON.
//!
//! Terraform reads the same JSON (`infra/glue_schema.json`) to declare the Glue tables, and
//! `scripts/test-infra` fails if that file differs from this command's output, so the catalog
//! cannot drift from the files.

use std::process::ExitCode;

use anyhow::{bail, Result};
use arrow_schema::{DataType, TimeUnit};
use clap::{Args, ValueEnum};
use event_model::schema::{DATABASE, PARQUET_TABLES};
use pipeline_core::commit::committed_table;
use serde_json::{json, Value};

/// Arguments of `schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = SchemaFormat::Glue)]
    pub format: SchemaFormat,
}

/// Schema output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaFormat {
    /// Glue / Hive column types per table, with partition keys and locations.
    Glue,
}

/// The Glue (Hive DDL) type of an Arrow type the transformer writes.
pub fn glue_type(data_type: &DataType) -> Result<&'static str> {
    Ok(match data_type {
        DataType::Utf8 | DataType::LargeUtf8 => "string",
        DataType::Int64 => "bigint",
        DataType::Int32 => "int",
        DataType::Float64 => "double",
        DataType::Timestamp(TimeUnit::Millisecond, _) => "timestamp",
        other => bail!("no Glue type mapping for the Arrow type {other}"),
    })
}

/// The Glue schema document.
pub fn glue_schema() -> Result<Value> {
    let mut tables = Vec::new();
    for spec in PARQUET_TABLES {
        let schema = spec.file_schema();
        let columns = schema
            .fields()
            .iter()
            .map(|field| Ok(json!({"name": field.name(), "type": glue_type(field.data_type())?})))
            .collect::<Result<Vec<Value>>>()?;
        let partition_keys: Vec<Value> =
            spec.partition_keys.iter().map(|key| json!({"name": key, "type": "string"})).collect();
        // A committed table (silver, gold) is a Hive symlink table: its location holds one
        // manifest per partition, listing the Parquet files of the committed version
        // (`SymlinkTextInputFormat`); `data_location` is where those files live.
        let (storage, location) = match committed_table(spec.name) {
            Some(table) => ("symlink", table.manifest_prefix),
            None => ("files", spec.location),
        };
        tables.push(json!({
            "name": spec.name,
            "location": location,
            "data_location": spec.location,
            "storage": storage,
            "format": "parquet",
            "compression": "snappy",
            "columns": columns,
            "partition_keys": partition_keys,
        }));
    }
    Ok(json!({"database": DATABASE, "tables": tables}))
}

/// Runs `schema`.
pub fn run(args: SchemaArgs) -> Result<ExitCode> {
    match args.format {
        SchemaFormat::Glue => println!("{}", serde_json::to_string_pretty(&glue_schema()?)?),
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silver_columns_follow_the_written_arrow_schema() {
        let schema = glue_schema().unwrap();
        let silver = &schema["tables"][0];
        assert_eq!(silver["name"], "processed_netflix_events");
        assert_eq!(silver["partition_keys"], json!([{"name": "event_date", "type": "string"}]));
        let types: Vec<(String, String)> = silver["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["name"].as_str().unwrap().into(), c["type"].as_str().unwrap().into()))
            .collect();
        assert!(types.contains(&("event_timestamp".into(), "timestamp".into())));
        assert!(types.contains(&("bitrate_kbps".into(), "int".into())));
        assert!(types.contains(&("event_ts".into(), "bigint".into())));
        assert_eq!(glue_type(&DataType::Float64).unwrap(), "double");
        assert!(glue_type(&DataType::Float32).is_err());
    }
}
