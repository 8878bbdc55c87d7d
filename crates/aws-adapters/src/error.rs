//! Errors of the AWS adapters, and the mapping of aws-sdk-rust errors onto
//! [`pipeline_core::Error`].
//!
//! Every port method returns [`pipeline_core::Error`]. An SDK failure becomes
//! `Error::Port { port, retryable, .. }` (or `Error::NotFound` where the port's contract
//! says so). Whether a retry can help is decided by [`is_retryable`], a pure function of the
//! failure kind, the service's error code and the HTTP status: throttling, 5xx and timeouts
//! are retryable; other 4xx (validation, access denied, missing resources) are not.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// Errors specific to this crate (configuration and invariants the SDK cannot check).
#[derive(Debug, thiserror::Error)]
pub enum AdapterError {
    /// A setting is invalid (bad S3 URI, part size below the S3 minimum, ...).
    #[error("invalid AWS adapter configuration: {0}")]
    Config(String),
    /// A service answered with something the adapter cannot use (missing id, bad shape).
    #[error("unexpected {service} response: {message}")]
    Unexpected {
        /// Which port.
        service: &'static str,
        /// What was wrong.
        message: String,
    },
}

/// Result alias for crate-specific errors.
pub type Result<T> = std::result::Result<T, AdapterError>;

impl From<AdapterError> for pipeline_core::Error {
    fn from(error: AdapterError) -> Self {
        match error {
            AdapterError::Config(message) => pipeline_core::Error::Invalid(message),
            AdapterError::Unexpected { service, message } => {
                pipeline_core::Error::Port { port: service, message, retryable: false }
            }
        }
    }
}

/// How an SDK call failed, independent of the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The request could not be built (a bug or bad input): never retryable.
    Construction,
    /// The call timed out.
    Timeout,
    /// The request could not be sent or the connection broke (I/O, DNS, TLS).
    Dispatch,
    /// A response arrived but could not be read or parsed.
    Response,
    /// The service answered with an error code.
    Service,
}

/// Error codes that mean "slow down" or "the service had a problem": retrying helps.
const RETRYABLE_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "RequestThrottled",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "SlowDown",
    "PriorRequestNotComplete",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "InternalError",
    "InternalFailure",
    "InternalServiceException",
    "InternalServerException",
    "InternalServiceError",
    "RequestTimeout",
    "RequestTimeoutException",
    "ConcurrentModificationException",
];

/// Whether a failed call may succeed when retried unchanged.
pub fn is_retryable(kind: FailureKind, code: Option<&str>, status: Option<u16>) -> bool {
    match kind {
        FailureKind::Construction => false,
        FailureKind::Timeout | FailureKind::Dispatch | FailureKind::Response => true,
        FailureKind::Service => {
            if code.is_some_and(|code| RETRYABLE_CODES.contains(&code)) {
                return true;
            }
            matches!(status, Some(408 | 429) | Some(500..=599))
        }
    }
}

/// What an SDK error says, extracted once.
#[derive(Debug, Clone)]
pub struct SdkFailure {
    /// Failure kind.
    pub kind: FailureKind,
    /// The service's error code (`NoSuchKey`, `EntityNotFoundException`, ...).
    pub code: Option<String>,
    /// HTTP status, when a response arrived.
    pub status: Option<u16>,
    /// A one-line description including the source chain.
    pub message: String,
}

impl SdkFailure {
    /// Reads an SDK error of any aws-sdk-rust service.
    pub fn of<E>(error: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let message = DisplayErrorContext(error).to_string();
        match error {
            SdkError::ServiceError(context) => Self {
                kind: FailureKind::Service,
                code: context.err().code().map(str::to_owned),
                status: Some(context.raw().status().as_u16()),
                message: context.err().message().map(str::to_owned).unwrap_or(message),
            },
            SdkError::TimeoutError(_) => {
                Self { kind: FailureKind::Timeout, code: None, status: None, message }
            }
            SdkError::DispatchFailure(failure) => Self {
                kind: if failure.is_user() {
                    FailureKind::Construction
                } else if failure.is_timeout() {
                    FailureKind::Timeout
                } else {
                    FailureKind::Dispatch
                },
                code: None,
                status: None,
                message,
            },
            SdkError::ResponseError(context) => Self {
                kind: FailureKind::Response,
                code: None,
                status: Some(context.raw().status().as_u16()),
                message,
            },
            _ => Self { kind: FailureKind::Construction, code: None, status: None, message },
        }
    }

    /// Whether retrying may help (see [`is_retryable`]).
    pub fn retryable(&self) -> bool {
        is_retryable(self.kind, self.code.as_deref(), self.status)
    }

    /// Whether the service said the thing does not exist (HTTP 404 or a not-found code).
    pub fn is_not_found(&self) -> bool {
        self.kind == FailureKind::Service
            && (self.status == Some(404)
                || matches!(
                    self.code.as_deref(),
                    Some(
                        "NoSuchKey"
                            | "NotFound"
                            | "NoSuchBucket"
                            | "EntityNotFoundException"
                            | "ResourceNotFoundException"
                    )
                ))
    }

    /// The `pipeline_core` error for this failure, with `context` saying what was being done.
    pub fn into_port_error(self, port: &'static str, context: &str) -> pipeline_core::Error {
        let code = self.code.as_deref().unwrap_or("no error code");
        let status = self.status.map(|s| format!(", HTTP {s}")).unwrap_or_default();
        pipeline_core::Error::Port {
            port,
            retryable: self.retryable(),
            message: format!("{context}: {code}{status}: {}", self.message),
        }
    }

    /// [`pipeline_core::Error::NotFound`] naming `what` when the service said it does not
    /// exist, else [`Self::into_port_error`] with `operation` and `what` as context.
    pub fn into_not_found_or_port_error(
        self,
        port: &'static str,
        operation: &str,
        what: String,
    ) -> pipeline_core::Error {
        if self.is_not_found() {
            pipeline_core::Error::NotFound(what)
        } else {
            self.into_port_error(port, &format!("{operation} {what}"))
        }
    }
}

/// Maps an SDK error to a port error (never `NotFound`: callers that expect absence check
/// [`SdkFailure::is_not_found`] first).
#[cfg_attr(not(any(feature = "s3", feature = "athena")), allow(dead_code))]
pub(crate) fn port_error<E>(
    port: &'static str,
    context: &str,
    error: &SdkError<E, HttpResponse>,
) -> pipeline_core::Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    SdkFailure::of(error).into_port_error(port, context)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_5xx_and_timeouts_are_retryable() {
        for code in ["ThrottlingException", "SlowDown", "ServiceUnavailableException"] {
            assert!(is_retryable(FailureKind::Service, Some(code), Some(400)), "{code}");
        }
        for status in [500, 502, 503, 504, 429, 408] {
            assert!(is_retryable(FailureKind::Service, Some("Whatever"), Some(status)), "{status}");
        }
        assert!(is_retryable(FailureKind::Timeout, None, None));
        assert!(is_retryable(FailureKind::Dispatch, None, None));
        assert!(is_retryable(FailureKind::Response, None, Some(200)));
    }

    #[test]
    fn client_errors_are_not_retryable() {
        for (code, status) in [
            ("AccessDenied", 403),
            ("NoSuchKey", 404),
            ("EntityNotFoundException", 400),
            ("ValidationException", 400),
            ("InvalidRequestException", 400),
            ("ResourceNotFoundException", 400),
        ] {
            assert!(!is_retryable(FailureKind::Service, Some(code), Some(status)), "{code}");
        }
        assert!(!is_retryable(FailureKind::Construction, None, None));
    }

    #[test]
    fn adapter_errors_map_to_non_retryable_core_errors() {
        let error: pipeline_core::Error = AdapterError::Config("bad".into()).into();
        assert!(matches!(error, pipeline_core::Error::Invalid(_)));
        let error: pipeline_core::Error =
            AdapterError::Unexpected { service: "athena", message: "x".into() }.into();
        assert!(!error.is_retryable());
    }
}
