//! Playback sessions: who starts what, where and when (the header), and the player state
//! machine that turns a header into a timeline of events.
//!
//! A session plays one title from a start playhead (0, or a resume point). Its timeline is in
//! milliseconds of wall time; the playhead advances only while playing, never while paused or
//! rebuffering. Heartbeats fire every 60 s of *playback* time. The session ends with
//! `PLAY_STOP` when the intended watch time is reached or the title ends, or, for about 2 % of
//! sessions, with `PLAYBACK_ERROR` (and no `PLAY_STOP`).

use event_model::{ContentType, DeviceType, EventType, Title};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use crate::catalog::{cumulative, sample_cumulative, Catalog};
use crate::ids::{rng_for, Stream};
use crate::population::{
    bitrate_ladder, mean_ms_between_rebuffers, Population, COUNTRIES, DIURNAL,
};

/// Playback time between heartbeats.
pub(crate) const HEARTBEAT_MS: i64 = 60_000;
/// Share of sessions that end in a playback error.
const ERROR_SESSION_SHARE: f64 = 0.02;
/// Mean playback time between pauses.
const MEAN_MS_BETWEEN_PAUSES: f64 = 25.0 * 60_000.0;
/// Mean playback time between seeks.
const MEAN_MS_BETWEEN_SEEKS: f64 = 40.0 * 60_000.0;

/// Who starts watching what, where and when. Small, so that every header of a run fits in
/// memory; the events themselves are simulated lazily.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SessionHeader {
    /// Epoch seconds of `PLAY_START`.
    pub(crate) start_ts: i64,
    /// Index of the session in draw order: keys its random streams and ids.
    pub(crate) index: u64,
    /// Index into the population.
    pub(crate) user: u32,
    /// Index into the catalog.
    pub(crate) title: u32,
    /// Profile of the user (0-based).
    pub(crate) profile: u8,
    /// Index into the user's devices.
    pub(crate) device_slot: u8,
}

/// Draws header `index`. Sessions start over `[window_start, window_start + days·86400)`,
/// weighted by the viewer's local hour of day.
pub(crate) fn draw_header(
    seed: u64,
    index: u64,
    window_start: i64,
    days: u32,
    catalog: &Catalog,
    population: &Population,
) -> SessionHeader {
    let mut rng = rng_for(seed, Stream::Header, index);
    let user_index = population.sample(&mut rng);
    let (profiles, devices, country) = population
        .users
        .get(user_index)
        .map_or((1, 1, 0), |user| (user.profiles, user.devices.len(), user.country));
    let profile = if rng.random_bool(0.5) { 0 } else { rng.random_range(0..profiles.max(1)) };
    let device_slot =
        sample_cumulative(&cumulative(&[0.6, 0.25, 0.15][..devices.clamp(1, 3)]), &mut rng);
    let title = catalog.sample(&mut rng);
    let hour = sample_cumulative(&diurnal_cumulative(), &mut rng) as i64;
    let day = rng.random_range(0..i64::from(days.max(1)));
    let local_second = hour * 3600 + rng.random_range(0..3600);
    let offset =
        i64::from(COUNTRIES.get(usize::from(country)).map_or(0, |c| c.utc_offset_min)) * 60;
    let span = i64::from(days.max(1)) * 86_400;
    // Local wall time minus the offset is UTC; wrap by whole days into the window, which keeps
    // the local hour of day.
    let start_ts = window_start + (day * 86_400 + local_second - offset).rem_euclid(span);
    SessionHeader {
        start_ts,
        index,
        user: user_index as u32,
        title: title as u32,
        profile,
        device_slot: device_slot as u8,
    }
}

fn diurnal_cumulative() -> [f64; 24] {
    let mut sums = [0.0; 24];
    let mut total = 0.0;
    for (sum, weight) in sums.iter_mut().zip(DIURNAL) {
        total += weight;
        *sum = total;
    }
    sums
}

/// One simulated player event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SimEvent {
    /// What happened.
    pub(crate) kind: EventType,
    /// Wall time, epoch milliseconds.
    pub(crate) ts_ms: i64,
    /// Playhead, milliseconds (for `SEEK`, the new position).
    pub(crate) position_ms: i64,
    /// Current bitrate.
    pub(crate) bitrate_kbps: u32,
}

fn exponential(rng: &mut ChaCha8Rng, mean: f64) -> f64 {
    let u: f64 = rng.random();
    -(1.0 - u).ln() * mean
}

fn log_uniform(rng: &mut ChaCha8Rng, low: f64, high: f64) -> f64 {
    (low.ln() + rng.random::<f64>() * (high.ln() - low.ln())).exp()
}

/// Simulates the whole timeline of one session. Pure in `(seed, header.index, header, title,
/// device)`.
pub(crate) fn simulate(
    seed: u64,
    header: &SessionHeader,
    title: &Title,
    device: DeviceType,
) -> Vec<SimEvent> {
    let mut rng = rng_for(seed, Stream::Session, header.index);
    let runtime = i64::from(title.runtime_minutes.max(1)) * 60_000;
    let resume_share = match title.content_type {
        ContentType::Series => 0.3,
        ContentType::Movie => 0.2,
    };
    let start_position = if rng.random_bool(resume_share) {
        (runtime as f64 * rng.random_range(0.05..0.85)) as i64
    } else {
        0
    };
    let remaining = runtime - start_position;
    let choice: f64 = rng.random();
    let intended = if choice < 0.12 {
        // Sampling the title and giving up.
        exponential(&mut rng, 90_000.0) as i64
    } else if choice < 0.55 {
        remaining
    } else {
        let z: f64 = rng.sample(StandardNormal);
        (25.0 * 60_000.0 * (0.9 * z).exp()) as i64
    };
    let intended = intended.clamp(5_000.min(remaining), remaining);
    let error_at =
        rng.random_bool(ERROR_SESSION_SHARE).then(|| rng.random_range(0..intended.max(1)));

    let ladder = bitrate_ladder(device);
    let mut rung = rng.random_range(ladder.len() / 2..ladder.len());
    let rebuffer_mean = mean_ms_between_rebuffers(device);

    let mut events = Vec::with_capacity((intended / HEARTBEAT_MS) as usize + 8);
    let mut now = header.start_ts * 1000 + rng.random_range(0..1000);
    let mut position = start_position;
    let mut played: i64 = 0;
    let mut next_heartbeat = HEARTBEAT_MS;
    let mut push = |kind, ts_ms, position_ms, rung: usize| {
        let bitrate_kbps = ladder.get(rung).copied().unwrap_or(235);
        events.push(SimEvent { kind, ts_ms, position_ms, bitrate_kbps });
    };
    push(EventType::PlayStart, now, position, rung);
    // Start-up delay before the first frame: wall time, not playback.
    now += rng.random_range(300..4_000);

    #[derive(PartialEq)]
    enum Next {
        End,
        Error,
        Heartbeat,
        Pause,
        Seek,
        Rebuffer,
    }
    loop {
        let to_end = (intended - played).min(runtime - position).max(0);
        let mut step = to_end;
        let mut next = Next::End;
        let mut consider = |delay: i64, kind: Next| {
            if delay < step {
                step = delay;
                next = kind;
            }
        };
        if let Some(at) = error_at {
            consider((at - played).max(0), Next::Error);
        }
        consider(next_heartbeat - played, Next::Heartbeat);
        consider(exponential(&mut rng, MEAN_MS_BETWEEN_PAUSES) as i64, Next::Pause);
        consider(exponential(&mut rng, MEAN_MS_BETWEEN_SEEKS) as i64, Next::Seek);
        consider(exponential(&mut rng, rebuffer_mean) as i64, Next::Rebuffer);
        now += step;
        position += step;
        played += step;
        match next {
            Next::End => {
                push(EventType::PlayStop, now, position, rung);
                break;
            }
            Next::Error => {
                push(EventType::PlaybackError, now, position, rung);
                break;
            }
            Next::Heartbeat => {
                push(EventType::Heartbeat, now, position, rung);
                next_heartbeat += HEARTBEAT_MS;
                if rung + 1 < ladder.len() && rng.random_bool(0.15) {
                    rung += 1;
                }
            }
            Next::Pause => {
                push(EventType::Pause, now, position, rung);
                now += log_uniform(&mut rng, 10_000.0, 900_000.0) as i64;
                push(EventType::Resume, now, position, rung);
            }
            Next::Seek => {
                let forward = rng.random_bool(0.6) && position + 11_000 < runtime;
                position = if forward {
                    (position + rng.random_range(10_000..600_000)).min(runtime - 1_000)
                } else {
                    (position - rng.random_range(10_000..180_000)).max(0)
                };
                now += rng.random_range(200..2_500);
                push(EventType::Seek, now, position, rung);
            }
            Next::Rebuffer => {
                push(EventType::RebufferStart, now, position, rung);
                now += rng.random_range(2_000..=30_000);
                rung = rung.saturating_sub(rng.random_range(1..=2));
                push(EventType::RebufferEnd, now, position, rung);
            }
        }
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sessions(count: u64) -> Vec<(SessionHeader, Vec<SimEvent>, Title)> {
        let catalog = Catalog::generate(500);
        let population = Population::generate(5, 10_000);
        (0..count)
            .map(|index| {
                let header = draw_header(5, index, 1_700_000_000, 3, &catalog, &population);
                let title = catalog.titles[header.title as usize].clone();
                let user = &population.users[header.user as usize];
                let device = user.devices[header.device_slot as usize].device_type;
                (header, simulate(5, &header, &title, device), title)
            })
            .collect()
    }

    #[test]
    fn timelines_follow_the_player_state_machine() {
        let mut errors = 0;
        for (header, events, title) in sessions(400) {
            let runtime = i64::from(title.runtime_minutes) * 60_000;
            assert_eq!(events[0].kind, EventType::PlayStart);
            assert_eq!(events[0].ts_ms / 1000, header.start_ts);
            let last = events[events.len() - 1].kind;
            assert!(matches!(last, EventType::PlayStop | EventType::PlaybackError));
            errors += usize::from(last == EventType::PlaybackError);
            for (i, pair) in events.windows(2).enumerate() {
                let (a, b) = (pair[0], pair[1]);
                assert!(b.ts_ms >= a.ts_ms, "time goes forward");
                assert!((0..=runtime).contains(&b.position_ms));
                if b.kind != EventType::Seek {
                    assert!(b.position_ms >= a.position_ms, "playhead only moves by seeking");
                    // The playhead never runs faster than the wall clock.
                    assert!(b.position_ms - a.position_ms <= b.ts_ms - a.ts_ms);
                }
                match a.kind {
                    EventType::Pause => assert_eq!(b.kind, EventType::Resume),
                    EventType::RebufferStart => assert_eq!(b.kind, EventType::RebufferEnd),
                    _ => {}
                }
                if matches!(a.kind, EventType::Pause | EventType::RebufferStart) {
                    assert_eq!(a.position_ms, b.position_ms, "no playback while stalled");
                    let stall = b.ts_ms - a.ts_ms;
                    if a.kind == EventType::Pause {
                        assert!((10_000..=900_000).contains(&stall), "pause {stall}");
                    } else {
                        assert!((2_000..=30_000).contains(&stall), "rebuffer {stall}");
                    }
                }
                if i + 2 < events.len() {
                    assert!(!matches!(b.kind, EventType::PlayStop | EventType::PlaybackError));
                }
            }
            // Heartbeats are 60 s of playback apart: consecutive heartbeats with no seek in
            // between are exactly 60 s of playhead apart.
            let mut last_heartbeat: Option<i64> = None;
            for event in &events {
                match event.kind {
                    EventType::Seek => last_heartbeat = None,
                    EventType::Heartbeat => {
                        if let Some(previous) = last_heartbeat {
                            assert_eq!(event.position_ms - previous, HEARTBEAT_MS);
                        }
                        last_heartbeat = Some(event.position_ms);
                    }
                    _ => {}
                }
            }
        }
        assert!((1..=30).contains(&errors), "{errors} error sessions of 400");
    }

    #[test]
    fn starts_fall_in_the_window() {
        for (header, _, _) in sessions(300) {
            assert!((1_700_000_000..1_700_000_000 + 3 * 86_400).contains(&header.start_ts));
        }
    }
}
