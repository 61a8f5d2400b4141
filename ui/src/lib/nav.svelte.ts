import type { PodcastSummary } from './api';

export type View =
  | { name: 'library' }
  | { name: 'podcast'; podcast: PodcastSummary }
  | { name: 'player' };

class Navigation {
  view = $state.raw<View>({ name: 'library' });
  /** Last podcast page shown, so "back" from the player returns there. */
  lastPodcast = $state.raw<PodcastSummary | null>(null);

  library() {
    this.view = { name: 'library' };
  }
  podcast(podcast: PodcastSummary) {
    this.lastPodcast = podcast;
    this.view = { name: 'podcast', podcast };
  }
  player() {
    this.view = { name: 'player' };
  }
}

export const nav = new Navigation();
