import type { PodcastSummary } from './api';

export type View =
  | { name: 'library' }
  | { name: 'podcast'; podcast: PodcastSummary }
  | { name: 'player' }
  | { name: 'downloads' }
  | { name: 'settings' }
  | { name: 'search' };

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
  downloads() {
    this.view = { name: 'downloads' };
  }
  settings() {
    this.view = { name: 'settings' };
  }
  /** The results of the library-wide search. */
  search() {
    if (this.view.name !== 'search') this.view = { name: 'search' };
  }
  /** Fresher data for a podcast (e.g. after a refresh): keeps the breadcrumb right, no navigation. */
  updated(podcast: PodcastSummary) {
    if (this.lastPodcast?.id === podcast.id) this.lastPodcast = podcast;
  }
  /** The podcast is gone (unsubscribed): leave its page and drop it from the breadcrumb. */
  removed(podcastId: number) {
    if (this.lastPodcast?.id === podcastId) this.lastPodcast = null;
    if (this.view.name === 'podcast' && this.view.podcast.id === podcastId) this.library();
  }
}

export const nav = new Navigation();
