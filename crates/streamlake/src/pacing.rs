//! Rate limiting for `generate --firehose --rate`: a token bucket on tokio's clock.
//!
//! Tokens accrue at `rate` per second up to `capacity`. Taking `n` tokens may drive the
//! bucket into debt; the taker then waits until the debt is paid off. So a request larger
//! than the capacity is still served (after a proportionally longer wait), and over any
//! interval of `t` seconds starting from a full bucket at most `capacity + rate · t` tokens
//! are handed out. The arithmetic ([`TokenBucket::take`]) is pure and takes the current
//! instant as an argument; [`Pacer`] adds the sleeping.

use std::time::Duration;

use tokio::time::Instant;

/// A token bucket: `rate` tokens per second, at most `capacity` banked.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: f64,
    capacity: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket at `now`. `rate` must be positive and finite; `capacity` is at least 1.
    pub fn new(rate: f64, capacity: f64, now: Instant) -> Self {
        let capacity = capacity.max(1.0);
        Self { rate, capacity, tokens: capacity, last: now }
    }

    /// Takes `n` tokens at `now` and returns how long the caller must wait before using
    /// them (zero when they were available).
    pub fn take(&mut self, n: f64, now: Instant) -> Duration {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = self.last.max(now);
        self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity) - n;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / self.rate)
        }
    }
}

/// Paces work to at most `rate` units per second, or not at all.
#[derive(Debug, Clone)]
pub struct Pacer {
    bucket: Option<TokenBucket>,
}

impl Pacer {
    /// No limit.
    pub fn unlimited() -> Self {
        Self { bucket: None }
    }

    /// At most `rate` units per second, with bursts of at most `burst` units.
    pub fn per_second(rate: f64, burst: f64) -> Self {
        Self { bucket: Some(TokenBucket::new(rate, burst, Instant::now())) }
    }

    /// Waits until `units` may be spent.
    pub async fn acquire(&mut self, units: u64) {
        if let Some(bucket) = &mut self.bucket {
            let wait = bucket.take(units as f64, Instant::now());
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(value: u64) -> Duration {
        Duration::from_millis(value)
    }

    #[test]
    fn a_full_bucket_serves_its_capacity_then_paces_at_the_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(100.0, 25.0, start);
        assert_eq!(bucket.take(25.0, start), Duration::ZERO, "the burst is free");
        // 25 more at the same instant: a debt of 25 tokens at 100/s is 250 ms.
        assert_eq!(bucket.take(25.0, start), ms(250));
        // The caller slept 250 ms: the debt is paid, and the next 25 again cost 250 ms.
        assert_eq!(bucket.take(25.0, start + ms(250)), ms(250));
        // After a long idle period the bucket refills only up to its capacity.
        let later = start + Duration::from_secs(60);
        assert_eq!(bucket.take(25.0, later), Duration::ZERO);
        let wait = bucket.take(1.0, later);
        assert!(wait.abs_diff(ms(10)) < Duration::from_micros(1), "{wait:?}");
    }

    #[test]
    fn requests_larger_than_the_capacity_wait_proportionally() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(10.0, 1.0, start);
        assert_eq!(bucket.take(21.0, start), Duration::from_secs(2));
    }

    #[test]
    fn the_long_run_rate_holds_whatever_the_request_sizes() {
        // Simulate a taker that sleeps exactly as told: 10,000 units at 1,000/s with a burst
        // of 100 take 9.9 s, whatever the mix of request sizes.
        let start = Instant::now();
        let mut bucket = TokenBucket::new(1_000.0, 100.0, start);
        let mut now = start;
        let mut sent = 0u64;
        let sizes = [1u64, 7, 100, 250, 3, 500];
        let mut i = 0;
        while sent < 10_000 {
            let n = sizes[i % sizes.len()].min(10_000 - sent);
            i += 1;
            now += bucket.take(n as f64, now);
            sent += n;
            // Invariant: by `now`, at most capacity + rate · elapsed units were released.
            let allowed = 100.0 + 1_000.0 * (now - start).as_secs_f64();
            assert!(sent as f64 <= allowed + 1e-6, "{sent} > {allowed}");
        }
        let elapsed = (now - start).as_secs_f64();
        assert!((elapsed - 9.9).abs() < 1e-3, "{elapsed}");
    }

    #[tokio::test]
    async fn the_unlimited_pacer_never_waits() {
        let mut pacer = Pacer::unlimited();
        let started = std::time::Instant::now();
        pacer.acquire(1_000_000).await;
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}
