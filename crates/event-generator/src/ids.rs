//! Deterministic randomness and identifiers.
//!
//! Every random decision draws from a ChaCha8 stream keyed by `(seed, stream, index)`, so a
//! session's content depends only on the seed and the session's index, never on the order in
//! which sessions are simulated. Identifiers are built from bijective 64-bit mixes, which makes
//! event and session ids unique within a run by construction (not merely with high
//! probability).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Independent random streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stream {
    /// The title catalog (keyed by a fixed seed, so the dimension is stable across runs).
    Catalog = 1,
    /// The user population.
    Users = 2,
    /// Session headers: who watches what, where and when.
    Header = 3,
    /// The playback state machine of one session.
    Session = 4,
    /// Delivery details of one session: lag, PII, casing, drift and injected faults.
    Render = 5,
    /// Injected faults of one session: duplicates and bad records. Separate from
    /// [`Stream::Render`] so that the clean events do not depend on the fault rates.
    Faults = 6,
}

/// A ChaCha8 generator for `(seed, stream, index)`.
pub(crate) fn rng_for(seed: u64, stream: Stream, index: u64) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&(stream as u64).to_le_bytes());
    key[16..24].copy_from_slice(&index.to_le_bytes());
    key[24..].copy_from_slice(b"StrmLake");
    ChaCha8Rng::from_seed(key)
}

/// The SplitMix64 finaliser: a bijection on `u64` with good avalanche.
pub(crate) const fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const USER_KEY: u64 = 0x5553_4552_5f4b_4559;
const SESSION_KEY: u64 = 0x5345_5353_494f_4e5f;
const EVENT_LO_KEY: u64 = 0x4556_454e_545f_4c4f;
const EVENT_HI_KEY: u64 = 0x4556_454e_545f_4849;

/// Bits reserved for the per-session event sequence inside an event id.
pub(crate) const SEQ_BITS: u32 = 20;
/// Sequence numbers at or above this value name injected bad records, never clean events.
pub(crate) const BAD_SEQ_BASE: u64 = 1 << (SEQ_BITS - 1);

/// `u-` and 16 hex digits, unique per user index within a run.
pub(crate) fn user_id(seed: u64, user: u64) -> String {
    format!("u-{:016x}", mix64(user ^ mix64(seed ^ USER_KEY)))
}

/// The id of profile `profile` (0-based) of a user.
pub(crate) fn profile_id(user_id: &str, profile: u8) -> String {
    format!("{user_id}-p{}", u32::from(profile) + 1)
}

/// `s-` and 24 hex digits, unique per session index within a run.
pub(crate) fn session_id(seed: u64, session: u64) -> String {
    format!(
        "s-{:016x}{:08x}",
        mix64(session ^ mix64(seed ^ SESSION_KEY)),
        mix64(seed ^ SESSION_KEY) >> 32
    )
}

/// A UUID-shaped (8-4-4-4-12 hex) event id. The low 64 bits are a bijection of
/// `(session << SEQ_BITS) | seq`, so ids are unique within a run for `seq < 2^SEQ_BITS`.
pub(crate) fn event_id(seed: u64, session: u64, seq: u64) -> String {
    let lo = mix64(((session << SEQ_BITS) | seq) ^ mix64(seed ^ EVENT_LO_KEY));
    let hi = mix64(session.wrapping_add(mix64(seed ^ EVENT_HI_KEY)));
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0xffff,
        lo >> 48,
        lo & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use rand::Rng;

    use super::*;

    #[test]
    fn streams_are_deterministic_and_independent() {
        let a: u64 = rng_for(7, Stream::Session, 3).random();
        let b: u64 = rng_for(7, Stream::Session, 3).random();
        let c: u64 = rng_for(7, Stream::Render, 3).random();
        let d: u64 = rng_for(8, Stream::Session, 3).random();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }

    #[test]
    fn event_ids_are_unique_and_short() {
        let mut seen = HashSet::new();
        for session in 0..200 {
            for seq in (0..50).chain(BAD_SEQ_BASE..BAD_SEQ_BASE + 5) {
                let id = event_id(42, session, seq);
                assert_eq!(id.len(), 36);
                assert!(seen.insert(id));
            }
        }
        assert!(session_id(1, 2).len() <= 64);
        assert!(profile_id(&user_id(1, 2), 4).len() <= 64);
    }
}
