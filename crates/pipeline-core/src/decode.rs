//! Streaming decoding of a raw object: gzip (single or multi-member) NDJSON, one record per
//! line, never holding more than one record in memory.
//!
//! - Empty and whitespace-only lines are not records and are not counted.
//! - `\r\n` line endings are accepted (the `\r` is stripped).
//! - A line longer than [`MAX_RECORD_BYTES`] is skipped in bounded memory and reported as
//!   oversized, with its first 64 KiB kept for quarantine.
//! - A broken or truncated gzip stream, or an object that is not gzip at all, ends decoding
//!   with one [`Decoded::Corrupt`] item; every record decoded before the fault has already
//!   been yielded.
//! - A zero-byte object holds no records.

use std::io::{self, BufRead, BufReader, Chain, Cursor, Read};

use event_model::schema::MAX_RAW_RECORD_BYTES;
use event_model::validate::MAX_RECORD_BYTES;
use flate2::bufread::MultiGzDecoder;

/// Gzip's magic bytes.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// Read-buffer size for the decompressed stream.
const BUFFER_BYTES: usize = 256 * 1024;

/// One item decoded from a raw object.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded<'a> {
    /// A record (a non-blank line without its terminator).
    Record {
        /// 1-based physical line number in the decompressed object.
        line_number: u64,
        /// The record's bytes.
        bytes: &'a [u8],
    },
    /// A line over the record-size limit.
    Oversized {
        /// 1-based physical line number.
        line_number: u64,
        /// Total size of the line in bytes.
        size: u64,
        /// The first bytes of the line (at most 64 KiB).
        prefix: &'a [u8],
    },
    /// The object is corrupt from this point on; decoding has stopped.
    Corrupt {
        /// 1-based line number at which the fault was detected.
        line_number: u64,
        /// What was wrong.
        detail: String,
        /// Bytes of the incomplete line decoded before the fault (or the object's first
        /// bytes when it is not gzip), at most 64 KiB.
        partial: &'a [u8],
    },
}

/// Counts the compressed bytes read from the source and remembers whether the source itself
/// failed, so a network or disk error is never mistaken for a corrupt object.
struct CountingReader<R> {
    inner: R,
    count: u64,
    failed: bool,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(read) => {
                self.count += read as u64;
                Ok(read)
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => Err(error),
            Err(error) => {
                self.failed = true;
                Err(error)
            }
        }
    }
}

type Source<R> = BufReader<Chain<Cursor<Vec<u8>>, CountingReader<R>>>;

enum State<R: Read> {
    /// Not yet started: the magic bytes have not been checked.
    Start(Option<R>),
    /// Decoding lines.
    Lines(Box<BufReader<MultiGzDecoder<Source<R>>>>),
    /// Done (clean end, or after a corrupt item).
    Done,
}

/// A pull decoder over one raw object.
pub struct RecordDecoder<R: Read> {
    state: State<R>,
    line: Vec<u8>,
    line_number: u64,
    compressed_bytes_at_end: u64,
    decompressed_bytes: u64,
}

impl<R: Read> RecordDecoder<R> {
    /// Wraps a reader over the raw (compressed) object bytes.
    pub fn new(reader: R) -> Self {
        Self {
            state: State::Start(Some(reader)),
            line: Vec::with_capacity(4096),
            line_number: 0,
            compressed_bytes_at_end: 0,
            decompressed_bytes: 0,
        }
    }

    /// Compressed bytes consumed so far (the object's size once decoding is complete).
    pub fn compressed_bytes(&self) -> u64 {
        match &self.state {
            State::Lines(reader) => reader.get_ref().get_ref().get_ref().get_ref().1.count,
            _ => self.compressed_bytes_at_end,
        }
    }

    /// Decompressed bytes consumed so far.
    pub fn decompressed_bytes(&self) -> u64 {
        self.decompressed_bytes
    }

    /// Returns the next item, or `None` at the end of the object. An `Err` means the
    /// *source* failed (I/O or network), which is retryable and says nothing about the object;
    /// a corrupt object is `Ok(Decoded::Corrupt)`.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<io::Result<Decoded<'_>>> {
        if let State::Start(reader) = &mut self.state {
            let reader = reader.take()?;
            match start(reader) {
                Ok(Started::Empty(count)) => {
                    self.compressed_bytes_at_end = count;
                    self.state = State::Done;
                    return None;
                }
                Ok(Started::NotGzip(head, count)) => {
                    self.compressed_bytes_at_end = count;
                    self.state = State::Done;
                    self.line = head;
                    return Some(Ok(Decoded::Corrupt {
                        line_number: 1,
                        detail: "object is not gzip (missing the 1f 8b magic bytes)".to_owned(),
                        partial: &self.line,
                    }));
                }
                Ok(Started::Gzip(source)) => {
                    self.state = State::Lines(Box::new(BufReader::with_capacity(
                        BUFFER_BYTES,
                        MultiGzDecoder::new(source),
                    )));
                }
                Err(error) => {
                    self.state = State::Done;
                    return Some(Err(error));
                }
            }
        }
        loop {
            let State::Lines(reader) = &mut self.state else { return None };
            self.line.clear();
            self.line_number += 1;
            match read_line(reader, &mut self.line) {
                Ok(LineRead::Eof) => {
                    self.finish();
                    return None;
                }
                Ok(LineRead::Line { total, terminated, ends_with_cr }) => {
                    self.decompressed_bytes += total;
                    let size =
                        total - u64::from(terminated) - u64::from(terminated && ends_with_cr);
                    if size > MAX_RECORD_BYTES as u64 {
                        self.line.truncate(MAX_RAW_RECORD_BYTES);
                        return Some(Ok(Decoded::Oversized {
                            line_number: self.line_number,
                            size,
                            prefix: &self.line,
                        }));
                    }
                    strip_line_ending(&mut self.line);
                    if self.line.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    return Some(Ok(Decoded::Record {
                        line_number: self.line_number,
                        bytes: &self.line,
                    }));
                }
                Err(error) => {
                    let source_failed = self.source_failed();
                    self.finish();
                    if source_failed {
                        return Some(Err(error));
                    }
                    self.line.truncate(MAX_RAW_RECORD_BYTES);
                    return Some(Ok(Decoded::Corrupt {
                        line_number: self.line_number,
                        detail: format!("gzip stream is broken or truncated: {error}"),
                        partial: &self.line,
                    }));
                }
            }
        }
    }

    fn source_failed(&self) -> bool {
        match &self.state {
            State::Lines(reader) => reader.get_ref().get_ref().get_ref().get_ref().1.failed,
            _ => false,
        }
    }

    fn finish(&mut self) {
        self.compressed_bytes_at_end = self.compressed_bytes();
        self.state = State::Done;
    }
}

fn strip_line_ending(line: &mut Vec<u8>) {
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    }
}

enum Started<R> {
    Empty(u64),
    NotGzip(Vec<u8>, u64),
    Gzip(Source<R>),
}

fn start<R: Read>(reader: R) -> io::Result<Started<R>> {
    let mut counting = CountingReader { inner: reader, count: 0, failed: false };
    let mut head = Vec::with_capacity(2);
    (&mut counting).take(2).read_to_end(&mut head)?;
    if head.is_empty() {
        return Ok(Started::Empty(counting.count));
    }
    if head != GZIP_MAGIC {
        // Keep the object's first bytes (bounded) for the quarantine row.
        let mut sample = head;
        (&mut counting)
            .take((MAX_RAW_RECORD_BYTES - sample.len()) as u64)
            .read_to_end(&mut sample)?;
        io::copy(&mut counting, &mut io::sink())?;
        return Ok(Started::NotGzip(sample, counting.count));
    }
    Ok(Started::Gzip(BufReader::with_capacity(BUFFER_BYTES, Cursor::new(head).chain(counting))))
}

enum LineRead {
    Eof,
    Line { total: u64, terminated: bool, ends_with_cr: bool },
}

/// Reads one line (including its `\n`, if any) into `line`, keeping at most
/// `MAX_RECORD_BYTES + 2` bytes; the rest of a longer line is consumed and counted only.
fn read_line<B: BufRead>(reader: &mut B, line: &mut Vec<u8>) -> io::Result<LineRead> {
    let cap = MAX_RECORD_BYTES + 2;
    let mut total: u64 = 0;
    let mut previous: Option<u8> = None;
    loop {
        let available = match reader.fill_buf() {
            Ok(buffer) => buffer,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        if available.is_empty() {
            return Ok(if total == 0 {
                LineRead::Eof
            } else {
                LineRead::Line { total, terminated: false, ends_with_cr: false }
            });
        }
        let newline = available.iter().position(|&b| b == b'\n');
        let chunk = match newline {
            Some(index) => &available[..=index],
            None => available,
        };
        let room = cap.saturating_sub(line.len());
        line.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let used = chunk.len();
        total += used as u64;
        if let Some(index) = newline {
            let before = if index > 0 { Some(available[index - 1]) } else { previous };
            reader.consume(used);
            return Ok(LineRead::Line {
                total,
                terminated: true,
                ends_with_cr: before == Some(b'\r'),
            });
        }
        previous = chunk.last().copied();
        reader.consume(used);
    }
}

#[cfg(test)]
mod tests;
