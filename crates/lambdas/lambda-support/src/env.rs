//! Typed, fail-fast configuration from environment variables. Each Lambda's
//! `Config::from_env()` reads every variable once at cold start through [`Env`], so a
//! missing or malformed setting stops the function before it takes any event, with a message
//! naming the variable.
//!
//! [`Env::from_pairs`] builds the same lookups from a list, so configs are tested without
//! touching the process environment.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::str::FromStr;

use crate::error::{LambdaError, Result};

/// A source of environment variables.
#[derive(Debug, Clone)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    /// The process environment.
    pub fn process() -> Self {
        Self { vars: std::env::vars().collect() }
    }

    /// A fixed set of variables (tests, tools).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self { vars: pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect() }
    }

    /// A variable that must be set and non-empty.
    pub fn required(&self, name: &str) -> Result<String> {
        match self.vars.get(name).map(|v| v.trim()) {
            Some(value) if !value.is_empty() => Ok(value.to_owned()),
            _ => Err(LambdaError::Config(format!("{name} must be set"))),
        }
    }

    /// An optional variable: `None` when unset or empty.
    pub fn optional(&self, name: &str) -> Option<String> {
        self.vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()).map(str::to_owned)
    }

    /// An optional variable parsed as `T`, or `default` when unset. A value that does not
    /// parse is an error, never silently replaced by the default.
    pub fn parsed<T>(&self, name: &str, default: T) -> Result<T>
    where
        T: FromStr,
        T::Err: Display,
    {
        match self.optional(name) {
            None => Ok(default),
            Some(value) => value.parse().map_err(|error| {
                LambdaError::Config(format!("{name}={value:?} is invalid: {error}"))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_empty_and_malformed_values_are_named() {
        let env = Env::from_pairs([("A", "x"), ("EMPTY", " "), ("N", "12"), ("BAD", "twelve")]);
        assert_eq!(env.required("A").unwrap(), "x");
        let error = env.required("EMPTY").unwrap_err().to_string();
        assert!(error.contains("EMPTY must be set"), "{error}");
        assert!(env.required("NOPE").is_err());
        assert_eq!(env.parsed("N", 5_u32).unwrap(), 12);
        assert_eq!(env.parsed("UNSET", 5_u32).unwrap(), 5);
        let error = env.parsed("BAD", 5_u32).unwrap_err().to_string();
        assert!(error.contains("BAD=\"twelve\" is invalid"), "{error}");
    }
}
