//! Record packing: several newline-terminated events in one Firehose record.
//!
//! Firehose bills ingestion per record, each rounded up to the next 5 KB. A playback event
//! is about 330 bytes, so one event per record pays for roughly 15 times the bytes sent.
//! [`RecordPacker`] concatenates whole NDJSON lines into records of at most
//! [`DEFAULT_PACK_BYTES`] (5,000 bytes: one billing increment whether "5 KB" is read as
//! 5,000 or 5,120 bytes). The delivered S3 object is still NDJSON, so the transformer cannot
//! tell. A line is never split; a line longer than the pack size travels alone (and the
//! delivery layer rejects it if it exceeds Firehose's 1,000 KiB record limit).

use bytes::{Bytes, BytesMut};

/// Default packed-record size: 5,000 bytes, just under one 5 KB billing increment.
pub const DEFAULT_PACK_BYTES: usize = 5_000;

/// A packed Firehose record and how many events it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackedRecord {
    /// The record: whole lines, each ending in `\n`.
    pub data: Bytes,
    /// Events in it.
    pub events: usize,
}

/// Packs newline-terminated events into records of at most `max_bytes`.
#[derive(Debug)]
pub struct RecordPacker {
    max_bytes: usize,
    current: BytesMut,
    events: usize,
    done: Vec<PackedRecord>,
}

impl RecordPacker {
    /// A packer making records of at most `max_bytes` (at least 1).
    pub fn new(max_bytes: usize) -> Self {
        Self { max_bytes: max_bytes.max(1), current: BytesMut::new(), events: 0, done: Vec::new() }
    }

    /// Adds one event; a missing trailing `\n` is added so records stay NDJSON.
    pub fn push(&mut self, event: &[u8]) {
        let needs_newline = !event.ends_with(b"\n");
        let length = event.len() + usize::from(needs_newline);
        if self.events > 0 && self.current.len() + length > self.max_bytes {
            self.seal();
        }
        self.current.extend_from_slice(event);
        if needs_newline {
            self.current.extend_from_slice(b"\n");
        }
        self.events += 1;
        if self.current.len() >= self.max_bytes {
            self.seal();
        }
    }

    fn seal(&mut self) {
        if self.events > 0 {
            let data = self.current.split().freeze();
            self.done.push(PackedRecord { data, events: self.events });
            self.events = 0;
        }
    }

    /// Records completed so far (the open record stays open).
    pub fn take_ready(&mut self) -> Vec<PackedRecord> {
        std::mem::take(&mut self.done)
    }

    /// Every record, the open one included.
    pub fn finish(mut self) -> Vec<PackedRecord> {
        self.seal();
        self.done
    }
}

/// Packs `events` in order into records of at most `max_bytes`.
pub fn pack_events<E: AsRef<[u8]>>(events: &[E], max_bytes: usize) -> Vec<PackedRecord> {
    let mut packer = RecordPacker::new(max_bytes);
    for event in events {
        packer.push(event.as_ref());
    }
    packer.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(i: usize, len: usize) -> Vec<u8> {
        let mut line = format!("{{\"event_id\":\"e{i}\",\"pad\":\"").into_bytes();
        while line.len() + 3 < len {
            line.push(b'x');
        }
        line.extend_from_slice(b"\"}\n");
        line
    }

    #[test]
    fn packs_whole_lines_up_to_the_size() {
        let events: Vec<Vec<u8>> = (0..100).map(|i| event(i, 330)).collect();
        let records = pack_events(&events, DEFAULT_PACK_BYTES);
        assert_eq!(records.len(), 7, "15 events of 330 bytes fit in 5,000");
        assert!(records.iter().all(|r| r.data.len() <= DEFAULT_PACK_BYTES));
        assert_eq!(records.iter().map(|r| r.events).sum::<usize>(), 100);
        let joined: Vec<u8> = records.iter().flat_map(|r| r.data.to_vec()).collect();
        assert_eq!(joined, events.concat(), "order and bytes preserved, no line split");
        for record in &records {
            assert!(record.data.ends_with(b"\n"));
            assert_eq!(record.data.iter().filter(|&&b| b == b'\n').count(), record.events);
        }
    }

    #[test]
    fn an_oversized_line_goes_alone() {
        let events = vec![event(0, 100), event(1, 9_000), event(2, 100), event(3, 100)];
        let records = pack_events(&events, 1_000);
        assert_eq!(records.len(), 3);
        assert_eq!(records[0].events, 1);
        assert_eq!(records[1].data.len(), 9_000);
        assert_eq!(records[1].events, 1);
        assert_eq!(records[2].events, 2);
    }

    #[test]
    fn adds_missing_newlines_and_handles_exact_fits() {
        let records = pack_events(&[b"a".as_slice(), b"b\n", b"c"], 4);
        assert_eq!(records[0].data, Bytes::from_static(b"a\nb\n"));
        assert_eq!(records[1].data, Bytes::from_static(b"c\n"));
        assert!(pack_events::<&[u8]>(&[], 10).is_empty());
        let mut packer = RecordPacker::new(4);
        packer.push(b"ab\n");
        assert!(packer.take_ready().is_empty());
        packer.push(b"cd\n");
        assert_eq!(packer.take_ready().len(), 1);
        assert_eq!(packer.finish().len(), 1);
    }
}
