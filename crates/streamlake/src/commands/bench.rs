//! `streamlake bench`: honest throughput and memory numbers for the transformer, and the
//! dashboard's response times.
//!
//! `bench serve --lake DIR` starts the dashboard server in this process on a free loopback
//! port and requests every JSON endpoint over real HTTP, one request at a time (one warm-up,
//! then `--iterations` timed requests each), reporting the median, p95 and max per endpoint.
//!
//! `bench gold-scan --lake DIR` measures what the gold refresh reads: every gold query run on
//! DataFusion over the lake's committed files, for one day and for a run of three days, with
//! the bytes its scans fetched (Athena bills the same Parquet column chunks as "data
//! scanned"), per million events of the days refreshed. docs/cost.md prices the refresh from
//! these numbers.
//!
//! `bench transform --input FILE` runs the real transform on the same input several times,
//! in this one process, staging outputs in a temporary directory, and reports the median
//! time, events/s, MB/s (compressed and decompressed) and the process's peak RSS.
//!
//! One benchmark object stands in for hours of traffic, far more than one Firehose buffer
//! holds, so the timeliness window (FROM_FUTURE / TOO_OLD, relative to the object's arrival)
//! is widened: every record is validated, deduplicated and encoded into silver as a normal
//! object's would be, instead of most of them being measured as quarantine rows. The output
//! shows the split, so the workload is visible.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use local_runtime::fs_store::content_hash;
use pipeline_core::{transform_object, SourceObject, TransformConfig};

/// Arguments of `bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub target: BenchTarget,
}

/// What to benchmark.
#[derive(Debug, Subcommand)]
pub enum BenchTarget {
    /// Transform one raw object repeatedly.
    Transform {
        /// A gzip NDJSON raw object.
        #[arg(long)]
        input: PathBuf,
        /// Timed repetitions (the median is reported).
        #[arg(long, default_value_t = 5)]
        iterations: usize,
    },
    /// Bytes the gold queries read per refreshed day (what an Athena refresh is billed).
    GoldScan {
        /// Lake directory (ingested: committed silver, quarantine, ledgers).
        #[arg(long, default_value_os_t = crate::default_lake())]
        lake: PathBuf,
    },
    /// Request every dashboard JSON endpoint repeatedly over HTTP.
    Serve {
        /// Lake directory (ingested, with gold).
        #[arg(long, default_value_os_t = crate::default_lake())]
        lake: PathBuf,
        /// Timed requests per endpoint (after one warm-up).
        #[arg(long, default_value_t = 20)]
        iterations: usize,
        /// Query string added to every request (for example `from=2026-01-01&to=2026-01-07`).
        #[arg(long, default_value = "")]
        query: String,
    },
}

/// The timeliness window of the benchmark (100 years either side of arrival).
const BENCH_TIMELINESS_WINDOW_SECS: i64 = 100 * 365 * 86_400;

/// Peak resident set size of this process in bytes (Linux `VmHWM`).
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Runs `bench`.
pub async fn run(args: BenchArgs) -> Result<ExitCode> {
    match args.target {
        BenchTarget::Transform { input, iterations } => bench_transform(input, iterations.max(1)),
        BenchTarget::Serve { lake, iterations, query } => {
            bench_serve(lake, iterations.max(1), &query).await
        }
        BenchTarget::GoldScan { lake } => bench_gold_scan(lake).await,
    }
}

/// Athena's price per byte scanned: $5 per TB (10^12 bytes).
const ATHENA_USD_PER_BYTE: f64 = 5.0 / 1e12;
/// Athena's minimum billed scan per query.
const ATHENA_MIN_BYTES: u64 = 10 * 1_000_000;

async fn bench_gold_scan(lake_dir: PathBuf) -> Result<ExitCode> {
    use pipeline_core::commit::{committed_partitions, read_state, SILVER};
    use pipeline_core::gold::{parse_day, DateRange, GOLD_QUERIES};
    let lake = local_runtime::Lake::open(&lake_dir)?;
    let store = lake.store();
    let mut events = std::collections::BTreeMap::new();
    for value in committed_partitions(store.as_ref(), &SILVER).await? {
        let (state, _) = read_state(store.as_ref(), &SILVER, &value).await?;
        if let Ok(day) = parse_day(&value) {
            events.insert(day, state.files.iter().map(|file| file.rows).sum::<u64>());
        }
    }
    // Days with a whole read window (a neighbour either side), so that one day's refresh reads
    // what it would in a steady stream.
    let days: Vec<_> = events.keys().copied().collect();
    let inner: Vec<_> = days.windows(3).map(|w| w[1]).collect();
    anyhow::ensure!(
        inner.len() >= 3,
        "{} has {} silver days; gold-scan needs at least 5 (ingest a longer lake)",
        lake_dir.display(),
        days.len()
    );
    let engine = local_runtime::LocalQueryEngine::open(lake.root()).await?;
    println!(
        "gold-scan: lake {} ({} silver days, {} events); bytes each gold query reads to refresh one day (median over {} days with both neighbours) and a run of three days",
        lake_dir.display(),
        days.len(),
        events.values().sum::<u64>(),
        inner.len()
    );
    println!(
        "  {:<36} {:>12} {:>14} {:>12} {:>14} {:>12}",
        "table", "1 day MB", "MB/M events", "3 days MB", "MB/M events", "$/M events"
    );
    let (mut one_total, mut three_total) = (0.0, 0.0);
    for query in &GOLD_QUERIES {
        let mut one_day = Vec::new();
        let mut three_days = Vec::new();
        for (index, day) in inner.iter().enumerate() {
            let range = DateRange::day(*day);
            let scan = engine.scan(&query.bound_sql(&range)?).await?;
            let day_events = events.get(day).copied().unwrap_or(0).max(1);
            one_day.push((scan.bytes_scanned, day_events));
            if index >= 2 {
                let range = DateRange::new(inner[index - 2], *day)?;
                let scan = engine.scan(&query.bound_sql(&range)?).await?;
                // Per event of one (average) day of the run: what a daily run that recomputes
                // three days costs per event arriving that day.
                let run_events: u64 = range.days().filter_map(|d| events.get(&d)).sum();
                three_days.push((scan.bytes_scanned, (run_events / 3).max(1)));
            }
        }
        let median = |mut samples: Vec<(u64, u64)>| -> (f64, f64) {
            samples.sort_by(|a, b| (a.0 as f64 / a.1 as f64).total_cmp(&(b.0 as f64 / b.1 as f64)));
            let (bytes, n) = samples[samples.len() / 2];
            (bytes as f64 / 1e6, bytes as f64 / n as f64)
        };
        let (one_mb, one_per_event) = median(one_day);
        let (three_mb, three_per_event) = median(three_days);
        one_total += one_per_event;
        three_total += three_per_event;
        println!(
            "  {:<36} {:>12.2} {:>14.2} {:>12.2} {:>14.2} {:>12.5}",
            query.table.name,
            one_mb,
            one_per_event,
            three_mb,
            three_per_event,
            three_per_event * 1e6 * ATHENA_USD_PER_BYTE
        );
    }
    println!(
        "  {:<36} {:>12} {:>14.2} {:>12} {:>14.2} {:>12.5}",
        "all gold tables",
        "",
        one_total,
        "",
        three_total,
        three_total * 1e6 * ATHENA_USD_PER_BYTE
    );
    // The ledgers are JSON (unpartitioned): DataFusion's JSON scan reports no bytes, and
    // Athena reads every object whole, so daily_data_quality scans all of them, every run.
    let mut ledger_bytes = 0u64;
    let mut ledgers = 0u64;
    for entry in std::fs::read_dir(lake.root().join("ledger/netflix"))? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().ends_with(".json") {
            ledger_bytes += entry.metadata()?.len();
            ledgers += 1;
        }
    }
    println!(
        "  daily_data_quality reads every ledger whole (JSON, not partitioned): {ledgers} ledgers, {:.2} MB, {:.0} bytes per raw object",
        ledger_bytes as f64 / 1e6,
        ledger_bytes as f64 / ledgers.max(1) as f64
    );
    println!(
        "  (1 day: bytes a one-day refresh reads (silver D-1..D+1) per event of the day. 3 days: bytes a three-day run reads (D-3..D+1) per event of one of its days, i.e. per event arriving on the day a daily run refreshes three days; $/M at $5/TB. Athena bills at least {} MB per query.)",
        ATHENA_MIN_BYTES / 1_000_000
    );
    Ok(ExitCode::SUCCESS)
}

/// One HTTP/1.1 GET over a fresh connection: (status, body bytes).
async fn http_get(address: std::net::SocketAddr, path: &str) -> Result<(u16, usize)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let text = String::from_utf8_lossy(&response);
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map_or(0, |(_, body)| body.len());
    Ok((status, body))
}

async fn bench_serve(lake: PathBuf, iterations: usize, query: &str) -> Result<ExitCode> {
    use crate::serve::{bind, router, AppState, AsOf, ENDPOINTS};
    let started = Instant::now();
    let state = std::sync::Arc::new(AppState::load(&lake, AsOf::Now, Default::default())?);
    let loaded = started.elapsed().as_secs_f64();
    let (listener, address) = bind(0).await?;
    let server = tokio::spawn(async move { axum::serve(listener, router(state)).await });
    println!(
        "serve benchmark: lake {} (server start, ledger index included: {loaded:.2} s); {iterations} sequential requests per endpoint after one warm-up",
        lake.display()
    );
    println!(
        "  {:<24} {:>10} {:>10} {:>10} {:>10}",
        "endpoint", "median ms", "p95 ms", "max ms", "bytes"
    );
    let mut worst: f64 = 0.0;
    for endpoint in ENDPOINTS {
        let path =
            if query.is_empty() { endpoint.to_owned() } else { format!("{endpoint}?{query}") };
        let (status, _) = http_get(address, &path).await?;
        anyhow::ensure!(status == 200, "{path} answered HTTP {status}");
        let mut timings = Vec::with_capacity(iterations);
        let mut bytes = 0;
        for _ in 0..iterations {
            let start = Instant::now();
            let (status, body) = http_get(address, &path).await?;
            timings.push(start.elapsed().as_secs_f64() * 1000.0);
            anyhow::ensure!(status == 200, "{path} answered HTTP {status}");
            bytes = body;
        }
        timings.sort_by(f64::total_cmp);
        let median = timings[timings.len() / 2];
        let p95 = timings[(timings.len() * 95).div_ceil(100).saturating_sub(1)];
        let max = timings[timings.len() - 1];
        worst = worst.max(max);
        println!("  {endpoint:<24} {median:>10.1} {p95:>10.1} {max:>10.1} {bytes:>10}");
    }
    println!("  slowest single request: {worst:.1} ms");
    server.abort();
    Ok(ExitCode::SUCCESS)
}

fn bench_transform(input: PathBuf, iterations: usize) -> Result<ExitCode> {
    let etag = content_hash(&input).with_context(|| format!("cannot read {}", input.display()))?;
    let source = SourceObject { key: input.display().to_string(), etag, last_modified: 0 };
    let mut timings = Vec::with_capacity(iterations);
    let mut last = None;
    for _ in 0..iterations {
        let staging = tempfile::tempdir().context("creating a staging directory")?;
        let mut config = TransformConfig::new(staging.path());
        config.policy.max_clock_skew_secs = BENCH_TIMELINESS_WINDOW_SECS;
        config.policy.max_event_age_secs = BENCH_TIMELINESS_WINDOW_SECS;
        let file = std::fs::File::open(&input)
            .with_context(|| format!("cannot read {}", input.display()))?;
        let started = Instant::now();
        let output = transform_object(&source, Box::new(std::io::BufReader::new(file)), &config)?;
        timings.push(started.elapsed().as_secs_f64());
        last = Some((output.ledger, output.decompressed_bytes));
    }
    let Some((ledger, decompressed)) = last else { anyhow::bail!("no iterations ran") };
    timings.sort_by(f64::total_cmp);
    let median = timings[timings.len() / 2];
    let mb = |bytes: u64| bytes as f64 / 1_000_000.0;
    println!(
        "transform benchmark: {} ({} iterations, median reported)",
        input.display(),
        iterations
    );
    println!("  records in:          {}", ledger.records_in);
    println!(
        "  written / quarantined / duplicates: {} / {} / {}",
        ledger.written, ledger.quarantined, ledger.duplicates_dropped
    );
    println!(
        "  median time:         {:.3} s (min {:.3}, max {:.3})",
        median,
        timings[0],
        timings[timings.len() - 1]
    );
    println!("  events/s:            {:.0}", ledger.records_in as f64 / median);
    println!("  MB/s (gzip input):   {:.1}", mb(ledger.bytes_in) / median);
    println!("  MB/s (decompressed): {:.1}", mb(decompressed) / median);
    match peak_rss_bytes() {
        Some(bytes) => {
            println!("  peak RSS:            {:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
        }
        None => println!("  peak RSS:            n/a (no /proc/self/status)"),
    }
    Ok(ExitCode::SUCCESS)
}
