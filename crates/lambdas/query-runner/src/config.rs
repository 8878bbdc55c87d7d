//! The query-runner's environment, read once at cold start. Terraform sets these.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `ATHENA_WORKGROUP` | required | the workgroup (result location, encryption, scan cutoff) |
//! | `GLUE_DATABASE` | `netflix-streams-aws` | the database queries run in |
//! | `ATHENA_OUTPUT_LOCATION` | unset | `s3://…` results location (the workgroup's); `refresh_gold` reads UNLOAD's data manifests there |
//! | `QUERY_TIMEOUT_SECONDS` | `240` | stop the query after this long; keep it under the function timeout |
//! | `MAX_RESULT_ROWS` | `10000` | rows returned inline (a Lambda response is at most 6 MB) |
//! | `PROCESSED_BUCKET` | unset | the bucket holding gold (`gold/netflix/…`): `refresh_gold` unloads into it and commits each day's manifest |

use std::time::Duration;

use aws_adapters::athena::AthenaConfig;
use lambda_support::{Env, LambdaError, Result};

/// The query-runner's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Athena settings (workgroup, database, output location, timeout).
    pub athena: AthenaConfig,
    /// Rows returned inline; the rest are counted and flagged as truncated.
    pub max_result_rows: usize,
    /// The processed bucket (gold), for `refresh_gold`.
    pub processed_bucket: Option<String>,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self> {
        Self::from_vars(&Env::process())
    }

    /// Reads `env`; fails on the first missing or invalid variable.
    pub fn from_vars(env: &Env) -> Result<Self> {
        let mut athena = AthenaConfig::new(env.required("ATHENA_WORKGROUP")?);
        if let Some(database) = env.optional("GLUE_DATABASE") {
            athena.database = database;
        }
        athena.output_location = env.optional("ATHENA_OUTPUT_LOCATION");
        if let Some(location) = &athena.output_location {
            if !location.starts_with("s3://") {
                return Err(LambdaError::Config(format!(
                    "ATHENA_OUTPUT_LOCATION={location:?} must be an s3:// URI"
                )));
            }
        }
        let timeout: u64 = env.parsed("QUERY_TIMEOUT_SECONDS", 240)?;
        if timeout == 0 {
            return Err(LambdaError::Config("QUERY_TIMEOUT_SECONDS must be > 0".into()));
        }
        athena.timeout = Duration::from_secs(timeout);
        let max_result_rows = env.parsed("MAX_RESULT_ROWS", 10_000_usize)?;
        let processed_bucket = env.optional("PROCESSED_BUCKET");
        Ok(Self { athena, max_result_rows, processed_bucket })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_workgroup_and_limits() {
        let env = Env::from_pairs([("ATHENA_WORKGROUP", "streamlake"), ("MAX_RESULT_ROWS", "5")]);
        let config = Config::from_vars(&env).unwrap();
        assert_eq!(config.athena.workgroup, "streamlake");
        assert_eq!(config.athena.database, "netflix-streams-aws");
        assert_eq!(config.athena.timeout, Duration::from_secs(240));
        assert_eq!(config.max_result_rows, 5);
        assert!(Config::from_vars(&Env::from_pairs([("X", "y")])).is_err());
        let bad = Env::from_pairs([("ATHENA_WORKGROUP", "w"), ("ATHENA_OUTPUT_LOCATION", "/tmp")]);
        assert!(Config::from_vars(&bad).is_err());
    }
}
