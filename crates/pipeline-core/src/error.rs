//! Errors of the pipeline core.

/// Everything that can go wrong in the pure pipeline or behind a port.
///
/// Bad *records* are never errors: they become quarantine rows. Errors are reserved for
/// failures of the machinery (I/O, a port, an encoder) and carry whether a retry can help.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Local I/O failed (staging files, reading an input).
    #[error("I/O error while {context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Encoding Parquet or Arrow data failed.
    #[error("encoding failed: {0}")]
    Encode(String),
    /// A blob store, delivery stream, catalog or query engine reported a failure.
    #[error("{port} failed: {message}")]
    Port {
        /// Which port.
        port: &'static str,
        /// What it said.
        message: String,
        /// Whether retrying the same call may succeed.
        retryable: bool,
    },
    /// The requested object, table or query does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The caller asked for something invalid (bad SQL, bad key, bad configuration).
    #[error("invalid request: {0}")]
    Invalid(String),
    /// JSON (de)serialisation of a ledger or catalog failed.
    #[error("JSON error: {0}")]
    Json(#[from] serde_json::Error),
}

impl Error {
    /// Builds an [`Error::Io`] with context.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io { context: context.into(), source }
    }

    /// Whether the failed operation may succeed when retried unchanged. Outputs are keyed
    /// deterministically, so retrying a whole object is always safe; this says whether it is
    /// *useful*.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Io { .. } => true,
            Error::Port { retryable, .. } => *retryable,
            Error::Encode(_) | Error::NotFound(_) | Error::Invalid(_) | Error::Json(_) => false,
        }
    }
}

impl From<parquet::errors::ParquetError> for Error {
    fn from(error: parquet::errors::ParquetError) -> Self {
        Error::Encode(error.to_string())
    }
}

impl From<arrow_schema::ArrowError> for Error {
    fn from(error: arrow_schema::ArrowError) -> Self {
        Error::Encode(error.to_string())
    }
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;
