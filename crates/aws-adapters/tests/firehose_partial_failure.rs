//! Firehose partial failures over real HTTP: [`FirehoseDelivery`] talks to a fault proxy
//! (`moto_harness::fault_proxy`) in front of moto. The proxy fails chosen `PutRecordBatch`
//! entries by **not** forwarding them and answering with per-entry `ErrorCode`s in the
//! original order, so moto's bucket holds exactly what "the service" accepted. That turns
//! the retry policy's promise into something observable: only failed entries are re-sent,
//! nothing is lost, nothing is duplicated, and what never gets through is reported.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use aws_adapters::config::{firehose_client, load_sdk_config_with, s3_client, AwsSettings};
use aws_adapters::firehose::FirehoseDelivery;
use aws_adapters::s3::{S3BlobStore, S3Config};
use aws_adapters::RetryPolicy;
use aws_sdk_firehose::types::{DeliveryStreamType, ExtendedS3DestinationConfiguration};
use bytes::Bytes;
use moto_harness::fault_proxy::{FaultProxy, PutCall, INJECTED_ERROR_CODE};
use moto_harness::Moto;
use pipeline_core::ports::BlobStore;

const BUCKET: &str = "firehose-raw";

/// A tiny backoff so the retries take milliseconds.
fn fast_policy(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
    }
}

/// Creates a bucket and a Direct PUT stream delivering into it, directly on moto.
async fn stream_to_bucket(moto: &Moto, name: &str) {
    let config = moto.sdk_config().await;
    s3_client(&config).create_bucket().bucket(BUCKET).send().await.unwrap();
    firehose_client(&config)
        .create_delivery_stream()
        .delivery_stream_name(name)
        .delivery_stream_type(DeliveryStreamType::DirectPut)
        .extended_s3_destination_configuration(
            ExtendedS3DestinationConfiguration::builder()
                .role_arn("arn:aws:iam::123456789012:role/firehose")
                .bucket_arn(format!("arn:aws:s3:::{BUCKET}"))
                .prefix("raw/")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

/// A delivery whose Firehose client goes through `proxy`.
async fn delivery_via(proxy: &FaultProxy, name: &str, policy: RetryPolicy) -> FirehoseDelivery {
    let config = load_sdk_config_with(&AwsSettings::local(&proxy.endpoint)).await;
    FirehoseDelivery::new(firehose_client(&config), name).with_policy(policy)
}

/// Every line moto's Firehose wrote into the bucket (objects are plain concatenations),
/// sorted, and the number of objects.
async fn delivered_lines(moto: &Moto) -> (Vec<String>, usize) {
    let store =
        S3BlobStore::new(s3_client(&moto.sdk_config().await), S3Config::new(BUCKET, "")).unwrap();
    let objects = store.list("raw/").await.unwrap();
    let mut lines = Vec::new();
    for meta in &objects {
        let data = store.get(&meta.key).await.unwrap().unwrap();
        let text = String::from_utf8(data.to_vec()).unwrap();
        assert!(text.ends_with('\n'), "objects are whole NDJSON lines");
        lines.extend(text.lines().map(str::to_owned));
    }
    lines.sort();
    (lines, objects.len())
}

/// `n` distinct NDJSON records, `{"event_id":"<tag>-00042",...}\n`.
fn records(tag: &str, n: usize) -> Vec<Bytes> {
    (0..n)
        .map(|i| {
            Bytes::from(format!(
                "{{\"event_id\":\"{tag}-{i:05}\",\"event_type\":\"HEARTBEAT\",\"pad\":\"{}\"}}\n",
                "p".repeat(i % 97)
            ))
        })
        .collect()
}

fn lines_of(records: &[Bytes]) -> Vec<String> {
    let mut lines: Vec<String> = records
        .iter()
        .map(|r| String::from_utf8(r.to_vec()).unwrap().trim_end().to_owned())
        .collect();
    lines.sort();
    lines
}

/// The record's number, from its `event_id`.
fn number(record: &[u8]) -> usize {
    let text = std::str::from_utf8(record).unwrap();
    let start = text.find('-').unwrap() + 1;
    text[start..start + 5].parse().unwrap()
}

#[tokio::test]
async fn only_failed_entries_are_resent_and_the_bucket_gets_each_record_exactly_once() {
    let Some(moto) = Moto::start() else { return };
    stream_to_bucket(&moto, "partial").await;
    // Every 4th record fails its first attempt; every 8th fails its second too; nothing
    // fails a third time.
    let proxy = FaultProxy::start(moto.port(), |record, attempt| {
        let n = number(record);
        match attempt {
            1 => n.is_multiple_of(4),
            2 => n.is_multiple_of(8),
            _ => false,
        }
    });
    let delivery = delivery_via(&proxy, "partial", fast_policy(4)).await;
    let input = records("r", 1_200);
    let report = delivery.send_records(&input).await.unwrap();

    // The report: everything accepted once; 300 first retries + 150 second retries.
    assert_eq!(report.accepted, 1_200);
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(report.resent, 300 + 150);
    assert_eq!(report.calls, 9, "3 batches (500, 500, 200), each sent 3 times");

    // What went over the wire: each batch, then only its failed entries, in order.
    let calls = proxy.calls();
    assert_eq!(calls.len(), 9);
    let numbers = |call: &PutCall| call.records.iter().map(|r| number(r)).collect::<Vec<_>>();
    for (batch, range) in [(0, 0..500), (1, 500..1_000), (2, 1_000..1_200)] {
        let first = &calls[3 * batch];
        let second = &calls[3 * batch + 1];
        let third = &calls[3 * batch + 2];
        assert_eq!(numbers(first), range.clone().collect::<Vec<_>>(), "batch {batch}");
        assert_eq!(second.records, first.failed_records(), "retry 1 = the failures of call 1");
        assert_eq!(third.records, second.failed_records(), "retry 2 = the failures of call 2");
        assert_eq!(
            numbers(second),
            range.clone().filter(|n| n.is_multiple_of(4)).collect::<Vec<_>>()
        );
        assert_eq!(
            numbers(third),
            range.clone().filter(|n| n.is_multiple_of(8)).collect::<Vec<_>>()
        );
        assert!(third.failed.iter().all(|f| !f), "nothing fails a third time");
    }
    for record in &input {
        let n = number(record);
        let expected = if n.is_multiple_of(8) {
            3
        } else if n.is_multiple_of(4) {
            2
        } else {
            1
        };
        assert_eq!(proxy.times_seen(record), expected, "record {n} sent {expected} times");
    }

    // The bucket: every record exactly once, no loss, no duplicate.
    let (lines, objects) = delivered_lines(&moto).await;
    assert_eq!(objects, 9, "every call forwarded a non-empty subset to moto");
    assert_eq!(lines, lines_of(&input));
}

#[tokio::test]
async fn entries_that_fail_every_attempt_are_reported_not_dropped() {
    let Some(moto) = Moto::start() else { return };
    stream_to_bucket(&moto, "poisoned").await;
    // Records 3 and 17 fail every time; record 5 fails once.
    let proxy = FaultProxy::start(moto.port(), |record, attempt| match number(record) {
        3 | 17 => true,
        5 => attempt == 1,
        _ => false,
    });
    let delivery = delivery_via(&proxy, "poisoned", fast_policy(3)).await;
    let input = records("s", 50);
    let report = delivery.send_records(&input).await.unwrap();
    assert_eq!(report.accepted, 48);
    assert_eq!(report.failed.iter().map(|f| f.index).collect::<Vec<_>>(), vec![3, 17]);
    for failed in &report.failed {
        assert_eq!(failed.error_code, INJECTED_ERROR_CODE);
        assert!(failed.message.contains("after 3 attempts"), "{}", failed.message);
        assert!(failed.message.contains("injected by the fault proxy"), "{}", failed.message);
    }
    assert_eq!(report.calls, 3, "bounded: max_attempts calls, no more");
    assert_eq!(report.resent, 3 + 2);
    let calls = proxy.calls();
    let numbers: Vec<Vec<usize>> =
        calls.iter().map(|c| c.records.iter().map(|r| number(r)).collect()).collect();
    assert_eq!(numbers, vec![(0..50).collect(), vec![3, 5, 17], vec![3, 17]]);
    assert_eq!(proxy.times_seen(&input[3]), 3);
    assert_eq!(proxy.times_seen(&input[17]), 3);
    // The last call failed every entry, so it never reached moto: two objects.
    let (lines, objects) = delivered_lines(&moto).await;
    assert_eq!(objects, 2);
    let expected: Vec<Bytes> = input
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 17)
        .map(|(_, r)| r.clone())
        .collect();
    assert_eq!(lines, lines_of(&expected));
}

#[tokio::test]
async fn packed_events_in_a_failing_record_are_counted_as_failed() {
    let Some(moto) = Moto::start() else { return };
    stream_to_bucket(&moto, "packed").await;
    let poison = "t-00042";
    let proxy = FaultProxy::start(moto.port(), move |record, attempt| {
        let text = std::str::from_utf8(record).unwrap();
        text.contains(poison) || (attempt == 1 && text.contains("t-00010"))
    });
    // Records of at most 600 bytes: a few events each.
    let delivery = delivery_via(&proxy, "packed", fast_policy(3)).await.with_pack_bytes(600);
    let events = records("t", 300);
    let sent = delivery.send_events(&events).await.unwrap();
    assert_eq!(sent.events, 300);
    assert_eq!(sent.report.failed.len(), 1, "only the poisoned record fails for good");
    // The failed record's events: the ones the proxy saw in it.
    let calls = proxy.calls();
    let poisoned = calls[0]
        .records
        .iter()
        .find(|r| std::str::from_utf8(r).unwrap().contains(poison))
        .unwrap()
        .clone();
    let lost = poisoned.iter().filter(|b| **b == b'\n').count();
    assert!(lost > 1, "the record packs several events");
    assert_eq!(sent.events_failed, lost);
    assert_eq!(sent.events_accepted, 300 - lost);
    assert_eq!(sent.report.resent, 2 + 1, "poisoned twice, the t-00010 record once");
    // The bucket holds every other event exactly once.
    let (lines, _) = delivered_lines(&moto).await;
    let poisoned_text = String::from_utf8(poisoned).unwrap();
    let expected: Vec<Bytes> = events
        .iter()
        .filter(|e| !poisoned_text.contains(std::str::from_utf8(e).unwrap()))
        .cloned()
        .collect();
    assert_eq!(expected.len(), 300 - lost);
    assert_eq!(lines, lines_of(&expected));
}
