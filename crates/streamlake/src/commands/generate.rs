//! `streamlake generate`: synthetic playback events through the local Firehose into the raw
//! zone, plus the title dimension and (optionally) the ground truth.
//!
//! With `--firehose STREAM` the same records go to a real Amazon Data Firehose delivery
//! stream instead (see [`firehose`]); `--lake` and the local buffering options then do not
//! apply, while `--truth` still writes the generator's ground truth.

#[cfg(feature = "aws")]
pub mod firehose;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use bytes::Bytes;
use chrono::NaiveDate;
use clap::Args;
use event_generator::{Generator, GeneratorConfig, GroundTruth};
use local_runtime::titles::write_titles;
use local_runtime::{FirehoseConfig, Lake, LocalFirehose};
use pipeline_core::ports::{BlobStore, DeliveryStream};

use crate::progress::bar;

/// Arguments of `generate` (and the generation part of `demo`).
#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    /// Clean playback events to generate.
    #[arg(long)]
    pub events: u64,
    #[command(flatten)]
    pub shape: GenerationShape,
    /// Lake directory.
    #[arg(long, default_value_os_t = crate::default_lake())]
    pub lake: PathBuf,
    /// Write the generator's ground truth here as JSON.
    #[arg(long)]
    pub truth: Option<PathBuf>,
    /// Send the records to this Amazon Data Firehose delivery stream (Direct PUT) instead of
    /// the local Firehose. AWS settings come from the environment: AWS_REGION, credentials,
    /// and AWS_ENDPOINT_URL for an emulator.
    #[arg(
        long,
        value_name = "STREAM",
        conflicts_with_all = ["lake", "buffer_bytes", "buffer_interval"]
    )]
    pub firehose: Option<String>,
    /// With --firehose: send at most this many records per second (token bucket, bursts of
    /// a quarter second).
    #[arg(long, value_name = "EVENTS_PER_S", requires = "firehose", value_parser = parse_rate)]
    pub rate: Option<f64>,
}

/// Parses `--rate`: a positive, finite number of records per second.
fn parse_rate(text: &str) -> std::result::Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err(format!("{text:?} is not a positive number of events per second")),
    }
}

/// Options shared by `generate` and `demo`.
#[derive(Debug, Clone, Args)]
pub struct GenerationShape {
    /// Days of viewing to simulate.
    #[arg(long, default_value_t = 3)]
    pub days: u32,
    /// Random seed: the same seed and start date give the same lake, byte for byte.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// First simulated day (UTC, YYYY-MM-DD). Default: `days` + 4 days before today, so that
    /// every simulated arrival (clean events are delivered up to 3 days late) is in the past.
    #[arg(long)]
    pub start_date: Option<NaiveDate>,
    /// Fraction of events the producer sends twice (Firehose-style duplicates).
    #[arg(long, default_value_t = 0.01)]
    pub duplicate_rate: f64,
    /// Fraction of events the producer re-sends minutes later, into a later raw object
    /// (removed by compaction's cross-object dedup).
    #[arg(long, default_value_t = 0.005)]
    pub resend_rate: f64,
    /// Bad records injected per clean event, spread over every reason code.
    #[arg(long, default_value_t = 0.005)]
    pub bad_record_rate: f64,
    /// Firehose buffer size hint in bytes.
    #[arg(long, default_value_t = 5 * 1024 * 1024)]
    pub buffer_bytes: usize,
    /// Firehose buffer interval in simulated seconds.
    #[arg(long, default_value_t = 60)]
    pub buffer_interval: i64,
}

/// Whole days between the end of the default window and today: the longest delivery lag
/// ([`event_generator::MAX_LAG_SECS`], 3 days) plus one day for sessions that run past the
/// window's last midnight, so that no raw object of a default lake arrives after now (the
/// health panel flags arrivals in the future as clock skew).
pub const DEFAULT_WINDOW_GAP_DAYS: u64 =
    (event_generator::MAX_LAG_SECS as u64).div_ceil(86_400) + 1;

/// The default first day of a `days`-day window generated on `today`.
pub fn default_start(today: NaiveDate, days: u32) -> NaiveDate {
    today - chrono::Days::new(u64::from(days) + DEFAULT_WINDOW_GAP_DAYS)
}

impl GenerationShape {
    fn start(&self) -> NaiveDate {
        self.start_date.unwrap_or_else(|| default_start(chrono::Utc::now().date_naive(), self.days))
    }
}

/// What a generation run produced.
pub struct Generated {
    /// The ground truth.
    pub truth: GroundTruth,
    /// Raw objects written.
    pub objects: usize,
    /// Wall time.
    pub seconds: f64,
}

/// The generator for `events` clean events shaped by `shape`.
pub fn generator(events: u64, shape: &GenerationShape) -> Result<Generator> {
    let mut config = GeneratorConfig::new(events, shape.days, shape.seed, shape.start());
    config.duplicate_rate = shape.duplicate_rate;
    config.resend_rate = shape.resend_rate;
    config.bad_record_rate = shape.bad_record_rate;
    Generator::new(config).context("invalid generator settings")
}

/// Writes the ground truth to `path` as pretty JSON.
pub fn write_truth(path: &std::path::Path, truth: &GroundTruth) -> Result<()> {
    std::fs::write(path, truth.to_json_pretty())
        .with_context(|| format!("writing the ground truth to {}", path.display()))
}

/// Generates into `lake`.
pub async fn generate_into(lake: &Lake, events: u64, shape: &GenerationShape) -> Result<Generated> {
    let started = Instant::now();
    let mut generator = generator(events, shape)?;
    let store = lake.store();
    write_titles(store.as_ref(), generator.titles())
        .await
        .context("writing the title dimension")?;
    let mut firehose_config = FirehoseConfig::new("netflix-playback", shape.seed);
    firehose_config.buffer_bytes = shape.buffer_bytes;
    firehose_config.buffer_interval_secs = shape.buffer_interval;
    let firehose = LocalFirehose::new(store.clone() as Arc<dyn BlobStore>, firehose_config);
    let progress = bar(events, "generate", "events");
    while let Some(batch) = generator.next_batch() {
        let records: Vec<Bytes> =
            batch.records.into_iter().map(|record| Bytes::from(record.data)).collect();
        let outcome = firehose
            .put_record_batch(records, Some(batch.arrival_ts))
            .await
            .context("delivering to the local Firehose")?;
        anyhow::ensure!(
            outcome.failed.is_empty(),
            "the local Firehose refused {} records",
            outcome.failed.len()
        );
        progress.set_position(generator.progress().0);
    }
    firehose.flush().await.context("flushing the local Firehose")?;
    progress.finish_and_clear();
    Ok(Generated {
        truth: generator.truth().clone(),
        objects: firehose.objects().await.len(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Runs `generate`.
pub async fn run(args: GenerateArgs) -> Result<ExitCode> {
    if let Some(stream) = &args.firehose {
        #[cfg(feature = "aws")]
        return firehose::run(stream, &args).await;
        #[cfg(not(feature = "aws"))]
        {
            let _ = stream;
            return Err(super::without_aws("generate --firehose"));
        }
    }
    let lake = Lake::create(&args.lake)?;
    let generated = generate_into(&lake, args.events, &args.shape).await?;
    if let Some(path) = &args.truth {
        write_truth(path, &generated.truth)?;
    }
    let truth = &generated.truth;
    println!(
        "Generated {} clean events in {} sessions ({} records sent: {} duplicates, {} bad; {} refused before sending) into {} raw objects under {} in {:.1}s",
        truth.clean_events,
        truth.sessions,
        truth.records_sent,
        truth.duplicates,
        truth.expected_quarantined_total(),
        truth.rejected_before_send.values().sum::<u64>(),
        generated.objects,
        lake.root().join("raw").display(),
        generated.seconds,
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A default lake's latest possible arrival (a session starting at the window's last
    /// instant, running a day, its last event delivered as late as the generator delivers
    /// anything) is no later than the start of today: nothing arrives in the future.
    #[test]
    fn the_default_window_ends_early_enough_that_every_arrival_is_past() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        for days in [1, 3, 14] {
            let start = default_start(today, days);
            let start_ts = start.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp();
            let latest_arrival =
                start_ts + i64::from(days) * 86_400 + 86_400 + event_generator::MAX_LAG_SECS;
            let today_ts = today.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp();
            assert!(latest_arrival <= today_ts, "{days} days from {start}");
        }
    }
}
