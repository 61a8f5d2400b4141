import { formatTime } from './format';

export type QuoteSource = {
  text: string;
  speaker: string | null;
  episodeTitle: string;
  podcastTitle: string;
  seconds: number;
  estimated: boolean;
};

/** `“text” — Speaker, Episode title (Podcast) at 12:34` (no speaker: `“text” — Episode title (Podcast) at 12:34`). */
export function formatQuote(q: QuoteSource): string {
  const text = q.text.replace(/\s+/g, ' ').trim().replace(/^[“"]+|[”"]+$/g, '');
  const who = q.speaker?.trim() ? `${q.speaker.trim()}, ` : '';
  const podcast = q.podcastTitle.trim() ? ` (${q.podcastTitle.trim()})` : '';
  const at = `${q.estimated ? '≈ ' : ''}${formatTime(q.seconds)}`;
  return `“${text}” — ${who}${q.episodeTitle.trim()}${podcast} at ${at}`;
}
