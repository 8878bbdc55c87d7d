//! Who watches: countries, devices, the user pool and the diurnal viewing curve.

use event_model::DeviceType;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use crate::catalog::{cumulative, sample_cumulative};
use crate::ids::{rng_for, user_id, Stream};

/// A viewer country: ISO code, share of accounts and approximate UTC offset (no DST).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Country {
    /// ISO 3166-1 alpha-2 code.
    pub(crate) code: &'static str,
    /// Relative share of accounts.
    pub(crate) weight: f64,
    /// Approximate UTC offset of the main population centres, in minutes.
    pub(crate) utc_offset_min: i32,
}

const fn country(code: &'static str, weight: f64, utc_offset_min: i32) -> Country {
    Country { code, weight, utc_offset_min }
}

/// The country mix.
pub(crate) const COUNTRIES: [Country; 25] = [
    country("US", 30.0, -360),
    country("BR", 9.0, -180),
    country("GB", 6.0, 0),
    country("IN", 5.5, 330),
    country("DE", 5.0, 60),
    country("FR", 4.5, 60),
    country("MX", 4.5, -360),
    country("CA", 4.0, -300),
    country("JP", 3.5, 540),
    country("KR", 3.0, 540),
    country("ES", 3.0, 60),
    country("IT", 3.0, 60),
    country("AU", 2.5, 600),
    country("NL", 2.0, 60),
    country("PL", 2.0, 60),
    country("AR", 2.0, -180),
    country("CO", 2.0, -300),
    country("TR", 2.0, 180),
    country("SE", 1.5, 60),
    country("ZA", 1.5, 120),
    country("PH", 1.0, 480),
    country("ID", 1.0, 420),
    country("CL", 1.0, -240),
    country("IE", 0.8, 0),
    country("NZ", 0.5, 720),
];

/// The device mix.
pub(crate) const DEVICES: [(DeviceType, f64); 5] = [
    (DeviceType::Tv, 45.0),
    (DeviceType::Mobile, 25.0),
    (DeviceType::Web, 15.0),
    (DeviceType::Tablet, 10.0),
    (DeviceType::Console, 5.0),
];

/// Relative share of session starts by LOCAL hour of day: quiet at night, rising through the
/// afternoon, peaking at 20-22 h.
pub(crate) const DIURNAL: [f64; 24] = [
    3.0, 2.0, 1.2, 0.8, 0.6, 0.6, 0.9, 1.4, 1.8, 2.0, 2.2, 2.5, 3.0, 3.2, 3.4, 3.7, 4.2, 5.0, 6.2,
    7.5, 8.8, 9.2, 7.8, 5.0,
];

const FIRST_NAMES: [&str; 20] = [
    "alex", "maria", "li", "sam", "fatima", "john", "ana", "yuki", "omar", "emma", "raj", "sofia",
    "lucas", "mei", "noah", "olga", "diego", "hana", "liam", "zoe",
];
const LAST_NAMES: [&str; 16] = [
    "smith", "silva", "kim", "garcia", "muller", "rossi", "tanaka", "patel", "nguyen", "brown",
    "martin", "lopez", "cohen", "ivanova", "dubois", "jensen",
];

/// One device of an account, with the app build it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UserDevice {
    /// Device class.
    pub(crate) device_type: DeviceType,
    /// Client build string.
    pub(crate) app_version: String,
}

/// One account.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct User {
    /// Account id.
    pub(crate) user_id: String,
    /// Index into [`COUNTRIES`] of the home country.
    pub(crate) country: u8,
    /// Number of profiles (1-5).
    pub(crate) profiles: u8,
    /// 1-3 devices, the first being the most used.
    pub(crate) devices: Vec<UserDevice>,
    /// Account e-mail (PII; synthetic, on reserved example domains).
    pub(crate) email: String,
}

/// The user pool, with a skewed activity level per user.
#[derive(Debug, Clone)]
pub(crate) struct Population {
    /// The accounts.
    pub(crate) users: Vec<User>,
    cumulative_activity: Vec<f64>,
}

impl Population {
    /// The pool for a run of `events` clean events.
    pub(crate) fn generate(seed: u64, events: u64) -> Self {
        let count = (events / 150).max(50);
        let country_cumulative =
            cumulative(&COUNTRIES.iter().map(|country| country.weight).collect::<Vec<_>>());
        let device_cumulative =
            cumulative(&DEVICES.iter().map(|device| device.1).collect::<Vec<_>>());
        let mut users = Vec::with_capacity(count as usize);
        let mut activity = Vec::with_capacity(count as usize);
        for index in 0..count {
            let mut rng = rng_for(seed, Stream::Users, index);
            let country = sample_cumulative(&country_cumulative, &mut rng) as u8;
            let profiles = [1, 1, 2, 2, 3, 3, 4, 5][rng.random_range(0..8)];
            let device_count = [1, 1, 2, 2, 2, 3][rng.random_range(0..6)];
            let mut devices: Vec<UserDevice> = Vec::with_capacity(device_count);
            for _ in 0..device_count * 4 {
                if devices.len() == device_count {
                    break;
                }
                let device_type = DEVICES[sample_cumulative(&device_cumulative, &mut rng)].0;
                if devices.iter().all(|known| known.device_type != device_type) {
                    let app_version = app_version(device_type, &mut rng);
                    devices.push(UserDevice { device_type, app_version });
                }
            }
            let email = format!(
                "{}.{}{}@{}",
                FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())],
                LAST_NAMES[rng.random_range(0..LAST_NAMES.len())],
                rng.random_range(1..1000),
                ["example.com", "example.net", "example.org"][rng.random_range(0..3)]
            );
            // Log-normal activity: a few heavy viewers, many light ones.
            let z: f64 = rng.sample(StandardNormal);
            activity.push((0.9 * z).exp());
            users.push(User { user_id: user_id(seed, index), country, profiles, devices, email });
        }
        Self { users, cumulative_activity: cumulative(&activity) }
    }

    /// Draws a user index, weighted by activity.
    pub(crate) fn sample(&self, rng: &mut ChaCha8Rng) -> usize {
        sample_cumulative(&self.cumulative_activity, rng)
    }
}

/// A plausible client build for a device class.
fn app_version(device: DeviceType, rng: &mut ChaCha8Rng) -> String {
    match device {
        DeviceType::Tv => {
            let platform =
                ["tv-tizen", "tv-webos", "tv-androidtv", "tv-roku"][rng.random_range(0..4)];
            format!("{platform}-6.{}.{}", rng.random_range(20..40), rng.random_range(0..10))
        }
        DeviceType::Mobile | DeviceType::Tablet => {
            let ios = rng.random_bool(0.45);
            let family = match (device, ios) {
                (DeviceType::Tablet, true) => "ipados",
                (DeviceType::Tablet, false) => "android-tablet",
                (_, true) => "ios",
                (_, false) => "android",
            };
            let major = if ios { 16 } else { 8 };
            format!("{family}-{major}.{}.{}", rng.random_range(90..130), rng.random_range(0..4))
        }
        DeviceType::Web => {
            format!("web-2025.{}.{}", rng.random_range(1..13), rng.random_range(0..6))
        }
        DeviceType::Console => {
            let platform = ["ps5", "ps4", "xbox-series", "switch"][rng.random_range(0..4)];
            format!("{platform}-3.{}.{}", rng.random_range(0..20), rng.random_range(0..10))
        }
    }
}

/// The bitrate ladder (kbps) a device class can stream.
pub(crate) fn bitrate_ladder(device: DeviceType) -> &'static [u32] {
    match device {
        DeviceType::Tv | DeviceType::Console => &[1750, 3000, 4300, 5800, 8000, 16000],
        DeviceType::Web => &[1050, 1750, 3000, 4300, 5800],
        DeviceType::Tablet => &[560, 1050, 1750, 3000, 4300],
        DeviceType::Mobile => &[235, 375, 560, 750, 1050, 1750, 3000],
    }
}

/// Mean playback time (ms) between rebuffering stalls for a device class.
pub(crate) fn mean_ms_between_rebuffers(device: DeviceType) -> f64 {
    let minutes = match device {
        DeviceType::Mobile => 12.0,
        DeviceType::Tablet => 20.0,
        DeviceType::Web => 25.0,
        DeviceType::Tv => 45.0,
        DeviceType::Console => 50.0,
    };
    minutes * 60_000.0
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn population_is_sized_and_sane() {
        let population = Population::generate(9, 30_000);
        assert_eq!(population.users.len(), 200);
        assert_eq!(Population::generate(9, 10).users.len(), 50);
        for user in &population.users {
            assert!((1..=5).contains(&user.profiles));
            assert!((1..=3).contains(&user.devices.len()));
            let kinds: HashSet<_> = user.devices.iter().map(|d| d.device_type).collect();
            assert_eq!(kinds.len(), user.devices.len());
            assert!(event_model::parse_country(COUNTRIES[user.country as usize].code).is_some());
            assert!(user.email.contains("@example."));
        }
        let ids: HashSet<_> = population.users.iter().map(|u| u.user_id.as_str()).collect();
        assert_eq!(ids.len(), population.users.len());
    }

    #[test]
    fn every_country_is_an_assigned_code() {
        for country in COUNTRIES {
            assert_eq!(event_model::parse_country(country.code), Some(country.code));
        }
    }
}
