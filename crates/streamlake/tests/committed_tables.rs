//! Committed tables, locally (DESIGN §5 invariant 6, §8): a reader queries per-partition
//! silver row counts and per-day gold row counts in a loop while `ingest` (appends,
//! compaction, gold), `compact` and two overlapping `gold` refreshes run as separate
//! processes on the same lake. Every count the reader sees must be the row count of a
//! version that partition actually committed (its commit log): never partial, never doubled,
//! never empty. At the end the lake equals the ground truth, and every partition balances.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::streamlake_ok;
use event_generator::GroundTruth;
use local_runtime::LocalBlobStore;
use local_runtime::LocalQueryEngine;
use pipeline_core::commit::{commit_log, CommittedTable, GOLD, SILVER};
use pipeline_core::QueryEngine;

fn spawn(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_streamlake"))
        .args(args)
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the streamlake binary starts")
}

fn raw_objects(root: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "gz") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, &mut out);
    out.sort();
    out
}

/// `(date, rows)` of one query's `GROUP BY` partition column.
async fn counts(engine: &LocalQueryEngine, sql: &str) -> BTreeMap<String, u64> {
    let result = engine.query(sql).await.expect("a reader query never fails");
    result
        .rows
        .iter()
        .map(|row| (row[0].as_str().unwrap().to_owned(), row[1].as_u64().unwrap()))
        .collect()
}

/// The row counts of every version a partition committed.
async fn committed_counts(
    store: &LocalBlobStore,
    table: &CommittedTable,
    date: &str,
) -> BTreeSet<u64> {
    commit_log(store, table, date).await.unwrap().iter().map(|record| record.rows).collect()
}

#[test]
fn readers_see_only_committed_states_while_writers_run() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let lake_arg = lake.to_str().unwrap().to_owned();
    let truth_path = dir.path().join("truth.json");
    streamlake_ok(&[
        "generate",
        "--events",
        "40000",
        "--days",
        "3",
        "--seed",
        "11",
        "--start-date",
        "2026-03-01",
        "--resend-rate",
        "0.02",
        "--lake",
        &lake_arg,
        "--truth",
        truth_path.to_str().unwrap(),
    ]);
    let truth: GroundTruth = serde_json::from_slice(&std::fs::read(&truth_path).unwrap()).unwrap();

    // The first half of the raw objects is ingested before the race; the second half is held
    // back and delivered while the readers run.
    let raw = lake.join("raw");
    let objects = raw_objects(&raw);
    assert!(objects.len() > 20, "{} objects", objects.len());
    let held = dir.path().join("held");
    let late: Vec<PathBuf> = objects[objects.len() / 2..].to_vec();
    for object in &late {
        let target = held.join(object.strip_prefix(&raw).unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::rename(object, &target).unwrap();
    }
    streamlake_ok(&["ingest", "--lake", &lake_arg]);

    // Writers.
    for object in &late {
        let source = held.join(object.strip_prefix(&raw).unwrap());
        std::fs::rename(&source, object).unwrap();
    }
    let mut writers = vec![
        ("ingest", spawn(&["ingest", "--lake", &lake_arg])),
        ("compact", spawn(&["compact", "--lake", &lake_arg])),
        ("gold 1", spawn(&["gold", "--lake", &lake_arg])),
        ("gold 2", spawn(&["gold", "--lake", &lake_arg])),
    ];

    // The reader: a fresh engine per round (as a new Athena query would plan), until every
    // writer has exited, then one more round.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut seen: Vec<(&'static CommittedTable, String, u64)> = Vec::new();
    let mut rounds = 0;
    loop {
        let done = writers.iter_mut().all(|(_, child)| child.try_wait().unwrap().is_some());
        runtime.block_on(async {
            let engine = LocalQueryEngine::open(&lake).await.unwrap();
            for (date, rows) in counts(
                &engine,
                "SELECT event_date, COUNT(*) AS n FROM processed_netflix_events GROUP BY event_date",
            )
            .await
            {
                seen.push((&SILVER, date, rows));
            }
            for (date, rows) in counts(
                &engine,
                "SELECT event_date, COUNT(*) AS n FROM daily_event_types GROUP BY event_date",
            )
            .await
            {
                seen.push((&GOLD[4], date, rows));
            }
        });
        rounds += 1;
        if done {
            break;
        }
    }
    for (name, child) in writers {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{name} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert!(rounds >= 3, "the reader ran while the writers did ({rounds} rounds)");
    assert_eq!(GOLD[4].name(), "daily_event_types");

    // Every observation is a committed version of its partition.
    let store = LocalBlobStore::new(&lake);
    let mut versions: BTreeMap<(&str, String), BTreeSet<u64>> = BTreeMap::new();
    for (table, date, rows) in &seen {
        let key = (table.name(), date.clone());
        if !versions.contains_key(&key) {
            let counts = runtime.block_on(committed_counts(&store, table, date));
            versions.insert(key.clone(), counts);
        }
        let committed = &versions[&key];
        assert!(
            committed.contains(rows),
            "{} {date}: the reader saw {rows} rows, not a committed version ({committed:?})",
            table.name()
        );
        assert!(*rows > 0, "{} {date}: an empty partition was visible", table.name());
    }
    let partitions: BTreeSet<&(&str, String)> = versions.keys().collect();
    assert!(partitions.len() >= 6, "silver and gold partitions observed: {partitions:?}");

    // The race ends in the truth: every clean event once, every partition balanced.
    streamlake_ok(&["ingest", "--lake", &lake_arg]);
    let rows = common::named_rows(&lake, "rows_per_date");
    let got: BTreeMap<String, u64> =
        rows.iter().map(|r| (common::text(r, "event_date"), common::int(r, "row_count"))).collect();
    assert_eq!(got, truth.rows_per_date);
    streamlake_ok(&["status", "--lake", &lake_arg]);
}
