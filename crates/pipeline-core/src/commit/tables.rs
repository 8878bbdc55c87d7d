//! Where each committed table keeps its manifests, commit states and rewritten files.
//!
//! | table | data files | manifests (the Glue partition location) | commit states | commit log |
//! |---|---|---|---|---|
//! | silver | `processed/netflix/processed_partitioned/event_date=D/part-<digest>…` (appends), `processed/netflix/processed_compacted/event_date=D/…` | `processed/netflix/processed_manifests/event_date=D/manifest` | `processed/netflix/processed_commits/event_date=D.json` | `processed/netflix/processed_commit_log/event_date=D/v<version>.json` |
//! | gold `T` | `gold/netflix/T/unload/<run>/<key>=D/…` (Athena `UNLOAD`), locally `gold/netflix/T/<key>=D/r-<hash>/part-00000.snappy.parquet` | `gold/netflix/manifests/T/<key>=D/manifest` | `gold/netflix/commits/T/<key>=D.json` | `gold/netflix/commit_log/T/<key>=D/v<version>.json` |
//!
//! Compacted and refreshed files are written outside `processed_partitioned/`, the prefix
//! whose `ObjectCreated` events trigger the registrar.

use event_model::schema::{TableSpec, PROCESSED_EVENTS};

/// The file name of a partition's symlink manifest. It does not start with `_` or `.`,
/// which Trino's symlink reader skips.
pub const MANIFEST_FILE: &str = "manifest";

/// A table whose partitions change only by commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommittedTable {
    /// The table (name, columns, partition key, data location).
    pub spec: &'static TableSpec,
    /// Prefix of the partitions' manifest directories: the Glue table location.
    pub manifest_prefix: &'static str,
    /// Prefix of the partitions' commit states.
    pub state_prefix: &'static str,
    /// Prefix of the partitions' commit logs (one immutable record per version).
    pub log_prefix: &'static str,
    /// Prefix of compacted files (silver only).
    pub compacted_prefix: Option<&'static str>,
}

/// Silver: `processed_netflix_events`.
pub const SILVER: CommittedTable = CommittedTable {
    spec: &PROCESSED_EVENTS,
    manifest_prefix: "processed/netflix/processed_manifests/",
    state_prefix: "processed/netflix/processed_commits/",
    log_prefix: "processed/netflix/processed_commit_log/",
    compacted_prefix: Some("processed/netflix/processed_compacted/"),
};

macro_rules! gold_table {
    ($spec:path, $name:literal) => {
        CommittedTable {
            spec: &$spec,
            manifest_prefix: concat!("gold/netflix/manifests/", $name, "/"),
            state_prefix: concat!("gold/netflix/commits/", $name, "/"),
            log_prefix: concat!("gold/netflix/commit_log/", $name, "/"),
            compacted_prefix: None,
        }
    };
}

/// The gold tables, in [`GOLD_TABLES`] order.
pub const GOLD: [CommittedTable; 7] = [
    gold_table!(event_model::schema::DAILY_TITLE_ENGAGEMENT, "daily_title_engagement"),
    gold_table!(
        event_model::schema::DAILY_ENGAGEMENT_BY_COUNTRY_DEVICE,
        "daily_engagement_by_country_device"
    ),
    gold_table!(event_model::schema::DAILY_PLAYBACK_QUALITY, "daily_playback_quality"),
    gold_table!(event_model::schema::DAILY_TTFH_DISTRIBUTION, "daily_ttfh_distribution"),
    gold_table!(event_model::schema::DAILY_EVENT_TYPES, "daily_event_types"),
    gold_table!(event_model::schema::DAILY_DATA_QUALITY, "daily_data_quality"),
    gold_table!(event_model::schema::DAILY_QUARANTINE_REASONS, "daily_quarantine_reasons"),
];

/// Every committed table: silver, then gold.
pub fn committed_tables() -> impl Iterator<Item = &'static CommittedTable> {
    std::iter::once(&SILVER).chain(GOLD.iter())
}

/// The committed table named `name`.
pub fn committed_table(name: &str) -> Option<&'static CommittedTable> {
    committed_tables().find(|table| table.spec.name == name)
}

impl CommittedTable {
    /// The table name.
    pub fn name(&self) -> &'static str {
        self.spec.name
    }

    /// The partition column (every committed table has exactly one).
    pub fn partition_key(&self) -> &'static str {
        self.spec.partition_keys.first().copied().unwrap_or("event_date")
    }

    /// `<key>=<value>`
    pub fn partition_name(&self, value: &str) -> String {
        format!("{}={value}", self.partition_key())
    }

    /// The partition's manifest directory (its Glue location), ending in `/`.
    pub fn manifest_location(&self, value: &str) -> String {
        format!("{}{}/", self.manifest_prefix, self.partition_name(value))
    }

    /// The partition's manifest object.
    pub fn manifest_key(&self, value: &str) -> String {
        format!("{}{MANIFEST_FILE}", self.manifest_location(value))
    }

    /// The partition's commit state object.
    pub fn state_key(&self, value: &str) -> String {
        format!("{}{}.json", self.state_prefix, self.partition_name(value))
    }

    /// The directory of the partition's commit log, ending in `/`.
    pub fn log_directory(&self, value: &str) -> String {
        format!("{}{}/", self.log_prefix, self.partition_name(value))
    }

    /// The commit log record of `version`.
    pub fn log_key(&self, value: &str, version: u64) -> String {
        format!("{}v{version:08}.json", self.log_directory(value))
    }

    /// The partition value of a commit state key under [`Self::state_prefix`].
    pub fn value_of_state_key<'a>(&self, key: &'a str) -> Option<&'a str> {
        key.strip_prefix(self.state_prefix)?
            .strip_suffix(".json")?
            .strip_prefix(self.partition_key())?
            .strip_prefix('=')
    }

    /// The directory where a rewrite of the partition puts its files: compaction outputs for
    /// silver, `<data location><key>=<value>/<run>/` for a gold refresh.
    pub fn rewrite_directory(&self, value: &str, run: &str) -> String {
        match self.compacted_prefix {
            Some(prefix) => format!("{prefix}{}/", self.partition_name(value)),
            None => format!("{}{}/{run}/", self.spec.location, self.partition_name(value)),
        }
    }
}

#[cfg(test)]
mod tests {
    use event_model::schema::GOLD_TABLES;

    use super::*;

    #[test]
    fn every_gold_table_is_committed_in_order() {
        assert_eq!(GOLD.len(), GOLD_TABLES.len());
        for (committed, spec) in GOLD.iter().zip(GOLD_TABLES) {
            assert_eq!(committed.spec.name, spec.name);
            assert!(committed.manifest_prefix.ends_with(&format!("/{}/", spec.name)));
            assert!(committed.state_prefix.ends_with(&format!("/{}/", spec.name)));
        }
    }

    #[test]
    fn keys_follow_the_layout_and_stay_out_of_the_registrar_prefix() {
        assert_eq!(
            SILVER.manifest_key("2026-01-02"),
            "processed/netflix/processed_manifests/event_date=2026-01-02/manifest"
        );
        let state = SILVER.state_key("2026-01-02");
        assert_eq!(state, "processed/netflix/processed_commits/event_date=2026-01-02.json");
        assert_eq!(SILVER.value_of_state_key(&state), Some("2026-01-02"));
        assert_eq!(SILVER.value_of_state_key("processed/netflix/other.json"), None);
        for table in committed_tables() {
            for key in
                [table.manifest_key("2026-01-02"), table.rewrite_directory("2026-01-02", "r")]
            {
                assert!(!key.starts_with(PROCESSED_EVENTS.location), "{key}");
            }
        }
        assert_eq!(
            GOLD[4].rewrite_directory("2026-01-02", "r-1"),
            "gold/netflix/daily_event_types/event_date=2026-01-02/r-1/"
        );
        assert_eq!(
            committed_table("daily_data_quality").map(|t| t.partition_key()),
            Some("ingest_date")
        );
    }
}
