//! The dashboard in a real browser: `streamlake serve` on a generated, ingested lake, loaded in
//! headless Chromium (the Debian package; `scripts/test` installs it). The page's rendered DOM
//! must show the same numbers the SQL engine computes from silver, the date filter must
//! filter, and the health panel must turn red when a ledger is made not to balance.
//!
//! Chromium is found through `$CHROMIUM`, else `chromium` or `chromium-browser` on `PATH`; the
//! test fails (it does not skip) without it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::{query_rows, streamlake_ok};

fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return PathBuf::from(path);
    }
    for name in ["chromium", "chromium-browser"] {
        if let Some(dir) = std::env::var_os("PATH")
            .iter()
            .flat_map(std::env::split_paths)
            .find(|dir| dir.join(name).is_file())
        {
            return dir.join(name);
        }
    }
    panic!(
        "Chromium not found: run scripts/test (it installs Debian's chromium), or \
         `apt-get install chromium`, or set CHROMIUM=/path/to/chromium"
    );
}

/// The page's DOM after its scripts ran.
fn dump_dom(url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new("timeout")
        .arg("120")
        .arg(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=8000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(url)
        .stdin(Stdio::null())
        .output()
        .expect("chromium runs");
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// A running `streamlake serve`, stopped on drop.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(lake: &Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_streamlake"))
            .args(["serve", "--port", "0", "--as-of", "latest-arrival", "--lake"])
            .arg(lake)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url = line
            .split_whitespace()
            .find(|word| word.starts_with("http://127.0.0.1:"))
            .unwrap_or_else(|| panic!("no URL in {line:?}"))
            .to_owned();
        Self { child, url }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One start tag's attributes.
type Tag = BTreeMap<String, String>;

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Every start tag of `html` with its attributes (enough of HTML for Chromium's serialisation).
fn tags(html: &str) -> Vec<Tag> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        if rest.starts_with('/') || rest.starts_with('!') {
            continue;
        }
        let mut tag = Tag::new();
        let name_end = rest.find(|c: char| c.is_whitespace() || c == '>' || c == '/').unwrap_or(0);
        tag.insert("<name>".into(), rest[..name_end].to_owned());
        let mut body = &rest[name_end..];
        loop {
            body = body.trim_start();
            if body.is_empty() || body.starts_with('>') || body.starts_with("/>") {
                break;
            }
            let name_end = body
                .find(|c: char| c == '=' || c.is_whitespace() || c == '>')
                .unwrap_or(body.len());
            let name = body[..name_end].to_owned();
            body = &body[name_end..];
            if let Some(after) = body.strip_prefix("=\"") {
                let end = after.find('"').unwrap_or(after.len());
                tag.insert(name, unescape(&after[..end]));
                body = &after[(end + 1).min(after.len())..];
            } else {
                tag.insert(name, String::new());
            }
        }
        out.push(tag);
    }
    out
}

/// The HTML of `<section … id="panel-<name>">`, up to the next panel.
fn panel<'a>(html: &'a str, name: &str) -> &'a str {
    let start =
        html.find(&format!("id=\"panel-{name}\"")).unwrap_or_else(|| panic!("no panel {name}"));
    let rest = &html[start..];
    // Up to the start tag of the next panel.
    let end = rest[1..]
        .find("id=\"panel-")
        .and_then(|next| rest[..next + 1].rfind("<section"))
        .unwrap_or(rest.len());
    &rest[..end]
}

/// `(data-key, data-value)` of the plotted datums of a single-metric panel, in page order.
fn datums(html: &str, name: &str) -> Vec<(String, String)> {
    tags(panel(html, name))
        .into_iter()
        .filter(|tag| tag.contains_key("data-key") && tag.contains_key("data-value"))
        .map(|tag| (tag["data-key"].clone(), tag["data-value"].clone()))
        .collect()
}

fn body(html: &str) -> Tag {
    tags(html).into_iter().find(|tag| tag["<name>"] == "body").unwrap()
}

fn assert_ready(html: &str) {
    let body = body(html);
    assert_eq!(body.get("data-state").map(String::as_str), Some("ready"), "{body:?}");
    assert_eq!(body["data-ready"], body["data-panels"], "{body:?}");
    assert_eq!(body["data-errors"], "0", "{body:?}");
}

fn health(html: &str) -> (String, BTreeMap<String, String>) {
    let all = tags(panel(html, "health"));
    let overall = all.iter().find(|tag| tag.get("id").map(String::as_str) == Some("health"));
    let checks = all
        .iter()
        .filter(|tag| tag.contains_key("data-check"))
        .map(|tag| (tag["data-check"].clone(), tag["data-ok"].clone()))
        .collect();
    (overall.expect("#health")["data-ok"].clone(), checks)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn the_dashboard_shows_the_query_results_and_goes_red_on_an_unbalanced_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let lake_arg = lake.to_str().unwrap();
    streamlake_ok(&[
        "generate",
        "--events",
        "20000",
        "--days",
        "3",
        "--seed",
        "5",
        "--start-date",
        "2026-04-01",
        "--lake",
        lake_arg,
    ]);
    streamlake_ok(&["ingest", "--lake", lake_arg]);
    let server = Server::start(&lake);

    let html = dump_dom(&server.url);
    assert_ready(&html);

    // Rows per date: what the page plots equals silver, counted by the engine.
    let silver: Vec<(String, String)> = query_rows(
        &lake,
        "SELECT event_date, COUNT(*) AS n FROM processed_netflix_events GROUP BY event_date ORDER BY event_date",
    )
    .iter()
    .map(|row| (row["event_date"].as_str().unwrap().to_owned(), row["n"].to_string()))
    .collect();
    assert!(silver.len() >= 3);
    assert_eq!(datums(&html, "rows_per_date"), silver);
    let events: u64 = silver.iter().map(|(_, n)| n.parse::<u64>().unwrap()).sum();
    let kpi = tags(panel(&html, "summary"))
        .into_iter()
        .find(|tag| tag.get("data-kpi").map(String::as_str) == Some("events"))
        .unwrap();
    assert_eq!(kpi["data-value"], events.to_string());

    // Top titles: the first bar is the title with the most views, named and valued as SQL says.
    let top = query_rows(
        &lake,
        "SELECT t.title_id, t.title_name, SUM(g.views) AS views FROM daily_title_engagement g
         JOIN netflix_titles t ON g.title_id = t.title_id
         GROUP BY t.title_id, t.title_name ORDER BY views DESC, t.title_id LIMIT 10",
    );
    let bars: Vec<Tag> = tags(panel(&html, "top_titles"))
        .into_iter()
        .filter(|tag| tag.contains_key("data-key"))
        .collect();
    assert_eq!(bars.len(), 10);
    for (bar, row) in bars.iter().zip(&top) {
        assert_eq!(bar["data-key"], row["title_id"].as_str().unwrap());
        assert_eq!(bar["data-label"], row["title_name"].as_str().unwrap());
        let shown: f64 = bar["data-value"].parse().unwrap();
        assert!(close(shown, row["views"].as_f64().unwrap()), "{shown} vs {row:?}");
    }
    assert!(html.contains(top[0]["title_name"].as_str().unwrap().split('&').next().unwrap()));

    // Event types and devices against silver.
    let types: BTreeMap<String, String> = query_rows(
        &lake,
        "SELECT event_type, COUNT(*) AS n FROM processed_netflix_events GROUP BY event_type",
    )
    .iter()
    .map(|row| (row["event_type"].as_str().unwrap().to_owned(), row["n"].to_string()))
    .collect();
    assert_eq!(datums(&html, "event_types").into_iter().collect::<BTreeMap<_, _>>(), types);

    // The health panel: every check green.
    let (ok, checks) = health(&html);
    assert_eq!(ok, "true", "{checks:?}");
    assert_eq!(checks.len(), 8);
    assert!(checks.values().all(|ok| ok == "true"), "{checks:?}");

    // The date filter, from the URL: one day only, on every date panel.
    let day = &silver[1].0;
    let filtered = dump_dom(&format!("{}?from={day}&to={day}", server.url));
    assert_ready(&filtered);
    let filtered_body = body(&filtered);
    assert_eq!((&filtered_body["data-from"], &filtered_body["data-to"]), (day, day));
    assert_eq!(datums(&filtered, "rows_per_date"), vec![silver[1].clone()]);
    let hours: Vec<String> =
        datums(&filtered, "hours_by_date").into_iter().map(|(key, _)| key).collect();
    assert_eq!(hours, std::slice::from_ref(day));

    // A ledger that no longer balances turns its check, and the panel, red.
    let ledger_dir = lake.join("ledger/netflix");
    let ledger_path = std::fs::read_dir(&ledger_dir).unwrap().next().unwrap().unwrap().path();
    let mut ledger: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&ledger_path).unwrap()).unwrap();
    let written = ledger["written"].as_u64().unwrap();
    ledger["written"] = (written + 1_000).into();
    std::fs::write(&ledger_path, format!("{ledger}\n")).unwrap();
    let broken = dump_dom(&server.url);
    assert_ready(&broken);
    let (ok, checks) = health(&broken);
    assert_eq!(ok, "false");
    assert_eq!(checks["ledgers_balance"], "false");
    assert_eq!(checks["raw_arrivals"], "true", "only the broken ledger's check turns red");
    let health_view = dump_dom(&format!("{}?view=health", server.url));
    assert_eq!(body(&health_view)["data-panels"], "1");
    assert!(health_view.contains("do not balance"), "the detail says why");
}
