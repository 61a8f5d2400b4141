//! The listener's settings, kept in the library (one JSON value under `settings` in
//! `app_state`) so they survive updates. Unknown or missing fields take their defaults, and
//! every value is clamped to its range on the way in.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::library::Library;

const KEY: &str = "settings";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// How many episodes download at once (1–6).
    pub download_concurrency: usize,
    /// Download new episodes when a refresh finds them. Off by default.
    pub auto_download: bool,
    /// Delete downloaded files of episodes once they are played (unplayed ones are kept).
    pub cleanup_played: bool,
    /// Seconds the skip-back and skip-forward buttons and keys jump.
    pub skip_back_secs: f64,
    pub skip_forward_secs: f64,
    /// Playback speed for podcasts without their own (0.5–3, in 0.1 steps).
    pub default_speed: f64,
    /// 0–1.
    pub volume: f64,
    pub skip_silence: bool,
    pub loudness_levelling: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            download_concurrency: 2,
            auto_download: false,
            cleanup_played: false,
            skip_back_secs: 15.0,
            skip_forward_secs: 30.0,
            default_speed: 1.0,
            volume: 1.0,
            skip_silence: false,
            loudness_levelling: false,
        }
    }
}

/// A speed rounded to the 0.1 steps the player offers, within 0.5–3.
pub fn clamp_speed(speed: f64) -> f64 {
    if !speed.is_finite() {
        return 1.0;
    }
    ((speed.clamp(0.5, 3.0) * 10.0).round() / 10.0).clamp(0.5, 3.0)
}

impl Settings {
    /// The same settings with every value inside its range.
    pub fn clamped(mut self) -> Self {
        self.download_concurrency = self.download_concurrency.clamp(1, 6);
        let secs = |v: f64, d: f64| {
            if v.is_finite() {
                v.clamp(1.0, 600.0).round()
            } else {
                d
            }
        };
        self.skip_back_secs = secs(self.skip_back_secs, 15.0);
        self.skip_forward_secs = secs(self.skip_forward_secs, 30.0);
        self.default_speed = clamp_speed(self.default_speed);
        self.volume = if self.volume.is_finite() {
            self.volume.clamp(0.0, 1.0)
        } else {
            1.0
        };
        self
    }

    /// The stored settings, or the defaults (also when the stored value cannot be read).
    pub fn load(lib: &Library) -> Result<Self> {
        Ok(match lib.state(KEY)? {
            Some(json) => match serde_json::from_str::<Settings>(&json) {
                Ok(s) => s.clamped(),
                Err(e) => {
                    tracing::warn!("stored settings unreadable, using defaults: {e}");
                    Settings::default()
                }
            },
            None => Settings::default(),
        })
    }

    pub fn save(&self, lib: &Library) -> Result<Settings> {
        let s = self.clone().clamped();
        let json = serde_json::to_string(&s).expect("settings serialize");
        lib.set_state(KEY, &json)?;
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_and_values_are_clamped() {
        let lib = Library::open_in_memory().unwrap();
        assert_eq!(Settings::load(&lib).unwrap(), Settings::default());
        let wild = Settings {
            download_concurrency: 0,
            default_speed: 7.33,
            volume: f64::NAN,
            skip_back_secs: -4.0,
            ..Settings::default()
        };
        let saved = wild.save(&lib).unwrap();
        assert_eq!(saved.download_concurrency, 1);
        assert_eq!(saved.default_speed, 3.0);
        assert_eq!(saved.volume, 1.0);
        assert_eq!(saved.skip_back_secs, 1.0);
        assert_eq!(Settings::load(&lib).unwrap(), saved);
        assert_eq!(clamp_speed(1.26), 1.3);
        assert_eq!(clamp_speed(0.1), 0.5);
    }

    #[test]
    fn missing_fields_take_defaults() {
        let lib = Library::open_in_memory().unwrap();
        lib.set_state(KEY, r#"{"autoDownload":true}"#).unwrap();
        let s = Settings::load(&lib).unwrap();
        assert!(s.auto_download);
        assert_eq!(s.download_concurrency, 2);
    }
}
