//! Decoder tests: gzip framing, line handling and corruption.

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use proptest::prelude::*;

use super::*;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

#[derive(Debug, PartialEq, Eq)]
enum Item {
    Record(u64, Vec<u8>),
    Oversized(u64, u64, usize),
    Corrupt(u64, Vec<u8>),
}

fn decode_all(bytes: &[u8]) -> (Vec<Item>, u64) {
    let mut decoder = RecordDecoder::new(bytes);
    let mut items = Vec::new();
    while let Some(item) = decoder.next() {
        items.push(match item.unwrap() {
            Decoded::Record { line_number, bytes } => Item::Record(line_number, bytes.to_vec()),
            Decoded::Oversized { line_number, size, prefix } => {
                Item::Oversized(line_number, size, prefix.len())
            }
            Decoded::Corrupt { line_number, partial, .. } => {
                Item::Corrupt(line_number, partial.to_vec())
            }
        });
    }
    (items, decoder.compressed_bytes())
}

#[test]
fn decodes_lines_and_counts_compressed_bytes() {
    let object = gzip(b"{\"a\":1}\n{\"a\":2}\n");
    let (items, compressed) = decode_all(&object);
    assert_eq!(
        items,
        vec![Item::Record(1, b"{\"a\":1}".to_vec()), Item::Record(2, b"{\"a\":2}".to_vec())]
    );
    assert_eq!(compressed, object.len() as u64);
}

#[test]
fn crlf_blank_lines_and_a_missing_final_newline() {
    let (items, _) = decode_all(&gzip(b"{\"a\":1}\r\n\r\n   \n\t\r\n{\"a\":2}"));
    assert_eq!(
        items,
        vec![Item::Record(1, b"{\"a\":1}".to_vec()), Item::Record(5, b"{\"a\":2}".to_vec())]
    );
}

#[test]
fn empty_object_and_empty_gzip_hold_no_records() {
    assert_eq!(decode_all(b"").0, vec![]);
    assert_eq!(decode_all(&gzip(b"")).0, vec![]);
    assert_eq!(decode_all(&gzip(b"\n\n  \n")).0, vec![]);
}

#[test]
fn multi_member_gzip_is_one_stream() {
    let mut object = gzip(b"{\"a\":1}\n");
    object.extend(gzip(b"{\"a\":2}\n"));
    let (items, _) = decode_all(&object);
    assert_eq!(items.len(), 2);
}

#[test]
fn truncated_gzip_keeps_records_before_the_fault() {
    let mut data = Vec::new();
    for i in 0..2000 {
        data.extend_from_slice(
            format!("{{\"event_id\":\"e-{i}\",\"pad\":\"{}\"}}\n", i * 7919).as_bytes(),
        );
    }
    let object = gzip(&data);
    let truncated = &object[..object.len() / 2];
    let (items, _) = decode_all(truncated);
    let corrupt = items.iter().filter(|item| matches!(item, Item::Corrupt(..))).count();
    assert_eq!(corrupt, 1, "exactly one corrupt item");
    assert!(matches!(items.last(), Some(Item::Corrupt(..))), "the fault is last");
    let records = items.len() - 1;
    assert!(records > 100 && records < 2000, "kept {records} records decoded before the fault");
    // Every kept record is complete and in order.
    for (index, item) in items[..records].iter().enumerate() {
        let Item::Record(line, bytes) = item else { panic!("{item:?}") };
        assert_eq!(*line, index as u64 + 1);
        assert!(bytes.starts_with(format!("{{\"event_id\":\"e-{index}\"").as_bytes()));
    }
}

#[test]
fn truncation_in_the_trailer_is_still_corrupt() {
    let object = gzip(b"{\"a\":1}\n");
    let (items, _) = decode_all(&object[..object.len() - 4]);
    assert!(matches!(items.last(), Some(Item::Corrupt(..))), "{items:?}");
}

#[test]
fn garbage_after_a_member_is_corrupt() {
    let mut object = gzip(b"{\"a\":1}\n");
    object.extend_from_slice(b"trailing junk");
    let (items, _) = decode_all(&object);
    assert_eq!(items[0], Item::Record(1, b"{\"a\":1}".to_vec()));
    assert!(matches!(items[1], Item::Corrupt(..)));
    assert_eq!(items.len(), 2);
}

#[test]
fn non_gzip_object_is_one_corrupt_item_with_its_head() {
    let (items, compressed) = decode_all(b"{\"a\":1}\n{\"a\":2}\n");
    assert_eq!(items, vec![Item::Corrupt(1, b"{\"a\":1}\n{\"a\":2}\n".to_vec())]);
    assert_eq!(compressed, 16);
    let (items, _) = decode_all(b"x");
    assert_eq!(items, vec![Item::Corrupt(1, b"x".to_vec())]);
}

#[test]
fn oversized_lines_are_skipped_in_bounded_memory_and_decoding_continues() {
    let mut data = b"{\"a\":1}\n".to_vec();
    let big = MAX_RECORD_BYTES + 10;
    data.extend(std::iter::repeat_n(b'x', big));
    data.extend_from_slice(b"\r\n{\"a\":3}\n");
    let exact = MAX_RECORD_BYTES;
    data.extend(std::iter::repeat_n(b'y', exact));
    data.extend_from_slice(b"\r\n");
    let (items, _) = decode_all(&gzip(&data));
    assert_eq!(items[0], Item::Record(1, b"{\"a\":1}".to_vec()));
    assert_eq!(items[1], Item::Oversized(2, big as u64, MAX_RAW_RECORD_BYTES));
    assert_eq!(items[2], Item::Record(3, b"{\"a\":3}".to_vec()));
    // A line of exactly the limit (plus CRLF) is a record, not oversized.
    let Item::Record(4, bytes) = &items[3] else { panic!("{:?}", items[3]) };
    assert_eq!(bytes.len(), exact);
}

#[test]
fn non_utf8_bytes_stay_within_their_line() {
    let (items, _) = decode_all(&gzip(b"{\"a\":\"\xff\"}\n{\"a\":2}\n"));
    assert_eq!(items[0], Item::Record(1, b"{\"a\":\"\xff\"}".to_vec()));
    assert_eq!(items[1], Item::Record(2, b"{\"a\":2}".to_vec()));
}

/// A reader that fails like a dropped network connection after some bytes.
struct FailingReader {
    data: Vec<u8>,
    position: usize,
    fail_at: usize,
}

impl std::io::Read for FailingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.position >= self.fail_at {
            return Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "connection reset",
            ));
        }
        let end = self.fail_at.min(self.data.len()).min(self.position + buf.len());
        let n = end - self.position;
        buf[..n].copy_from_slice(&self.data[self.position..end]);
        self.position = end;
        Ok(n)
    }
}

#[test]
fn a_failing_source_is_an_error_not_a_corrupt_object() {
    let mut data = Vec::new();
    for i in 0..5000 {
        data.extend_from_slice(format!("{{\"event_id\":\"e-{i}\",\"n\":{}}}\n", i * 31).as_bytes());
    }
    let object = gzip(&data);
    let fail_at = object.len() / 2;
    let mut decoder = RecordDecoder::new(FailingReader { data: object, position: 0, fail_at });
    let mut records = 0;
    loop {
        match decoder.next() {
            Some(Ok(Decoded::Record { .. })) => records += 1,
            Some(Ok(other)) => panic!("unexpected {other:?}"),
            Some(Err(error)) => {
                assert_eq!(error.kind(), std::io::ErrorKind::ConnectionReset);
                break;
            }
            None => panic!("the source failure must surface"),
        }
    }
    assert!(records > 0);
    assert!(decoder.next().is_none());
}

proptest! {
    #[test]
    fn lines_round_trip(lines in proptest::collection::vec("[^\n\r]{0,40}", 0..50), crlf in any::<bool>()) {
        let ending = if crlf { "\r\n" } else { "\n" };
        let data: String = lines.iter().map(|line| format!("{line}{ending}")).collect();
        let (items, _) = decode_all(&gzip(data.as_bytes()));
        let expected: Vec<Item> = lines
            .iter()
            .enumerate()
            .filter(|(_, line)| !line.bytes().all(|b| b.is_ascii_whitespace()))
            .map(|(index, line)| Item::Record(index as u64 + 1, line.as_bytes().to_vec()))
            .collect();
        prop_assert_eq!(items, expected);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048), gz in any::<bool>()) {
        let input = if gz { let mut g = gzip(&bytes); let cut = g.len() / 2 + bytes.len() % 7; g.truncate(cut.min(g.len())); g } else { bytes };
        let _ = decode_all(&input);
    }
}
