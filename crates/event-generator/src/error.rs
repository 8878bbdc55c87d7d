//! Errors of the event generator.

/// Errors raised while building a [`crate::Generator`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The [`crate::GeneratorConfig`] is outside the supported range.
    #[error("invalid generator config: {0}")]
    InvalidConfig(String),
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;
