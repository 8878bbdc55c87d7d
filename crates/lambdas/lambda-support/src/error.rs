//! The error every handler returns. Lambda reports it as `errorType` / `errorMessage`; the
//! type says whether retrying the same event can help (`StreamLake.Retryable`) or not
//! (`StreamLake.NonRetryable`), so operators reading the on-failure queue know which
//! messages to redrive.

use lambda_runtime::Diagnostic;

/// A handler failure.
#[derive(Debug, thiserror::Error)]
pub enum LambdaError {
    /// The function is misconfigured (a missing or invalid environment variable). Not
    /// retryable: fix the configuration.
    #[error("configuration error: {0}")]
    Config(String),
    /// The invocation payload is invalid. Not retryable: fix the caller.
    #[error("invalid payload: {0}")]
    Payload(String),
    /// The work failed.
    #[error("{message}")]
    Failed {
        /// What failed.
        message: String,
        /// Whether retrying the same event may succeed.
        retryable: bool,
    },
}

/// Result alias for handlers.
pub type Result<T> = std::result::Result<T, LambdaError>;

impl LambdaError {
    /// A failure that a retry may fix (throttling, a 5xx, a failed write).
    pub fn retryable(message: impl Into<String>) -> Self {
        LambdaError::Failed { message: message.into(), retryable: true }
    }

    /// A failure that a retry will not fix.
    pub fn fatal(message: impl Into<String>) -> Self {
        LambdaError::Failed { message: message.into(), retryable: false }
    }

    /// Whether retrying the same event may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, LambdaError::Failed { retryable: true, .. })
    }

    /// The `errorType` Lambda reports.
    pub fn error_type(&self) -> &'static str {
        if self.is_retryable() {
            "StreamLake.Retryable"
        } else {
            "StreamLake.NonRetryable"
        }
    }
}

impl From<pipeline_core::Error> for LambdaError {
    fn from(error: pipeline_core::Error) -> Self {
        LambdaError::Failed { retryable: error.is_retryable(), message: error.to_string() }
    }
}

impl From<LambdaError> for Diagnostic {
    fn from(error: LambdaError) -> Self {
        Diagnostic { error_type: error.error_type().to_owned(), error_message: error.to_string() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_diagnostic_says_whether_to_retry() {
        let throttled =
            pipeline_core::Error::Port { port: "s3", message: "SlowDown".into(), retryable: true };
        let diagnostic = Diagnostic::from(LambdaError::from(throttled));
        assert_eq!(diagnostic.error_type, "StreamLake.Retryable");
        assert!(diagnostic.error_message.contains("SlowDown"));
        let missing = LambdaError::from(pipeline_core::Error::NotFound("raw/x.gz".into()));
        assert!(!missing.is_retryable());
        assert_eq!(Diagnostic::from(missing).error_type, "StreamLake.NonRetryable");
        assert_eq!(LambdaError::Config("X".into()).error_type(), "StreamLake.NonRetryable");
    }
}
