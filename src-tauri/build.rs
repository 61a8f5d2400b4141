fn main() {
    // Listing the app's commands makes Tauri generate one permission per command, so the
    // capability file grants exactly these and nothing else.
    let manifest = tauri_build::AppManifest::new().commands(&[
        "library_podcasts",
        "feed_subscribe",
        "feed_unsubscribe",
        "feed_refresh",
        "opml_import",
        "opml_export",
        "open_external",
        "episode_mark_seen",
        "chapter_set_skipped",
        "library_episodes",
        "episode_detail",
        "player_snapshot",
        "player_load",
        "player_play",
        "player_pause",
        "player_toggle",
        "player_seek",
        "player_skip",
        "player_set_speed",
        "player_set_volume",
        "settings_get",
        "settings_set",
        "download_list",
        "download_episode",
        "download_pause",
        "download_resume",
        "download_cancel",
        "download_delete",
        "queue_list",
        "queue_add",
        "queue_move",
        "queue_remove",
        "queue_clear",
        "player_next",
        "sleep_timer_set",
    ]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri build script");
}
