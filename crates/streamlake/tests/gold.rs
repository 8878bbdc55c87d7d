//! The gold layer against the generator's ground truth, through the real CLI.
//!
//! A lake is generated with duplicates and bad records injected and ingested in two waves (the
//! later raw objects arrive after the first ingest, as late data does), so the gold tables are
//! built incrementally by `ingest`. Every gold row must then equal the truth exactly (integers,
//! and doubles bit for bit), the data-quality tables must add up to the ledgers, and a full
//! rebuild with `streamlake gold` (or of one day) must rewrite byte-identical files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{query_rows, snapshot, streamlake_ok};
use event_generator::gold_truth::{
    CountryDeviceDay, EventTypeDay, QualityDay, TitleDay, TtfhBucket,
};
use event_generator::GroundTruth;
use pipeline_core::Ledger;
use serde::de::DeserializeOwned;

const EVENTS: &str = "30000";
const START: &str = "2026-03-10";

fn rows<T: DeserializeOwned>(lake: &Path, sql: &str) -> Vec<T> {
    query_rows(lake, sql)
        .into_iter()
        .map(|row| serde_json::from_value(serde_json::Value::Object(row)).unwrap())
        .collect()
}

/// Every raw object, sorted by key (arrival order).
fn raw_objects(lake: &Path) -> Vec<PathBuf> {
    let raw = lake.join("raw");
    snapshot(&raw)
        .into_keys()
        .filter(|path| path.extension().is_some_and(|e| e == "gz"))
        .map(|path| raw.join(path))
        .collect()
}

#[test]
fn gold_tables_equal_the_ground_truth_and_rebuild_byte_identically() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let lake_arg = lake.to_str().unwrap();
    let truth_path = dir.path().join("truth.json");
    streamlake_ok(&[
        "generate",
        "--events",
        EVENTS,
        "--days",
        "3",
        "--seed",
        "11",
        "--start-date",
        START,
        "--duplicate-rate",
        "0.03",
        "--bad-record-rate",
        "0.02",
        "--lake",
        lake_arg,
        "--truth",
        truth_path.to_str().unwrap(),
    ]);
    let truth: GroundTruth = serde_json::from_slice(&std::fs::read(&truth_path).unwrap()).unwrap();
    assert!(truth.duplicates > 0 && truth.expected_quarantined_total() > 0);

    // Two waves: the last 40 % of the raw objects (by arrival) are held back, then delivered.
    let objects = raw_objects(&lake);
    let held = dir.path().join("held");
    let late: Vec<(PathBuf, PathBuf)> = objects[objects.len() * 6 / 10..]
        .iter()
        .enumerate()
        .map(|(i, path)| (path.clone(), held.join(format!("{i}.gz"))))
        .collect();
    std::fs::create_dir_all(&held).unwrap();
    for (path, aside) in &late {
        std::fs::rename(path, aside).unwrap();
    }
    let first = streamlake_ok(&["ingest", "--lake", lake_arg]);
    assert!(first.contains("Gold refreshed"), "{first}");
    for (path, aside) in &late {
        std::fs::rename(aside, path).unwrap();
    }
    streamlake_ok(&["ingest", "--lake", lake_arg]);

    let gold = &truth.gold;
    assert!(gold.daily_title_engagement.len() > 100, "a real workload");
    let got: Vec<TitleDay> =
        rows(&lake, "SELECT * FROM daily_title_engagement ORDER BY event_date, title_id");
    assert_eq!(got.len(), gold.daily_title_engagement.len());
    for (got, want) in got.iter().zip(&gold.daily_title_engagement) {
        assert_eq!(got, want);
    }
    let got: Vec<CountryDeviceDay> = rows(
        &lake,
        "SELECT * FROM daily_engagement_by_country_device ORDER BY event_date, country, device_type",
    );
    assert_eq!(got, gold.daily_engagement_by_country_device);
    let got: Vec<QualityDay> = rows(
        &lake,
        "SELECT * FROM daily_playback_quality ORDER BY event_date, country, device_type",
    );
    assert_eq!(got, gold.daily_playback_quality);
    assert!(
        got.iter().any(|row| row.error_sessions > 0 && row.ttfh_p95_s.is_some()),
        "errors and heartbeats occur"
    );
    assert!(got.iter().any(|row| row.rebuffer_hours > 0.0), "rebuffering occurs");
    let got: Vec<TtfhBucket> = rows(
        &lake,
        "SELECT * FROM daily_ttfh_distribution ORDER BY event_date, country, device_type, ttfh_s",
    );
    assert_eq!(got, gold.daily_ttfh_distribution);
    let got: Vec<EventTypeDay> =
        rows(&lake, "SELECT * FROM daily_event_types ORDER BY event_date, event_type");
    assert_eq!(got, gold.daily_event_types);
    // The watch time the truth computed adds up to the silver row counts it also knows.
    let per_date: BTreeMap<String, u64> = got.iter().fold(BTreeMap::new(), |mut map, row| {
        *map.entry(row.event_date.clone()).or_default() += row.events;
        map
    });
    assert_eq!(per_date, truth.rows_per_date);

    // Data quality: the ledgers, summed per arrival day.
    let mut expected: BTreeMap<String, [u64; 5]> = BTreeMap::new();
    for entry in std::fs::read_dir(lake.join("ledger/netflix")).unwrap() {
        let ledger = Ledger::from_json(&std::fs::read(entry.unwrap().path()).unwrap()).unwrap();
        let day = expected.entry(ledger.ingest_timestamp[..10].to_owned()).or_default();
        day[0] += 1;
        day[1] += ledger.records_in;
        day[2] += ledger.written;
        day[3] += ledger.quarantined;
        day[4] += ledger.duplicates_dropped;
    }
    let dq = query_rows(&lake, "SELECT * FROM daily_data_quality ORDER BY ingest_date");
    let got: BTreeMap<String, [u64; 5]> = dq
        .iter()
        .map(|row| {
            let n = |c: &str| row[c].as_u64().unwrap();
            let counts = [
                n("raw_objects"),
                n("records_in"),
                n("written"),
                n("quarantined"),
                n("duplicates_dropped"),
            ];
            let rate = row["rejection_rate"].as_f64().unwrap();
            assert_eq!(rate, counts[3] as f64 / counts[1] as f64);
            (row["ingest_date"].as_str().unwrap().to_owned(), counts)
        })
        .collect();
    assert_eq!(got, expected);
    let totals = got.values().fold([0u64; 5], |mut sum, day| {
        for (s, d) in sum.iter_mut().zip(day) {
            *s += d;
        }
        sum
    });
    // The ledgers account for the transform: a re-send in another raw object is written (and
    // removed later by compaction), one in the same object is a duplicate dropped.
    assert_eq!(
        [totals[1], totals[2] + totals[4], totals[3]],
        [
            truth.records_sent,
            truth.clean_events + truth.duplicates + truth.resends,
            truth.expected_quarantined_total(),
        ]
    );
    let reasons = query_rows(
        &lake,
        "SELECT reason_code, SUM(quarantined) AS n FROM daily_quarantine_reasons GROUP BY reason_code ORDER BY reason_code",
    );
    let got: BTreeMap<String, u64> = reasons
        .iter()
        .map(|row| (row["reason_code"].as_str().unwrap().to_owned(), row["n"].as_u64().unwrap()))
        .collect();
    assert_eq!(got, truth.quarantined);

    // The gold named queries (what the demo prints) agree with the truth.
    let mut views: BTreeMap<&str, (f64, u64)> = BTreeMap::new();
    for row in &gold.daily_title_engagement {
        let entry = views.entry(&row.title_id).or_default();
        entry.0 += row.views.unwrap();
        entry.1 += row.plays;
    }
    let mut ranked: Vec<(&str, f64, u64)> =
        views.iter().map(|(id, (v, p))| (*id, *v, *p)).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let top = common::named_rows(&lake, "top_titles_by_views");
    assert_eq!(top.len(), 10);
    for (row, (id, views, plays)) in top.iter().zip(&ranked) {
        assert_eq!(row["title_id"].as_str(), Some(*id));
        assert!((row["views"].as_f64().unwrap() - views).abs() <= 0.0005 + 1e-9, "{row:?}");
        assert_eq!(row["plays"].as_u64(), Some(*plays));
    }
    let mut sessions: BTreeMap<String, u64> = BTreeMap::new();
    for row in &gold.daily_playback_quality {
        *sessions.entry(row.device_type.clone()).or_default() += row.sessions;
    }
    let quality = common::named_rows(&lake, "playback_quality_by_device");
    let got: BTreeMap<String, u64> = quality
        .iter()
        .map(|row| {
            (row["device_type"].as_str().unwrap().to_owned(), row["sessions"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(got, sessions);
    assert_eq!(sessions.values().sum::<u64>(), truth.sessions);

    // A full rebuild, and a rebuild of one day, rewrite exactly the same files.
    let before = snapshot(&lake.join("gold"));
    assert!(before.len() >= 7 * 3, "one file per table and day: {}", before.len());
    let catalog = std::fs::read(lake.join("catalog/netflix-streams-aws.json")).unwrap();
    streamlake_ok(&["gold", "--lake", lake_arg]);
    assert_eq!(snapshot(&lake.join("gold")), before);
    assert_eq!(std::fs::read(lake.join("catalog/netflix-streams-aws.json")).unwrap(), catalog);
    let day = gold.daily_event_types[gold.daily_event_types.len() / 2].event_date.clone();
    streamlake_ok(&["gold", "--lake", lake_arg, "--from", &day, "--to", &day]);
    assert_eq!(snapshot(&lake.join("gold")), before);

    // Over compacted silver (every file in session order, which its footer states), the gold
    // queries' windows merge the files in that order instead of sorting the days again.
    let middle = pipeline_core::gold::DateRange::parse("2026-03-11", "2026-03-11").unwrap();
    for query in pipeline_core::gold::GOLD_QUERIES
        .iter()
        .filter(|q| q.sql.contains("PARTITION BY session_id"))
    {
        let sql = format!("EXPLAIN {}", query.bound_sql(&middle).unwrap());
        let plan: String = query_rows(&lake, &sql)
            .iter()
            .filter(|row| row["plan_type"] == "physical_plan")
            .map(|row| row["plan"].as_str().unwrap().to_owned())
            .collect();
        assert!(plan.contains("WindowAggExec"), "{}: {plan}", query.table.name);
        assert!(
            plan.contains("output_ordering=[session_id@"),
            "{}: the scan is ordered: {plan}",
            query.table.name
        );
        assert!(
            !plan
                .lines()
                .any(|line| line.contains("SortExec") && line.contains("expr=[session_id@")),
            "{}: no sort by session: {plan}",
            query.table.name
        );
    }
}

#[test]
fn a_day_without_silver_rows_loses_its_gold_partition() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let lake_arg = lake.to_str().unwrap();
    streamlake_ok(&[
        "generate",
        "--events",
        "3000",
        "--days",
        "1",
        "--start-date",
        START,
        "--lake",
        lake_arg,
    ]);
    streamlake_ok(&["ingest", "--lake", lake_arg]);
    let count = |day: &str| {
        query_rows(
            &lake,
            &format!("SELECT COUNT(*) AS n FROM daily_event_types WHERE event_date = '{day}'"),
        )[0]["n"]
            .as_u64()
            .unwrap()
    };
    let manifest =
        lake.join(format!("gold/netflix/manifests/daily_event_types/event_date={START}/manifest"));
    let listed = std::fs::read_to_string(&manifest).unwrap();
    assert_eq!(listed.lines().count(), 1, "one committed file: {listed}");
    assert!(count(START) > 0);
    // A day with no silver at all: refreshing it writes nothing and removes nothing real.
    let stdout =
        streamlake_ok(&["gold", "--lake", lake_arg, "--from", "2020-01-01", "--to", "2020-01-01"]);
    assert!(stdout.contains("Refreshed 7 gold tables"), "{stdout}");
    assert!(!lake.join("gold/netflix/daily_event_types/event_date=2020-01-01").exists());
    assert!(!lake.join("gold/netflix/manifests/daily_event_types/event_date=2020-01-01").exists());
    // Silver of START unregistered (as if the partition were dropped): the refresh commits the
    // day empty. The old file stays (a query may still read it) until garbage collection.
    let catalog_path = lake.join("catalog/netflix-streams-aws.json");
    let mut catalog: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&catalog_path).unwrap()).unwrap();
    catalog["tables"]["processed_netflix_events"]["partitions"]
        .as_object_mut()
        .unwrap()
        .remove(START);
    std::fs::write(&catalog_path, serde_json::to_vec_pretty(&catalog).unwrap()).unwrap();
    let stdout = streamlake_ok(&["gold", "--lake", lake_arg, "--from", START, "--to", START]);
    assert!(stdout.contains("emptied partitions removed"), "{stdout}");
    assert_eq!(std::fs::read_to_string(&manifest).unwrap(), "", "committed empty");
    assert_eq!(count(START), 0);
    let old = lake.join(listed.trim());
    assert!(old.is_file(), "kept for queries in flight: {}", old.display());
}
