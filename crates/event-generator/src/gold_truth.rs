//! The gold layer's ground truth, computed from the simulated sessions, never through SQL:
//! what `sql/gold/` must produce from a lake built from this run.
//!
//! It implements the watch-time definition of `docs/data_model.md` on its own:
//!
//! - a session's events are ordered by `(event_ts, tie rank, event_id)`, with the tie ranks
//!   PLAY_START 0; RESUME, REBUFFER_END, SEEK, HEARTBEAT 1; PAUSE, REBUFFER_START 2; PLAY_STOP,
//!   PLAYBACK_ERROR 3;
//! - each event opens the interval up to the session's next event: playing time after
//!   PLAY_START, RESUME, REBUFFER_END, SEEK or HEARTBEAT (at most [`MAX_PLAYING_GAP_S`]),
//!   rebuffering time after REBUFFER_START (at most [`MAX_REBUFFER_GAP_S`]), nothing otherwise;
//!   the interval counts on the UTC day of the event that opens it;
//! - a session belongs to the day, country and device of its first event; its time to first
//!   heartbeat is its first HEARTBEAT minus its first event; percentiles are nearest-rank.

use std::collections::{BTreeMap, BTreeSet};

use event_model::{EventType, Title};
use serde::{Deserialize, Serialize};

/// The longest interval counted as playing time, in seconds (two heartbeat periods).
pub const MAX_PLAYING_GAP_S: i64 = 120;
/// The longest interval counted as rebuffering time, in seconds.
pub const MAX_REBUFFER_GAP_S: i64 = 600;

/// The order of events that share a second: starts first, then playback, then stalls, then
/// ends.
pub fn tie_rank(kind: EventType) -> u8 {
    match kind {
        EventType::PlayStart => 0,
        EventType::Pause | EventType::RebufferStart => 2,
        EventType::PlayStop | EventType::PlaybackError => 3,
        _ => 1,
    }
}

/// Whether the interval an event opens is playing time.
pub fn opens_playing(kind: EventType) -> bool {
    matches!(
        kind,
        EventType::PlayStart
            | EventType::Resume
            | EventType::RebufferEnd
            | EventType::Seek
            | EventType::Heartbeat
    )
}

/// One clean event of a session, as silver will hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionEvent {
    /// Epoch seconds.
    pub event_ts: i64,
    /// Event type.
    pub kind: EventType,
    /// The event's id (the last tie-breaker).
    pub event_id: String,
}

/// Who watched: the fields constant over a generated session.
#[derive(Debug, Clone, Copy)]
pub struct SessionSubject<'a> {
    /// Index of the title in the catalog.
    pub title: usize,
    /// The profile id.
    pub profile_id: &'a str,
    /// Upper-case country code.
    pub country: &'static str,
    /// Canonical device type.
    pub device_type: &'static str,
}

/// `daily_title_engagement` rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TitleDay {
    /// Title id.
    pub title_id: String,
    /// Title name.
    pub title_name: Option<String>,
    /// PLAY_START events.
    pub plays: u64,
    /// Playing hours.
    pub hours_viewed: f64,
    /// Playing hours over runtime hours.
    pub views: Option<f64>,
    /// Distinct profiles with an event of the title that day.
    pub unique_profiles: u64,
    /// The day.
    pub event_date: String,
}

/// `daily_engagement_by_country_device` rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountryDeviceDay {
    /// Country code.
    pub country: String,
    /// Device type.
    pub device_type: String,
    /// PLAY_START events.
    pub plays: u64,
    /// Sessions whose first event falls on the day.
    pub sessions: u64,
    /// Playing hours.
    pub hours_viewed: f64,
    /// The day.
    pub event_date: String,
}

/// `daily_playback_quality` rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityDay {
    /// Country code.
    pub country: String,
    /// Device type.
    pub device_type: String,
    /// Sessions whose first event falls on the day.
    pub sessions: u64,
    /// Playing hours.
    pub playing_hours: f64,
    /// Rebuffering hours.
    pub rebuffer_hours: f64,
    /// Rebuffering over playing time; `None` without playing time.
    pub rebuffer_ratio: Option<f64>,
    /// Sessions with a PLAYBACK_ERROR.
    pub error_sessions: u64,
    /// Error sessions per 1,000 sessions; `None` without sessions.
    pub error_sessions_per_1000: Option<f64>,
    /// Nearest-rank median time to first heartbeat, seconds.
    pub ttfh_median_s: Option<i64>,
    /// Nearest-rank 95th percentile time to first heartbeat, seconds.
    pub ttfh_p95_s: Option<i64>,
    /// The day.
    pub event_date: String,
}

/// `daily_ttfh_distribution` rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TtfhBucket {
    /// Country code.
    pub country: String,
    /// Device type.
    pub device_type: String,
    /// Time to first heartbeat, whole seconds.
    pub ttfh_s: i64,
    /// Sessions.
    pub sessions: u64,
    /// The day.
    pub event_date: String,
}

/// `daily_event_types` rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventTypeDay {
    /// Event type.
    pub event_type: String,
    /// Silver rows.
    pub events: u64,
    /// The day.
    pub event_date: String,
}

/// The expected gold tables computed from silver, each sorted by its partition column and
/// then its key columns (the order of `sql/gold/`'s `ORDER BY`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GoldTruth {
    /// `daily_title_engagement`.
    pub daily_title_engagement: Vec<TitleDay>,
    /// `daily_engagement_by_country_device`.
    pub daily_engagement_by_country_device: Vec<CountryDeviceDay>,
    /// `daily_playback_quality`.
    pub daily_playback_quality: Vec<QualityDay>,
    /// `daily_ttfh_distribution`.
    pub daily_ttfh_distribution: Vec<TtfhBucket>,
    /// `daily_event_types`.
    pub daily_event_types: Vec<EventTypeDay>,
}

#[derive(Debug, Clone, Default)]
struct TitleAcc {
    plays: u64,
    playing_s: i64,
    profiles: BTreeSet<String>,
}

#[derive(Debug, Clone, Default)]
struct GroupAcc {
    plays: u64,
    sessions: u64,
    playing_s: i64,
    rebuffer_s: i64,
    error_sessions: u64,
    ttfh: Vec<i64>,
}

type GroupKey = (i64, &'static str, &'static str);

/// Accumulates sessions as they are simulated.
#[derive(Debug, Clone, Default)]
pub struct GoldTally {
    titles: BTreeMap<(i64, usize), TitleAcc>,
    groups: BTreeMap<GroupKey, GroupAcc>,
    event_types: BTreeMap<(i64, &'static str), u64>,
}

fn day_of(event_ts: i64) -> i64 {
    event_ts.div_euclid(86_400)
}

fn date(day: i64) -> String {
    event_model::utc_date(day * 86_400).unwrap_or_default()
}

/// The nearest-rank percentile `rank(n)` (1-based) of sorted values.
fn nearest_rank(sorted: &[i64], rank: usize) -> Option<i64> {
    rank.checked_sub(1).and_then(|index| sorted.get(index)).copied()
}

impl GoldTally {
    /// Adds one session: its clean events (any order) and who watched.
    pub fn session(&mut self, subject: SessionSubject<'_>, events: &mut [SessionEvent]) {
        events.sort_by(|a, b| {
            (a.event_ts, tie_rank(a.kind), &a.event_id).cmp(&(
                b.event_ts,
                tie_rank(b.kind),
                &b.event_id,
            ))
        });
        let Some(first) = events.first() else { return };
        let key = |day: i64| (day, subject.country, subject.device_type);
        for (i, event) in events.iter().enumerate() {
            let day = day_of(event.event_ts);
            let gap = events.get(i + 1).map(|next| next.event_ts - event.event_ts);
            let playing = match gap {
                Some(gap) if opens_playing(event.kind) => gap.min(MAX_PLAYING_GAP_S),
                _ => 0,
            };
            let rebuffer = match gap {
                Some(gap) if event.kind == EventType::RebufferStart => gap.min(MAX_REBUFFER_GAP_S),
                _ => 0,
            };
            let play_start = u64::from(event.kind == EventType::PlayStart);
            let title = self.titles.entry((day, subject.title)).or_default();
            title.plays += play_start;
            title.playing_s += playing;
            if !title.profiles.contains(subject.profile_id) {
                title.profiles.insert(subject.profile_id.to_owned());
            }
            let group = self.groups.entry(key(day)).or_default();
            group.plays += play_start;
            group.playing_s += playing;
            group.rebuffer_s += rebuffer;
            *self.event_types.entry((day, event.kind.as_str())).or_default() += 1;
        }
        let group = self.groups.entry(key(day_of(first.event_ts))).or_default();
        group.sessions += 1;
        group.error_sessions +=
            u64::from(events.iter().any(|event| event.kind == EventType::PlaybackError));
        if let Some(heartbeat) = events.iter().find(|event| event.kind == EventType::Heartbeat) {
            group.ttfh.push(heartbeat.event_ts - first.event_ts);
        }
    }

    /// The expected gold tables; `titles` is the catalog the title indexes refer to.
    pub fn to_truth(&self, titles: &[Title]) -> GoldTruth {
        let hours = |seconds: i64| seconds as f64 / 3600.0;
        let mut truth = GoldTruth::default();
        // Sorted by (day, title_id): title indexes do not sort like ids.
        let mut title_rows: Vec<(i64, TitleDay)> = self
            .titles
            .iter()
            .map(|((day, index), acc)| {
                let title = titles.get(*index);
                let row = TitleDay {
                    title_id: title.map(|t| t.title_id.clone()).unwrap_or_default(),
                    title_name: title.map(|t| t.title_name.clone()),
                    plays: acc.plays,
                    hours_viewed: hours(acc.playing_s),
                    views: title
                        .map(|t| acc.playing_s as f64 / (60 * i64::from(t.runtime_minutes)) as f64),
                    unique_profiles: acc.profiles.len() as u64,
                    event_date: date(*day),
                };
                (*day, row)
            })
            .collect();
        title_rows.sort_by(|a, b| (a.0, &a.1.title_id).cmp(&(b.0, &b.1.title_id)));
        truth.daily_title_engagement = title_rows.into_iter().map(|(_, row)| row).collect();
        for ((day, country, device), acc) in &self.groups {
            let event_date = date(*day);
            truth.daily_engagement_by_country_device.push(CountryDeviceDay {
                country: (*country).to_owned(),
                device_type: (*device).to_owned(),
                plays: acc.plays,
                sessions: acc.sessions,
                hours_viewed: hours(acc.playing_s),
                event_date: event_date.clone(),
            });
            let mut ttfh = acc.ttfh.clone();
            ttfh.sort_unstable();
            let n = ttfh.len();
            truth.daily_playback_quality.push(QualityDay {
                country: (*country).to_owned(),
                device_type: (*device).to_owned(),
                sessions: acc.sessions,
                playing_hours: hours(acc.playing_s),
                rebuffer_hours: hours(acc.rebuffer_s),
                rebuffer_ratio: (acc.playing_s > 0)
                    .then(|| acc.rebuffer_s as f64 / acc.playing_s as f64),
                error_sessions: acc.error_sessions,
                error_sessions_per_1000: (acc.sessions > 0)
                    .then(|| (1000 * acc.error_sessions) as f64 / acc.sessions as f64),
                ttfh_median_s: nearest_rank(&ttfh, n.div_ceil(2)),
                ttfh_p95_s: nearest_rank(&ttfh, (95 * n).div_ceil(100)),
                event_date: event_date.clone(),
            });
            let mut buckets: BTreeMap<i64, u64> = BTreeMap::new();
            for seconds in ttfh {
                *buckets.entry(seconds).or_default() += 1;
            }
            truth.daily_ttfh_distribution.extend(buckets.into_iter().map(|(ttfh_s, sessions)| {
                TtfhBucket {
                    country: (*country).to_owned(),
                    device_type: (*device).to_owned(),
                    ttfh_s,
                    sessions,
                    event_date: event_date.clone(),
                }
            }));
        }
        truth.daily_event_types = self
            .event_types
            .iter()
            .map(|((day, kind), events)| EventTypeDay {
                event_type: (*kind).to_owned(),
                events: *events,
                event_date: date(*day),
            })
            .collect();
        truth
    }
}

#[cfg(test)]
mod tests {
    use event_model::ContentType;

    use super::*;

    fn event(event_ts: i64, kind: EventType, id: &str) -> SessionEvent {
        SessionEvent { event_ts, kind, event_id: id.to_owned() }
    }

    fn title() -> Title {
        Title {
            title_id: "tt1".into(),
            title_name: "One".into(),
            genre: "Drama".into(),
            content_type: ContentType::Movie,
            runtime_minutes: 90,
            release_year: 2020,
        }
    }

    /// A session worked by hand: it crosses midnight, has ties, a pause, a rebuffer, a gap
    /// longer than the cap and no PLAY_STOP.
    #[test]
    fn watch_time_follows_the_definition() {
        let midnight = 20_000 * 86_400;
        let start = midnight - 100;
        // Shuffled on purpose: the tally orders them.
        let mut events = vec![
            event(start + 150, EventType::Pause, "e5"),
            event(start, EventType::PlayStart, "e1"),
            event(start + 90, EventType::Heartbeat, "e3"),
            event(start + 90, EventType::RebufferStart, "e4"),
            event(start + 60, EventType::Seek, "e2"),
            event(start + 95, EventType::RebufferEnd, "e4b"),
            event(start + 150, EventType::Heartbeat, "e4c"),
            event(start + 400, EventType::Resume, "e6"),
            event(start + 1_000, EventType::Heartbeat, "e7"),
        ];
        let mut tally = GoldTally::default();
        let subject =
            SessionSubject { title: 0, profile_id: "p1", country: "US", device_type: "TV" };
        tally.session(subject, &mut events);
        let truth = tally.to_truth(&[title()]);
        // Day 1 (midnight is at +100): PLAY_START→SEEK 60 s, SEEK→HEARTBEAT 30 s, HEARTBEAT
        // and REBUFFER_START tie at +90 (the rebuffer ranks after: 0 s), REBUFFER_START→END
        // 5 s of rebuffering, REBUFFER_END(+95)→HEARTBEAT(+150) 55 s, all opened before
        // midnight: 145 s. Day 2: HEARTBEAT and PAUSE tie at +150 (0 s), PAUSE→RESUME is not
        // playing, RESUME→HEARTBEAT(+1000) 600 s capped at 120 s; the last event opens nothing.
        let days: Vec<(&str, f64)> = truth
            .daily_title_engagement
            .iter()
            .map(|row| (row.event_date.as_str(), row.hours_viewed))
            .collect();
        assert_eq!(days, [("2024-10-03", 145.0 / 3600.0), ("2024-10-04", 120.0 / 3600.0)]);
        let quality = &truth.daily_playback_quality;
        assert_eq!(quality.len(), 2);
        assert_eq!(quality[0].sessions, 1);
        assert_eq!(quality[0].rebuffer_hours, 5.0 / 3600.0);
        assert_eq!(quality[0].rebuffer_ratio, Some(5.0 / 145.0));
        assert_eq!(quality[0].ttfh_median_s, Some(90));
        assert_eq!(quality[1].sessions, 0);
        assert_eq!(quality[1].error_sessions_per_1000, None);
        assert_eq!(quality[1].ttfh_median_s, None);
        assert_eq!(truth.daily_title_engagement[0].plays, 1);
        assert_eq!(truth.daily_title_engagement[1].plays, 0);
        assert_eq!(truth.daily_title_engagement[0].views, Some(145.0 / 5400.0));
        assert_eq!(truth.daily_ttfh_distribution.len(), 1);
        let types: u64 = truth.daily_event_types.iter().map(|row| row.events).sum();
        assert_eq!(types, 9);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut tally = GoldTally::default();
        for (i, ttfh) in [5, 1, 4, 2, 3, 100].into_iter().enumerate() {
            let id = format!("s{i}");
            let mut events = vec![
                event(1_000, EventType::PlayStart, "a"),
                event(1_000 + ttfh, EventType::Heartbeat, "b"),
                event(1_000 + ttfh + 1, EventType::PlaybackError, "c"),
            ];
            let subject =
                SessionSubject { title: 0, profile_id: &id, country: "BR", device_type: "WEB" };
            tally.session(subject, &mut events);
        }
        let truth = tally.to_truth(&[title()]);
        let row = &truth.daily_playback_quality[0];
        // n = 6: median rank 3 of [1,2,3,4,5,100], p95 rank ceil(5.7) = 6.
        assert_eq!((row.ttfh_median_s, row.ttfh_p95_s), (Some(3), Some(100)));
        assert_eq!(row.error_sessions_per_1000, Some(1000.0));
        assert_eq!(truth.daily_title_engagement[0].unique_profiles, 6);
        assert_eq!(truth.daily_ttfh_distribution.len(), 6);
    }
}
