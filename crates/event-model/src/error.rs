//! Errors of the event model.

/// Errors raised while building event-model values.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value is outside the range the contract can represent.
    #[error("value out of range: {0}")]
    OutOfRange(String),
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;
