//! A loopback fault proxy for Firehose `PutRecordBatch`, between an SDK client and moto.
//!
//! Point a client's endpoint at [`FaultProxy::endpoint`]. Every request is forwarded to the
//! moto server, except that for `PutRecordBatch` the proxy decides, entry by entry, which
//! records fail: those are **not** forwarded (so moto never stores them), and the response
//! the client gets is synthesised in the original entry order, with moto's `RecordId` for
//! each forwarded entry and `ErrorCode: ServiceUnavailableException` for each failed one
//! (`FailedPutCount` adjusted). A call whose entries all fail is answered without reaching
//! moto. This is what a real partial failure looks like from the client's side, and it keeps
//! the bucket an exact record of what the service accepted.
//!
//! The decision is `decide(record, attempt)`, where `attempt` counts how many times the
//! proxy has now seen that exact record (1 = first time), so a schedule such as "fail on the
//! first attempt, succeed on the second" is a pure function. Records are therefore told apart
//! by content: send distinct records. Every `PutRecordBatch` call is logged
//! ([`FaultProxy::calls`]).
//!
//! Plain blocking HTTP/1.1 on std threads: requests with a `Content-Length` body (which is
//! what the SDK sends for JSON protocols), keep-alive towards the client, one fresh
//! `Connection: close` exchange with moto per request.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

/// The error code given to failed entries.
pub const INJECTED_ERROR_CODE: &str = "ServiceUnavailableException";

/// `decide(record, attempt) == true` fails that entry.
pub type Decide = dyn Fn(&[u8], u32) -> bool + Send + Sync;

/// One `PutRecordBatch` call as the proxy saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutCall {
    /// The records (decoded `Data`), in request order.
    pub records: Vec<Vec<u8>>,
    /// Which of them the proxy failed (not forwarded).
    pub failed: Vec<bool>,
}

impl PutCall {
    /// The records the proxy failed.
    pub fn failed_records(&self) -> Vec<Vec<u8>> {
        self.records.iter().zip(&self.failed).filter(|(_, f)| **f).map(|(r, _)| r.clone()).collect()
    }
}

struct State {
    upstream: u16,
    decide: Box<Decide>,
    seen: Mutex<HashMap<Vec<u8>, u32>>,
    calls: Mutex<Vec<PutCall>>,
    stop: AtomicBool,
}

/// A running fault proxy; stops accepting connections on drop.
pub struct FaultProxy {
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    port: u16,
    state: Arc<State>,
}

impl FaultProxy {
    /// Starts a proxy in front of the moto server on `upstream_port`.
    pub fn start(
        upstream_port: u16,
        decide: impl Fn(&[u8], u32) -> bool + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(State {
            upstream: upstream_port,
            decide: Box::new(decide),
            seen: Mutex::new(HashMap::new()),
            calls: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let accept_state = state.clone();
        std::thread::spawn(move || {
            for connection in listener.incoming() {
                if accept_state.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(connection) = connection else { continue };
                let state = accept_state.clone();
                std::thread::spawn(move || {
                    if let Err(error) = serve(&state, connection) {
                        eprintln!("fault proxy: connection error: {error}");
                    }
                });
            }
        });
        FaultProxy { endpoint: format!("http://127.0.0.1:{port}"), port, state }
    }

    /// Every `PutRecordBatch` call so far, in order.
    pub fn calls(&self) -> Vec<PutCall> {
        self.state.calls.lock().unwrap().clone()
    }

    /// How many times the proxy has seen `record`.
    pub fn times_seen(&self, record: &[u8]) -> u32 {
        self.state.seen.lock().unwrap().get(record).copied().unwrap_or(0)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// A parsed HTTP message: start line, headers, body.
struct Message {
    start: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Message {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// A start line and its headers.
type Head = (String, Vec<(String, String)>);

/// Reads a start line and headers; `None` on a clean EOF before the first byte.
fn read_head(reader: &mut impl BufRead) -> std::io::Result<Option<Head>> {
    let mut start = String::new();
    if reader.read_line(&mut start)? == 0 {
        return Ok(None);
    }
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "headers cut"));
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    Ok(Some((start.trim_end_matches(['\r', '\n']).to_owned(), headers)))
}

fn serve(state: &State, connection: TcpStream) -> std::io::Result<()> {
    connection.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut writer = connection.try_clone()?;
    let mut reader = BufReader::new(connection);
    loop {
        let Some((start, headers)) = read_head(&mut reader)? else { return Ok(()) };
        let length = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        let request = Message { start, headers, body };
        let close = request.header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let is_put = request.header("x-amz-target").is_some_and(|t| t.ends_with(".PutRecordBatch"));
        let response =
            if is_put { put_record_batch(state, &request)? } else { forward(state, &request)? };
        write_response(&mut writer, &response)?;
        if close {
            return Ok(());
        }
    }
}

/// One `Connection: close` exchange with moto.
fn forward(state: &State, request: &Message) -> std::io::Result<Message> {
    let mut upstream = TcpStream::connect(("127.0.0.1", state.upstream))?;
    upstream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut head = format!("{}\r\n", request.start);
    for (name, value) in &request.headers {
        if !["content-length", "connection", "transfer-encoding"]
            .iter()
            .any(|skip| name.eq_ignore_ascii_case(skip))
        {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    head.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", request.body.len()));
    upstream.write_all(head.as_bytes())?;
    upstream.write_all(&request.body)?;
    upstream.flush()?;
    let mut reader = BufReader::new(upstream);
    let (start, headers) = read_head(&mut reader)?.ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "moto closed without a response")
    })?;
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest)?;
    let chunked = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked { dechunk(&rest)? } else { rest };
    Ok(Message { start, headers, body })
}

fn dechunk(mut data: &[u8]) -> std::io::Result<Vec<u8>> {
    let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "bad chunked body");
    let mut body = Vec::new();
    loop {
        let end = data.windows(2).position(|w| w == b"\r\n").ok_or_else(bad)?;
        let size_text = std::str::from_utf8(&data[..end]).map_err(|_| bad())?;
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| bad())?;
        data = &data[end + 2..];
        if size == 0 {
            return Ok(body);
        }
        if data.len() < size + 2 {
            return Err(bad());
        }
        body.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

fn write_response(writer: &mut TcpStream, response: &Message) -> std::io::Result<()> {
    let mut head = format!("{}\r\n", response.start);
    for (name, value) in &response.headers {
        if !["content-length", "connection", "transfer-encoding"]
            .iter()
            .any(|skip| name.eq_ignore_ascii_case(skip))
        {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", response.body.len()));
    writer.write_all(head.as_bytes())?;
    writer.write_all(&response.body)?;
    writer.flush()
}

fn json_response(body: &Value) -> Message {
    Message {
        start: "HTTP/1.1 200 OK".into(),
        headers: vec![
            ("Content-Type".into(), "application/x-amz-json-1.1".into()),
            ("x-amzn-RequestId".into(), "fault-proxy".into()),
        ],
        body: body.to_string().into_bytes(),
    }
}

fn put_record_batch(state: &State, request: &Message) -> std::io::Result<Message> {
    let parsed: Value = serde_json::from_slice(&request.body).unwrap();
    let entries = parsed["Records"].as_array().cloned().unwrap_or_default();
    let records: Vec<Vec<u8>> = entries
        .iter()
        .map(|entry| base64_decode(entry["Data"].as_str().unwrap_or("")).unwrap())
        .collect();
    // Decide every entry under one lock, so concurrent calls see consistent attempt counts.
    let failed: Vec<bool> = {
        let mut seen = state.seen.lock().unwrap();
        records
            .iter()
            .map(|record| {
                let attempt = seen.entry(record.clone()).or_insert(0);
                *attempt += 1;
                (state.decide)(record, *attempt)
            })
            .collect()
    };
    state.calls.lock().unwrap().push(PutCall { records: records.clone(), failed: failed.clone() });
    let accepted: Vec<Value> = entries
        .iter()
        .zip(&failed)
        .filter(|(_, failed)| !**failed)
        .map(|(entry, _)| entry.clone())
        .collect();
    let mut upstream_entries = Vec::new().into_iter();
    let mut upstream_failed = 0;
    if !accepted.is_empty() {
        let mut forwarded = parsed.clone();
        forwarded["Records"] = Value::Array(accepted.clone());
        let body = forwarded.to_string().into_bytes();
        let upstream = forward(
            state,
            &Message { start: request.start.clone(), headers: request.headers.clone(), body },
        )?;
        if !upstream.start.contains(" 200") {
            // Not a batch result (a missing stream, say): pass it through as it is.
            return Ok(upstream);
        }
        let answer: Value = serde_json::from_slice(&upstream.body).unwrap();
        let responses = answer["RequestResponses"].as_array().cloned().unwrap_or_default();
        assert_eq!(responses.len(), accepted.len(), "moto answered every forwarded entry");
        upstream_failed = answer["FailedPutCount"].as_u64().unwrap_or(0);
        upstream_entries = responses.into_iter();
    }
    let mut injected = 0u64;
    let responses: Vec<Value> = failed
        .iter()
        .map(|failed| {
            if *failed {
                injected += 1;
                json!({
                    "ErrorCode": INJECTED_ERROR_CODE,
                    "ErrorMessage": "Slow down (injected by the fault proxy)."
                })
            } else {
                upstream_entries.next().unwrap()
            }
        })
        .collect();
    Ok(json_response(&json!({
        "FailedPutCount": injected + upstream_failed,
        "Encrypted": false,
        "RequestResponses": responses,
    })))
}

/// Standard base64 (with or without padding).
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    fn value(byte: u8) -> Option<u32> {
        Some(match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let bytes: Vec<u8> = text.bytes().filter(|b| *b != b'=').collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for group in bytes.chunks(4) {
        let mut acc = 0u32;
        for (i, byte) in group.iter().enumerate() {
            acc |= value(*byte)? << (18 - 6 * i);
        }
        let produced = match group.len() {
            4 => 3,
            3 => 2,
            2 => 1,
            _ => return None,
        };
        for i in 0..produced {
            out.push((acc >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_every_padding() {
        assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode("aGVsbG8h").unwrap(), b"hello!");
        assert_eq!(base64_decode("aGk=").unwrap(), b"hi");
        assert_eq!(base64_decode("").unwrap(), b"");
        assert_eq!(base64_decode("+/8=").unwrap(), vec![0xfb, 0xff]);
        assert!(base64_decode("a").is_none());
        assert!(base64_decode("a*==").is_none());
    }

    #[test]
    fn chunked_bodies_are_joined() {
        assert_eq!(dechunk(b"3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n").unwrap(), b"abcde");
    }
}
