//! Object keys and digests (DESIGN §3). Keys are the same strings as S3 keys and as paths
//! under the local lake root.
//!
//! Every output key of a raw object embeds a digest of the raw object's key and ETag, so a
//! re-delivered or retried event rewrites the same keys and never duplicates rows.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike};
use sha2::{Digest, Sha256};

/// Prefix of the raw (bronze) zone.
pub const RAW_PREFIX: &str = "raw/netflix/";
/// Prefix of silver, `processed_netflix_events`.
pub const PROCESSED_PREFIX: &str = "processed/netflix/processed_partitioned/";
/// Prefix of `quarantined_netflix_events`.
pub const QUARANTINE_PREFIX: &str = "quarantine/netflix/quarantine/";
/// Prefix of the per-object ledgers.
pub const LEDGER_PREFIX: &str = "ledger/netflix/";
/// Prefix of the gold tables.
pub const GOLD_PREFIX: &str = "gold/netflix/";
/// Key of the title dimension.
pub const TITLES_KEY: &str = "processed/netflix/netflix_titles/titles.snappy.parquet";
/// Firehose's delivery-stream version segment in object names.
pub const FIREHOSE_STREAM_VERSION: &str = "1";

/// The digest of a source object: 32 hex chars of SHA-256 over its key and ETag.
pub fn object_digest(source_key: &str, etag: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(source_key.as_bytes());
    hasher.update(b"\n");
    hasher.update(etag.trim_matches('"').as_bytes());
    let digest = hasher.finalize();
    hex::encode(&digest[..16])
}

/// `processed/netflix/processed_partitioned/event_date=YYYY-MM-DD/part-<digest>.snappy.parquet`
pub fn processed_key(event_date: &str, digest: &str) -> String {
    format!("{PROCESSED_PREFIX}event_date={event_date}/part-{digest}.snappy.parquet")
}

/// `quarantine/netflix/quarantine/ingest_date=YYYY-MM-DD/part-<digest>.snappy.parquet`
pub fn quarantine_key(ingest_date: &str, digest: &str) -> String {
    format!("{QUARANTINE_PREFIX}ingest_date={ingest_date}/part-{digest}.snappy.parquet")
}

/// `ledger/netflix/<digest>.json`
pub fn ledger_key(digest: &str) -> String {
    format!("{LEDGER_PREFIX}{digest}.json")
}

/// The key Firehose gives an object whose buffer opened at `arrival_ts` (epoch seconds):
/// `raw/netflix/ingest_year=YYYY/ingest_month=MM/ingest_day=DD/ingest_hour=HH/<stream>-1-YYYY-MM-DD-HH-MM-SS-<uuid>.gz`
pub fn firehose_object_key(stream: &str, arrival_ts: i64, uuid: &str) -> Option<String> {
    let ts = DateTime::from_timestamp(arrival_ts, 0)?;
    Some(format!(
        "{RAW_PREFIX}ingest_year={:04}/ingest_month={:02}/ingest_day={:02}/ingest_hour={:02}/{stream}-{FIREHOSE_STREAM_VERSION}-{}-{uuid}.gz",
        ts.year(),
        ts.month(),
        ts.day(),
        ts.hour(),
        ts.format("%Y-%m-%d-%H-%M-%S"),
    ))
}

/// Parses the Firehose arrival time (epoch seconds) out of an object key in Firehose form
/// (`…/<stream>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid>[.gz]`). Returns `None` for any other key.
pub fn firehose_arrival_ts(key: &str) -> Option<i64> {
    let name = key.rsplit('/').next()?;
    let stem = name.strip_suffix(".gz").unwrap_or(name);
    let parts: Vec<&str> = stem.split('-').collect();
    // stream (>=1 part), version, 6 time parts, 5 uuid groups.
    if parts.len() < 13 {
        return None;
    }
    let n = parts.len();
    let uuid = &parts[n - 5..];
    let expected = [8, 4, 4, 4, 12];
    if !uuid
        .iter()
        .zip(expected)
        .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return None;
    }
    let time = &parts[n - 11..n - 5];
    let version = parts[n - 12];
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if parts[..n - 12].iter().all(|part| part.is_empty()) {
        return None;
    }
    let lens = [4, 2, 2, 2, 2, 2];
    if !time
        .iter()
        .zip(lens)
        .all(|(p, len)| p.len() == len && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let text = time.join("-");
    NaiveDateTime::parse_from_str(&text, "%Y-%m-%d-%H-%M-%S")
        .ok()
        .map(|dt| dt.and_utc().timestamp())
}

/// Formats epoch seconds as the UTC date `YYYY-MM-DD`.
pub fn date_of(epoch_secs: i64) -> Option<String> {
    event_model::utc_date(epoch_secs)
}

/// Formats epoch seconds as RFC 3339 UTC (`2026-01-02T03:04:05Z`).
pub fn rfc3339(epoch_secs: i64) -> String {
    DateTime::from_timestamp(epoch_secs, 0)
        .map(|ts| ts.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| epoch_secs.to_string())
}

/// A Hive-style partition parsed from an output key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartitionRef {
    /// Table name in the catalog.
    pub table: &'static str,
    /// Partition key name (`event_date` or `ingest_date`).
    pub key: &'static str,
    /// The value, a `YYYY-MM-DD` date.
    pub value: String,
    /// The partition's location (key prefix ending in `/`).
    pub location: String,
}

/// Parses the partition a processed or quarantine object belongs to. Returns `None` for keys
/// outside those two tables or with a malformed partition value (never a default partition).
pub fn partition_of_key(key: &str) -> Option<PartitionRef> {
    let tables = [
        (event_model::PROCESSED_EVENTS.name, "event_date", PROCESSED_PREFIX),
        (event_model::QUARANTINED_EVENTS.name, "ingest_date", QUARANTINE_PREFIX),
    ];
    for (table, partition_key, prefix) in tables {
        let Some(rest) = key.strip_prefix(prefix) else { continue };
        let (directory, file) = rest.split_once('/')?;
        if file.is_empty() || file.contains('/') {
            return None;
        }
        let value = directory.strip_prefix(partition_key)?.strip_prefix('=')?;
        NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()?;
        if value.len() != 10 {
            return None;
        }
        return Some(PartitionRef {
            table,
            key: partition_key,
            value: value.to_owned(),
            location: format!("{prefix}{directory}/"),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const UUID: &str = "0a1b2c3d-4e5f-6789-abcd-ef0123456789";

    #[test]
    fn firehose_key_matches_the_design_layout() {
        // 2026-03-04T05:06:07Z
        let key = firehose_object_key("netflix-playback", 1_772_600_767, UUID).unwrap();
        assert_eq!(
            key,
            "raw/netflix/ingest_year=2026/ingest_month=03/ingest_day=04/ingest_hour=05/netflix-playback-1-2026-03-04-05-06-07-0a1b2c3d-4e5f-6789-abcd-ef0123456789.gz"
        );
        assert_eq!(firehose_arrival_ts(&key), Some(1_772_600_767));
    }

    #[test]
    fn non_firehose_keys_have_no_arrival() {
        for key in [
            "raw/netflix/upload.gz",
            "raw/netflix/s-1-2026-03-04-05-06-07.gz",
            "raw/netflix/s-1-2026-13-04-05-06-07-0a1b2c3d-4e5f-6789-abcd-ef0123456789.gz",
            "raw/netflix/s-x-2026-03-04-05-06-07-0a1b2c3d-4e5f-6789-abcd-ef0123456789.gz",
            "raw/netflix/-1-2026-03-04-05-06-07-0a1b2c3d-4e5f-6789-abcd-ef0123456789.gz",
            "raw/netflix/s-1-2026-03-04-05-06-07-0a1b2c3d-4e5f-6789-abcd-ef012345678Z.gz",
        ] {
            assert_eq!(firehose_arrival_ts(key), None, "{key}");
        }
    }

    #[test]
    fn digests_depend_on_key_and_etag_and_ignore_quotes() {
        let a = object_digest("raw/a.gz", "\"abc\"");
        assert_eq!(a, object_digest("raw/a.gz", "abc"));
        assert_ne!(a, object_digest("raw/a.gz", "abd"));
        assert_ne!(a, object_digest("raw/b.gz", "abc"));
        assert_eq!(a.len(), 32);
    }

    #[test]
    fn output_keys_follow_the_layout_and_parse_back() {
        let key = processed_key("2026-01-02", "ff");
        assert_eq!(
            key,
            "processed/netflix/processed_partitioned/event_date=2026-01-02/part-ff.snappy.parquet"
        );
        let partition = partition_of_key(&key).unwrap();
        assert_eq!(partition.table, "processed_netflix_events");
        assert_eq!(partition.value, "2026-01-02");
        assert_eq!(
            partition.location,
            "processed/netflix/processed_partitioned/event_date=2026-01-02/"
        );
        let key = quarantine_key("2026-01-03", "ee");
        let partition = partition_of_key(&key).unwrap();
        assert_eq!(partition.table, "quarantined_netflix_events");
        assert_eq!(partition.key, "ingest_date");
        assert_eq!(ledger_key("ab"), "ledger/netflix/ab.json");
    }

    #[test]
    fn default_or_malformed_partitions_are_refused() {
        for key in [
            "processed/netflix/processed_partitioned/event_date=__HIVE_DEFAULT_PARTITION__/part-1.snappy.parquet",
            "processed/netflix/processed_partitioned/event_date=2026-02-30/part-1.snappy.parquet",
            "processed/netflix/processed_partitioned/event_date=2026-2-3/part-1.snappy.parquet",
            "processed/netflix/processed_partitioned/dt=2026-02-03/part-1.snappy.parquet",
            "processed/netflix/processed_partitioned/event_date=2026-02-03/",
            "raw/netflix/x.gz",
        ] {
            assert_eq!(partition_of_key(key), None, "{key}");
        }
    }

    proptest! {
        #[test]
        fn firehose_keys_round_trip(ts in 0i64..253_402_300_799, stream in "[a-z][a-z0-9-]{0,20}") {
            let key = firehose_object_key(&stream, ts, UUID).unwrap();
            prop_assert_eq!(firehose_arrival_ts(&key), Some(ts));
        }

        #[test]
        fn arrival_parser_never_panics(key in "\\PC{0,120}") {
            let _ = firehose_arrival_ts(&key);
            let _ = partition_of_key(&key);
        }
    }
}
