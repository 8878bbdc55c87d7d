//! Quarantine reason codes (DESIGN §4).

use serde::{Deserialize, Serialize};

/// Why a record (or an object) was sent to quarantine instead of silver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReasonCode {
    /// The line is not UTF-8, not JSON, or not a JSON object.
    MalformedJson,
    /// A required field is absent or `null`.
    MissingField,
    /// A field has the wrong type, is empty, too long, negative or out of range.
    InvalidField,
    /// `event_type` is a string outside the closed vocabulary.
    UnknownEventType,
    /// `device_type` is a string outside the closed vocabulary.
    UnknownDeviceType,
    /// `country` is not an assigned ISO 3166-1 alpha-2 code.
    InvalidCountry,
    /// `event_ts` is more than `max_clock_skew` after the object's arrival.
    FromFuture,
    /// `event_ts` is more than `max_event_age` before the object's arrival.
    TooOld,
    /// The record is larger than 1,000 KiB.
    OversizedRecord,
    /// The object is not a valid gzip stream (broken, truncated or not gzip at all).
    CorruptObject,
}

impl ReasonCode {
    /// Every reason code, in contract order.
    pub const ALL: &'static [ReasonCode] = &[
        ReasonCode::MalformedJson,
        ReasonCode::MissingField,
        ReasonCode::InvalidField,
        ReasonCode::UnknownEventType,
        ReasonCode::UnknownDeviceType,
        ReasonCode::InvalidCountry,
        ReasonCode::FromFuture,
        ReasonCode::TooOld,
        ReasonCode::OversizedRecord,
        ReasonCode::CorruptObject,
    ];

    /// The code as written in `quarantined_netflix_events.reason_code`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReasonCode::MalformedJson => "MALFORMED_JSON",
            ReasonCode::MissingField => "MISSING_FIELD",
            ReasonCode::InvalidField => "INVALID_FIELD",
            ReasonCode::UnknownEventType => "UNKNOWN_EVENT_TYPE",
            ReasonCode::UnknownDeviceType => "UNKNOWN_DEVICE_TYPE",
            ReasonCode::InvalidCountry => "INVALID_COUNTRY",
            ReasonCode::FromFuture => "FROM_FUTURE",
            ReasonCode::TooOld => "TOO_OLD",
            ReasonCode::OversizedRecord => "OVERSIZED_RECORD",
            ReasonCode::CorruptObject => "CORRUPT_OBJECT",
        }
    }

    /// Parses the contract spelling.
    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|code| code.as_str() == input)
    }
}

impl std::fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_and_as_str_agree() -> Result<(), serde_json::Error> {
        for code in ReasonCode::ALL {
            assert_eq!(serde_json::to_string(code)?, format!("\"{}\"", code.as_str()));
            assert_eq!(ReasonCode::parse(code.as_str()), Some(*code));
        }
        assert_eq!(ReasonCode::ALL.len(), 10);
        Ok(())
    }
}
