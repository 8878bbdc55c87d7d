//! The generator: lazily simulates sessions in start order and delivers their records in
//! arrival order, grouped into `PutRecordBatch`-sized batches.
//!
//! `Generator::new` draws every session *header* (small) and sorts them by start time. Sessions
//! are then simulated one at a time, in start order, and their events wait in a queue ordered
//! by `(arrival_ts, queue order)`. A record is released once its arrival is no later than the
//! start of the next session not yet simulated: that session, and every later one, can only
//! produce later arrivals (arrival ≥ event time ≥ session start). Memory therefore grows with
//! the number of sessions (headers) and with the records in flight, never with the number of
//! events.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::sync::Arc;

use event_model::{EventType, ReasonCode, Title};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::catalog::Catalog;
use crate::config::GeneratorConfig;
use crate::error::Result;
use crate::faults::{bad_record, INJECTABLE};
use crate::gold_truth::{SessionEvent, SessionSubject};
use crate::ids::{event_id, profile_id, rng_for, session_id, Stream, BAD_SEQ_BASE};
use crate::population::{Population, COUNTRIES};
use crate::render::{optional, Casing, CleanEvent, SessionCtx, DRIFT_FIELDS};
use crate::session::{draw_header, simulate, SessionHeader};
use crate::truth::{GroundTruth, Tally};

/// At most this many records go into one batch (the `PutRecordBatch` limit).
pub const MAX_BATCH_RECORDS: usize = 500;
/// At most this many bytes (sum of record sizes) go into one batch (the `PutRecordBatch`
/// limit, 4 MiB).
pub const MAX_BATCH_BYTES: usize = 4 * 1024 * 1024;
/// A batch spans at most this many seconds of arrival time (first to last record).
pub const MAX_BATCH_SPAN_SECS: i64 = 1;
/// The longest delivery lag of a clean event (offline downloads): 3 days.
pub const MAX_LAG_SECS: i64 = 3 * 86_400;

/// How much later a producer re-sends an event (seconds): always past a 60 s Firehose buffer
/// interval, so the copy lands in a later object than the original.
const RESEND_DELAY_SECS: std::ops::RangeInclusive<i64> = 120..=900;
/// Share of bad records that reuse the `event_id` of a clean event and are sent before it.
const SHADOW_SHARE: f64 = 0.35;
/// Share of clean events with a non-canonical (lower/mixed-case) enum spelling.
const CASING_SHARE: f64 = 0.02;
/// Share of clean events carrying an unknown field.
const DRIFT_SHARE: f64 = 0.01;

/// One record as a client sends it to Firehose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// One JSON object and a trailing `\n` (an NDJSON line); for malformed records, whatever
    /// bytes the broken client sent, still ending in `\n`.
    pub data: Vec<u8>,
    /// Simulated epoch seconds at which the record reaches Firehose.
    pub arrival_ts: i64,
}

/// One `PutRecordBatch` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// The call time: the latest `arrival_ts` of its records.
    pub arrival_ts: i64,
    /// At most [`MAX_BATCH_RECORDS`] records of at most [`MAX_BATCH_BYTES`] in total.
    pub records: Vec<Record>,
}

impl Batch {
    /// Sum of the record sizes, in bytes.
    pub fn byte_len(&self) -> usize {
        self.records.iter().map(|record| record.data.len()).sum()
    }
}

/// What waits in the delivery queue.
enum Payload {
    /// A clean event, and whether a byte-identical duplicate follows it.
    Clean { event: Box<CleanEvent>, duplicate: bool },
    /// A bad record, already rendered.
    Bad { data: Vec<u8>, reason: ReasonCode },
    /// A clean event sent again later by the producer (a retry after a lost acknowledgement),
    /// so that it lands in a different Firehose object.
    Resend { event: Box<CleanEvent> },
}

/// Records released from the queue that must travel in the same batch (an original and its
/// duplicate).
struct Unit {
    arrival_ts: i64,
    records: Vec<Record>,
    bytes: usize,
    clean: bool,
    #[cfg_attr(not(test), allow(dead_code))]
    reason: Option<ReasonCode>,
}

/// The synthetic playback fleet. Iterate it (or call [`Generator::next_batch`]) to get the
/// batches in non-decreasing arrival order; [`Generator::truth`] then holds the exact ground
/// truth.
pub struct Generator {
    config: GeneratorConfig,
    catalog: Catalog,
    population: Population,
    /// Every session header, sorted by `(start_ts, index)`.
    headers: Vec<SessionHeader>,
    /// The next header to simulate.
    next_header: usize,
    /// Clean events still to simulate.
    to_simulate: u64,
    /// Records waiting for delivery, bucketed by arrival second, each bucket in the order the
    /// records were queued.
    queue: BTreeMap<i64, Vec<Payload>>,
    /// Records released from `queue`, in delivery order.
    ready: VecDeque<(i64, Payload)>,
    lookahead: Option<Unit>,
    emitted_clean: u64,
    tally: Tally,
    truth: GroundTruth,
    finished: bool,
    /// Batch limits: [`MAX_BATCH_RECORDS`] and [`MAX_BATCH_BYTES`] (lowered in tests).
    max_batch_records: usize,
    max_batch_bytes: usize,
    /// For each emitted record, in order: `None` if clean, else the expected reason.
    #[cfg(test)]
    outcomes: Vec<Option<ReasonCode>>,
}

impl fmt::Debug for Generator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Generator")
            .field("config", &self.config)
            .field("titles", &self.catalog.titles.len())
            .field("users", &self.population.users.len())
            .field("sessions", &self.headers.len())
            .field("simulated_sessions", &self.next_header)
            .field("queued_seconds", &self.queue.len())
            .field("progress", &self.progress())
            .finish_non_exhaustive()
    }
}

impl Generator {
    /// Validates the config, builds the catalog and the user pool, and draws the session
    /// headers (enough sessions for exactly `config.events` clean events).
    pub fn new(config: GeneratorConfig) -> Result<Self> {
        config.validate()?;
        let catalog = Catalog::generate(config.title_count);
        let population = Population::generate(config.seed, config.events);
        let window_start = config.window_start();
        let mut headers = Vec::new();
        let mut planned: u64 = 0;
        let mut index: u64 = 0;
        while planned < config.events {
            let header =
                draw_header(config.seed, index, window_start, config.days, &catalog, &population);
            let (title, device) = session_subject(&catalog, &population, &header);
            planned += simulate(config.seed, &header, title, device.device_type).len() as u64;
            headers.push(header);
            index += 1;
        }
        headers.sort_unstable_by_key(|header| (header.start_ts, header.index));
        let tally = Tally { title_plays: vec![0; catalog.titles.len()], ..Tally::default() };
        let mut generator = Self {
            to_simulate: config.events,
            config,
            catalog,
            population,
            headers,
            next_header: 0,
            queue: BTreeMap::new(),
            ready: VecDeque::new(),
            lookahead: None,
            emitted_clean: 0,
            tally,
            truth: GroundTruth::default(),
            finished: false,
            max_batch_records: MAX_BATCH_RECORDS,
            max_batch_bytes: MAX_BATCH_BYTES,
            #[cfg(test)]
            outcomes: Vec::new(),
        };
        generator.refresh_truth();
        Ok(generator)
    }

    /// The config this generator runs.
    pub fn config(&self) -> &GeneratorConfig {
        &self.config
    }

    /// The title dimension (`netflix_titles`) the generated events refer to.
    pub fn titles(&self) -> &[Title] {
        &self.catalog.titles
    }

    /// The ground truth. Complete once every session has been simulated, and in any case once
    /// [`Generator::next_batch`] has returned `None`.
    pub fn truth(&self) -> &GroundTruth {
        &self.truth
    }

    /// `(clean events emitted so far, total clean events)`.
    pub fn progress(&self) -> (u64, u64) {
        (self.emitted_clean, self.config.events)
    }

    /// The next `PutRecordBatch` call, or `None` when everything was sent. Batches come in
    /// non-decreasing `arrival_ts` order; a batch holds at most [`MAX_BATCH_RECORDS`] records,
    /// at most [`MAX_BATCH_BYTES`] bytes, and records whose arrivals lie within
    /// [`MAX_BATCH_SPAN_SECS`] of the first one.
    pub fn next_batch(&mut self) -> Option<Batch> {
        if self.finished {
            return None;
        }
        let mut records: Vec<Record> = Vec::new();
        let mut bytes = 0;
        let mut first_arrival: Option<i64> = None;
        let mut last_arrival = i64::MIN;
        while let Some(unit) = self.lookahead.take().or_else(|| self.next_unit()) {
            if let Some(first) = first_arrival {
                if records.len() + unit.records.len() > self.max_batch_records
                    || bytes + unit.bytes > self.max_batch_bytes
                    || unit.arrival_ts > first + MAX_BATCH_SPAN_SECS
                {
                    self.lookahead = Some(unit);
                    break;
                }
            }
            first_arrival.get_or_insert(unit.arrival_ts);
            last_arrival = last_arrival.max(unit.arrival_ts);
            bytes += unit.bytes;
            if unit.clean {
                self.emitted_clean += 1;
            }
            #[cfg(test)]
            self.outcomes.extend(unit.records.iter().map(|_| unit.reason));
            records.extend(unit.records);
        }
        if records.is_empty() {
            self.finished = true;
            self.refresh_truth();
            return None;
        }
        Some(Batch { arrival_ts: last_arrival, records })
    }

    /// Releases the next unit in arrival order, simulating sessions as needed.
    ///
    /// Delivery order is `(arrival_ts, queue order)`. A bucket is released once its second is
    /// no later than the start of the next session to simulate: that session, and every later
    /// one, only produces arrivals at or after its start (and anything it adds to the same
    /// second comes after what was already queued).
    fn next_unit(&mut self) -> Option<Unit> {
        loop {
            if let Some((arrival_ts, payload)) = self.ready.pop_front() {
                return Some(into_unit(arrival_ts, payload));
            }
            let frontier = (self.to_simulate > 0)
                .then(|| self.headers.get(self.next_header).map(|header| header.start_ts))
                .flatten();
            let release = match (self.queue.first_key_value(), frontier) {
                (Some((&second, _)), Some(frontier)) => second <= frontier,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => return None,
            };
            if release {
                if let Some((second, bucket)) = self.queue.pop_first() {
                    self.ready.extend(bucket.into_iter().map(|payload| (second, payload)));
                }
            } else {
                self.simulate_next_session();
            }
        }
    }

    fn push(&mut self, arrival_ts: i64, payload: Payload) {
        self.queue.entry(arrival_ts).or_default().push(payload);
    }

    fn simulate_next_session(&mut self) {
        let Some(header) = self.headers.get(self.next_header).copied() else {
            self.to_simulate = 0;
            self.refresh_truth();
            return;
        };
        self.next_header += 1;
        let seed = self.config.seed;
        let (title, device) = session_subject(&self.catalog, &self.population, &header);
        let mut timeline = simulate(seed, &header, title, device.device_type);
        let take = (timeline.len() as u64).min(self.to_simulate);
        timeline.truncate(take as usize);
        self.to_simulate -= take;
        if !timeline.is_empty() {
            self.tally.sessions += 1;
            let user = &self.population.users[header.user as usize];
            let mut render_rng = rng_for(seed, Stream::Render, header.index);
            let ctx = Arc::new(SessionCtx {
                seed,
                index: header.index,
                user_id: user.user_id.clone(),
                profile_id: profile_id(&user.user_id, header.profile),
                title_id: title.title_id.clone(),
                session_id: session_id(seed, header.index),
                device: device.device_type,
                country: COUNTRIES.get(usize::from(user.country)).map_or("US", |c| c.code),
                app_version: device.app_version.clone(),
                client_ip: client_ip(&mut render_rng),
                email: user.email.clone(),
                ids_json: std::sync::OnceLock::new(),
            });
            let title_index = header.title as usize;
            let mut fault_rng = rng_for(seed, Stream::Faults, header.index);
            let mut session_events = Vec::with_capacity(timeline.len());
            for (seq, sim) in timeline.iter().enumerate() {
                let event_ts = sim.ts_ms.div_euclid(1000);
                let arrival_ts = event_ts + delivery_lag(&mut render_rng);
                let event = CleanEvent {
                    ctx: Arc::clone(&ctx),
                    seq: seq as u32,
                    kind: sim.kind,
                    event_ts,
                    position_ms: sim.position_ms,
                    bitrate_kbps: sim.bitrate_kbps,
                    optional: optional_fields(sim.kind, &mut render_rng),
                    casing: if render_rng.random_bool(CASING_SHARE) {
                        Casing::VARIANTS[render_rng.random_range(0..Casing::VARIANTS.len())]
                    } else {
                        Casing::Canonical
                    },
                    drift: render_rng.random_bool(DRIFT_SHARE).then(|| {
                        (
                            render_rng.random_range(0..DRIFT_FIELDS.len()) as u8,
                            render_rng.random_range(0..3u8),
                        )
                    }),
                };
                self.tally.clean(sim.kind, event_ts, ctx.device, ctx.country, title_index);
                session_events.push(SessionEvent {
                    event_ts,
                    kind: sim.kind,
                    event_id: event.event_id(),
                });
                if event.drift.is_some() {
                    self.tally.schema_drift_records += 1;
                }
                let duplicate = fault_rng.random_bool(self.config.duplicate_rate);
                if duplicate {
                    self.tally.duplicates += 1;
                    self.tally.records_sent += 1;
                }
                let resend = fault_rng.random_bool(self.config.resend_rate);
                if resend {
                    self.tally.resends += 1;
                    self.tally.records_sent += 1;
                }
                let bad = self.inject_bad(&event, arrival_ts, &mut fault_rng);
                let (before, after) = match bad {
                    Some((data, reason, true)) => (Some((data, reason)), None),
                    Some((data, reason, false)) => (None, Some((data, reason))),
                    None => (None, None),
                };
                if let Some((data, reason)) = before {
                    self.push(arrival_ts, Payload::Bad { data, reason });
                }
                if resend {
                    let delay = fault_rng.random_range(RESEND_DELAY_SECS);
                    self.push(
                        arrival_ts + delay,
                        Payload::Resend { event: Box::new(event.clone()) },
                    );
                }
                self.push(arrival_ts, Payload::Clean { event: Box::new(event), duplicate });
                if let Some((data, reason)) = after {
                    self.push(arrival_ts, Payload::Bad { data, reason });
                }
            }
            let subject = SessionSubject {
                title: title_index,
                profile_id: &ctx.profile_id,
                country: ctx.country,
                device_type: ctx.device.as_str(),
            };
            self.tally.gold.session(subject, &mut session_events);
        }
        if self.to_simulate == 0 || self.next_header >= self.headers.len() {
            self.to_simulate = 0;
            self.refresh_truth();
        }
    }

    /// Maybe derives a bad record from `event`: `(line, reason, sent before the event)`.
    /// Oversized records are counted but not returned: Firehose would reject them.
    fn inject_bad(
        &mut self,
        event: &CleanEvent,
        arrival_ts: i64,
        rng: &mut ChaCha8Rng,
    ) -> Option<(Vec<u8>, ReasonCode, bool)> {
        if !rng.random_bool(self.config.bad_record_rate) {
            return None;
        }
        let reason = INJECTABLE[rng.random_range(0..INJECTABLE.len())];
        self.tally.bad(reason);
        if reason == ReasonCode::OversizedRecord {
            return None;
        }
        let shadow = rng.random_bool(SHADOW_SHARE);
        let id = if shadow {
            event.event_id()
        } else {
            event_id(event.ctx.seed, event.ctx.index, BAD_SEQ_BASE + u64::from(event.seq))
        };
        Some((bad_record(reason, event.template(id), arrival_ts, rng), reason, shadow))
    }

    fn refresh_truth(&mut self) {
        self.truth = self.tally.to_truth(
            self.config.seed,
            self.config.start_date.format("%Y-%m-%d").to_string(),
            self.config.days,
            &self.catalog.titles,
        );
    }

    /// For tests: the expected outcome of every record emitted so far.
    #[cfg(test)]
    pub(crate) fn outcomes(&self) -> &[Option<ReasonCode>] {
        &self.outcomes
    }
}

impl Iterator for Generator {
    type Item = Batch;

    fn next(&mut self) -> Option<Batch> {
        self.next_batch()
    }
}

impl std::iter::FusedIterator for Generator {}

fn session_subject<'a>(
    catalog: &'a Catalog,
    population: &'a Population,
    header: &SessionHeader,
) -> (&'a Title, &'a crate::population::UserDevice) {
    let title = &catalog.titles[header.title as usize];
    let devices = &population.users[header.user as usize].devices;
    let device = devices.get(usize::from(header.device_slot)).unwrap_or(&devices[0]);
    (title, device)
}

fn into_unit(arrival_ts: i64, payload: Payload) -> Unit {
    match payload {
        Payload::Clean { event, duplicate } => {
            let data = event.render();
            let bytes = data.len() * if duplicate { 2 } else { 1 };
            let mut records = Vec::with_capacity(if duplicate { 2 } else { 1 });
            if duplicate {
                records.push(Record { data: data.clone(), arrival_ts });
            }
            records.push(Record { data, arrival_ts });
            Unit { arrival_ts, records, bytes, clean: true, reason: None }
        }
        Payload::Resend { event } => {
            let data = event.render();
            let bytes = data.len();
            Unit {
                arrival_ts,
                records: vec![Record { data, arrival_ts }],
                bytes,
                clean: false,
                reason: None,
            }
        }
        Payload::Bad { data, reason } => {
            let bytes = data.len();
            Unit {
                arrival_ts,
                records: vec![Record { data, arrival_ts }],
                bytes,
                clean: false,
                reason: Some(reason),
            }
        }
    }
}

/// Seconds between an event and its arrival at Firehose: mostly seconds, sometimes minutes or
/// hours, rarely days (offline viewing), never more than [`MAX_LAG_SECS`].
fn delivery_lag(rng: &mut ChaCha8Rng) -> i64 {
    let u: f64 = rng.random();
    if u < 0.938 {
        rng.random_range(0..=10)
    } else if u < 0.988 {
        rng.random_range(11..=600)
    } else if u < 0.998 {
        rng.random_range(601..=21_600)
    } else {
        rng.random_range(21_601..=MAX_LAG_SECS)
    }
}

fn optional_fields(kind: EventType, rng: &mut ChaCha8Rng) -> u8 {
    let mut flags = 0;
    if rng.random_bool(0.97) {
        flags |= optional::APP_VERSION;
    }
    if rng.random_bool(if kind == EventType::PlayStart { 0.6 } else { 0.95 }) {
        flags |= optional::BITRATE;
    }
    let start_or_error = matches!(kind, EventType::PlayStart | EventType::PlaybackError);
    if start_or_error || rng.random_bool(0.1) {
        flags |= optional::CLIENT_IP;
    }
    if rng.random_bool(if kind == EventType::PlayStart { 0.35 } else { 0.01 }) {
        flags |= optional::EMAIL;
    }
    flags
}

/// A client IP from the documentation ranges (RFC 5737, RFC 3849): realistic-looking PII that
/// belongs to nobody.
fn client_ip(rng: &mut ChaCha8Rng) -> String {
    if rng.random_bool(0.15) {
        format!(
            "2001:db8:{:x}:{:x}::{:x}",
            rng.random_range(0..0xffffu32),
            rng.random_range(0..0xffffu32),
            rng.random_range(1..0xffffu32)
        )
    } else {
        let prefix = ["192.0.2", "198.51.100", "203.0.113"][rng.random_range(0..3)];
        format!("{prefix}.{}", rng.random_range(1..255))
    }
}

#[cfg(test)]
mod tests;
