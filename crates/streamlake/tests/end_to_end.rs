//! End to end on the local lake, through the real CLI: generate with duplicates, cross-object
//! re-sends and bad records injected, ingest (transform, commit, compact, gold), then every
//! named query must equal the generator's ground truth exactly; every ledger and every
//! partition must balance, with no duplicate `event_id` left in any partition; and a second
//! ingest must leave the lake byte-identical.

mod common;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use common::{int, named_rows, snapshot, streamlake_ok, text};
use event_generator::{Generator, GeneratorConfig, GroundTruth};
use pipeline_core::Ledger;

const EVENTS: u64 = 40_000;
const DAYS: u32 = 3;
const SEED: u64 = 7;
const START: &str = "2026-02-01";

fn sorted_desc(map: &BTreeMap<String, u64>) -> Vec<(String, u64)> {
    let mut pairs: Vec<(String, u64)> =
        map.iter().filter(|(_, n)| **n > 0).map(|(k, n)| (k.clone(), *n)).collect();
    pairs.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    pairs
}

#[test]
fn named_queries_equal_the_ground_truth_and_reingest_is_a_no_op() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let lake_arg = lake.to_str().unwrap();
    let truth_path = dir.path().join("truth.json");
    let events = EVENTS.to_string();
    let days = DAYS.to_string();
    let seed = SEED.to_string();
    streamlake_ok(&[
        "generate",
        "--events",
        &events,
        "--days",
        &days,
        "--seed",
        &seed,
        "--start-date",
        START,
        "--duplicate-rate",
        "0.03",
        "--resend-rate",
        "0.02",
        "--bad-record-rate",
        "0.02",
        "--lake",
        lake_arg,
        "--truth",
        truth_path.to_str().unwrap(),
    ]);
    let truth: GroundTruth = serde_json::from_slice(&std::fs::read(&truth_path).unwrap()).unwrap();
    assert_eq!(truth.clean_events, EVENTS);
    assert!(truth.duplicates > 0, "duplicates were injected");
    assert!(truth.resends > 0, "re-sends into later objects were injected");
    assert!(truth.expected_quarantined_total() > 0, "bad records were injected");
    let injected: Vec<&String> =
        truth.quarantined.iter().filter(|(_, n)| **n > 0).map(|(k, _)| k).collect();
    assert!(
        injected.len() >= 8,
        "bad records of every reason code that can reach raw: {injected:?}"
    );

    streamlake_ok(&["ingest", "--lake", lake_arg]);

    // Every ledger balances, and the ledgers add up to the truth.
    let mut totals = (0u64, 0u64, 0u64, 0u64);
    for entry in std::fs::read_dir(lake.join("ledger/netflix")).unwrap() {
        let ledger = Ledger::from_json(&std::fs::read(entry.unwrap().path()).unwrap()).unwrap();
        assert!(ledger.balances(), "{ledger:?}");
        totals.0 += ledger.records_in;
        totals.1 += ledger.written;
        totals.2 += ledger.quarantined;
        totals.3 += ledger.duplicates_dropped;
    }
    assert_eq!(totals.0, truth.records_sent);
    assert_eq!(totals.2, truth.expected_quarantined_total());

    // Exactly once after compaction: a re-sent copy is either dropped by the transformer (both
    // copies in one object) or written and then dropped by compaction (different objects);
    // either way silver holds each clean event once, and every partition balances.
    let status: serde_json::Value =
        serde_json::from_str(&streamlake_ok(&["status", "--lake", lake_arg, "--format", "json"]))
            .unwrap();
    let silver: Vec<&serde_json::Value> = status["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["table"] == "processed_netflix_events")
        .collect();
    assert_eq!(silver.len(), truth.rows_per_date.len());
    let mut cross_object = 0;
    for partition in &silver {
        assert_eq!(partition["balanced"], true, "{partition}");
        assert_eq!(partition["pending_rows"], 0, "{partition}");
        assert_eq!(partition["appended_files"], 0, "compacted: {partition}");
        let date = partition["partition_value"].as_str().unwrap();
        assert_eq!(partition["event_date"], date, "the value under its column's name");
        assert_eq!(partition["rows"].as_u64(), truth.rows_per_date.get(date).copied());
        cross_object += partition["cross_object_duplicates_dropped"].as_u64().unwrap();
    }
    assert!(cross_object > 0, "compaction removed cross-object copies");
    assert_eq!(totals.1, truth.clean_events + cross_object);
    assert_eq!(totals.3 + cross_object, truth.duplicates + truth.resends);
    let dupes = common::query_rows(
        &lake,
        "SELECT event_date, COUNT(*) - COUNT(DISTINCT event_id) AS extra FROM processed_netflix_events GROUP BY event_date",
    );
    assert_eq!(dupes.len(), truth.rows_per_date.len());
    assert!(dupes.iter().all(|row| int(row, "extra") == 0), "{dupes:?}");

    // rows_per_date
    let rows = named_rows(&lake, "rows_per_date");
    let got: BTreeMap<String, u64> =
        rows.iter().map(|r| (text(r, "event_date"), int(r, "row_count"))).collect();
    assert_eq!(got, truth.rows_per_date);

    // event_type_distribution, with its percentage column
    let rows = named_rows(&lake, "event_type_distribution");
    let got: Vec<(String, u64)> =
        rows.iter().map(|r| (text(r, "event_type"), int(r, "events"))).collect();
    assert_eq!(got, sorted_desc(&truth.event_types));
    for row in &rows {
        let pct = row["pct_of_events"].as_f64().unwrap();
        let expected = 100.0 * int(row, "events") as f64 / truth.clean_events as f64;
        assert!((pct - expected).abs() <= 0.005 + 1e-9, "{pct} vs {expected}");
    }

    // top_titles, joined to the names the generator ships
    let titles: BTreeMap<String, String> = Generator::new(GeneratorConfig::new(
        EVENTS,
        DAYS,
        SEED,
        NaiveDate::parse_from_str(START, "%Y-%m-%d").unwrap(),
    ))
    .unwrap()
    .titles()
    .iter()
    .map(|t| (t.title_id.clone(), t.title_name.clone()))
    .collect();
    let rows = named_rows(&lake, "top_titles");
    let got: Vec<(String, String, u64)> = rows
        .iter()
        .map(|r| (text(r, "title_id"), text(r, "title_name"), int(r, "plays")))
        .collect();
    let expected: Vec<(String, String, u64)> = sorted_desc(&truth.title_plays)
        .into_iter()
        .take(10)
        .map(|(id, plays)| (id.clone(), titles[&id].clone(), plays))
        .collect();
    assert_eq!(got, expected);

    // events_by_country and events_by_device
    let rows = named_rows(&lake, "events_by_country");
    let got: Vec<(String, u64)> =
        rows.iter().map(|r| (text(r, "country"), int(r, "events"))).collect();
    assert_eq!(got, sorted_desc(&truth.countries));
    let rows = named_rows(&lake, "events_by_device");
    let got: Vec<(String, u64)> =
        rows.iter().map(|r| (text(r, "device_type"), int(r, "events"))).collect();
    assert_eq!(got, sorted_desc(&truth.devices));

    // dq_rejections_by_reason
    let rows = named_rows(&lake, "dq_rejections_by_reason");
    let got: Vec<(String, u64)> =
        rows.iter().map(|r| (text(r, "reason_code"), int(r, "rejected"))).collect();
    assert_eq!(got, sorted_desc(&truth.quarantined));

    // No default partition, ever.
    let partitions =
        std::fs::read_dir(lake.join("processed/netflix/processed_partitioned")).unwrap();
    for entry in partitions {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(name.starts_with("event_date=20"), "{name}");
    }

    // A second ingest changes nothing, byte for byte.
    let before = snapshot(&lake);
    let stdout = streamlake_ok(&["ingest", "--lake", lake_arg]);
    assert!(stdout.contains("Ingested 0 raw objects"), "{stdout}");
    assert_eq!(snapshot(&lake), before);

    // Reprocessing from scratch (ledgers deleted, as after a lost ledger) rewrites the
    // same bytes: outputs are deterministic and keyed by the source digest.
    std::fs::remove_dir_all(lake.join("ledger")).unwrap();
    streamlake_ok(&["ingest", "--lake", lake_arg]);
    assert_eq!(snapshot(&lake), before);
}
