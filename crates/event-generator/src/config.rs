//! Generator configuration.

use chrono::{Datelike, NaiveDate, NaiveTime};

use crate::error::{Error, Result};

/// Default size of the title catalog.
pub const DEFAULT_TITLE_COUNT: usize = 600;
/// Smallest accepted title catalog.
pub const MIN_TITLE_COUNT: usize = 500;
/// Largest accepted title catalog.
pub const MAX_TITLE_COUNT: usize = 1_000_000;
/// Longest accepted session window, in days.
pub const MAX_DAYS: u32 = 3_660;
/// Default delivery stream name.
pub const DEFAULT_STREAM_NAME: &str = "netflix-playback";

/// What to generate. Everything the generator produces is a pure function of this value.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratorConfig {
    /// Number of clean (valid, distinct) playback events to generate, exactly.
    pub events: u64,
    /// Sessions start over `[start_date, start_date + days)`, following a diurnal curve.
    pub days: u32,
    /// Seed of every random decision.
    pub seed: u64,
    /// First day (UTC) of the session window.
    pub start_date: NaiveDate,
    /// Share of clean events additionally sent a second time, byte-identical, in the same
    /// batch (Firehose-style retry duplicates). In `[0, 1]`; default 0.
    pub duplicate_rate: f64,
    /// Share of clean events the producer sends again 2–15 minutes later (a retry after a
    /// lost acknowledgement): the copy lands in a *different* raw object, so only compaction's
    /// cross-object dedup removes it. In `[0, 1]`; default 0.
    pub resend_rate: f64,
    /// Bad records injected per clean event, spread across every injectable reason code. In
    /// `[0, 1]`; default 0.
    pub bad_record_rate: f64,
    /// Size of the title catalog; at least [`MIN_TITLE_COUNT`]. Default
    /// [`DEFAULT_TITLE_COUNT`].
    pub title_count: usize,
    /// The delivery stream the batches are meant for (not written into records). Default
    /// [`DEFAULT_STREAM_NAME`].
    pub stream_name: String,
}

impl GeneratorConfig {
    /// A config with no faults, the default catalog and the default stream name.
    pub fn new(events: u64, days: u32, seed: u64, start_date: NaiveDate) -> Self {
        Self {
            events,
            days,
            seed,
            start_date,
            duplicate_rate: 0.0,
            resend_rate: 0.0,
            bad_record_rate: 0.0,
            title_count: DEFAULT_TITLE_COUNT,
            stream_name: DEFAULT_STREAM_NAME.to_owned(),
        }
    }

    /// Checks that the config is in the supported range.
    pub fn validate(&self) -> Result<()> {
        for (name, rate) in [
            ("duplicate_rate", self.duplicate_rate),
            ("resend_rate", self.resend_rate),
            ("bad_record_rate", self.bad_record_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(Error::InvalidConfig(format!("{name} must be in [0, 1], got {rate}")));
            }
        }
        if !(MIN_TITLE_COUNT..=MAX_TITLE_COUNT).contains(&self.title_count) {
            return Err(Error::InvalidConfig(format!(
                "title_count must be in {MIN_TITLE_COUNT}..={MAX_TITLE_COUNT}, got {}",
                self.title_count
            )));
        }
        if !(1..=MAX_DAYS).contains(&self.days) {
            return Err(Error::InvalidConfig(format!(
                "days must be in 1..={MAX_DAYS}, got {}",
                self.days
            )));
        }
        if !(1971..=9000).contains(&self.start_date.year()) {
            return Err(Error::InvalidConfig(format!(
                "start_date must be between 1971 and 9000, got {}",
                self.start_date
            )));
        }
        if self.events > 1 << 40 {
            return Err(Error::InvalidConfig(format!(
                "events must be at most 2^40, got {}",
                self.events
            )));
        }
        Ok(())
    }

    /// Epoch seconds of `start_date` 00:00:00 UTC.
    pub(crate) fn window_start(&self) -> i64 {
        self.start_date.and_time(NaiveTime::MIN).and_utc().timestamp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> GeneratorConfig {
        GeneratorConfig::new(10, 1, 1, NaiveDate::from_ymd_opt(2025, 3, 1).unwrap())
    }

    #[test]
    fn defaults_are_valid() {
        let config = config();
        assert_eq!(config.title_count, 600);
        assert_eq!(config.stream_name, "netflix-playback");
        assert!(config.validate().is_ok());
        assert_eq!(config.window_start(), 1_740_787_200);
    }

    #[test]
    fn out_of_range_values_are_rejected() {
        let bad = [
            GeneratorConfig { duplicate_rate: 1.5, ..config() },
            GeneratorConfig { resend_rate: 2.0, ..config() },
            GeneratorConfig { bad_record_rate: -0.1, ..config() },
            GeneratorConfig { bad_record_rate: f64::NAN, ..config() },
            GeneratorConfig { title_count: 499, ..config() },
            GeneratorConfig { days: 0, ..config() },
            GeneratorConfig {
                start_date: NaiveDate::from_ymd_opt(1960, 1, 1).unwrap(),
                ..config()
            },
        ];
        for config in bad {
            assert!(matches!(config.validate(), Err(Error::InvalidConfig(_))), "{config:?}");
        }
    }
}
