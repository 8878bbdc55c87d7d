use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;

use chrono::NaiveDate;
use event_model::{validate_record, ValidationPolicy};
use proptest::prelude::*;

use super::*;
use crate::error::Error;

fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()
}

struct Run {
    config: GeneratorConfig,
    batches: Vec<Batch>,
    truth: GroundTruth,
    outcomes: Vec<Option<ReasonCode>>,
}

fn run(config: GeneratorConfig) -> Run {
    let mut generator = Generator::new(config.clone()).unwrap();
    let batches: Vec<Batch> = generator.by_ref().collect();
    assert!(generator.next_batch().is_none(), "stays exhausted");
    assert_eq!(generator.progress(), (config.events, config.events));
    Run {
        config,
        batches,
        truth: generator.truth().clone(),
        outcomes: generator.outcomes().to_vec(),
    }
}

/// 20k clean events over 3 days, with duplicates and a high bad-record rate.
fn faulty() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let mut config = GeneratorConfig::new(20_000, 3, 7, start());
        config.duplicate_rate = 0.03;
        config.bad_record_rate = 0.1;
        run(config)
    })
}

fn records(run: &Run) -> impl Iterator<Item = (usize, &Batch, &Record)> {
    run.batches
        .iter()
        .enumerate()
        .flat_map(|(index, batch)| batch.records.iter().map(move |record| (index, batch, record)))
}

fn line(record: &Record) -> &[u8] {
    assert_eq!(record.data.last(), Some(&b'\n'));
    &record.data[..record.data.len() - 1]
}

#[test]
fn same_config_same_bytes_and_truth_other_seed_differs() {
    let mut config = GeneratorConfig::new(3_000, 2, 11, start());
    config.duplicate_rate = 0.05;
    config.bad_record_rate = 0.05;
    let a = run(config.clone());
    let b = run(config.clone());
    assert_eq!(a.batches, b.batches);
    assert_eq!(a.truth, b.truth);
    assert_eq!(a.truth.to_json_pretty(), b.truth.to_json_pretty());
    let c = run(GeneratorConfig { seed: 12, ..config });
    assert_ne!(a.batches, c.batches);
    assert_ne!(a.truth, c.truth);
}

#[test]
fn clean_events_do_not_depend_on_fault_rates() {
    let clean = run(GeneratorConfig::new(2_000, 1, 5, start()));
    let faulty = run(GeneratorConfig {
        duplicate_rate: 0.2,
        bad_record_rate: 0.3,
        ..GeneratorConfig::new(2_000, 1, 5, start())
    });
    let valid = |run: &Run| -> BTreeMap<Vec<u8>, i64> {
        records(run)
            .filter(|(_, batch, record)| {
                validate_record(line(record), batch.arrival_ts, &ValidationPolicy::default())
                    .is_ok()
            })
            .map(|(_, _, record)| (record.data.clone(), record.arrival_ts))
            .collect()
    };
    assert_eq!(valid(&clean), valid(&faulty));
    assert_eq!(clean.truth.rows_per_date, faulty.truth.rows_per_date);
    assert_eq!(clean.truth.records_sent, 2_000);
}

#[test]
fn exact_clean_count_and_consistent_truth() {
    let run = faulty();
    let truth = &run.truth;
    assert_eq!(truth.clean_events, 20_000);
    assert_eq!(truth.seed, 7);
    assert_eq!(truth.start_date, "2025-06-01");
    assert_eq!(truth.days, 3);
    let sent: usize = run.batches.iter().map(|batch| batch.records.len()).sum();
    assert_eq!(sent as u64, truth.records_sent);
    assert_eq!(
        truth.records_sent,
        truth.clean_events + truth.duplicates + truth.expected_quarantined_total()
    );
    assert_eq!(truth.rows_per_date.values().sum::<u64>(), 20_000);
    assert_eq!(truth.event_types.values().sum::<u64>(), 20_000);
    assert_eq!(truth.devices.values().sum::<u64>(), 20_000);
    assert_eq!(truth.countries.values().sum::<u64>(), 20_000);
    assert_eq!(truth.title_plays.values().sum::<u64>(), truth.sessions);
    assert_eq!(truth.event_types.get("PLAY_START"), Some(&truth.sessions));
    assert!(truth.duplicates > 300 && truth.duplicates < 900, "{}", truth.duplicates);
    assert!(truth.schema_drift_records > 100 && truth.schema_drift_records < 350);
    // Sessions start inside the window; events may spill into the following day.
    for date in truth.rows_per_date.keys() {
        assert!(("2025-06-01".."2025-06-05").contains(&date.as_str()), "{date}");
    }
    assert_eq!(run.outcomes.len(), sent);
}

#[test]
fn batches_respect_put_record_batch_limits_and_arrival_order() {
    let run = faulty();
    assert!(run.batches.len() > 40);
    let mut previous = i64::MIN;
    for batch in &run.batches {
        assert!(!batch.records.is_empty());
        assert!(batch.records.len() <= MAX_BATCH_RECORDS);
        assert!(batch.byte_len() <= MAX_BATCH_BYTES);
        let first = batch.records[0].arrival_ts;
        let max = batch.records.iter().map(|r| r.arrival_ts).max().unwrap();
        assert_eq!(batch.arrival_ts, max);
        assert!(max - first <= MAX_BATCH_SPAN_SECS);
        for record in &batch.records {
            assert!(record.arrival_ts >= previous, "arrivals never go back");
            previous = record.arrival_ts;
            assert!(record.data.len() < event_model::MAX_RECORD_BYTES);
            assert_eq!(record.data.iter().filter(|&&b| b == b'\n').count(), 1);
        }
    }
}

#[test]
fn batch_limits_split_batches_but_never_a_duplicate_pair() {
    for (max_records, max_bytes) in [(2, usize::MAX), (3, usize::MAX), (usize::MAX, 1_200)] {
        let mut config = GeneratorConfig::new(3_000, 1, 3, start());
        config.duplicate_rate = 0.3;
        config.bad_record_rate = 0.1;
        let mut generator = Generator::new(config).unwrap();
        generator.max_batch_records = max_records;
        generator.max_batch_bytes = max_bytes;
        let batches: Vec<Batch> = generator.by_ref().collect();
        assert!(batches
            .iter()
            .any(|b| b.records.len() == max_records.min(3) || b.byte_len() > 600));
        let mut location: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut pairs = 0;
        for (index, batch) in batches.iter().enumerate() {
            assert!(batch.records.len() <= max_records);
            assert!(batch.byte_len() <= max_bytes);
            for record in &batch.records {
                if let Some(previous) = location.insert(record.data.clone(), index) {
                    assert_eq!(previous, index);
                    pairs += 1;
                }
            }
        }
        assert_eq!(pairs, generator.truth().duplicates);
        assert_eq!(generator.truth().clean_events, 3_000);
    }
}

#[test]
fn every_record_validates_as_the_generator_says() {
    let run = faulty();
    let policy = ValidationPolicy::default();
    let mut quarantined: BTreeMap<String, u64> = BTreeMap::new();
    let mut valid_lines = 0u64;
    for ((_, batch, record), expected) in records(run).zip(&run.outcomes) {
        for slack in [0, 1, 30, 60] {
            let result = validate_record(line(record), batch.arrival_ts - slack, &policy);
            match (expected, &result) {
                (None, Ok(_)) => {}
                (Some(reason), Err(rejection)) => assert_eq!(rejection.reason, *reason),
                _ => panic!(
                    "expected {expected:?}, got {result:?} for {}",
                    String::from_utf8_lossy(&record.data)
                ),
            }
        }
        match expected {
            None => valid_lines += 1,
            Some(reason) => *quarantined.entry(reason.as_str().to_owned()).or_default() += 1,
        }
    }
    assert_eq!(valid_lines, run.truth.clean_events + run.truth.duplicates);
    assert_eq!(quarantined, run.truth.quarantined);
}

#[test]
fn every_injectable_reason_code_is_produced() {
    let truth = &faulty().truth;
    for reason in INJECTABLE {
        if reason == ReasonCode::OversizedRecord {
            assert!(truth.rejected_before_send.get(reason.as_str()).copied().unwrap_or(0) > 50);
            assert!(!truth.quarantined.contains_key(reason.as_str()));
        } else {
            let count = truth.quarantined.get(reason.as_str()).copied().unwrap_or(0);
            assert!(count > 100, "{reason}: {count}");
        }
    }
    let total =
        truth.expected_quarantined_total() + truth.rejected_before_send.values().sum::<u64>();
    assert!((1_700..2_300).contains(&total), "{total} bad records for 20k events at 10%");
}

#[test]
fn oversized_records_are_what_firehose_rejects() {
    let catalog_event = faulty()
        .batches
        .iter()
        .flat_map(|batch| &batch.records)
        .find_map(|record| {
            serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(line(record)).ok()
        })
        .unwrap();
    let mut rng = rng_for(1, Stream::Faults, 1);
    let data = bad_record(ReasonCode::OversizedRecord, catalog_event, 1_750_000_000, &mut rng);
    assert!(data.len() > event_model::MAX_RECORD_BYTES + 1);
    let rejection =
        validate_record(&data[..data.len() - 1], 1_750_000_000, &ValidationPolicy::default())
            .unwrap_err();
    assert_eq!(rejection.reason, ReasonCode::OversizedRecord);
}

#[test]
fn duplicates_are_byte_identical_and_share_the_batch() {
    let run = faulty();
    let mut seen: HashMap<&[u8], usize> = HashMap::new();
    let mut duplicates = 0;
    for ((batch_index, _, record), outcome) in records(run).zip(&run.outcomes) {
        if outcome.is_some() {
            continue;
        }
        if let Some(first_batch) = seen.insert(&record.data, batch_index) {
            assert_eq!(first_batch, batch_index, "a duplicate travels with its original");
            duplicates += 1;
        }
    }
    assert_eq!(duplicates, run.truth.duplicates);
    // Distinct valid event ids are exactly the clean events.
    let ids: HashSet<String> = records(run)
        .zip(&run.outcomes)
        .filter(|(_, outcome)| outcome.is_none())
        .map(|((_, batch, record), _)| {
            validate_record(line(record), batch.arrival_ts, &ValidationPolicy::default())
                .unwrap()
                .event
                .event_id
        })
        .collect();
    assert_eq!(ids.len() as u64, run.truth.clean_events);
}

#[test]
fn bad_records_never_shadow_valid_ones() {
    let run = faulty();
    let mut first_valid: HashMap<String, usize> = HashMap::new();
    let mut bad_ids: Vec<(String, usize)> = Vec::new();
    for (position, ((_, batch, record), outcome)) in records(run).zip(&run.outcomes).enumerate() {
        match outcome {
            None => {
                let event =
                    validate_record(line(record), batch.arrival_ts, &ValidationPolicy::default())
                        .unwrap()
                        .event;
                first_valid.entry(event.event_id).or_insert(position);
            }
            Some(_) => {
                if let Ok(value) = serde_json::from_slice::<serde_json::Value>(line(record)) {
                    if let Some(id) = value.get("event_id").and_then(|id| id.as_str()) {
                        bad_ids.push((id.to_owned(), position));
                    }
                }
            }
        }
    }
    let mut shadows = 0;
    for (id, position) in bad_ids {
        if let Some(valid_position) = first_valid.get(&id) {
            assert!(position < *valid_position, "a bad record sharing an id comes first");
            shadows += 1;
        }
    }
    assert!(shadows > 300, "{shadows} bad records reuse a clean event id");
}

#[test]
fn sessions_are_well_formed_on_the_wire() {
    let run = faulty();
    let mut sessions: HashMap<String, Vec<event_model::ValidEvent>> = HashMap::new();
    let mut casing = 0;
    let mut late = 0;
    for ((_, batch, record), outcome) in records(run).zip(&run.outcomes) {
        if outcome.is_some() {
            continue;
        }
        let valid =
            validate_record(line(record), batch.arrival_ts, &ValidationPolicy::default()).unwrap();
        let lag = record.arrival_ts - valid.event.event_ts;
        assert!((0..=MAX_LAG_SECS).contains(&lag));
        late += usize::from(lag > 600);
        let text = std::str::from_utf8(&record.data).unwrap();
        casing += usize::from(
            !text.contains(&format!("\"{}\"", valid.event.event_type.as_str()))
                || !text.contains(&format!("\"{}\"", valid.event.device_type.as_str()))
                || !text.contains(&format!("\"country\":\"{}\"", valid.event.country)),
        );
        sessions.entry(valid.event.session_id.clone()).or_default().push(valid.event);
    }
    assert!(late > 100, "{late} events arrive more than 10 minutes late");
    assert!(casing > 200, "{casing} events use a non-canonical spelling");
    assert_eq!(sessions.len() as u64, run.truth.sessions);
    let mut unterminated = 0;
    for events in sessions.values_mut() {
        events.sort_by_key(|event| event.event_id.clone());
        events.dedup_by(|a, b| a.event_id == b.event_id);
        let starts: Vec<_> =
            events.iter().filter(|event| event.event_type == EventType::PlayStart).collect();
        assert_eq!(starts.len(), 1);
        let min_ts = events.iter().map(|event| event.event_ts).min().unwrap();
        let max_ts = events.iter().map(|event| event.event_ts).max().unwrap();
        assert_eq!(starts[0].event_ts, min_ts);
        let terminals: Vec<_> = events
            .iter()
            .filter(|event| {
                matches!(event.event_type, EventType::PlayStop | EventType::PlaybackError)
            })
            .collect();
        assert!(terminals.len() <= 1);
        match terminals.first() {
            Some(terminal) => assert_eq!(terminal.event_ts, max_ts),
            None => unterminated += 1,
        }
        let first = &events[0];
        for event in events.iter() {
            assert_eq!(event.user_id, first.user_id);
            assert_eq!(event.title_id, first.title_id);
            assert_eq!(event.device_type, first.device_type);
            assert!(event.position_ms.is_some());
            assert!(event.profile_id.starts_with(&event.user_id));
        }
        // Heartbeats: positions 60 s apart unless a seek happened.
        let seeks = events.iter().any(|event| event.event_type == EventType::Seek);
        if !seeks {
            let mut heartbeats: Vec<i64> = events
                .iter()
                .filter(|event| event.event_type == EventType::Heartbeat)
                .filter_map(|event| event.position_ms)
                .collect();
            heartbeats.sort_unstable();
            for pair in heartbeats.windows(2) {
                assert_eq!(pair[1] - pair[0], 60_000);
            }
        }
    }
    assert!(unterminated <= 1, "only the truncated last session may lack an end");
}

#[test]
fn titles_are_zipf_popular() {
    let run = faulty();
    let generator = Generator::new(run.config.clone()).unwrap();
    assert!(generator.titles().len() >= 500);
    let ids: HashSet<&str> = generator.titles().iter().map(|t| t.title_id.as_str()).collect();
    assert!(run.truth.title_plays.keys().all(|id| ids.contains(id.as_str())));
    let mut plays: Vec<u64> = generator
        .titles()
        .iter()
        .map(|title| run.truth.title_plays.get(&title.title_id).copied().unwrap_or(0))
        .collect();
    plays.sort_unstable_by(|a, b| b.cmp(a));
    let top = plays[0];
    let median = plays[plays.len() / 2];
    assert!(top >= 20 && top > 10 * median.max(1), "top {top}, median {median}");
}

#[test]
fn evenings_are_busier_than_nights_in_local_time() {
    let run = faulty();
    let offsets: HashMap<&str, i64> =
        COUNTRIES.iter().map(|c| (c.code, i64::from(c.utc_offset_min) * 60)).collect();
    let mut by_hour = [0u32; 24];
    for ((_, batch, record), outcome) in records(run).zip(&run.outcomes) {
        if outcome.is_some() {
            continue;
        }
        let event = validate_record(line(record), batch.arrival_ts, &ValidationPolicy::default())
            .unwrap()
            .event;
        if event.event_type == EventType::PlayStart {
            let local = event.event_ts + offsets[event.country];
            by_hour[local.rem_euclid(86_400) as usize / 3600] += 1;
        }
    }
    let evening: u32 = by_hour[20..23].iter().sum();
    let night: u32 = by_hour[3..6].iter().sum();
    assert!(evening > 5 * night.max(1), "evening {evening}, night {night}: {by_hour:?}");
}

#[test]
fn schema_drift_matches_truth() {
    let run = faulty();
    let mut drifted = HashSet::new();
    for ((_, batch, record), outcome) in records(run).zip(&run.outcomes) {
        if outcome.is_none() {
            let valid =
                validate_record(line(record), batch.arrival_ts, &ValidationPolicy::default())
                    .unwrap();
            if !valid.unknown_fields.is_empty() {
                drifted.insert(valid.event.event_id);
            }
        }
    }
    assert_eq!(drifted.len() as u64, run.truth.schema_drift_records);
}

#[test]
fn generation_is_lazy() {
    let mut generator = Generator::new(GeneratorConfig::new(20_000, 3, 1, start())).unwrap();
    let first = generator.next_batch().unwrap();
    assert!(!first.records.is_empty());
    assert!(generator.next_header * 4 < generator.headers.len(), "only early sessions simulated");
    let (emitted, total) = generator.progress();
    assert!(emitted > 0 && emitted < total);
    assert_eq!(generator.truth().clean_events, 0, "truth is filled as sessions are simulated");
}

#[test]
fn zero_events_and_bad_configs() {
    let empty = run(GeneratorConfig::new(0, 1, 1, start()));
    assert!(empty.batches.is_empty());
    assert_eq!(empty.truth.clean_events, 0);
    assert_eq!(empty.truth.sessions, 0);
    let error = Generator::new(GeneratorConfig {
        title_count: 10,
        ..GeneratorConfig::new(1, 1, 1, start())
    })
    .unwrap_err();
    assert!(matches!(error, Error::InvalidConfig(_)));
    assert!(Generator::new(GeneratorConfig::new(1, 0, 1, start())).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_for_any_small_config(
        events in 0u64..1_500,
        days in 1u32..4,
        seed in any::<u64>(),
        duplicate_rate in 0.0f64..0.5,
        bad_record_rate in 0.0f64..0.5,
    ) {
        let config = GeneratorConfig {
            duplicate_rate,
            bad_record_rate,
            ..GeneratorConfig::new(events, days, seed, start())
        };
        let run = run(config);
        let sent: usize = run.batches.iter().map(|batch| batch.records.len()).sum();
        prop_assert_eq!(run.truth.clean_events, events);
        prop_assert_eq!(sent as u64, run.truth.records_sent);
        let mut previous = i64::MIN;
        for batch in &run.batches {
            prop_assert!(batch.records.len() <= MAX_BATCH_RECORDS);
            prop_assert!(batch.byte_len() <= MAX_BATCH_BYTES);
            prop_assert!(batch.arrival_ts >= previous);
            previous = batch.arrival_ts;
        }
        let valid = records(&run)
            .filter(|(_, batch, record)| {
                validate_record(line(record), batch.arrival_ts - 60, &ValidationPolicy::default()).is_ok()
            })
            .count() as u64;
        prop_assert_eq!(valid, events + run.truth.duplicates);
    }
}
