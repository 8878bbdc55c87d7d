//! The registrar's environment, read once at cold start. Terraform sets these.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `RAW_BUCKET` | required | holds the quarantine zone |
//! | `PROCESSED_BUCKET` | required | holds silver |
//! | `GLUE_DATABASE` | `netflix-streams-aws` | the catalog database |

use aws_adapters::LakeLayout;
use lambda_support::{Env, LambdaError, Result};

/// The registrar's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where each zone lives (partition locations, and which events belong to the lake).
    pub layout: LakeLayout,
    /// Glue database.
    pub database: String,
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
        Ok(Self { layout, database })
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
    }
}
