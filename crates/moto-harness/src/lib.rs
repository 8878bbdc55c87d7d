//! A real `moto_server` for the adapter tests: found through `MOTO_SERVER_BIN` or
//! `.venv-moto/bin/moto_server` at the workspace root (`scripts/moto-venv` installs it),
//! started on a free loopback port, polled over HTTP until it answers, and killed on drop.
//!
//! Without moto the tests fail with a clear message, unless `STREAMLAKE_SKIP_MOTO=1`.
//!
//! [`fault_proxy`] sits between a client and moto and fails chosen Firehose
//! `PutRecordBatch` entries, for partial-failure tests.
//!
//! Test support only: failures panic, which fails the calling test with the message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod fault_proxy;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_adapters::config::{load_sdk_config_with, AwsSettings};
use aws_config::SdkConfig;

/// A running moto server.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    port: u16,
    log: tempfile::NamedTempFile,
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn moto_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("MOTO_SERVER_BIN").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let path = workspace_root().join(".venv-moto/bin/moto_server");
    path.is_file().then_some(path)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// One HTTP/1.0 exchange with the server: (status, body).
pub fn http(port: u16, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    Ok((status, body))
}

impl Moto {
    /// Starts moto, or returns `None` when `STREAMLAKE_SKIP_MOTO=1`. Panics (failing the
    /// test) with instructions when moto is not installed.
    pub fn start() -> Option<Self> {
        if std::env::var("STREAMLAKE_SKIP_MOTO").as_deref() == Ok("1") {
            eprintln!("STREAMLAKE_SKIP_MOTO=1: skipping a moto integration test");
            return None;
        }
        let Some(binary) = moto_binary() else {
            panic!(
                "moto_server not found: run scripts/moto-venv (installs moto[server] into \
                 .venv-moto/), or set MOTO_SERVER_BIN, or set STREAMLAKE_SKIP_MOTO=1 to skip \
                 the AWS adapter integration tests"
            );
        };
        let mut last_error = String::new();
        for _ in 0..3 {
            let port = free_port();
            let log = tempfile::NamedTempFile::new().unwrap();
            let child = Command::new(&binary)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(log.reopen().unwrap())
                .stderr(log.reopen().unwrap())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
            let mut moto = Moto { child, endpoint: format!("http://127.0.0.1:{port}"), port, log };
            match moto.wait_ready(Duration::from_secs(30)) {
                Ok(()) => return Some(moto),
                Err(error) => last_error = error,
            }
        }
        panic!("moto_server did not start: {last_error}");
    }

    fn wait_ready(&mut self, timeout: Duration) -> Result<(), String> {
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = std::fs::read_to_string(self.log.path()).unwrap_or_default();
                return Err(format!("moto_server exited with {status}: {log}"));
            }
            if let Ok((status, _)) = http(self.port, "GET", "/moto-api/", "") {
                if status == 200 {
                    return Ok(());
                }
            }
            if start.elapsed() > timeout {
                return Err(format!("no HTTP answer on port {} within {timeout:?}", self.port));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The SDK configuration for this server: endpoint override, us-east-1, dummy keys.
    pub async fn sdk_config(&self) -> SdkConfig {
        load_sdk_config_with(&AwsSettings::local(&self.endpoint)).await
    }

    /// The loopback port moto listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A request to moto's own API (`/moto-api/...`).
    pub fn api(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        http(self.port, method, path, body).unwrap()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
