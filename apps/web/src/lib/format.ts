import type { ApiFace } from './types';

type Who = Pick<ApiFace, 'personName' | 'personNumber'>;
type Match = Pick<ApiFace, 'isNew' | 'similarity' | 'decision' | 'guess'>;

/** "Ada" when named, else "Person #3"; a face that matched nobody (store=false) is "Unknown". */
export function personLabel(f: Who): string {
  if (f.personName) return f.personName;
  return f.personNumber != null ? `Person #${f.personNumber}` : 'Unknown';
}

/** The text on a result card: "First time seen", "Similarity 87%", "Unsure · maybe Ada (48%)" or "No match". */
export function matchText(f: Match): string {
  // watchlist mode: not one of the enrolled persons, and nothing about the face was kept
  if (f.decision === 'unknown') return 'Unknown';
  if (f.decision === 'unsure')
    return f.guess ? `Unsure · maybe ${personLabel(f.guess)} (${f.guess.similarity}%)` : 'Unsure';
  if (f.isNew) return 'First time seen';
  if (f.similarity != null) return `Similarity ${f.similarity}%`;
  return 'No match';
}

/** The short second line of a live box label: "New", "Similarity 87%" or "No match". */
export function similarityText(f: Match): string {
  if (f.decision === 'unsure') return 'Unsure';
  if (f.decision === 'unknown') return 'Not on the watchlist';
  return f.isNew ? 'New' : matchText(f);
}

export const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;

/** "just now", "5 min ago", "3 h ago", else the date. */
export function relativeTime(iso: string, now = Date.now()): string {
  const t = new Date(iso).getTime();
  if (!Number.isFinite(t)) return '';
  const s = Math.round((now - t) / 1000);
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.max(1, Math.round(s / 60))} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(t).toLocaleDateString();
}

/** "HH:MM:SS" in the viewer's locale. */
export function clockTime(iso: string): string {
  const d = new Date(iso);
  return Number.isFinite(d.getTime())
    ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' })
    : '';
}

/** "2.0/s" for rates, "—" when unknown. */
export function formatRate(perSecond: number | null): string {
  if (perSecond == null || !Number.isFinite(perSecond)) return '—';
  return `${perSecond < 10 ? perSecond.toFixed(1) : Math.round(perSecond)}/s`;
}

/** "340 ms", "1.2 s", "—" when unknown. */
export function formatLatency(ms: number | null): string {
  if (ms == null || !Number.isFinite(ms)) return '—';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** "12.4 MB" */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

const VIDEO_EXT = /\.(mp4|m4v|mov|webm|mkv|avi|mpg|mpeg|ts)$/i;
const IMAGE_EXT = /\.(jpe?g|png|webp)$/i;

/** Routes a chosen or dropped file: videos go to the stream upload, everything else to /recognize. */
export function fileKind(file: { type: string; name: string }): 'photo' | 'video' {
  if (file.type.startsWith('video/')) return 'video';
  if (file.type.startsWith('image/')) return 'photo';
  if (VIDEO_EXT.test(file.name)) return 'video';
  if (IMAGE_EXT.test(file.name)) return 'photo';
  return 'photo';
}
