//! Signal processing between the decoder and the device: time-stretch (speed with the pitch
//! kept), skip silence and loudness levelling.
//!
//! Stretching runs in the output callback ([`super::stream::StreamSource`]), so a speed change
//! is heard within one hop (15 ms). Skip silence and levelling work in media time on the player
//! thread, before the queue: they see whole packets and may hold audio back a little.

pub mod stretch;

pub use stretch::{clamp_speed, is_unity, Stretcher, MAX_SPEED, MIN_SPEED};
pub mod level;
pub mod silence;

pub use level::Leveller;
pub use silence::SilenceSkipper;
