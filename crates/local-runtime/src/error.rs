//! Errors of the local runtime.

/// Errors raised by the local adapters beyond the port contracts.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A pipeline or port error.
    #[error(transparent)]
    Core(#[from] pipeline_core::Error),
    /// The lake directory is missing or unusable.
    #[error("lake not found at {0}: run `streamlake generate` or `streamlake demo` first, or pass --lake")]
    MissingLake(String),
    /// A query could not be planned or run.
    #[error("query failed: {0}")]
    Query(String),
    /// A background task failed.
    #[error("task failed: {0}")]
    Task(String),
}

impl From<datafusion::error::DataFusionError> for Error {
    fn from(error: datafusion::error::DataFusionError) -> Self {
        Error::Query(error.to_string())
    }
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Maps an I/O error with context into the core error type used by the ports.
pub(crate) fn io(context: impl Into<String>, error: std::io::Error) -> pipeline_core::Error {
    pipeline_core::Error::io(context, error)
}
