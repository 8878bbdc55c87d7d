//! The closed vocabularies of the raw contract: event types and device types.
//!
//! Both are matched case-insensitively and stored upper-case (DESIGN §2).

use serde::{Deserialize, Serialize};

macro_rules! closed_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name {
            $(
                #[doc = concat!("`", $text, "`")]
                $variant,
            )+
        }

        impl $name {
            /// Every value, in contract order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The canonical upper-case spelling stored in silver.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// Parses a value case-insensitively. Surrounding whitespace is not trimmed.
            pub fn parse(input: &str) -> Option<Self> {
                $(
                    if input.eq_ignore_ascii_case($text) {
                        return Some($name::$variant);
                    }
                )+
                None
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

closed_enum!(
    /// What happened in the player.
    EventType {
        PlayStart => "PLAY_START",
        PlayStop => "PLAY_STOP",
        Pause => "PAUSE",
        Resume => "RESUME",
        Seek => "SEEK",
        Heartbeat => "HEARTBEAT",
        RebufferStart => "REBUFFER_START",
        RebufferEnd => "REBUFFER_END",
        PlaybackError => "PLAYBACK_ERROR",
    }
);

closed_enum!(
    /// The class of device the client runs on.
    DeviceType {
        Tv => "TV",
        Mobile => "MOBILE",
        Web => "WEB",
        Tablet => "TABLET",
        Console => "CONSOLE",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_round_trip_case_insensitively() {
        for event_type in EventType::ALL {
            let text = event_type.as_str();
            assert_eq!(EventType::parse(text), Some(*event_type));
            assert_eq!(EventType::parse(&text.to_ascii_lowercase()), Some(*event_type));
        }
        assert_eq!(EventType::parse("Play_Start"), Some(EventType::PlayStart));
        assert_eq!(EventType::parse("PLAY START"), None);
        assert_eq!(EventType::parse(" PAUSE"), None);
        assert_eq!(EventType::ALL.len(), 9);
    }

    #[test]
    fn device_types_round_trip_case_insensitively() {
        for device in DeviceType::ALL {
            assert_eq!(DeviceType::parse(&device.as_str().to_lowercase()), Some(*device));
        }
        assert_eq!(DeviceType::parse("tv"), Some(DeviceType::Tv));
        assert_eq!(DeviceType::parse("SMART_TV"), None);
        assert_eq!(DeviceType::ALL.len(), 5);
    }

    #[test]
    fn serde_uses_contract_spelling() -> Result<(), serde_json::Error> {
        assert_eq!(serde_json::to_string(&EventType::RebufferStart)?, "\"REBUFFER_START\"");
        assert_eq!(serde_json::to_string(&DeviceType::Tv)?, "\"TV\"");
        Ok(())
    }
}
