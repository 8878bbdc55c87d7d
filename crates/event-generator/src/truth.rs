//! Ground truth: what the generator produced, counted as it produced it (never by re-parsing
//! records), in the shape the pipeline's outputs can be checked against.

use std::collections::BTreeMap;

use event_model::{DeviceType, EventType, ReasonCode, Title};
use serde::{Deserialize, Serialize};

use crate::gold_truth::{GoldTally, GoldTruth};

/// Exact expected counts for one generator run. Maps are `BTreeMap`s so the JSON is
/// deterministic; they hold only non-zero counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroundTruth {
    /// The run's seed.
    pub seed: u64,
    /// First day of the session window, `YYYY-MM-DD`.
    pub start_date: String,
    /// Length of the session window in days.
    pub days: u32,
    /// Playback sessions that produced at least one event.
    pub sessions: u64,
    /// Distinct valid events: the rows expected in silver.
    pub clean_events: u64,
    /// Records put into batches: clean events, their duplicates and the bad records that
    /// Firehose accepts.
    pub records_sent: u64,
    /// Byte-identical re-sends of clean events in the same batch: the expected
    /// `duplicates_dropped` of the object ledgers.
    pub duplicates: u64,
    /// Clean events re-sent minutes later, into a later raw object: removed by compaction
    /// (cross-object duplicates), or by the transformer when both copies share an object.
    #[serde(default)]
    pub resends: u64,
    /// Clean events per UTC date of `event_ts` (`YYYY-MM-DD`): the rows per silver partition.
    pub rows_per_date: BTreeMap<String, u64>,
    /// Clean events per canonical (upper-case) event type.
    pub event_types: BTreeMap<String, u64>,
    /// Clean events per canonical device type.
    pub devices: BTreeMap<String, u64>,
    /// Clean events per upper-case country code.
    pub countries: BTreeMap<String, u64>,
    /// `PLAY_START` events per `title_id`.
    pub title_plays: BTreeMap<String, u64>,
    /// Expected quarantine rows per reason code.
    pub quarantined: BTreeMap<String, u64>,
    /// Bad records that never reach Firehose, per reason code (Firehose rejects records over
    /// 1,000 KiB at `PutRecordBatch`, so `OVERSIZED_RECORD` records are counted here).
    pub rejected_before_send: BTreeMap<String, u64>,
    /// Clean events carrying a field outside the contract (schema drift), counted once per
    /// distinct event (duplicates not included).
    pub schema_drift_records: u64,
    /// The expected gold tables computed from silver (`sql/gold/`), by the watch-time
    /// definition of `docs/data_model.md`.
    pub gold: GoldTruth,
}

impl GroundTruth {
    /// The expected number of quarantine rows: the sum of [`GroundTruth::quarantined`].
    pub fn expected_quarantined_total(&self) -> u64 {
        self.quarantined.values().sum()
    }

    /// Pretty-printed JSON, with a deterministic key order.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self)
            .unwrap_or_else(|error| format!("{{\"error\":\"{error}\"}}"))
    }
}

/// Counters kept while generating; cheap to update per event, turned into a [`GroundTruth`]
/// at the end.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tally {
    pub(crate) sessions: u64,
    pub(crate) clean_events: u64,
    pub(crate) records_sent: u64,
    pub(crate) duplicates: u64,
    pub(crate) resends: u64,
    pub(crate) rows_per_day: BTreeMap<i64, u64>,
    pub(crate) event_types: [u64; 9],
    pub(crate) devices: [u64; 5],
    pub(crate) countries: BTreeMap<&'static str, u64>,
    /// PLAY_STARTs per title index.
    pub(crate) title_plays: Vec<u64>,
    pub(crate) quarantined: BTreeMap<ReasonCode, u64>,
    pub(crate) rejected_before_send: BTreeMap<ReasonCode, u64>,
    pub(crate) schema_drift_records: u64,
    pub(crate) gold: GoldTally,
}

impl Tally {
    /// Counts one clean event.
    pub(crate) fn clean(
        &mut self,
        kind: EventType,
        event_ts: i64,
        device: DeviceType,
        country: &'static str,
        title: usize,
    ) {
        self.clean_events += 1;
        self.records_sent += 1;
        *self.rows_per_day.entry(event_ts.div_euclid(86_400)).or_default() += 1;
        if let Some(slot) = EventType::ALL.iter().position(|known| *known == kind) {
            self.event_types[slot] += 1;
        }
        if let Some(slot) = DeviceType::ALL.iter().position(|known| *known == device) {
            self.devices[slot] += 1;
        }
        *self.countries.entry(country).or_default() += 1;
        if kind == EventType::PlayStart {
            if let Some(plays) = self.title_plays.get_mut(title) {
                *plays += 1;
            }
        }
    }

    /// Counts one injected bad record.
    pub(crate) fn bad(&mut self, reason: ReasonCode) {
        if reason == ReasonCode::OversizedRecord {
            *self.rejected_before_send.entry(reason).or_default() += 1;
        } else {
            self.records_sent += 1;
            *self.quarantined.entry(reason).or_default() += 1;
        }
    }

    /// The final truth.
    pub(crate) fn to_truth(
        &self,
        seed: u64,
        start_date: String,
        days: u32,
        titles: &[Title],
    ) -> GroundTruth {
        let named = |map: &BTreeMap<ReasonCode, u64>| {
            map.iter().map(|(code, count)| (code.as_str().to_owned(), *count)).collect()
        };
        let nonzero = |names: &mut dyn Iterator<Item = (&str, u64)>| {
            names
                .filter(|(_, count)| *count > 0)
                .map(|(name, count)| (name.to_owned(), count))
                .collect()
        };
        GroundTruth {
            seed,
            start_date,
            days,
            sessions: self.sessions,
            clean_events: self.clean_events,
            records_sent: self.records_sent,
            duplicates: self.duplicates,
            resends: self.resends,
            rows_per_date: self
                .rows_per_day
                .iter()
                .map(|(day, count)| {
                    (event_model::utc_date(day * 86_400).unwrap_or_default(), *count)
                })
                .collect(),
            event_types: nonzero(
                &mut EventType::ALL.iter().map(|t| t.as_str()).zip(self.event_types),
            ),
            devices: nonzero(&mut DeviceType::ALL.iter().map(|d| d.as_str()).zip(self.devices)),
            countries: nonzero(&mut self.countries.iter().map(|(code, count)| (*code, *count))),
            title_plays: nonzero(
                &mut titles
                    .iter()
                    .map(|title| title.title_id.as_str())
                    .zip(self.title_plays.iter().copied()),
            ),
            quarantined: named(&self.quarantined),
            rejected_before_send: named(&self.rejected_before_send),
            schema_drift_records: self.schema_drift_records,
            gold: self.gold.to_truth(titles),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truth_round_trips_through_json() {
        let mut tally = Tally { title_plays: vec![0; 2], ..Tally::default() };
        tally.clean(EventType::PlayStart, 86_400 * 3 + 5, DeviceType::Tv, "US", 1);
        tally.clean(EventType::Heartbeat, 86_400 * 4, DeviceType::Mobile, "BR", 1);
        tally.bad(ReasonCode::TooOld);
        tally.bad(ReasonCode::OversizedRecord);
        let title = |id: &str| Title {
            title_id: id.into(),
            title_name: id.to_uppercase(),
            genre: "Drama".into(),
            content_type: event_model::ContentType::Movie,
            runtime_minutes: 100,
            release_year: 2001,
        };
        let truth = tally.to_truth(7, "1970-01-04".into(), 2, &[title("tt1"), title("tt2")]);
        assert_eq!(truth.records_sent, 3);
        assert_eq!(truth.expected_quarantined_total(), 1);
        assert_eq!(truth.rows_per_date.get("1970-01-04"), Some(&1));
        assert_eq!(truth.rows_per_date.get("1970-01-05"), Some(&1));
        assert_eq!(truth.title_plays.len(), 1);
        assert_eq!(truth.title_plays.get("tt2"), Some(&1));
        assert_eq!(truth.rejected_before_send.get("OVERSIZED_RECORD"), Some(&1));
        assert_eq!(truth.event_types.get("PLAY_START"), Some(&1));
        let json = truth.to_json_pretty();
        let back: GroundTruth = serde_json::from_str(&json).unwrap();
        assert_eq!(back, truth);
    }
}
