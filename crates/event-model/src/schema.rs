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
    /// Glue `double`, Arrow `Float64` (gold ratios and hours).
    Double,
}

impl ColumnType {
    /// The Glue / Athena (Hive DDL) type name.
    pub const fn glue_type(self) -> &'static str {
        match self {
            ColumnType::String => "string",
            ColumnType::Bigint => "bigint",
            ColumnType::Int => "int",
            ColumnType::Timestamp => "timestamp",
            ColumnType::Double => "double",
        }
    }

    /// The Arrow type written to Parquet.
    pub fn arrow_type(self) -> DataType {
        match self {
            ColumnType::String => DataType::Utf8,
            ColumnType::Bigint => DataType::Int64,
            ColumnType::Int => DataType::Int32,
            ColumnType::Timestamp => DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
            ColumnType::Double => DataType::Float64,
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

/// Gold: per title and day, plays, hours viewed and *views* (hours viewed ÷ runtime hours, the
/// way Netflix ranks titles), and distinct profiles.
pub const DAILY_TITLE_ENGAGEMENT: TableSpec = TableSpec {
    name: "daily_title_engagement",
    columns: &[
        col("title_id", ColumnType::String, false),
        col("title_name", ColumnType::String, true),
        col("plays", ColumnType::Bigint, false),
        col("hours_viewed", ColumnType::Double, false),
        col("views", ColumnType::Double, true),
        col("unique_profiles", ColumnType::Bigint, false),
    ],
    partition_keys: &["event_date"],
    location: "gold/netflix/daily_title_engagement/",
};

/// Gold: hours viewed, plays and sessions per country, device and day.
pub const DAILY_ENGAGEMENT_BY_COUNTRY_DEVICE: TableSpec = TableSpec {
    name: "daily_engagement_by_country_device",
    columns: &[
        col("country", ColumnType::String, false),
        col("device_type", ColumnType::String, false),
        col("plays", ColumnType::Bigint, false),
        col("sessions", ColumnType::Bigint, false),
        col("hours_viewed", ColumnType::Double, false),
    ],
    partition_keys: &["event_date"],
    location: "gold/netflix/daily_engagement_by_country_device/",
};

/// Gold: playback quality per country, device and day (sessions by the day they start).
pub const DAILY_PLAYBACK_QUALITY: TableSpec = TableSpec {
    name: "daily_playback_quality",
    columns: &[
        col("country", ColumnType::String, false),
        col("device_type", ColumnType::String, false),
        col("sessions", ColumnType::Bigint, false),
        col("playing_hours", ColumnType::Double, false),
        col("rebuffer_hours", ColumnType::Double, false),
        col("rebuffer_ratio", ColumnType::Double, true),
        col("error_sessions", ColumnType::Bigint, false),
        col("error_sessions_per_1000", ColumnType::Double, true),
        col("ttfh_median_s", ColumnType::Bigint, true),
        col("ttfh_p95_s", ColumnType::Bigint, true),
    ],
    partition_keys: &["event_date"],
    location: "gold/netflix/daily_playback_quality/",
};

/// Gold: the exact distribution of time to first heartbeat (sessions per whole second), so that
/// exact percentiles can be computed over any set of days, countries and devices.
pub const DAILY_TTFH_DISTRIBUTION: TableSpec = TableSpec {
    name: "daily_ttfh_distribution",
    columns: &[
        col("country", ColumnType::String, false),
        col("device_type", ColumnType::String, false),
        col("ttfh_s", ColumnType::Bigint, false),
        col("sessions", ColumnType::Bigint, false),
    ],
    partition_keys: &["event_date"],
    location: "gold/netflix/daily_ttfh_distribution/",
};

/// Gold: silver rows per event type and day.
pub const DAILY_EVENT_TYPES: TableSpec = TableSpec {
    name: "daily_event_types",
    columns: &[
        col("event_type", ColumnType::String, false),
        col("events", ColumnType::Bigint, false),
    ],
    partition_keys: &["event_date"],
    location: "gold/netflix/daily_event_types/",
};

/// Gold: the ledgers summed per arrival day: what came in and where it went.
pub const DAILY_DATA_QUALITY: TableSpec = TableSpec {
    name: "daily_data_quality",
    columns: &[
        col("raw_objects", ColumnType::Bigint, false),
        col("records_in", ColumnType::Bigint, false),
        col("written", ColumnType::Bigint, false),
        col("quarantined", ColumnType::Bigint, false),
        col("duplicates_dropped", ColumnType::Bigint, false),
        col("rejection_rate", ColumnType::Double, true),
    ],
    partition_keys: &["ingest_date"],
    location: "gold/netflix/daily_data_quality/",
};

/// Gold: quarantined rows per reason code and arrival day.
pub const DAILY_QUARANTINE_REASONS: TableSpec = TableSpec {
    name: "daily_quarantine_reasons",
    columns: &[
        col("reason_code", ColumnType::String, false),
        col("quarantined", ColumnType::Bigint, false),
    ],
    partition_keys: &["ingest_date"],
    location: "gold/netflix/daily_quarantine_reasons/",
};

/// The gold tables, in refresh order. Each is partitioned by one date column, the last column
/// of its query.
pub const GOLD_TABLES: [&TableSpec; 7] = [
    &DAILY_TITLE_ENGAGEMENT,
    &DAILY_ENGAGEMENT_BY_COUNTRY_DEVICE,
    &DAILY_PLAYBACK_QUALITY,
    &DAILY_TTFH_DISTRIBUTION,
    &DAILY_EVENT_TYPES,
    &DAILY_DATA_QUALITY,
    &DAILY_QUARANTINE_REASONS,
];

/// The ledgers as a table (`pipeline_ledgers`): one JSON object per line, one file per raw
/// object, unpartitioned; only the scalar fields are columns.
pub const LEDGERS: TableSpec = TableSpec {
    name: "pipeline_ledgers",
    columns: &[
        col("source", ColumnType::String, false),
        col("records_in", ColumnType::Bigint, false),
        col("written", ColumnType::Bigint, false),
        col("quarantined", ColumnType::Bigint, false),
        col("duplicates_dropped", ColumnType::Bigint, false),
        col("digest", ColumnType::String, false),
        col("source_etag", ColumnType::String, false),
        col("bytes_in", ColumnType::Bigint, false),
        col("ingest_timestamp", ColumnType::String, false),
    ],
    partition_keys: &[],
    location: "ledger/netflix/",
};

/// The Parquet tables the transformer and the generator write.
pub const PIPELINE_TABLES: [&TableSpec; 3] = [&PROCESSED_EVENTS, &QUARANTINED_EVENTS, &TITLES];

/// Every Parquet table StreamLake writes: silver, quarantine, titles and gold.
pub const PARQUET_TABLES: [&TableSpec; 10] = [
    &PROCESSED_EVENTS,
    &QUARANTINED_EVENTS,
    &TITLES,
    &DAILY_TITLE_ENGAGEMENT,
    &DAILY_ENGAGEMENT_BY_COUNTRY_DEVICE,
    &DAILY_PLAYBACK_QUALITY,
    &DAILY_TTFH_DISTRIBUTION,
    &DAILY_EVENT_TYPES,
    &DAILY_DATA_QUALITY,
    &DAILY_QUARANTINE_REASONS,
];

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

    /// `docs/data_model.md` documents every column of every table, in order, with its type
    /// and nullability.
    #[test]
    fn docs_data_model_lists_every_table_column() {
        let doc = include_str!("../../../docs/data_model.md");
        for spec in PARQUET_TABLES.iter().copied().chain([&LEDGERS]) {
            let heading = format!("### `{}`", spec.name);
            let section = doc
                .split_once(&heading)
                .unwrap_or_else(|| panic!("docs/data_model.md has no {heading}"))
                .1;
            let section = section.split("\n### ").next().unwrap();
            let documented: Vec<(String, String, bool)> = section
                .lines()
                .filter(|line| line.starts_with("| ") && !line.starts_with("| column"))
                .map(|line| {
                    let cells: Vec<&str> = line.split('|').map(str::trim).collect();
                    (cells[1].to_owned(), cells[2].to_owned(), cells[3] == "yes")
                })
                .collect();
            let expected: Vec<(String, String, bool)> = spec
                .columns
                .iter()
                .map(|c| (c.name.to_owned(), c.column_type.glue_type().to_owned(), c.nullable))
                .collect();
            assert_eq!(documented, expected, "docs/data_model.md, {}", spec.name);
            for key in spec.partition_keys {
                assert!(section.contains(key), "{} documents its partition key {key}", spec.name);
            }
        }
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
