//! The generator's environment, read once at cold start. Terraform sets these.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `FIREHOSE_STREAM_NAME` | required | the Direct PUT delivery stream |
//! | `PACK_BYTES` | `5000` | packed Firehose record size (one 5 KB billing increment) |
//! | `DEFAULT_EVENTS` | `10000` | clean events when the payload gives none |
//! | `DEFAULT_DAYS` | `1` | days of viewing when the payload gives none |
//! | `MAX_EVENTS` | `2000000` | refuse larger requests (time and cost guard) |
//! | `PROCESSED_BUCKET` | unset | when set, each run writes the title dimension (`processed/netflix/netflix_titles/titles.snappy.parquet`) there |

use lambda_support::{Env, LambdaError, Result};

/// The generator's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Delivery stream name.
    pub stream_name: String,
    /// Packed record size in bytes.
    pub pack_bytes: usize,
    /// Events when the payload gives none.
    pub default_events: u64,
    /// Days when the payload gives none.
    pub default_days: u32,
    /// Largest accepted request.
    pub max_events: u64,
    /// Where the title dimension is written, if anywhere.
    pub processed_bucket: Option<String>,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self> {
        Self::from_vars(&Env::process())
    }

    /// Reads `env`; fails on the first missing or invalid variable.
    pub fn from_vars(env: &Env) -> Result<Self> {
        let config = Self {
            stream_name: env.required("FIREHOSE_STREAM_NAME")?,
            pack_bytes: env.parsed("PACK_BYTES", 5_000)?,
            default_events: env.parsed("DEFAULT_EVENTS", 10_000)?,
            default_days: env.parsed("DEFAULT_DAYS", 1)?,
            max_events: env.parsed("MAX_EVENTS", 2_000_000)?,
            processed_bucket: env.optional("PROCESSED_BUCKET"),
        };
        if !(1..=1_000 * 1024).contains(&config.pack_bytes) {
            return Err(LambdaError::Config(
                "PACK_BYTES must be between 1 and 1,024,000 (Firehose's record limit)".into(),
            ));
        }
        if config.default_days == 0 || config.default_events > config.max_events {
            return Err(LambdaError::Config(
                "DEFAULT_DAYS must be > 0 and DEFAULT_EVENTS at most MAX_EVENTS".into(),
            ));
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_stream_and_guards() {
        let config = Config::from_vars(&Env::from_pairs([("FIREHOSE_STREAM_NAME", "s")])).unwrap();
        assert_eq!(
            (config.pack_bytes, config.default_events, config.max_events),
            (5_000, 10_000, 2_000_000)
        );
        assert!(Config::from_vars(&Env::from_pairs([("PACK_BYTES", "10")])).is_err());
        let too_big = Env::from_pairs([("FIREHOSE_STREAM_NAME", "s"), ("PACK_BYTES", "2000000")]);
        assert!(Config::from_vars(&too_big).is_err());
    }
}
