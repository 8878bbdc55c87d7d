//! The title dimension writer, shared with the generator Lambda: it lives in
//! [`pipeline_core::titles`] and is re-exported here for the local runtime's callers.

pub use pipeline_core::titles::{titles_parquet, write_titles};
