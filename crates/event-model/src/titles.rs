//! The title dimension row (`netflix_titles`).

use serde::{Deserialize, Serialize};

/// Movie or series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ContentType {
    /// A feature film.
    Movie,
    /// An episode of a series; `runtime_minutes` is the episode length.
    Series,
}

impl ContentType {
    /// The stored spelling: `MOVIE` or `SERIES`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ContentType::Movie => "MOVIE",
            ContentType::Series => "SERIES",
        }
    }
}

/// One title of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Title {
    /// Stable id, the join key with `processed_netflix_events.title_id`.
    pub title_id: String,
    /// Display name.
    pub title_name: String,
    /// Primary genre.
    pub genre: String,
    /// Movie or series.
    pub content_type: ContentType,
    /// Runtime (episode runtime for series), minutes.
    pub runtime_minutes: i32,
    /// Release year.
    pub release_year: i32,
}
