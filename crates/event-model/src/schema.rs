//! Table definitions shared by every engine: the processed (silver), quarantine and title
//! tables (DESIGN §4), as column specs from which the Arrow schemas and the Glue/Athena types
//! are both derived. One source of truth keeps Parquet, the local catalog, Athena DDL and
//! Terraform in agreement.

use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use serde::Serialize;

/// The logical type of a column, mapped to both Arrow and Glue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    /// Glue `string`, Arrow `Utf8`.
    String,
    /// Glue `bigint`, Arrow `Int64`.
    Bigint,
    /// Glue `int`, Arrow `Int32`.
    Int,
    /// Glue `timestamp`, Arrow `Timestamp(Millisecond, "UTC")`.
    Timestamp,
}

impl ColumnType {
    /// The Glue / Athena (Hive DDL) type name.
    pub const fn glue_type(self) -> &'static str {
        match self {
            ColumnType::String => "string",
            ColumnType::Bigint => "bigint",
            ColumnType::Int => "int",
            ColumnType::Timestamp => "timestamp",
        }
    }

    /// The Arrow type written to Parquet.
    pub fn arrow_type(self) -> DataType {
        match self {
            ColumnType::String => DataType::Utf8,
            ColumnType::Bigint => DataType::Int64,
            ColumnType::Int => DataType::Int32,
            ColumnType::Timestamp => DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
        }
    }
}

/// One column of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ColumnSpec {
    /// Column name.
    pub name: &'static str,
    /// Logical type.
    #[serde(rename = "type")]
    pub column_type: ColumnType,
    /// Whether the column may hold nulls.
    pub nullable: bool,
}

const fn col(name: &'static str, column_type: ColumnType, nullable: bool) -> ColumnSpec {
    ColumnSpec { name, column_type, nullable }
}

/// A table: its data columns (stored in the files) and its partition keys (in the path).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TableSpec {
    /// Table name in the catalog.
    pub name: &'static str,
    /// Columns stored in the Parquet files, in order.
    pub columns: &'static [ColumnSpec],
    /// Hive-style partition keys (always `string`), in path order.
    pub partition_keys: &'static [&'static str],
    /// The location under the lake root / bucket.
    pub location: &'static str,
}

impl TableSpec {
    /// The Arrow schema of the files (data columns only).
    pub fn file_schema(&self) -> SchemaRef {
        Arc::new(Schema::new(
            self.columns
                .iter()
                .map(|spec| Field::new(spec.name, spec.column_type.arrow_type(), spec.nullable))
                .collect::<Vec<_>>(),
        ))
    }

    /// The Arrow schema a query sees: data columns then partition keys.
    pub fn table_schema(&self) -> SchemaRef {
        let mut fields: Vec<Field> = self
            .columns
            .iter()
            .map(|spec| Field::new(spec.name, spec.column_type.arrow_type(), spec.nullable))
            .collect();
        fields
            .extend(self.partition_keys.iter().map(|key| Field::new(*key, DataType::Utf8, false)));
        Arc::new(Schema::new(fields))
    }
}

/// The Glue database every table lives in.
pub const DATABASE: &str = "netflix-streams-aws";

/// Silver: `processed_netflix_events`, partitioned by `event_date`.
pub const PROCESSED_EVENTS: TableSpec = TableSpec {
    name: "processed_netflix_events",
    columns: &[
        col("event_id", ColumnType::String, false),
        col("user_id", ColumnType::String, false),
        col("profile_id", ColumnType::String, false),
        col("title_id", ColumnType::String, false),
        col("session_id", ColumnType::String, false),
        col("event_type", ColumnType::String, false),
        col("device_type", ColumnType::String, false),
        col("country", ColumnType::String, false),
        col("event_ts", ColumnType::Bigint, false),
        col("event_timestamp", ColumnType::Timestamp, false),
        col("position_ms", ColumnType::Bigint, true),
        col("bitrate_kbps", ColumnType::Int, true),
        col("app_version", ColumnType::String, true),
        col("ingest_timestamp", ColumnType::Timestamp, false),
        col("source_object", ColumnType::String, false),
    ],
    partition_keys: &["event_date"],
    location: "processed/netflix/processed_partitioned/",
};

/// Rejected rows: `quarantined_netflix_events`, partitioned by `ingest_date`.
pub const QUARANTINED_EVENTS: TableSpec = TableSpec {
    name: "quarantined_netflix_events",
    columns: &[
        col("reason_code", ColumnType::String, false),
        col("detail", ColumnType::String, false),
        col("source_object", ColumnType::String, false),
        col("line_number", ColumnType::Bigint, false),
        col("raw_record", ColumnType::String, false),
        col("quarantined_at", ColumnType::Timestamp, false),
    ],
    partition_keys: &["ingest_date"],
    location: "quarantine/netflix/quarantine/",
};

/// The title dimension: `netflix_titles`, unpartitioned.
pub const TITLES: TableSpec = TableSpec {
    name: "netflix_titles",
    columns: &[
        col("title_id", ColumnType::String, false),
        col("title_name", ColumnType::String, false),
        col("genre", ColumnType::String, false),
        col("content_type", ColumnType::String, false),
        col("runtime_minutes", ColumnType::Int, false),
        col("release_year", ColumnType::Int, false),
    ],
    partition_keys: &[],
    location: "processed/netflix/netflix_titles/",
};

/// Every Parquet table StreamLake writes.
pub const PARQUET_TABLES: [&TableSpec; 3] = [&PROCESSED_EVENTS, &QUARANTINED_EVENTS, &TITLES];

/// The longest `raw_record` kept in quarantine (64 KiB).
pub const MAX_RAW_RECORD_BYTES: usize = 64 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn processed_table_has_the_design_columns_and_types() {
        let glue: Vec<(&str, &str)> =
            PROCESSED_EVENTS.columns.iter().map(|c| (c.name, c.column_type.glue_type())).collect();
        for (name, ty) in [
            ("event_id", "string"),
            ("event_ts", "bigint"),
            ("event_timestamp", "timestamp"),
            ("position_ms", "bigint"),
            ("bitrate_kbps", "int"),
            ("app_version", "string"),
            ("ingest_timestamp", "timestamp"),
            ("source_object", "string"),
        ] {
            assert!(glue.contains(&(name, ty)), "{name} {ty}");
        }
        assert_eq!(PROCESSED_EVENTS.partition_keys, &["event_date"]);
        assert_eq!(PROCESSED_EVENTS.table_schema().fields().len(), 16);
        // No PII column ever reaches silver.
        assert!(!glue.iter().any(|(name, _)| *name == "client_ip" || *name == "email"));
    }

    #[test]
    fn timestamps_are_utc_milliseconds() {
        let schema = PROCESSED_EVENTS.file_schema();
        let field = schema.field_with_name("event_timestamp").unwrap();
        assert_eq!(
            field.data_type(),
            &DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
        );
    }
}
