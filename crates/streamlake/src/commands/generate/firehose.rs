//! `generate --firehose STREAM [--rate EVENTS_PER_S]`: the generator's records sent to a real
//! Amazon Data Firehose delivery stream (Direct PUT) through [`FirehoseDelivery`].
//!
//! "Events" here are the NDJSON lines clients send: clean events, their duplicates and the
//! bad records, exactly the records the local Firehose would receive (`records_sent` in the
//! ground truth). They are gathered into chunks of at most [`MAX_CHUNK_EVENTS`] events and
//! [`MAX_CHUNK_BYTES`] bytes (under `--rate`, a quarter second's worth), and each chunk goes
//! out with [`FirehoseDelivery::send_events`]: packed into Firehose records of at most
//! 5,000 bytes, batched under the PutRecordBatch limits, and only the failed entries re-sent
//! with full-jitter backoff for a bounded number of attempts.
//!
//! Nothing is dropped silently. Events whose records still fail after the last attempt are
//! counted and the command exits non-zero with the first error. A send in which Firehose
//! accepted nothing (the stream is gone, credentials are wrong, the service is down) stops the
//! run at once rather than retrying every remaining chunk. The summary on stdout counts
//! events accepted and failed, Firehose records, calls and re-sends, and estimates the
//! ingestion bytes Firehose bills (each record rounded up to 5 KB).

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use aws_adapters::config::firehose_client;
use aws_adapters::firehose::PackedDelivery;
use aws_adapters::{FirehoseDelivery, DEFAULT_PACK_BYTES};
use event_generator::GroundTruth;

use super::{generator, write_truth, GenerateArgs};
use crate::output::human_bytes;
use crate::pacing::Pacer;
use crate::progress::bar;

/// At most this many events go into one `send_events` call.
pub const MAX_CHUNK_EVENTS: usize = 5_000;
/// A chunk is sent once it holds this many bytes of events.
pub const MAX_CHUNK_BYTES: usize = 4 * 1024 * 1024;
/// Firehose bills ingestion per record, rounded up to a multiple of 5 KB (5,120 bytes).
pub const BILLING_INCREMENT: u64 = 5 * 1024;
/// Under `--rate`, chunks (and bursts) hold this many seconds' worth of events.
const BURST_SECONDS: f64 = 0.25;

/// Events per chunk: a quarter second's worth under a rate limit (so the pacing stays
/// smooth), else [`MAX_CHUNK_EVENTS`].
pub fn chunk_events(rate: Option<f64>) -> usize {
    match rate {
        Some(rate) => {
            let events = (rate * BURST_SECONDS).ceil();
            if events >= MAX_CHUNK_EVENTS as f64 {
                MAX_CHUNK_EVENTS
            } else {
                (events as usize).max(1)
            }
        }
        None => MAX_CHUNK_EVENTS,
    }
}

/// Billing increments of one Firehose record of `bytes` bytes.
pub fn billing_increments(bytes: usize) -> u64 {
    (bytes as u64).div_ceil(BILLING_INCREMENT).max(1)
}

/// Running totals of a `generate --firehose` run.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Totals {
    /// Events handed to Firehose.
    pub events: u64,
    /// Events in accepted records.
    pub events_accepted: u64,
    /// Events not delivered (their records failed every attempt, or the send failed).
    pub events_failed: u64,
    /// Bytes of the events handed in.
    pub event_bytes: u64,
    /// Firehose records accepted.
    pub records_accepted: u64,
    /// Firehose records not delivered.
    pub records_failed: u64,
    /// Record re-sends (a record retried twice counts twice).
    pub resent: u64,
    /// PutRecordBatch calls made.
    pub calls: u64,
    /// Estimated billing increments (5 KB each) of the accepted records.
    pub billed_increments: u64,
    /// The first error reported for an undelivered record.
    pub first_error: Option<String>,
}

impl Totals {
    /// Adds the outcome of sending `events`.
    ///
    /// The billing estimate counts one increment per accepted record (packed records are at
    /// most 5,000 bytes) plus the extra increments of events longer than the pack size,
    /// which travel alone.
    pub fn add(&mut self, events: &[Vec<u8>], delivery: &PackedDelivery) {
        let report = &delivery.report;
        self.events += events.len() as u64;
        self.event_bytes += events.iter().map(|event| event.len() as u64).sum::<u64>();
        self.events_accepted += delivery.events_accepted as u64;
        self.events_failed += delivery.events_failed as u64;
        self.records_accepted += report.accepted as u64;
        self.records_failed += report.failed.len() as u64;
        self.resent += report.resent as u64;
        self.calls += report.calls as u64;
        let oversized: u64 = events
            .iter()
            .filter(|event| event.len() > DEFAULT_PACK_BYTES)
            .map(|event| billing_increments(event.len()) - 1)
            .sum();
        self.billed_increments += report.accepted as u64 + oversized;
        if self.first_error.is_none() {
            self.first_error = report
                .failed
                .first()
                .map(|failed| format!("{}: {}", failed.error_code, failed.message));
        }
    }

    /// Counts `events` as not delivered because the whole send failed with `error`.
    pub fn add_failed_send(&mut self, events: &[Vec<u8>], error: &str) {
        self.events += events.len() as u64;
        self.event_bytes += events.iter().map(|event| event.len() as u64).sum::<u64>();
        self.events_failed += events.len() as u64;
        if self.first_error.is_none() {
            self.first_error = Some(error.to_owned());
        }
    }
}

/// Sends `chunk` (emptying it) after waiting for the pacer, and adds the outcome to
/// `totals`. Errors when the send failed as a whole or Firehose accepted none of it.
async fn send_chunk(
    delivery: &FirehoseDelivery,
    pacer: &mut Pacer,
    chunk: &mut Vec<Vec<u8>>,
    totals: &mut Totals,
) -> Result<()> {
    let events = std::mem::take(chunk);
    if events.is_empty() {
        return Ok(());
    }
    pacer.acquire(events.len() as u64).await;
    let delivered = match delivery.send_events(&events).await {
        Ok(delivered) => delivered,
        Err(error) => {
            totals.add_failed_send(&events, &error.to_string());
            return Err(error.into());
        }
    };
    totals.add(&events, &delivered);
    if delivered.events_accepted == 0 {
        let first = delivered
            .report
            .failed
            .first()
            .map(|failed| format!("{}: {}", failed.error_code, failed.message))
            .unwrap_or_default();
        anyhow::bail!(
            "Firehose stream {} accepted none of the last {} events ({first}); stopped after {} of {} events were delivered",
            delivery.stream_name(),
            events.len(),
            totals.events_accepted,
            totals.events,
        );
    }
    Ok(())
}

/// Prints the run's summary on stdout. `truth` is set when generation ran to the end.
fn print_summary(
    stream: &str,
    totals: &Totals,
    seconds: f64,
    rate: Option<f64>,
    truth: Option<&GroundTruth>,
) {
    match truth {
        Some(truth) => println!(
            "Generated {} clean events in {} sessions ({} events sent: {} duplicates, {} bad; {} refused before sending) to Firehose stream {stream} in {seconds:.1}s",
            truth.clean_events,
            truth.sessions,
            truth.records_sent,
            truth.duplicates,
            truth.expected_quarantined_total(),
            truth.rejected_before_send.values().sum::<u64>(),
        ),
        None => println!(
            "Stopped after sending {} events to Firehose stream {stream} in {seconds:.1}s",
            totals.events
        ),
    }
    println!(
        "  delivered: {} events accepted, {} failed",
        totals.events_accepted, totals.events_failed
    );
    let records = totals.records_accepted + totals.records_failed;
    let per_record = if totals.records_accepted == 0 {
        0.0
    } else {
        totals.events_accepted as f64 / totals.records_accepted as f64
    };
    println!(
        "  records:   {records} Firehose records ({} accepted, {} failed; {per_record:.1} events each) in {} PutRecordBatch calls, {} re-sent",
        totals.records_accepted, totals.records_failed, totals.calls, totals.resent
    );
    println!(
        "  billing:   ≈ {} billed ({} × 5 KiB increments) for {} of events",
        human_bytes(totals.billed_increments * BILLING_INCREMENT),
        totals.billed_increments,
        human_bytes(totals.event_bytes),
    );
    let achieved = if seconds > 0.0 { totals.events as f64 / seconds } else { 0.0 };
    match rate {
        Some(limit) => println!("  rate:      {achieved:.0} events/s (limit {limit}/s)"),
        None => println!("  rate:      {achieved:.0} events/s (no limit)"),
    }
}

/// Runs `generate --firehose STREAM`.
pub async fn run(stream: &str, args: &GenerateArgs) -> Result<ExitCode> {
    let started = Instant::now();
    let mut generator = generator(args.events, &args.shape)?;
    let config = aws_adapters::load_sdk_config().await;
    anyhow::ensure!(
        config.region().is_some(),
        "no AWS region configured: set AWS_REGION (or a region in the AWS profile)"
    );
    let delivery = FirehoseDelivery::new(firehose_client(&config), stream);
    let limit = chunk_events(args.rate);
    let mut pacer = match args.rate {
        Some(rate) => Pacer::per_second(rate, limit as f64),
        None => Pacer::unlimited(),
    };
    let progress = bar(args.events, "firehose", "events");
    let mut totals = Totals::default();
    let mut chunk: Vec<Vec<u8>> = Vec::new();
    let mut chunk_bytes = 0usize;
    let mut stopped = None;
    'generate: while let Some(batch) = generator.next_batch() {
        for record in batch.records {
            chunk_bytes += record.data.len();
            chunk.push(record.data);
            if chunk.len() >= limit || chunk_bytes >= MAX_CHUNK_BYTES {
                chunk_bytes = 0;
                if let Err(error) = send_chunk(&delivery, &mut pacer, &mut chunk, &mut totals).await
                {
                    stopped = Some(error);
                    break 'generate;
                }
                progress.set_position(generator.progress().0);
            }
        }
    }
    if stopped.is_none() {
        if let Err(error) = send_chunk(&delivery, &mut pacer, &mut chunk, &mut totals).await {
            stopped = Some(error);
        }
    }
    progress.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    if let Some(error) = stopped {
        if totals.events_accepted > 0 {
            print_summary(stream, &totals, seconds, args.rate, None);
        }
        return Err(error);
    }
    let truth = generator.truth();
    if let Some(path) = &args.truth {
        write_truth(path, truth)?;
    }
    print_summary(stream, &totals, seconds, args.rate, Some(truth));
    if totals.events_failed > 0 {
        anyhow::bail!(
            "{} of {} events ({} Firehose records) were not delivered to Firehose stream {stream} after retries; first error: {}",
            totals.events_failed,
            totals.events,
            totals.records_failed,
            totals.first_error.as_deref().unwrap_or("unknown"),
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use aws_adapters::DeliveryReport;
    use pipeline_core::ports::FailedRecord;

    use super::*;

    #[test]
    fn chunks_hold_a_quarter_second_under_a_rate() {
        assert_eq!(chunk_events(None), MAX_CHUNK_EVENTS);
        assert_eq!(chunk_events(Some(1_000.0)), 250);
        assert_eq!(chunk_events(Some(0.5)), 1);
        assert_eq!(chunk_events(Some(10.0)), 3);
        assert_eq!(chunk_events(Some(1e12)), MAX_CHUNK_EVENTS);
    }

    #[test]
    fn billing_rounds_each_record_up_to_5_kib() {
        assert_eq!(billing_increments(0), 1);
        assert_eq!(billing_increments(330), 1);
        assert_eq!(billing_increments(5_120), 1);
        assert_eq!(billing_increments(5_121), 2);
        assert_eq!(billing_increments(1_000 * 1_024), 200);
    }

    #[test]
    fn totals_count_events_records_and_the_first_error() {
        let events: Vec<Vec<u8>> =
            (0..40).map(|i| format!("{{\"event_id\":\"e{i}\"}}\n").into_bytes()).collect();
        let mut long = vec![b'x'; 12_000];
        long.push(b'\n');
        let mut with_long = events.clone();
        with_long.push(long);
        let mut totals = Totals::default();
        totals.add(
            &with_long,
            &PackedDelivery {
                events: 41,
                events_accepted: 30,
                events_failed: 11,
                report: DeliveryReport {
                    accepted: 3,
                    failed: vec![FailedRecord {
                        index: 1,
                        error_code: "ServiceUnavailableException".into(),
                        message: "after 6 attempts: slow down".into(),
                    }],
                    resent: 7,
                    calls: 4,
                },
            },
        );
        totals.add_failed_send(&events, "firehose failed: gone");
        assert_eq!(totals.events, 81);
        assert_eq!(totals.events_accepted, 30);
        assert_eq!(totals.events_failed, 51);
        assert_eq!(totals.records_accepted, 3);
        assert_eq!(totals.records_failed, 1);
        assert_eq!(totals.resent, 7);
        assert_eq!(totals.calls, 4);
        assert_eq!(totals.billed_increments, 3 + 2, "the 12,001-byte event bills 3 increments");
        assert_eq!(
            totals.first_error.as_deref(),
            Some("ServiceUnavailableException: after 6 attempts: slow down")
        );
        let bytes: u64 = with_long.iter().chain(&events).map(|e| e.len() as u64).sum();
        assert_eq!(totals.event_bytes, bytes);
    }
}
