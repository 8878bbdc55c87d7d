//! Validation of one raw record against the contract (DESIGN §2), returning either a
//! [`ValidEvent`] or a [`Rejection`] with its [`ReasonCode`].
//!
//! Checks run in a fixed order, so a record with several defects always gets the same code:
//! size, then JSON shape, then the required fields in contract order (each: missing, then
//! invalid, then unknown value), then the optional fields, then timeliness against the
//! object's arrival time.
//!
//! | defect | code |
//! |---|---|
//! | larger than 1,000 KiB | `OVERSIZED_RECORD` |
//! | not UTF-8, not JSON, not an object | `MALFORMED_JSON` |
//! | a field named twice in the object | `INVALID_FIELD` |
//! | required field absent or `null` | `MISSING_FIELD` |
//! | wrong JSON type, empty, over 64 chars, negative, non-integer, out of range | `INVALID_FIELD` |
//! | `event_type` / `device_type` string outside the vocabulary | `UNKNOWN_EVENT_TYPE` / `UNKNOWN_DEVICE_TYPE` |
//! | `country` string not an assigned ISO code | `INVALID_COUNTRY` |
//! | `event_ts` > arrival + `max_clock_skew` | `FROM_FUTURE` |
//! | `event_ts` < arrival − `max_event_age` | `TOO_OLD` |
//!
//! PII fields (`client_ip`, `email`) are accepted whatever their value and never leave this
//! function: [`ValidEvent`] has no place for them.
//!
//! A leading UTF-8 byte-order mark is ignored (DESIGN §2). Unknown fields (schema drift) are
//! skipped without being materialised; their names are checked for repeats in one hash set
//! (linear in the record, whatever a hostile producer sends), and at most
//! [`MAX_UNKNOWN_FIELD_NAMES`] of them, each cut to [`MAX_UNKNOWN_FIELD_NAME_BYTES`], are
//! reported, with the total count.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use crate::country::parse_country;
use crate::enums::{DeviceType, EventType};
use crate::reason::ReasonCode;

/// Records larger than this are rejected, as Firehose rejects them (1,000 KiB).
pub const MAX_RECORD_BYTES: usize = 1000 * 1024;
/// Maximum length, in characters, of the identifier fields.
pub const MAX_ID_CHARS: usize = 64;
/// Smallest accepted `event_ts`: 0001-01-01T00:00:00Z.
pub const MIN_EVENT_TS: i64 = -62_135_596_800;
/// Largest accepted `event_ts`: 9999-12-31T23:59:59Z.
pub const MAX_EVENT_TS: i64 = 253_402_300_799;

/// The fields of the raw contract, in the order they are validated.
pub const CONTRACT_FIELDS: [&str; 14] = [
    "event_id",
    "user_id",
    "profile_id",
    "title_id",
    "session_id",
    "event_type",
    "event_ts",
    "device_type",
    "country",
    "position_ms",
    "app_version",
    "bitrate_kbps",
    "client_ip",
    "email",
];

/// Unknown field names reported per record ([`Validated::unknown_fields`]); the rest are only
/// counted ([`Validated::unknown_field_count`]).
pub const MAX_UNKNOWN_FIELD_NAMES: usize = 16;
/// Longest unknown field name reported, in bytes (longer names are cut at a character
/// boundary).
pub const MAX_UNKNOWN_FIELD_NAME_BYTES: usize = 128;
/// The UTF-8 byte-order mark, ignored at the start of a record.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The PII fields that never go past bronze.
pub const PII_FIELDS: [&str; 2] = ["client_ip", "email"];

/// Timeliness rules, relative to the raw object's arrival time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidationPolicy {
    /// How far after arrival an event may claim to have happened (default 1 h).
    pub max_clock_skew_secs: i64,
    /// How far before arrival an event may have happened (default 30 days).
    pub max_event_age_secs: i64,
}

impl Default for ValidationPolicy {
    fn default() -> Self {
        Self { max_clock_skew_secs: 3_600, max_event_age_secs: 30 * 86_400 }
    }
}

/// A record that passed every check, with PII and unknown fields removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidEvent {
    /// The dedup key.
    pub event_id: String,
    /// Account id.
    pub user_id: String,
    /// Profile within the account.
    pub profile_id: String,
    /// Title being played.
    pub title_id: String,
    /// Playback session.
    pub session_id: String,
    /// What happened.
    pub event_type: EventType,
    /// Epoch seconds, UTC.
    pub event_ts: i64,
    /// Playhead in milliseconds.
    pub position_ms: Option<i64>,
    /// Device class.
    pub device_type: DeviceType,
    /// Upper-case ISO 3166-1 alpha-2 code.
    pub country: &'static str,
    /// Client build.
    pub app_version: Option<String>,
    /// Current bitrate.
    pub bitrate_kbps: Option<i32>,
}

impl ValidEvent {
    /// The UTC calendar date of `event_ts`, `YYYY-MM-DD`: the silver partition value.
    pub fn event_date(&self) -> String {
        utc_date(self.event_ts).unwrap_or_default()
    }
}

/// Formats the UTC date of an epoch-seconds value as `YYYY-MM-DD`, if it is in range.
pub fn utc_date(epoch_secs: i64) -> Option<String> {
    if !(MIN_EVENT_TS..=MAX_EVENT_TS).contains(&epoch_secs) {
        return None;
    }
    chrono::DateTime::from_timestamp(epoch_secs, 0).map(|ts| ts.format("%Y-%m-%d").to_string())
}

/// Why a record was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The reason code written to quarantine.
    pub reason: ReasonCode,
    /// A short, human-readable explanation (field name and what was wrong).
    pub detail: String,
}

impl Rejection {
    /// Builds a rejection.
    pub fn new(reason: ReasonCode, detail: impl Into<String>) -> Self {
        Self { reason, detail: detail.into() }
    }
}

/// The outcome of validating one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validated {
    /// The event, ready for silver.
    pub event: ValidEvent,
    /// Names of fields outside the contract (schema drift), in order of appearance: at most
    /// [`MAX_UNKNOWN_FIELD_NAMES`], each at most [`MAX_UNKNOWN_FIELD_NAME_BYTES`]. Dropped
    /// from silver, counted.
    pub unknown_fields: Vec<String>,
    /// How many distinct unknown fields the record has (more than `unknown_fields` holds when
    /// it has more than [`MAX_UNKNOWN_FIELD_NAMES`]).
    pub unknown_field_count: usize,
}

/// Validates one record (one NDJSON line without its terminator) that arrived in an object
/// whose arrival time is `arrival_ts` (epoch seconds).
pub fn validate_record(
    record: &[u8],
    arrival_ts: i64,
    policy: &ValidationPolicy,
) -> Result<Validated, Rejection> {
    if record.len() > MAX_RECORD_BYTES {
        return Err(Rejection::new(
            ReasonCode::OversizedRecord,
            format!("record is {} bytes; the limit is {MAX_RECORD_BYTES}", record.len()),
        ));
    }
    let record = record.strip_prefix(UTF8_BOM).unwrap_or(record);
    let text = std::str::from_utf8(record).map_err(|error| {
        Rejection::new(ReasonCode::MalformedJson, format!("not UTF-8: {error}"))
    })?;
    let fields = parse_fields(text)?;
    let event = ValidEvent {
        event_id: required_id(&fields.event_id, "event_id")?,
        user_id: required_id(&fields.user_id, "user_id")?,
        profile_id: required_id(&fields.profile_id, "profile_id")?,
        title_id: required_id(&fields.title_id, "title_id")?,
        session_id: required_id(&fields.session_id, "session_id")?,
        event_type: {
            let text = required_str(&fields.event_type, "event_type")?;
            EventType::parse(text).ok_or_else(|| {
                Rejection::new(
                    ReasonCode::UnknownEventType,
                    format!("event_type {:?} is not in the vocabulary", truncate(text)),
                )
            })?
        },
        event_ts: required_event_ts(&fields.event_ts)?,
        device_type: {
            let text = required_str(&fields.device_type, "device_type")?;
            DeviceType::parse(text).ok_or_else(|| {
                Rejection::new(
                    ReasonCode::UnknownDeviceType,
                    format!("device_type {:?} is not in the vocabulary", truncate(text)),
                )
            })?
        },
        country: {
            let text = required_str(&fields.country, "country")?;
            parse_country(text).ok_or_else(|| {
                Rejection::new(
                    ReasonCode::InvalidCountry,
                    format!("country {:?} is not an ISO 3166-1 alpha-2 code", truncate(text)),
                )
            })?
        },
        position_ms: optional_non_negative(&fields.position_ms, "position_ms", i64::MAX)?,
        app_version: optional_string(&fields.app_version, "app_version")?,
        bitrate_kbps: optional_non_negative(&fields.bitrate_kbps, "bitrate_kbps", i32::MAX as i64)?
            .map(|value| value as i32),
    };
    check_timeliness(event.event_ts, arrival_ts, policy)?;
    Ok(Validated {
        event,
        unknown_fields: fields.unknown,
        unknown_field_count: fields.unknown_count,
    })
}

fn check_timeliness(
    event_ts: i64,
    arrival_ts: i64,
    policy: &ValidationPolicy,
) -> Result<(), Rejection> {
    let skew = event_ts.saturating_sub(arrival_ts);
    if skew > policy.max_clock_skew_secs {
        return Err(Rejection::new(
            ReasonCode::FromFuture,
            format!(
                "event_ts {event_ts} is {skew} s after arrival {arrival_ts} (max {} s)",
                policy.max_clock_skew_secs
            ),
        ));
    }
    let age = arrival_ts.saturating_sub(event_ts);
    if age > policy.max_event_age_secs {
        return Err(Rejection::new(
            ReasonCode::TooOld,
            format!(
                "event_ts {event_ts} is {age} s before arrival {arrival_ts} (max {} s)",
                policy.max_event_age_secs
            ),
        ));
    }
    Ok(())
}

fn truncate(text: &str) -> Cow<'_, str> {
    const LIMIT: usize = 80;
    match text.char_indices().nth(LIMIT) {
        Some((index, _)) => Cow::Owned(format!("{}…", &text[..index])),
        None => Cow::Borrowed(text),
    }
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn present<'a>(value: &'a Option<Value>, name: &str) -> Result<&'a Value, Rejection> {
    match value {
        None | Some(Value::Null) => {
            Err(Rejection::new(ReasonCode::MissingField, format!("{name} is missing")))
        }
        Some(value) => Ok(value),
    }
}

fn required_str<'a>(value: &'a Option<Value>, name: &str) -> Result<&'a str, Rejection> {
    match present(value, name)? {
        Value::String(text) if !text.is_empty() => Ok(text),
        Value::String(_) => {
            Err(Rejection::new(ReasonCode::InvalidField, format!("{name} is empty")))
        }
        other => Err(Rejection::new(
            ReasonCode::InvalidField,
            format!("{name} must be a string, got {}", describe(other)),
        )),
    }
}

fn required_id(value: &Option<Value>, name: &str) -> Result<String, Rejection> {
    let text = required_str(value, name)?;
    let chars = text.chars().count();
    if chars > MAX_ID_CHARS {
        return Err(Rejection::new(
            ReasonCode::InvalidField,
            format!("{name} has {chars} characters; the limit is {MAX_ID_CHARS}"),
        ));
    }
    Ok(text.to_owned())
}

fn integer(value: &Value, name: &str) -> Result<i64, Rejection> {
    match value {
        Value::Number(number) => number.as_i64().ok_or_else(|| {
            Rejection::new(
                ReasonCode::InvalidField,
                format!("{name} must be an integer in the 64-bit range, got {number}"),
            )
        }),
        other => Err(Rejection::new(
            ReasonCode::InvalidField,
            format!("{name} must be an integer, got {}", describe(other)),
        )),
    }
}

fn required_event_ts(value: &Option<Value>) -> Result<i64, Rejection> {
    let ts = integer(present(value, "event_ts")?, "event_ts")?;
    if !(MIN_EVENT_TS..=MAX_EVENT_TS).contains(&ts) {
        return Err(Rejection::new(
            ReasonCode::InvalidField,
            format!("event_ts {ts} is outside years 0001..=9999 (epoch seconds expected)"),
        ));
    }
    Ok(ts)
}

fn optional_non_negative(
    value: &Option<Value>,
    name: &str,
    max: i64,
) -> Result<Option<i64>, Rejection> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(value) => {
            let number = integer(value, name)?;
            if number < 0 {
                return Err(Rejection::new(
                    ReasonCode::InvalidField,
                    format!("{name} must be >= 0, got {number}"),
                ));
            }
            if number > max {
                return Err(Rejection::new(
                    ReasonCode::InvalidField,
                    format!("{name} {number} is larger than {max}"),
                ));
            }
            Ok(Some(number))
        }
    }
}

fn optional_string(value: &Option<Value>, name: &str) -> Result<Option<String>, Rejection> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(other) => Err(Rejection::new(
            ReasonCode::InvalidField,
            format!("{name} must be a string, got {}", describe(other)),
        )),
    }
}

/// The known fields of one record, as raw JSON values, plus the names of unknown fields.
#[derive(Default)]
struct RawFields {
    event_id: Option<Value>,
    user_id: Option<Value>,
    profile_id: Option<Value>,
    title_id: Option<Value>,
    session_id: Option<Value>,
    event_type: Option<Value>,
    event_ts: Option<Value>,
    device_type: Option<Value>,
    country: Option<Value>,
    position_ms: Option<Value>,
    app_version: Option<Value>,
    bitrate_kbps: Option<Value>,
    /// The first unknown names, cut (see [`MAX_UNKNOWN_FIELD_NAMES`]).
    unknown: Vec<String>,
    /// Distinct unknown names.
    unknown_count: usize,
    /// The first field the object names twice.
    repeated: Option<String>,
}

/// Cuts `name` to at most [`MAX_UNKNOWN_FIELD_NAME_BYTES`] at a character boundary.
fn reported_name(name: &str) -> String {
    let mut end = name.len().min(MAX_UNKNOWN_FIELD_NAME_BYTES);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name[..end].to_owned()
}

struct RawFieldsVisitor;

impl<'de> Visitor<'de> for RawFieldsVisitor {
    type Value = RawFields;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawFields, A::Error> {
        let mut fields = RawFields::default();
        // PII fields seen (they have no slot to tell), and every unknown name seen.
        let (mut client_ip, mut email) = (false, false);
        let mut unknown_seen: HashSet<Cow<'de, str>> = HashSet::new();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            let pii = match key.as_ref() {
                "client_ip" => Some(&mut client_ip),
                "email" => Some(&mut email),
                _ => None,
            };
            if let Some(seen) = pii {
                if std::mem::replace(seen, true) && fields.repeated.is_none() {
                    fields.repeated = Some(key.clone().into_owned());
                }
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let slot = match key.as_ref() {
                "event_id" => &mut fields.event_id,
                "user_id" => &mut fields.user_id,
                "profile_id" => &mut fields.profile_id,
                "title_id" => &mut fields.title_id,
                "session_id" => &mut fields.session_id,
                "event_type" => &mut fields.event_type,
                "event_ts" => &mut fields.event_ts,
                "device_type" => &mut fields.device_type,
                "country" => &mut fields.country,
                "position_ms" => &mut fields.position_ms,
                "app_version" => &mut fields.app_version,
                "bitrate_kbps" => &mut fields.bitrate_kbps,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    if fields.unknown.len() < MAX_UNKNOWN_FIELD_NAMES
                        && !unknown_seen.contains(&key)
                    {
                        fields.unknown.push(reported_name(&key));
                    }
                    if unknown_seen.insert(key.clone()) {
                        fields.unknown_count += 1;
                    } else if fields.repeated.is_none() {
                        fields.repeated = Some(key.into_owned());
                    }
                    continue;
                }
            };
            if slot.is_some() {
                if fields.repeated.is_none() {
                    fields.repeated = Some(key.into_owned());
                }
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            *slot = Some(map.next_value::<Value>()?);
        }
        Ok(fields)
    }
}

fn parse_fields(text: &str) -> Result<RawFields, Rejection> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let fields = (&mut deserializer).deserialize_map(RawFieldsVisitor).map_err(|error| {
        let detail = if error.is_data() {
            "record is valid JSON but not an object".to_owned()
        } else {
            format!("invalid JSON: {error}")
        };
        Rejection::new(ReasonCode::MalformedJson, detail)
    })?;
    deserializer.end().map_err(|error| {
        Rejection::new(ReasonCode::MalformedJson, format!("invalid JSON: {error}"))
    })?;
    if let Some(name) = &fields.repeated {
        // A JSON reader may keep either value (serde keeps the last, Athena's SerDe over
        // bronze may read the first): the record is ambiguous (DESIGN §2).
        return Err(Rejection::new(
            ReasonCode::InvalidField,
            format!("field {:?} appears more than once", truncate(name)),
        ));
    }
    Ok(fields)
}

#[cfg(test)]
mod tests;
