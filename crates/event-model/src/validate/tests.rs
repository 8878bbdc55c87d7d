//! Unit and property tests for record validation: one test per reason code, plus the edge
//! cases the contract calls out (case-insensitive enums, unknown fields, epoch edges, PII).

use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;

const ARRIVAL: i64 = 1_700_000_000;

fn good() -> Value {
    json!({
        "event_id": "e-1", "user_id": "u-1", "profile_id": "p-1", "title_id": "t-1",
        "session_id": "s-1", "event_type": "PLAY_START", "event_ts": ARRIVAL - 5,
        "position_ms": 0, "device_type": "TV", "country": "US", "app_version": "8.1.0",
        "bitrate_kbps": 4300, "client_ip": "203.0.113.9", "email": "a@example.com"
    })
}

fn check(value: &Value) -> Result<Validated, Rejection> {
    validate_record(value.to_string().as_bytes(), ARRIVAL, &ValidationPolicy::default())
}

fn reason(value: &Value) -> ReasonCode {
    match check(value) {
        Ok(valid) => panic!("expected a rejection, got {valid:?}"),
        Err(rejection) => rejection.reason,
    }
}

fn with(field: &str, value: Value) -> Value {
    let mut record = good();
    record[field] = value;
    record
}

fn without(field: &str) -> Value {
    let mut record = good();
    if let Some(object) = record.as_object_mut() {
        object.remove(field);
    }
    record
}

#[test]
fn a_good_record_is_valid_and_loses_its_pii() {
    let valid = check(&good()).unwrap();
    assert_eq!(valid.event.event_id, "e-1");
    assert_eq!(valid.event.event_type, EventType::PlayStart);
    assert_eq!(valid.event.device_type, DeviceType::Tv);
    assert_eq!(valid.event.country, "US");
    assert_eq!(valid.event.bitrate_kbps, Some(4300));
    assert!(valid.unknown_fields.is_empty());
    let debug = format!("{:?}", valid.event);
    assert!(!debug.contains("203.0.113.9") && !debug.contains("example.com"));
}

#[test]
fn enums_and_country_match_case_insensitively_and_are_stored_upper_case() {
    let mut record = good();
    record["event_type"] = json!("rebuffer_start");
    record["device_type"] = json!("Mobile");
    record["country"] = json!("gb");
    let valid = check(&record).unwrap();
    assert_eq!(valid.event.event_type.as_str(), "REBUFFER_START");
    assert_eq!(valid.event.device_type.as_str(), "MOBILE");
    assert_eq!(valid.event.country, "GB");
}

#[test]
fn unknown_fields_are_counted_once_each_and_dropped() {
    let mut record = good();
    record["experiment"] = json!({"arm": "b"});
    record["extra"] = json!(1);
    let valid = check(&record).unwrap();
    let mut unknown = valid.unknown_fields.clone();
    unknown.sort();
    assert_eq!(unknown, vec!["experiment".to_owned(), "extra".to_owned()]);
}

#[test]
fn a_leading_byte_order_mark_is_ignored() {
    let policy = ValidationPolicy::default();
    let plain = good().to_string();
    let with_bom = [b"\xEF\xBB\xBF".as_slice(), plain.as_bytes()].concat();
    let valid = validate_record(&with_bom, ARRIVAL, &policy).unwrap();
    assert_eq!(valid.event, check(&good()).unwrap().event);
    // Only one, and only at the start.
    let twice = [b"\xEF\xBB\xBF\xEF\xBB\xBF".as_slice(), plain.as_bytes()].concat();
    assert_eq!(
        validate_record(&twice, ARRIVAL, &policy).unwrap_err().reason,
        ReasonCode::MalformedJson
    );
    let inside = [b" \xEF\xBB\xBF".as_slice(), plain.as_bytes()].concat();
    assert_eq!(
        validate_record(&inside, ARRIVAL, &policy).unwrap_err().reason,
        ReasonCode::MalformedJson
    );
}

#[test]
fn a_field_named_twice_is_invalid_field_whichever_field_it_is() {
    let policy = ValidationPolicy::default();
    let plain = good().to_string();
    let body = plain.strip_suffix('}').unwrap();
    for field in CONTRACT_FIELDS.iter().copied().chain(["experiment"]) {
        let once = if good().get(field).is_some() {
            body.to_owned()
        } else {
            format!("{body},\"{field}\":1")
        };
        // The same value twice is still ambiguous to a reader that rejects repeats.
        let line =
            format!("{once},\"{field}\":{}}}", good().get(field).cloned().unwrap_or(json!(1)));
        let rejection = validate_record(line.as_bytes(), ARRIVAL, &policy).unwrap_err();
        assert_eq!(rejection.reason, ReasonCode::InvalidField, "{field}: {line}");
        assert!(rejection.detail.contains(field), "{field}: {}", rejection.detail);
    }
    // A repeat spelled with an escape is the same name once decoded.
    let line = format!("{body},\"event\\u005fid\":\"e-2\"}}");
    let rejection = validate_record(line.as_bytes(), ARRIVAL, &policy).unwrap_err();
    assert_eq!(
        (rejection.reason, rejection.detail.contains("event_id")),
        (ReasonCode::InvalidField, true)
    );
    // Broken JSON is still MALFORMED_JSON, even with a repeat before the fault.
    let line = format!("{body},\"event_id\":\"e-2\",}}");
    assert_eq!(
        validate_record(line.as_bytes(), ARRIVAL, &policy).unwrap_err().reason,
        ReasonCode::MalformedJson
    );
}

#[test]
fn thousands_of_unknown_fields_are_counted_but_only_a_few_are_named() {
    // A hostile but legal record: 60,000 distinct unknown fields, about 0.8 MB. Each name is
    // checked for repeats in a hash set (the old code scanned a list per name: quadratic,
    // seconds per record), and only the first names are kept.
    let plain = good().to_string();
    let mut line = plain.strip_suffix('}').unwrap().to_owned();
    for index in 0..60_000 {
        line.push_str(&format!(",\"drift_{index:06}\":0"));
    }
    line.push('}');
    assert!(line.len() < MAX_RECORD_BYTES);
    let valid = validate_record(line.as_bytes(), ARRIVAL, &ValidationPolicy::default()).unwrap();
    assert_eq!(valid.unknown_field_count, 60_000);
    assert_eq!(valid.unknown_fields.len(), MAX_UNKNOWN_FIELD_NAMES);
    assert_eq!(valid.unknown_fields[0], "drift_000000");
    // A long name is reported cut, at a character boundary.
    let long = "é".repeat(200);
    let valid = check(&with(&long, json!(1))).unwrap();
    assert_eq!(valid.unknown_fields, vec!["é".repeat(MAX_UNKNOWN_FIELD_NAME_BYTES / 2)]);
    assert_eq!(valid.unknown_field_count, 1);
}

#[test]
fn malformed_json() {
    let policy = ValidationPolicy::default();
    for line in [&b"{"[..], b"not json", b"[1,2]", b"\"x\"", b"42", b"{} {}", b"{\"a\":1,}"] {
        let rejection = validate_record(line, ARRIVAL, &policy).unwrap_err();
        assert_eq!(
            rejection.reason,
            ReasonCode::MalformedJson,
            "{:?}",
            String::from_utf8_lossy(line)
        );
    }
    let rejection = validate_record(b"{\"event_id\":\"\xff\xfe\"}", ARRIVAL, &policy).unwrap_err();
    assert_eq!(rejection.reason, ReasonCode::MalformedJson);
    assert!(rejection.detail.contains("UTF-8"));
}

#[test]
fn missing_field_for_absent_or_null_required_fields() {
    for field in &CONTRACT_FIELDS[..9] {
        assert_eq!(reason(&without(field)), ReasonCode::MissingField, "{field} absent");
        assert_eq!(reason(&with(field, Value::Null)), ReasonCode::MissingField, "{field} null");
    }
}

#[test]
fn optional_fields_may_be_absent_or_null() {
    for field in ["position_ms", "app_version", "bitrate_kbps", "client_ip", "email"] {
        assert!(check(&without(field)).is_ok(), "{field} absent");
        assert!(check(&with(field, Value::Null)).is_ok(), "{field} null");
    }
}

#[test]
fn invalid_field_for_wrong_types_and_ranges() {
    let cases = [
        ("event_id", json!("")),
        ("user_id", json!(7)),
        ("profile_id", json!("x".repeat(65))),
        ("title_id", json!(["t"])),
        ("session_id", json!({"id": 1})),
        ("event_type", json!(3)),
        ("event_ts", json!("1700000000")),
        ("event_ts", json!(1_700_000_000.5)),
        ("event_ts", json!(1.7e9)),
        ("event_ts", json!(u64::MAX)),
        ("event_ts", json!(MAX_EVENT_TS + 1)),
        ("event_ts", json!(MIN_EVENT_TS - 1)),
        ("device_type", json!(true)),
        ("country", json!(840)),
        ("position_ms", json!(-1)),
        ("position_ms", json!("10")),
        ("bitrate_kbps", json!(-5)),
        ("bitrate_kbps", json!(i64::from(i32::MAX) + 1)),
        ("app_version", json!(8)),
    ];
    for (field, value) in cases {
        assert_eq!(
            reason(&with(field, value.clone())),
            ReasonCode::InvalidField,
            "{field}={value}"
        );
    }
    // 64 characters exactly is fine, and characters (not bytes) are counted.
    assert!(check(&with("event_id", json!("é".repeat(64)))).is_ok());
}

#[test]
fn unknown_vocabulary_values() {
    assert_eq!(reason(&with("event_type", json!("PLAY"))), ReasonCode::UnknownEventType);
    assert_eq!(reason(&with("device_type", json!("FRIDGE"))), ReasonCode::UnknownDeviceType);
    assert_eq!(reason(&with("country", json!("UK"))), ReasonCode::InvalidCountry);
    assert_eq!(reason(&with("country", json!("usa"))), ReasonCode::InvalidCountry);
}

#[test]
fn timeliness_boundaries_are_inclusive() {
    let policy = ValidationPolicy::default();
    let at = |ts: i64| with("event_ts", json!(ts));
    assert!(check(&at(ARRIVAL + policy.max_clock_skew_secs)).is_ok());
    assert_eq!(reason(&at(ARRIVAL + policy.max_clock_skew_secs + 1)), ReasonCode::FromFuture);
    assert!(check(&at(ARRIVAL - policy.max_event_age_secs)).is_ok());
    assert_eq!(reason(&at(ARRIVAL - policy.max_event_age_secs - 1)), ReasonCode::TooOld);
    // Milliseconds sent by mistake are out of the epoch-seconds range.
    let rejection = check(&at(ARRIVAL * 1000)).unwrap_err();
    assert_eq!(rejection.reason, ReasonCode::InvalidField);
    assert!(rejection.detail.contains("epoch seconds"));
    // A year ahead is in range but from the future.
    assert_eq!(reason(&at(ARRIVAL + 365 * 86_400)), ReasonCode::FromFuture);
    // Epoch zero and negative epochs are valid integers but old.
    assert_eq!(reason(&at(0)), ReasonCode::TooOld);
    assert_eq!(reason(&at(-1)), ReasonCode::TooOld);
}

#[test]
fn epoch_edges_format_dates() {
    assert_eq!(utc_date(0).as_deref(), Some("1970-01-01"));
    assert_eq!(utc_date(-1).as_deref(), Some("1969-12-31"));
    assert_eq!(utc_date(86_399).as_deref(), Some("1970-01-01"));
    assert_eq!(utc_date(86_400).as_deref(), Some("1970-01-02"));
    assert_eq!(utc_date(951_782_400).as_deref(), Some("2000-02-29"));
    assert_eq!(utc_date(MAX_EVENT_TS).as_deref(), Some("9999-12-31"));
    assert_eq!(utc_date(MIN_EVENT_TS).as_deref(), Some("0001-01-01"));
    assert_eq!(utc_date(MAX_EVENT_TS + 1), None);
}

#[test]
fn oversized_records_are_rejected_before_parsing() {
    let mut record = good();
    record["app_version"] = json!("x".repeat(MAX_RECORD_BYTES));
    assert_eq!(reason(&record), ReasonCode::OversizedRecord);
}

#[test]
fn first_defect_in_contract_order_wins() {
    let mut record = good();
    record["device_type"] = json!("FRIDGE");
    record["event_type"] = json!("NOPE");
    assert_eq!(reason(&record), ReasonCode::UnknownEventType);
    let mut record = without("event_id");
    record["country"] = json!("ZZ");
    assert_eq!(reason(&record), ReasonCode::MissingField);
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = validate_record(&bytes, ARRIVAL, &ValidationPolicy::default());
    }

    #[test]
    fn any_in_range_timestamp_round_trips(offset in -(30 * 86_400i64)..=3_600) {
        let ts = ARRIVAL + offset;
        let valid = check(&with("event_ts", json!(ts))).unwrap();
        prop_assert_eq!(valid.event.event_ts, ts);
        prop_assert_eq!(valid.event.event_date(), utc_date(ts).unwrap());
    }

    #[test]
    fn enum_case_never_matters(upper in proptest::sample::select(EventType::ALL.to_vec()), flips in proptest::collection::vec(any::<bool>(), 16)) {
        let mixed: String = upper.as_str().chars().zip(flips.iter().cycle())
            .map(|(c, flip)| if *flip { c.to_ascii_lowercase() } else { c })
            .collect();
        let valid = check(&with("event_type", json!(mixed))).unwrap();
        prop_assert_eq!(valid.event.event_type, upper);
    }

    #[test]
    fn any_string_ids_up_to_64_chars_are_kept_verbatim(id in "\\PC{1,64}") {
        let valid = check(&with("event_id", json!(id.clone()))).unwrap();
        prop_assert_eq!(valid.event.event_id, id);
    }
}
