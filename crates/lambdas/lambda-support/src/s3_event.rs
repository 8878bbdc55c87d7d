//! The objects named by an S3 event notification.
//!
//! S3 URL-encodes object keys in notifications the way HTML forms do: a space arrives as `+`
//! and other reserved bytes as `%XX` (`event_date%3D2024-01-01`). [`decode_key`] undoes
//! that. A record without a bucket or key, or with a key that does not decode to UTF-8, is
//! skipped with a reason rather than failing the other records of the event.

use aws_lambda_events::event::s3::S3Event;
use serde::Serialize;

/// One object named by an event record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventObject {
    /// Bucket name.
    pub bucket: String,
    /// Object key, URL-decoded.
    pub key: String,
    /// Size in bytes, when the event says.
    pub size: Option<i64>,
    /// `ObjectCreated:Put`, ...
    pub event_name: Option<String>,
}

/// An event record that was not processed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedRecord {
    /// The key as it arrived (decoded when possible).
    pub key: String,
    /// Why it was skipped.
    pub reason: String,
}

/// Decodes an S3 event key: `+` is a space, `%XX` a byte; the result must be UTF-8.
pub fn decode_key(raw: &str) -> Result<String, String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|pair| std::str::from_utf8(pair).ok())
                    .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                    .ok_or_else(|| format!("bad percent escape at byte {i} of {raw:?}"))?;
                out.push(hex);
                i += 3;
            }
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| format!("key {raw:?} does not decode to UTF-8"))
}

/// Encodes a key the way S3 notifications do (form encoding: a space becomes `+`, bytes
/// other than `A-Z a-z 0-9 - _ . * /` become `%XX`). The inverse of [`decode_key`]; test
/// harnesses use it to build the events AWS would send.
pub fn encode_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for byte in key.bytes() {
        match byte {
            b' ' => out.push('+'),
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' | b'/' => {
                out.push(char::from(byte))
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// The objects of `event`, in order, and the records that name no usable object.
pub fn event_objects(event: &S3Event) -> (Vec<EventObject>, Vec<SkippedRecord>) {
    let mut objects = Vec::new();
    let mut skipped = Vec::new();
    for record in &event.records {
        let raw_key = record.s3.object.key.clone().unwrap_or_default();
        let Some(bucket) = record.s3.bucket.name.clone().filter(|b| !b.is_empty()) else {
            skipped.push(SkippedRecord { key: raw_key, reason: "record names no bucket".into() });
            continue;
        };
        if raw_key.is_empty() {
            skipped.push(SkippedRecord { key: raw_key, reason: "record names no key".into() });
            continue;
        }
        match decode_key(&raw_key) {
            Ok(key) => objects.push(EventObject {
                bucket,
                key,
                size: record.s3.object.size,
                event_name: record.event_name.clone(),
            }),
            Err(reason) => skipped.push(SkippedRecord { key: raw_key, reason }),
        }
    }
    (objects, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decodes_plus_and_percent_escapes() {
        assert_eq!(decode_key("a+b%3Dc%2Fd.gz").unwrap(), "a b=c/d.gz");
        assert_eq!(decode_key("caf%C3%A9").unwrap(), "café");
        assert_eq!(decode_key("plain/key").unwrap(), "plain/key");
        assert!(decode_key("bad%2").is_err());
        assert!(decode_key("bad%zz").is_err());
        assert!(decode_key("%FF").is_err(), "not UTF-8");
    }

    proptest! {
        #[test]
        fn decoding_inverts_s3_encoding(key in "\\PC{0,80}") {
            prop_assert_eq!(decode_key(&encode_key(&key)).unwrap(), key);
        }
    }
}
