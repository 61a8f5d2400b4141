//! Earshot's core: everything a podcast player knows, with no UI dependency.
//!
//! - [`library`]: podcasts, episodes, chapters, transcripts and progress in SQLite.
//! - [`player`]: decoding (symphonia) and playback (rodio) on a dedicated thread.
//! - [`chapters`], [`transcript`]: parsing and position lookups.
//! - [`session`]: the library and the player joined up, as the app and tests use them.
//! - [`demo`]: the demo podcast embedded in the binary.
//! - [`fetch`], [`subscriptions`], [`opml`]: feeds over HTTP, refresh, import and export.

pub mod align;
pub mod alignment;
pub mod chapters;
pub mod demo;
pub mod download;
pub mod downloads;
pub mod error;
pub mod feed;
pub mod feedgen;
pub mod fetch;
pub mod library;
pub mod media_controls;
pub mod opml;
pub mod player;
pub mod session;
pub mod settings;
pub mod shownotes;
pub mod subscriptions;
pub mod timefmt;
pub mod transcript;

pub use error::{Error, Result};
