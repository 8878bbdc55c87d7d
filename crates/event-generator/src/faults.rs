//! Bad-record injection. Every bad record carries exactly one defect, chosen so that
//! [`event_model::validate_record`] (which checks size, then JSON shape, then the required
//! fields in contract order, then the optional fields, then timeliness) gives it an
//! unambiguous reason code.

use event_model::{ReasonCode, MAX_RECORD_BYTES};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value};

/// The reason codes the generator injects (every code except `CORRUPT_OBJECT`, which is a
/// property of a whole object rather than of a record).
pub(crate) const INJECTABLE: [ReasonCode; 9] = [
    ReasonCode::MalformedJson,
    ReasonCode::MissingField,
    ReasonCode::InvalidField,
    ReasonCode::UnknownEventType,
    ReasonCode::UnknownDeviceType,
    ReasonCode::InvalidCountry,
    ReasonCode::FromFuture,
    ReasonCode::TooOld,
    ReasonCode::OversizedRecord,
];

const REQUIRED: [&str; 9] = [
    "event_id",
    "user_id",
    "profile_id",
    "title_id",
    "session_id",
    "event_type",
    "event_ts",
    "device_type",
    "country",
];

const UNKNOWN_EVENT_TYPES: [&str; 7] =
    ["PLAY_PAUSE", "AD_START", "play start", "STOP", "BUFFERING", "HEARTBEAT_V2", "CLICK"];
const UNKNOWN_DEVICE_TYPES: [&str; 6] =
    ["SMART_TV", "WATCH", "CAR", "VR_HEADSET", "SET_TOP_BOX", "PHONE"];
const INVALID_COUNTRIES: [&str; 7] = ["UK", "XX", "EU", "USA", "ZZ", "United States", "u$"];

fn pick<'a>(values: &[&'a str], rng: &mut ChaCha8Rng) -> &'a str {
    values[rng.random_range(0..values.len())]
}

fn to_line(mut bytes: Vec<u8>) -> Vec<u8> {
    bytes.push(b'\n');
    bytes
}

fn serialise(map: Map<String, Value>) -> Vec<u8> {
    serde_json::to_vec(&Value::Object(map)).unwrap_or_else(|_| b"{}".to_vec())
}

/// Builds a bad NDJSON line (with its `\n`) with exactly one defect of kind `reason`, from a
/// valid `template` whose record arrives at `arrival_ts`.
pub(crate) fn bad_record(
    reason: ReasonCode,
    mut template: Map<String, Value>,
    arrival_ts: i64,
    rng: &mut ChaCha8Rng,
) -> Vec<u8> {
    match reason {
        ReasonCode::MalformedJson => return malformed(template, rng),
        ReasonCode::MissingField => {
            let field = REQUIRED[rng.random_range(0..REQUIRED.len())];
            if rng.random_bool(0.5) {
                template.remove(field);
            } else {
                template.insert(field.into(), Value::Null);
            }
        }
        ReasonCode::InvalidField => invalid_field(&mut template, rng),
        ReasonCode::UnknownEventType => {
            template.insert("event_type".into(), pick(&UNKNOWN_EVENT_TYPES, rng).into());
        }
        ReasonCode::UnknownDeviceType => {
            template.insert("device_type".into(), pick(&UNKNOWN_DEVICE_TYPES, rng).into());
        }
        ReasonCode::InvalidCountry => {
            template.insert("country".into(), pick(&INVALID_COUNTRIES, rng).into());
        }
        ReasonCode::FromFuture => {
            let ahead = rng.random_range(2 * 3_600..=48 * 3_600);
            template.insert("event_ts".into(), (arrival_ts + ahead).into());
        }
        ReasonCode::TooOld => {
            let behind = rng.random_range(31 * 86_400..=400 * 86_400);
            template.insert("event_ts".into(), (arrival_ts - behind).into());
        }
        ReasonCode::OversizedRecord => {
            let len = MAX_RECORD_BYTES + rng.random_range(1..64 * 1024);
            template.insert("app_version".into(), "x".repeat(len).into());
        }
        ReasonCode::CorruptObject => {}
    }
    to_line(serialise(template))
}

fn malformed(template: Map<String, Value>, rng: &mut ChaCha8Rng) -> Vec<u8> {
    let json = serialise(template);
    let bytes = match rng.random_range(0..5) {
        // A record cut short (a client killed mid-write).
        0 => {
            let cut = (json.len() as f64 * rng.random_range(0.2..0.95)) as usize;
            json[..cut.clamp(2, json.len().saturating_sub(1).max(2))].to_vec()
        }
        // Valid JSON, but an array rather than an object.
        1 => {
            let mut array = b"[".to_vec();
            array.extend_from_slice(&json);
            array.push(b']');
            array
        }
        // Bytes that are not UTF-8 inside a string value.
        2 => {
            let mut bytes = json;
            let needle = b"\"event_type\":\"";
            match bytes.windows(needle.len()).position(|window| window == needle) {
                Some(at) => bytes[at + needle.len()] = 0xff,
                None => bytes.insert(1, 0xff),
            }
            bytes
        }
        // A trailing brace after the object.
        3 => {
            let mut bytes = json;
            bytes.push(b'}');
            bytes
        }
        // Not JSON at all: a log line that ended up in the stream.
        _ => format!(
            "WARN player: dropped event id={} type=HEARTBEAT",
            rng.random_range(1_000..1_000_000)
        )
        .into_bytes(),
    };
    to_line(bytes)
}

fn invalid_field(template: &mut Map<String, Value>, rng: &mut ChaCha8Rng) {
    let event_ts = template.get("event_ts").and_then(Value::as_i64).unwrap_or(1_700_000_000);
    let (field, value): (&str, Value) = match rng.random_range(0..9) {
        0 => ("event_ts", event_ts.to_string().into()),
        1 => ("event_ts", (event_ts as f64 + 0.5).into()),
        // Milliseconds where seconds are expected: beyond year 9999.
        2 => ("event_ts", (event_ts * 1000).into()),
        3 => ("position_ms", (-rng.random_range(1..5_000i64)).into()),
        4 => ("user_id", "".into()),
        5 => ("session_id", format!("s-{}", "f".repeat(63)).into()),
        6 => ("bitrate_kbps", "auto".into()),
        7 => ("app_version", 7.into()),
        _ => ("title_id", 12_345.into()),
    };
    template.insert(field.into(), value);
}

#[cfg(test)]
mod tests {
    use event_model::{validate_record, ValidationPolicy};

    use super::*;
    use crate::ids::{rng_for, Stream};

    fn template() -> Map<String, Value> {
        let line = br#"{"event_id":"e-1","user_id":"u-1","profile_id":"u-1-p1","title_id":"tt0100000","session_id":"s-1","event_type":"HEARTBEAT","event_ts":1750000000,"position_ms":60000,"device_type":"TV","country":"US","app_version":"tv-1","bitrate_kbps":5800,"client_ip":"192.0.2.1"}"#;
        serde_json::from_slice(line).unwrap()
    }

    #[test]
    fn every_variant_gets_exactly_its_reason() {
        let arrival = 1_750_000_004;
        let mut rng = rng_for(3, Stream::Faults, 0);
        for reason in INJECTABLE {
            for _ in 0..60 {
                let line = bad_record(reason, template(), arrival, &mut rng);
                assert_eq!(line.last(), Some(&b'\n'));
                let record = &line[..line.len() - 1];
                assert!(!record.contains(&b'\n'));
                assert!(!record.iter().all(u8::is_ascii_whitespace));
                for object_arrival in [arrival, arrival + 1, arrival - 60] {
                    let rejection =
                        validate_record(record, object_arrival, &ValidationPolicy::default())
                            .unwrap_err();
                    assert_eq!(rejection.reason, reason, "{}", String::from_utf8_lossy(record));
                }
            }
        }
    }

    #[test]
    fn template_itself_is_valid() {
        let line = serialise(template());
        assert!(validate_record(&line, 1_750_000_004, &ValidationPolicy::default()).is_ok());
    }
}
