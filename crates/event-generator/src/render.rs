//! Rendering clean events as raw NDJSON lines (DESIGN §2).
//!
//! Events wait in the delivery queue in a compact form ([`CleanEvent`], sharing one
//! [`SessionCtx`] per session) and are rendered to bytes only when they are emitted, which
//! keeps the queue small.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

use event_model::{DeviceType, EventType};
use serde_json::{Map, Value};

use crate::ids::event_id;

/// What every event of one session shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SessionCtx {
    /// The run's seed (keys event ids).
    pub(crate) seed: u64,
    /// Session index in draw order.
    pub(crate) index: u64,
    /// Account id.
    pub(crate) user_id: String,
    /// Profile id.
    pub(crate) profile_id: String,
    /// Title id.
    pub(crate) title_id: String,
    /// Session id.
    pub(crate) session_id: String,
    /// Device class.
    pub(crate) device: DeviceType,
    /// Upper-case country code.
    pub(crate) country: &'static str,
    /// Client build.
    pub(crate) app_version: String,
    /// Client IP (PII; from documentation ranges).
    pub(crate) client_ip: String,
    /// Account e-mail (PII; on example domains).
    pub(crate) email: String,
    /// The rendered `,"user_id":…,"session_id":…` members, shared by every event.
    pub(crate) ids_json: OnceLock<Vec<u8>>,
}

impl SessionCtx {
    fn ids_json(&self) -> &[u8] {
        self.ids_json.get_or_init(|| {
            let mut out = Vec::with_capacity(160);
            for (key, value) in [
                ("user_id", &self.user_id),
                ("profile_id", &self.profile_id),
                ("title_id", &self.title_id),
                ("session_id", &self.session_id),
            ] {
                out.push(b',');
                push_json_string(&mut out, key);
                out.push(b':');
                push_json_string(&mut out, value);
            }
            out
        })
    }
}

/// Optional fields present on an event.
pub(crate) mod optional {
    /// `app_version` is present.
    pub(crate) const APP_VERSION: u8 = 1;
    /// `bitrate_kbps` is present.
    pub(crate) const BITRATE: u8 = 2;
    /// `client_ip` is present.
    pub(crate) const CLIENT_IP: u8 = 4;
    /// `email` is present.
    pub(crate) const EMAIL: u8 = 8;
}

/// Non-canonical (but valid) spelling of one enum-like field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Casing {
    /// Everything upper-case, as the contract spells it.
    Canonical,
    /// `event_type` in lower case.
    EventTypeLower,
    /// `event_type` capitalised per word (`Play_Start`).
    EventTypeMixed,
    /// `device_type` in lower case.
    DeviceLower,
    /// `device_type` capitalised (`Tv`).
    DeviceMixed,
    /// `country` in lower case.
    CountryLower,
    /// `country` capitalised (`Us`).
    CountryMixed,
}

impl Casing {
    /// The non-canonical variants.
    pub(crate) const VARIANTS: [Casing; 6] = [
        Casing::EventTypeLower,
        Casing::EventTypeMixed,
        Casing::DeviceLower,
        Casing::DeviceMixed,
        Casing::CountryLower,
        Casing::CountryMixed,
    ];
}

/// Unknown fields sent by newer clients (schema drift), with sample values.
pub(crate) const DRIFT_FIELDS: [(&str, [&str; 3]); 3] = [
    ("experiment_arm", ["control", "treatment_a", "treatment_b"]),
    ("cdn_pop", ["lhr-3", "iad-1", "gru-2"]),
    ("player_build", ["2025.06.1-rc2", "2025.07.0", "2025.07.3-hotfix"]),
];

/// One clean event waiting for delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CleanEvent {
    /// The session it belongs to.
    pub(crate) ctx: Arc<SessionCtx>,
    /// Position in the session (keys the event id).
    pub(crate) seq: u32,
    /// What happened.
    pub(crate) kind: EventType,
    /// Epoch seconds.
    pub(crate) event_ts: i64,
    /// Playhead.
    pub(crate) position_ms: i64,
    /// Bitrate.
    pub(crate) bitrate_kbps: u32,
    /// Bit set of [`optional`] fields present.
    pub(crate) optional: u8,
    /// Spelling of the enum-like fields.
    pub(crate) casing: Casing,
    /// Schema drift: an index into [`DRIFT_FIELDS`] and into its values.
    pub(crate) drift: Option<(u8, u8)>,
}

impl CleanEvent {
    /// The event id.
    pub(crate) fn event_id(&self) -> String {
        event_id(self.ctx.seed, self.ctx.index, u64::from(self.seq))
    }

    fn has(&self, flag: u8) -> bool {
        self.optional & flag != 0
    }

    /// The NDJSON line, with its `\n`.
    pub(crate) fn render(&self) -> Vec<u8> {
        let ctx = &*self.ctx;
        let mut out = Vec::with_capacity(420);
        let mut json = JsonObject::new(&mut out);
        json.string("event_id", &self.event_id());
        json.out.extend_from_slice(ctx.ids_json());
        let kind = self.kind.as_str();
        json.string(
            "event_type",
            &match self.casing {
                Casing::EventTypeLower => Cow::Owned(kind.to_ascii_lowercase()),
                Casing::EventTypeMixed => Cow::Owned(capitalise_words(kind)),
                _ => Cow::Borrowed(kind),
            },
        );
        json.int("event_ts", self.event_ts);
        json.int("position_ms", self.position_ms);
        let device = ctx.device.as_str();
        json.string(
            "device_type",
            &match self.casing {
                Casing::DeviceLower => Cow::Owned(device.to_ascii_lowercase()),
                Casing::DeviceMixed => Cow::Owned(capitalise_words(device)),
                _ => Cow::Borrowed(device),
            },
        );
        json.string(
            "country",
            &match self.casing {
                Casing::CountryLower => Cow::Owned(ctx.country.to_ascii_lowercase()),
                Casing::CountryMixed => Cow::Owned(capitalise_words(ctx.country)),
                _ => Cow::Borrowed(ctx.country),
            },
        );
        if self.has(optional::APP_VERSION) {
            json.string("app_version", &ctx.app_version);
        }
        if self.has(optional::BITRATE) {
            json.int("bitrate_kbps", i64::from(self.bitrate_kbps));
        }
        if self.has(optional::CLIENT_IP) {
            json.string("client_ip", &ctx.client_ip);
        }
        if self.has(optional::EMAIL) {
            json.string("email", &ctx.email);
        }
        if let Some((field, value)) = self.drift {
            if let Some((name, values)) = DRIFT_FIELDS.get(usize::from(field)) {
                json.string(name, values.get(usize::from(value)).copied().unwrap_or_default());
            }
        }
        json.close();
        out.push(b'\n');
        out
    }

    /// The event as a JSON map, canonical spelling and no drift, with `event_id` replaced by
    /// `event_id`: the template bad records are derived from.
    pub(crate) fn template(&self, event_id: String) -> Map<String, Value> {
        let ctx = &*self.ctx;
        let mut map = Map::new();
        map.insert("event_id".into(), event_id.into());
        map.insert("user_id".into(), ctx.user_id.clone().into());
        map.insert("profile_id".into(), ctx.profile_id.clone().into());
        map.insert("title_id".into(), ctx.title_id.clone().into());
        map.insert("session_id".into(), ctx.session_id.clone().into());
        map.insert("event_type".into(), self.kind.as_str().into());
        map.insert("event_ts".into(), self.event_ts.into());
        map.insert("position_ms".into(), self.position_ms.into());
        map.insert("device_type".into(), ctx.device.as_str().into());
        map.insert("country".into(), ctx.country.into());
        if self.has(optional::APP_VERSION) {
            map.insert("app_version".into(), ctx.app_version.clone().into());
        }
        if self.has(optional::BITRATE) {
            map.insert("bitrate_kbps".into(), self.bitrate_kbps.into());
        }
        if self.has(optional::CLIENT_IP) {
            map.insert("client_ip".into(), ctx.client_ip.clone().into());
        }
        map
    }
}

/// `PLAY_START` -> `Play_Start`, `TV` -> `Tv`.
fn capitalise_words(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut start = true;
    for c in text.chars() {
        if start {
            out.push(c.to_ascii_uppercase());
        } else {
            out.push(c.to_ascii_lowercase());
        }
        start = c == '_';
    }
    out
}

/// A minimal writer for one flat JSON object.
struct JsonObject<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> JsonObject<'a> {
    fn new(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        Self { out, first: true }
    }

    fn key(&mut self, key: &str) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        push_json_string(self.out, key);
        self.out.push(b':');
    }

    fn string(&mut self, key: &str, value: &str) {
        self.key(key);
        push_json_string(self.out, value);
    }

    fn int(&mut self, key: &str, value: i64) {
        self.key(key);
        push_int(self.out, value);
    }

    fn close(self) {
        self.out.push(b'}');
    }
}

fn push_json_string(out: &mut Vec<u8>, value: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = value.as_bytes();
    let mut run_start = 0;
    for (index, &byte) in bytes.iter().enumerate() {
        let escape: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0..=0x1f => b"\\u00",
            _ => continue,
        };
        out.extend_from_slice(&bytes[run_start..index]);
        out.extend_from_slice(escape);
        if byte < 0x20 {
            out.push(HEX[usize::from(byte >> 4)]);
            out.push(HEX[usize::from(byte & 0xf)]);
        }
        run_start = index + 1;
    }
    out.extend_from_slice(&bytes[run_start..]);
    out.push(b'"');
}

fn push_int(out: &mut Vec<u8>, value: i64) {
    if value < 0 {
        out.push(b'-');
    }
    let mut magnitude = value.unsigned_abs();
    let mut digits = [0u8; 20];
    let mut len = 0;
    loop {
        digits[len] = b'0' + (magnitude % 10) as u8;
        len += 1;
        magnitude /= 10;
        if magnitude == 0 {
            break;
        }
    }
    out.extend(digits[..len].iter().rev());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(casing: Casing, drift: Option<(u8, u8)>, optional: u8) -> CleanEvent {
        CleanEvent {
            ctx: Arc::new(SessionCtx {
                seed: 1,
                index: 2,
                user_id: "u-1".into(),
                profile_id: "u-1-p1".into(),
                title_id: "tt0100000".into(),
                session_id: "s-1".into(),
                device: DeviceType::Tv,
                country: "US",
                app_version: "tv-tizen-6.21.3".into(),
                client_ip: "203.0.113.7".into(),
                email: "a.b1@example.com".into(),
                ids_json: OnceLock::new(),
            }),
            seq: 3,
            kind: EventType::PlayStart,
            event_ts: 1_750_000_000,
            position_ms: 0,
            bitrate_kbps: 5800,
            optional,
            casing,
            drift,
        }
    }

    #[test]
    fn renders_valid_ndjson_with_exact_field_names() {
        let event = sample(Casing::Canonical, None, 0xf);
        let line = event.render();
        assert_eq!(line.last(), Some(&b'\n'));
        let value: Value = serde_json::from_slice(&line).unwrap();
        let keys: Vec<_> = value.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys.len(), 14);
        for key in &keys {
            assert!(event_model::validate::CONTRACT_FIELDS.contains(&key.as_str()), "{key}");
        }
        assert_eq!(value["event_ts"], 1_750_000_000);
        assert_eq!(value["event_id"], event.event_id());
        let valid = event_model::validate_record(
            &line[..line.len() - 1],
            1_750_000_005,
            &Default::default(),
        )
        .unwrap();
        assert!(valid.unknown_fields.is_empty());
        assert_eq!(valid.event.country, "US");
    }

    #[test]
    fn casing_and_drift_stay_valid() {
        for casing in Casing::VARIANTS {
            let line = sample(casing, Some((0, 1)), 0).render();
            let text = String::from_utf8(line.clone()).unwrap();
            assert!(
                text.contains("play_start")
                    || text.contains("Play_Start")
                    || text.contains("\"tv\"")
                    || text.contains("\"Tv\"")
                    || text.contains("\"us\"")
                    || text.contains("\"Us\""),
                "{text}"
            );
            let valid = event_model::validate_record(
                &line[..line.len() - 1],
                1_750_000_000,
                &Default::default(),
            )
            .unwrap();
            assert_eq!(valid.unknown_fields, vec!["experiment_arm".to_owned()]);
            assert_eq!(valid.event.event_type, EventType::PlayStart);
        }
    }

    #[test]
    fn integers_and_escapes() {
        let mut out = Vec::new();
        for value in [0, 7, -12, i64::MAX, i64::MIN] {
            out.clear();
            push_int(&mut out, value);
            assert_eq!(String::from_utf8(out.clone()).unwrap(), value.to_string());
        }
        out.clear();
        push_json_string(&mut out, "x\u{1}a\"b\\c\nz");
        assert_eq!(serde_json::from_slice::<String>(&out).unwrap(), "x\u{1}a\"b\\c\nz");
    }
}
