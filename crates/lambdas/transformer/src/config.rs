//! The transformer's environment, read once at cold start. Terraform sets these.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `RAW_BUCKET` | required | bronze, quarantine and ledgers |
//! | `PROCESSED_BUCKET` | required | silver (and gold) |
//! | `STAGING_DIR` | `/tmp/streamlake-staging` | where Parquet files are staged before upload (Lambda ephemeral storage) |
//! | `MAX_CLOCK_SKEW_SECONDS` | `3600` | an event more than this after arrival is FROM_FUTURE |
//! | `MAX_EVENT_AGE_DAYS` | `30` | an event more than this before arrival is TOO_OLD |

use std::path::PathBuf;

use aws_adapters::LakeLayout;
use lambda_support::{Env, LambdaError, Result};
use pipeline_core::transform::TransformConfig;

/// The transformer's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where each zone lives.
    pub layout: LakeLayout,
    /// The bucket raw objects arrive in (events from other buckets are skipped).
    pub raw_bucket: String,
    /// Transform settings (staging directory, timeliness policy).
    pub transform: TransformConfig,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self> {
        Self::from_vars(&Env::process())
    }

    /// Reads `env`; fails on the first missing or invalid variable.
    pub fn from_vars(env: &Env) -> Result<Self> {
        let raw_bucket = env.required("RAW_BUCKET")?;
        let processed_bucket = env.required("PROCESSED_BUCKET")?;
        let layout = LakeLayout::two_buckets(&raw_bucket, &processed_bucket)
            .map_err(|error| LambdaError::Config(error.to_string()))?;
        let staging_dir: PathBuf =
            env.parsed("STAGING_DIR", PathBuf::from("/tmp/streamlake-staging"))?;
        let mut transform = TransformConfig::new(staging_dir);
        transform.policy.max_clock_skew_secs = env.parsed("MAX_CLOCK_SKEW_SECONDS", 3_600_i64)?;
        let max_age_days: i64 = env.parsed("MAX_EVENT_AGE_DAYS", 30)?;
        if transform.policy.max_clock_skew_secs < 0 || max_age_days <= 0 {
            return Err(LambdaError::Config(
                "MAX_CLOCK_SKEW_SECONDS must be >= 0 and MAX_EVENT_AGE_DAYS > 0".into(),
            ));
        }
        transform.policy.max_event_age_secs = max_age_days * 86_400;
        Ok(Self { layout, raw_bucket, transform })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_buckets_and_policy_and_fails_fast() {
        let env = Env::from_pairs([
            ("RAW_BUCKET", "sl-raw"),
            ("PROCESSED_BUCKET", "sl-processed"),
            ("MAX_EVENT_AGE_DAYS", "7"),
        ]);
        let config = Config::from_vars(&env).unwrap();
        assert_eq!(config.raw_bucket, "sl-raw");
        assert_eq!(config.layout.bucket_of("processed/netflix/x").unwrap(), "sl-processed");
        assert_eq!(config.transform.policy.max_event_age_secs, 7 * 86_400);
        assert_eq!(config.transform.policy.max_clock_skew_secs, 3_600);

        let error = Config::from_vars(&Env::from_pairs([("RAW_BUCKET", "sl-raw")])).unwrap_err();
        assert!(error.to_string().contains("PROCESSED_BUCKET"), "{error}");
        let bad = Env::from_pairs([
            ("RAW_BUCKET", "sl-raw"),
            ("PROCESSED_BUCKET", "sl-processed"),
            ("MAX_EVENT_AGE_DAYS", "-1"),
        ]);
        assert!(Config::from_vars(&bad).is_err());
    }
}
