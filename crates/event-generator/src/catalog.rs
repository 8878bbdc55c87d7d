//! The title catalog (`netflix_titles`) and its Zipf-like popularity.
//!
//! The catalog depends only on its size, not on the run's seed: every run that ships
//! `title_count` titles ships the same dimension, so lakes fed by several runs stay coherent.

use std::collections::HashSet;

use event_model::{ContentType, Title};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::ids::{rng_for, Stream};

/// Fixed seed of the catalog stream.
const CATALOG_SEED: u64 = 0x0005_7ea3_1a4e_0001;
/// Zipf exponent of title popularity by rank.
pub(crate) const ZIPF_EXPONENT: f64 = 1.05;

/// Genres, with the share of the catalog and the probability that a title is a series.
const GENRES: [(&str, f64, f64); 12] = [
    ("Drama", 16.0, 0.55),
    ("Comedy", 13.0, 0.55),
    ("Thriller", 9.0, 0.35),
    ("Documentary", 8.0, 0.40),
    ("Animation", 6.0, 0.50),
    ("Action", 10.0, 0.25),
    ("Sci-Fi", 7.0, 0.40),
    ("Romance", 7.0, 0.30),
    ("Horror", 6.0, 0.20),
    ("Reality", 5.0, 0.95),
    ("Crime", 8.0, 0.60),
    ("Kids", 5.0, 0.80),
];

const ADJECTIVES: [&str; 40] = [
    "Silent",
    "Midnight",
    "Broken",
    "Hidden",
    "Last",
    "Crimson",
    "Golden",
    "Frozen",
    "Wild",
    "Electric",
    "Quiet",
    "Burning",
    "Lost",
    "Hollow",
    "Northern",
    "Velvet",
    "Iron",
    "Distant",
    "Secret",
    "Final",
    "Neon",
    "Savage",
    "Gentle",
    "Shattered",
    "Endless",
    "Scarlet",
    "Wicked",
    "Lonely",
    "Restless",
    "Eternal",
    "Sunken",
    "Paper",
    "Glass",
    "Copper",
    "Bitter",
    "Little",
    "Dark",
    "Bright",
    "Fallen",
    "Stolen",
];

const NOUNS: [&str; 48] = [
    "Harbor",
    "Protocol",
    "Kingdom",
    "Signal",
    "River",
    "Empire",
    "Garden",
    "Witness",
    "Frontier",
    "Orchard",
    "Horizon",
    "Lighthouse",
    "Cartel",
    "Circuit",
    "Dynasty",
    "Verdict",
    "Station",
    "Summer",
    "Winter",
    "Voyage",
    "Pact",
    "Echo",
    "Cipher",
    "Island",
    "Valley",
    "Crown",
    "Heist",
    "Legacy",
    "Detective",
    "Academy",
    "Kitchen",
    "Planet",
    "Ocean",
    "Tribe",
    "Paradise",
    "Code",
    "Mirror",
    "Storm",
    "Road",
    "City",
    "Nights",
    "Family",
    "Game",
    "Line",
    "Hours",
    "Files",
    "Reckoning",
    "Bloodline",
];

const PLACES: [&str; 24] = [
    "Lisbon",
    "Osaka",
    "Nairobi",
    "Oslo",
    "Havana",
    "Seoul",
    "Marseille",
    "Bogotá",
    "Berlin",
    "Mumbai",
    "Cairo",
    "Palermo",
    "Dublin",
    "Kyoto",
    "Lagos",
    "Tulsa",
    "Montréal",
    "Reykjavík",
    "Valparaíso",
    "Sapporo",
    "Glasgow",
    "Medellín",
    "Istanbul",
    "Brooklyn",
];

const NAMES: [&str; 24] = [
    "Maya", "Elena", "Kenji", "Amara", "Lucas", "Noor", "Tomás", "Ingrid", "Ravi", "Chloe",
    "Mateo", "Aiko", "Jonah", "Zara", "Felix", "Priya", "Omar", "Sofia", "Dmitri", "Lena", "Hugo",
    "Yara", "Elias", "Nia",
];

const SUBTITLES: [&str; 12] = [
    "Origins",
    "The Reckoning",
    "Rising",
    "Redemption",
    "Aftermath",
    "The Return",
    "Uprising",
    "Reborn",
    "Requiem",
    "Exodus",
    "Resurrection",
    "The Long Night",
];

/// The catalog: titles, and a popularity sampler over them.
#[derive(Debug, Clone)]
pub(crate) struct Catalog {
    /// The title dimension, in `title_id` order.
    pub(crate) titles: Vec<Title>,
    /// Title index of each popularity rank (rank 0 is the most popular).
    by_rank: Vec<u32>,
    /// Cumulative Zipf weights over ranks.
    cumulative: Vec<f64>,
}

impl Catalog {
    /// Generates `count` titles (count >= 1).
    pub(crate) fn generate(count: usize) -> Self {
        let mut rng = rng_for(CATALOG_SEED, Stream::Catalog, count as u64);
        let genre_weights: Vec<f64> = GENRES.iter().map(|genre| genre.1).collect();
        let genre_cumulative = cumulative(&genre_weights);
        let mut names = HashSet::with_capacity(count);
        let mut titles = Vec::with_capacity(count);
        for index in 0..count {
            let (genre, _, series_share) = GENRES[sample_cumulative(&genre_cumulative, &mut rng)];
            let series = rng.random_bool(series_share);
            let content_type = if series { ContentType::Series } else { ContentType::Movie };
            let runtime_minutes = runtime_minutes(genre, content_type, &mut rng);
            let release_year = release_year(&mut rng);
            let title_name = unique_name(series, release_year, &mut names, &mut rng);
            titles.push(Title {
                title_id: format!("tt{:07}", 100_000 + index * 37),
                title_name,
                genre: genre.to_owned(),
                content_type,
                runtime_minutes,
                release_year,
            });
        }
        // A random (but fixed) popularity order: a Fisher-Yates shuffle of the indices.
        let mut by_rank: Vec<u32> = (0..count as u32).collect();
        for i in (1..by_rank.len()).rev() {
            let j = rng.random_range(0..=i);
            by_rank.swap(i, j);
        }
        let weights: Vec<f64> =
            (1..=count).map(|rank| 1.0 / (rank as f64).powf(ZIPF_EXPONENT)).collect();
        Self { titles, by_rank, cumulative: cumulative(&weights) }
    }

    /// Draws a title index by popularity.
    pub(crate) fn sample(&self, rng: &mut ChaCha8Rng) -> usize {
        let rank = sample_cumulative(&self.cumulative, rng);
        self.by_rank.get(rank).map_or(0, |&index| index as usize)
    }

    /// The title index with popularity rank `rank` (0 = most popular).
    #[cfg(test)]
    pub(crate) fn at_rank(&self, rank: usize) -> usize {
        self.by_rank[rank] as usize
    }
}

fn runtime_minutes(genre: &str, content_type: ContentType, rng: &mut ChaCha8Rng) -> i32 {
    match content_type {
        ContentType::Series => match genre {
            "Kids" | "Animation" | "Comedy" => rng.random_range(20..=32),
            "Reality" => rng.random_range(35..=50),
            _ => rng.random_range(38..=60),
        },
        ContentType::Movie => {
            // Triangular-ish around 105 minutes, within 80..=170.
            let a: f64 = rng.random();
            let b: f64 = rng.random();
            let minutes = 80.0 + 90.0 * (a + b) / 2.0 * if genre == "Kids" { 0.5 } else { 1.0 };
            (minutes.round() as i32).clamp(80, 170)
        }
    }
}

fn release_year(rng: &mut ChaCha8Rng) -> i32 {
    // Skewed to recent years: most of a streaming catalog is recent.
    let u: f64 = rng.random();
    let back = (56.0 * u.powi(3)).floor() as i32;
    2026 - back.clamp(0, 56)
}

fn pick<'a>(words: &[&'a str], rng: &mut ChaCha8Rng) -> &'a str {
    words[rng.random_range(0..words.len())]
}

fn base_name(rng: &mut ChaCha8Rng) -> String {
    match rng.random_range(0..8) {
        0 | 1 => format!("The {} {}", pick(&ADJECTIVES, rng), pick(&NOUNS, rng)),
        2 => format!("{} {}", pick(&ADJECTIVES, rng), pick(&NOUNS, rng)),
        3 => format!("The {} of {}", pick(&NOUNS, rng), pick(&PLACES, rng)),
        4 => format!("{}'s {}", pick(&NAMES, rng), pick(&NOUNS, rng)),
        5 => format!("{} {}", pick(&PLACES, rng), pick(&NOUNS, rng)),
        6 => format!("{}: {}", pick(&NOUNS, rng), pick(&SUBTITLES, rng)),
        _ => format!("{} {}", pick(&ADJECTIVES, rng), pick(&PLACES, rng)),
    }
}

fn unique_name(
    series: bool,
    release_year: i32,
    names: &mut HashSet<String>,
    rng: &mut ChaCha8Rng,
) -> String {
    let mut name = String::new();
    for _ in 0..16 {
        name = base_name(rng);
        if series && rng.random_bool(0.3) {
            name = format!("{name}: Season {}", rng.random_range(2..=6));
        }
        if !names.contains(&name) {
            break;
        }
    }
    if names.contains(&name) {
        name = format!("{name} ({release_year})");
    }
    let mut candidate = name.clone();
    let mut suffix = 2;
    while names.contains(&candidate) {
        candidate = format!("{name} {suffix}");
        suffix += 1;
    }
    names.insert(candidate.clone());
    candidate
}

/// Running sums of `weights`.
pub(crate) fn cumulative(weights: &[f64]) -> Vec<f64> {
    let mut total = 0.0;
    weights
        .iter()
        .map(|weight| {
            total += weight.max(0.0);
            total
        })
        .collect()
}

/// Draws an index with probability proportional to its weight, given running sums.
pub(crate) fn sample_cumulative(cumulative: &[f64], rng: &mut ChaCha8Rng) -> usize {
    let total = cumulative.last().copied().unwrap_or(0.0);
    let x = rng.random::<f64>() * total;
    cumulative.partition_point(|&sum| sum <= x).min(cumulative.len().saturating_sub(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_is_stable_unique_and_plausible() {
        let catalog = Catalog::generate(600);
        assert_eq!(catalog.titles, Catalog::generate(600).titles);
        assert_eq!(catalog.titles.len(), 600);
        let ids: HashSet<_> = catalog.titles.iter().map(|t| t.title_id.clone()).collect();
        let names: HashSet<_> = catalog.titles.iter().map(|t| t.title_name.clone()).collect();
        assert_eq!(ids.len(), 600);
        assert_eq!(names.len(), 600);
        for title in &catalog.titles {
            assert!(title.title_id.starts_with("tt") && title.title_id.len() == 9);
            assert!((1970..=2026).contains(&title.release_year), "{title:?}");
            match title.content_type {
                ContentType::Movie => assert!((80..=170).contains(&title.runtime_minutes)),
                ContentType::Series => assert!((20..=60).contains(&title.runtime_minutes)),
            }
            assert!(GENRES.iter().any(|genre| genre.0 == title.genre));
        }
        let genres: HashSet<_> = catalog.titles.iter().map(|t| t.genre.as_str()).collect();
        assert_eq!(genres.len(), GENRES.len());
        let series = catalog.titles.iter().filter(|t| t.content_type == ContentType::Series);
        assert!((150..450).contains(&series.count()));
    }

    #[test]
    fn sampling_is_zipf_skewed() {
        let catalog = Catalog::generate(500);
        let mut rng = rng_for(1, Stream::Header, 0);
        let mut plays = vec![0u32; 500];
        for _ in 0..20_000 {
            plays[catalog.sample(&mut rng)] += 1;
        }
        let top = plays[catalog.at_rank(0)];
        let tenth = plays[catalog.at_rank(9)];
        assert!(top > 2000 && top > 5 * tenth, "top {top}, tenth {tenth}");
    }
}
