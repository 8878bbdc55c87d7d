//! The registrar's environment, read once at cold start. Terraform sets these.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `RAW_BUCKET` | required | holds the quarantine zone |
//! | `PROCESSED_BUCKET` | required | holds silver |
//! | `GLUE_DATABASE` | `netflix-streams-aws` | the catalog database |
//! | `GRACE_SECONDS` | `3600` | a file removed by a commit is deleted this long after (longer than the longest query) |
//! | `COMPACTION_TARGET_FILE_MB` | `128` | size of a compacted silver file |

use aws_adapters::LakeLayout;
use lambda_support::{Env, LambdaError, Result};

/// The registrar's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where each zone lives (partition locations, and which events belong to the lake).
    pub layout: LakeLayout,
    /// Glue database.
    pub database: String,
    /// The scheduled compaction's policy.
    pub compaction: pipeline_core::compact::CompactionPolicy,
    /// Seconds before a removed file is deleted.
    pub grace_seconds: i64,
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
        let database = env
            .optional("GLUE_DATABASE")
            .unwrap_or_else(|| aws_adapters::DEFAULT_DATABASE.to_owned());
        let grace_seconds: i64 = env.parsed("GRACE_SECONDS", 3600)?;
        if grace_seconds <= 0 {
            return Err(LambdaError::Config("GRACE_SECONDS must be > 0".into()));
        }
        let target_mb: u64 = env.parsed("COMPACTION_TARGET_FILE_MB", 128)?;
        if !(1..=4096).contains(&target_mb) {
            return Err(LambdaError::Config("COMPACTION_TARGET_FILE_MB must be 1..=4096".into()));
        }
        let compaction = pipeline_core::compact::CompactionPolicy {
            target_file_bytes: target_mb * 1024 * 1024,
            ..Default::default()
        };
        Ok(Self { layout, database, compaction, grace_seconds })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_buckets_and_database() {
        let env = Env::from_pairs([("RAW_BUCKET", "r"), ("PROCESSED_BUCKET", "p")]);
        let config = Config::from_vars(&env).unwrap();
        assert_eq!(config.database, "netflix-streams-aws");
        assert_eq!(config.layout.bucket_of("quarantine/netflix/q").unwrap(), "r");
        let error = Config::from_vars(&Env::from_pairs([("PROCESSED_BUCKET", "p")])).unwrap_err();
        assert!(error.to_string().contains("RAW_BUCKET"), "{error}");
        assert_eq!(config.grace_seconds, 3600);
        assert_eq!(config.compaction.target_file_bytes, 128 * 1024 * 1024);
        let bad = Env::from_pairs([
            ("RAW_BUCKET", "r"),
            ("PROCESSED_BUCKET", "p"),
            ("GRACE_SECONDS", "0"),
        ]);
        assert!(Config::from_vars(&bad).is_err());
    }
}
