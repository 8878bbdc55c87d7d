//! The delivery policy, free of any network: splitting records into PutRecordBatch calls,
//! rejecting oversized records, and re-sending **only** the failed entries with exponential
//! backoff and full jitter, for a bounded number of attempts.
//!
//! The send step is a [`BatchSender`], so the policy is tested with fakes. The guarantees:
//! every input record is either accepted once (as far as the sender reports) or returned in
//! [`DeliveryReport::failed`] with its index and last error; nothing is dropped silently and
//! nothing the service accepted is sent again.

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use pipeline_core::ports::firehose_limits::{
    MAX_BYTES_PER_BATCH, MAX_RECORDS_PER_BATCH, MAX_RECORD_BYTES,
};
use pipeline_core::ports::{FailedRecord, PutBatchOutcome};
use rand::Rng;

/// Error code reported for records refused before sending.
pub const OVERSIZED_CODE: &str = "RecordTooLarge";

/// Retry settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per record, the first send included (at least 1).
    pub max_attempts: u32,
    /// Backoff cap of the first retry; doubles each retry.
    pub base_delay: Duration,
    /// Largest backoff cap.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 6 attempts, 100 ms doubling to at most 5 s (worst case about 8 s of waiting).
    fn default() -> Self {
        Self {
            max_attempts: 6,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// The backoff cap before retry number `retry` (1 = first retry).
    pub fn cap(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.saturating_sub(1).min(20)).unwrap_or(u32::MAX);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }

    /// "Full jitter": a uniform delay in `[0, cap(retry)]`.
    pub fn delay(&self, retry: u32) -> Duration {
        let cap = self.cap(retry).as_millis();
        let cap = u64::try_from(cap).unwrap_or(u64::MAX);
        Duration::from_millis(rand::rng().random_range(0..=cap))
    }
}

/// A failed entry or call, as the service reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    /// Error code (`ServiceUnavailableException`, ...).
    pub code: String,
    /// Message.
    pub message: String,
    /// Whether retrying can help (per-entry errors are always retried).
    pub retryable: bool,
}

/// One PutRecordBatch call, abstracted for testing.
#[async_trait]
pub trait BatchSender: Send + Sync {
    /// Sends `records` in one call. `Ok` holds one entry per record, in order: `None` when
    /// accepted, the error otherwise. `Err` means the whole call failed.
    async fn send(&self, records: &[Bytes]) -> Result<Vec<Option<SendError>>, SendError>;

    /// Waits before a retry (tests record instead of sleeping).
    async fn sleep(&self, delay: Duration) {
        tokio::time::sleep(delay).await;
    }
}

/// What a delivery did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Records accepted.
    pub accepted: usize,
    /// Records not delivered: oversized, or still failing after the last attempt (by index in
    /// the input).
    pub failed: Vec<FailedRecord>,
    /// Record re-sends (a record retried twice counts twice).
    pub resent: usize,
    /// PutRecordBatch calls made.
    pub calls: usize,
}

impl From<DeliveryReport> for PutBatchOutcome {
    fn from(report: DeliveryReport) -> Self {
        PutBatchOutcome { accepted: report.accepted, failed: report.failed, resent: report.resent }
    }
}

/// Groups record indices into calls of at most `max_records` records and `max_bytes` bytes,
/// in input order. Every size must be at most `max_bytes`.
pub fn plan_batches(
    indices: &[usize],
    size_of: impl Fn(usize) -> usize,
    max_records: usize,
    max_bytes: usize,
) -> Vec<Vec<usize>> {
    let mut batches = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    let mut bytes = 0;
    for &index in indices {
        let size = size_of(index);
        if !current.is_empty() && (current.len() == max_records || bytes + size > max_bytes) {
            batches.push(std::mem::take(&mut current));
            bytes = 0;
        }
        current.push(index);
        bytes += size;
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

/// Sends `records` through `sender` under the Firehose limits and `policy`.
///
/// Returns `Err` only when the very first call fails with a non-retryable error and nothing
/// was accepted (a missing stream, bad credentials): a configuration problem the caller
/// should see as such. Otherwise every record that is not accepted is in the report.
pub async fn deliver(
    sender: &dyn BatchSender,
    records: &[Bytes],
    policy: &RetryPolicy,
) -> Result<DeliveryReport, SendError> {
    let mut report = DeliveryReport::default();
    let mut sendable = Vec::with_capacity(records.len());
    for (index, record) in records.iter().enumerate() {
        if record.len() > MAX_RECORD_BYTES {
            report.failed.push(FailedRecord {
                index,
                error_code: OVERSIZED_CODE.into(),
                message: format!(
                    "record of {} bytes exceeds the Firehose limit of {MAX_RECORD_BYTES}; not sent",
                    record.len()
                ),
            });
        } else if record.is_empty() {
            report.failed.push(FailedRecord {
                index,
                error_code: "EmptyRecord".into(),
                message: "empty record; not sent".into(),
            });
        } else {
            sendable.push(index);
        }
    }
    let batches =
        plan_batches(&sendable, |i| records[i].len(), MAX_RECORDS_PER_BATCH, MAX_BYTES_PER_BATCH);
    for batch in batches {
        send_with_retries(sender, records, batch, policy, &mut report).await?;
    }
    report.failed.sort_by_key(|failed| failed.index);
    Ok(report)
}

async fn send_with_retries(
    sender: &dyn BatchSender,
    records: &[Bytes],
    mut pending: Vec<usize>,
    policy: &RetryPolicy,
    report: &mut DeliveryReport,
) -> Result<(), SendError> {
    let attempts = policy.max_attempts.max(1);
    let mut last_errors: Vec<SendError> = Vec::new();
    for attempt in 1..=attempts {
        if attempt > 1 {
            report.resent += pending.len();
            sender.sleep(policy.delay(attempt - 1)).await;
        }
        let body: Vec<Bytes> = pending.iter().map(|&i| records[i].clone()).collect();
        report.calls += 1;
        match sender.send(&body).await {
            Ok(entries) => {
                let mut still = Vec::new();
                last_errors.clear();
                for (position, &index) in pending.iter().enumerate() {
                    // A response shorter than the request is treated as failure of the rest.
                    match entries.get(position) {
                        Some(None) => report.accepted += 1,
                        Some(Some(error)) => {
                            still.push(index);
                            last_errors.push(error.clone());
                        }
                        None => {
                            still.push(index);
                            last_errors.push(SendError {
                                code: "MissingResponseEntry".into(),
                                message: "the response had no entry for this record".into(),
                                retryable: true,
                            });
                        }
                    }
                }
                pending = still;
            }
            Err(error) => {
                if !error.retryable && report.accepted == 0 && report.calls == 1 {
                    return Err(error);
                }
                let retryable = error.retryable;
                last_errors = vec![error; pending.len()];
                if !retryable {
                    break;
                }
            }
        }
        if pending.is_empty() {
            return Ok(());
        }
    }
    for (position, index) in pending.into_iter().enumerate() {
        let error = last_errors.get(position).cloned().unwrap_or(SendError {
            code: "Unknown".into(),
            message: "not delivered".into(),
            retryable: true,
        });
        report.failed.push(FailedRecord {
            index,
            error_code: error.code,
            message: format!("after {attempts} attempts: {}", error.message),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use super::*;

    /// A fake that fails each distinct record a scripted number of times, then accepts it,
    /// and records every call and sleep.
    struct Flaky {
        failures: Mutex<HashMap<Bytes, u32>>,
        calls: Mutex<Vec<Vec<Bytes>>>,
        sleeps: Mutex<Vec<Duration>>,
        call_error: Mutex<Vec<SendError>>,
    }

    impl Flaky {
        fn new(failures: HashMap<Bytes, u32>) -> Self {
            Self {
                failures: Mutex::new(failures),
                calls: Mutex::new(Vec::new()),
                sleeps: Mutex::new(Vec::new()),
                call_error: Mutex::new(Vec::new()),
            }
        }
    }

    #[async_trait]
    impl BatchSender for Flaky {
        async fn send(&self, records: &[Bytes]) -> Result<Vec<Option<SendError>>, SendError> {
            self.calls.lock().unwrap().push(records.to_vec());
            if let Some(error) = self.call_error.lock().unwrap().pop() {
                return Err(error);
            }
            let mut failures = self.failures.lock().unwrap();
            Ok(records
                .iter()
                .map(|record| match failures.get_mut(record) {
                    Some(left) if *left > 0 => {
                        *left -= 1;
                        Some(SendError {
                            code: "ServiceUnavailableException".into(),
                            message: "slow down".into(),
                            retryable: true,
                        })
                    }
                    _ => None,
                })
                .collect())
        }

        async fn sleep(&self, delay: Duration) {
            self.sleeps.lock().unwrap().push(delay);
        }
    }

    fn records(n: usize, size: usize) -> Vec<Bytes> {
        (0..n)
            .map(|i| {
                let mut data = format!("{i:08}").into_bytes();
                data.resize(size.max(8), b'x');
                Bytes::from(data)
            })
            .collect()
    }

    #[test]
    fn batches_respect_count_and_bytes() {
        let sizes = [100usize; 1_234];
        let indices: Vec<usize> = (0..sizes.len()).collect();
        let batches = plan_batches(&indices, |i| sizes[i], 500, 4 * 1024 * 1024);
        assert_eq!(batches.iter().map(Vec::len).collect::<Vec<_>>(), vec![500, 500, 234]);
        let big = [900 * 1024usize; 10];
        let indices: Vec<usize> = (0..big.len()).collect();
        let batches = plan_batches(&indices, |i| big[i], 500, 4 * 1024 * 1024);
        assert_eq!(batches.iter().map(Vec::len).collect::<Vec<_>>(), vec![4, 4, 2]);
        for batch in &batches {
            assert!(batch.iter().map(|&i| big[i]).sum::<usize>() <= 4 * 1024 * 1024);
        }
        let flat: Vec<usize> = batches.concat();
        assert_eq!(flat, indices, "order kept, nothing lost");
    }

    #[tokio::test]
    async fn oversized_records_are_reported_and_never_sent() {
        let mut input = records(3, 100);
        input.insert(1, Bytes::from(vec![b'x'; MAX_RECORD_BYTES + 1]));
        input.push(Bytes::from(vec![b'y'; MAX_RECORD_BYTES]));
        let sender = Flaky::new(HashMap::new());
        let report = deliver(&sender, &input, &RetryPolicy::default()).await.unwrap();
        assert_eq!(report.accepted, 4);
        assert_eq!(report.failed.len(), 1);
        assert_eq!(report.failed[0].index, 1);
        assert_eq!(report.failed[0].error_code, OVERSIZED_CODE);
        let sent: Vec<Bytes> = sender.calls.lock().unwrap().concat();
        assert_eq!(sent.len(), 4);
        assert!(sent.iter().all(|r| r.len() <= MAX_RECORD_BYTES));
    }

    #[tokio::test]
    async fn only_failed_entries_are_resent_and_nothing_is_lost_or_duplicated() {
        let input = records(1_200, 50);
        // Records 7 and 600 fail twice, record 1,100 once.
        let failures: HashMap<Bytes, u32> = [(7, 2), (600, 2), (1_100, 1)]
            .into_iter()
            .map(|(i, n)| (input[i].clone(), n))
            .collect();
        let sender = Flaky::new(failures);
        let report = deliver(&sender, &input, &RetryPolicy::default()).await.unwrap();
        assert_eq!(report.accepted, 1_200);
        assert!(report.failed.is_empty());
        let calls = sender.calls.lock().unwrap();
        // Batches of 500, 500, 200, plus the retries that carry only the failed entries.
        let sizes: Vec<usize> = calls.iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![500, 1, 1, 500, 1, 1, 200, 1]);
        assert_eq!(calls[1], vec![input[7].clone()]);
        assert_eq!(calls[4], vec![input[600].clone()]);
        assert_eq!(report.resent, 5);
        // Each record was accepted exactly once: sent count = 1 + its scripted failures.
        let mut sent: HashMap<&Bytes, usize> = HashMap::new();
        for record in calls.iter().flatten() {
            *sent.entry(record).or_default() += 1;
        }
        for (i, record) in input.iter().enumerate() {
            let expected = match i {
                7 | 600 => 3,
                1_100 => 2,
                _ => 1,
            };
            assert_eq!(sent[record], expected, "record {i}");
        }
        let policy = RetryPolicy::default();
        let sleeps = sender.sleeps.lock().unwrap();
        assert_eq!(sleeps.len(), 5);
        assert!(sleeps.iter().all(|d| *d <= policy.max_delay));
    }

    #[tokio::test]
    async fn records_still_failing_are_returned_after_bounded_attempts() {
        let input = records(10, 20);
        let failures: HashMap<Bytes, u32> =
            [(3, 100), (4, 100)].into_iter().map(|(i, n)| (input[i].clone(), n)).collect();
        let sender = Flaky::new(failures);
        let policy = RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(25),
        };
        let report = deliver(&sender, &input, &policy).await.unwrap();
        assert_eq!(report.accepted, 8);
        assert_eq!(report.failed.iter().map(|f| f.index).collect::<Vec<_>>(), vec![3, 4]);
        assert_eq!(report.failed[0].error_code, "ServiceUnavailableException");
        assert_eq!(sender.calls.lock().unwrap().len(), 4, "bounded attempts");
        let sleeps = sender.sleeps.lock().unwrap();
        assert_eq!(sleeps.len(), 3);
        for (retry, delay) in sleeps.iter().enumerate() {
            assert!(*delay <= policy.cap(retry as u32 + 1));
        }
    }

    #[tokio::test]
    async fn whole_call_failures_retry_or_fail_clearly() {
        let input = records(3, 20);
        let sender = Flaky::new(HashMap::new());
        sender.call_error.lock().unwrap().push(SendError {
            code: "ThrottlingException".into(),
            message: "rate".into(),
            retryable: true,
        });
        let report = deliver(&sender, &input, &RetryPolicy::default()).await.unwrap();
        assert_eq!(report.accepted, 3);
        assert_eq!(report.calls, 2);

        let sender = Flaky::new(HashMap::new());
        sender.call_error.lock().unwrap().push(SendError {
            code: "ResourceNotFoundException".into(),
            message: "no stream".into(),
            retryable: false,
        });
        let error = deliver(&sender, &input, &RetryPolicy::default()).await.unwrap_err();
        assert_eq!(error.code, "ResourceNotFoundException");
    }

    #[test]
    fn backoff_caps_double_and_are_bounded() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.cap(1), Duration::from_millis(100));
        assert_eq!(policy.cap(2), Duration::from_millis(200));
        assert_eq!(policy.cap(4), Duration::from_millis(800));
        assert_eq!(policy.cap(30), Duration::from_secs(5));
        for retry in 1..10 {
            assert!(policy.delay(retry) <= policy.cap(retry));
        }
    }
}
