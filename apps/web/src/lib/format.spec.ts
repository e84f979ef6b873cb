import {
  clockTime,
  fileKind,
  formatBytes,
  formatLatency,
  formatRate,
  matchText,
  personLabel,
  plural,
  relativeTime,
  similarityText,
} from './format';

import type { ApiFace } from './types';

const face = (
  over: Partial<Pick<ApiFace, 'personName' | 'personNumber' | 'isNew' | 'similarity' | 'decision' | 'guess'>> = {},
) => ({
  personName: null,
  personNumber: 3,
  isNew: false,
  similarity: 87,
  ...over,
});

describe('labels', () => {
  it('names a person, else numbers them, else calls them unknown', () => {
    expect(personLabel(face({ personName: 'Ada' }))).toBe('Ada');
    expect(personLabel(face())).toBe('Person #3');
    expect(personLabel(face({ personNumber: null }))).toBe('Unknown');
  });

  it('says first time seen, the similarity, or no match', () => {
    expect(matchText(face({ isNew: true, similarity: null }))).toBe('First time seen');
    expect(matchText(face())).toBe('Similarity 87%');
    expect(matchText(face({ similarity: null }))).toBe('No match');
    expect(similarityText(face({ isNew: true }))).toBe('New');
    expect(similarityText(face({ similarity: 50 }))).toBe('Similarity 50%');
    // unsure: nothing stored, the closest person shown as a guess, never as a match
    const guess = { personId: 'p', personNumber: 4, personName: null, distance: 0.58, similarity: 48 };
    expect(matchText(face({ decision: 'unsure', personNumber: null, similarity: null, guess }))).toBe(
      'Unsure · maybe Person #4 (48%)',
    );
    expect(matchText(face({ decision: 'unknown', isNew: false, personNumber: null, similarity: null }))).toBe(
      'Unknown',
    );
    expect(similarityText(face({ decision: 'unknown', isNew: false, similarity: null }))).toBe('Not on the watchlist');
    expect(matchText(face({ decision: 'unsure', similarity: null, guess: { ...guess, personName: 'Ada' } }))).toBe(
      'Unsure · maybe Ada (48%)',
    );
    expect(matchText(face({ decision: 'unsure', similarity: null, guess: null }))).toBe('Unsure');
    expect(similarityText(face({ decision: 'unsure', similarity: null }))).toBe('Unsure');
  });

  it('pluralises', () => {
    expect(plural(1, 'face')).toBe('1 face');
    expect(plural(0, 'face')).toBe('0 faces');
    expect(plural(2, 'person', 'people')).toBe('2 people');
  });
});

describe('numbers and times', () => {
  it('formats rates and latencies, with a dash when unknown', () => {
    expect(formatRate(null)).toBe('—');
    expect(formatRate(2)).toBe('2.0/s');
    expect(formatRate(12.4)).toBe('12/s');
    expect(formatLatency(null)).toBe('—');
    expect(formatLatency(340.4)).toBe('340 ms');
    expect(formatLatency(1234)).toBe('1.2 s');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(2048)).toBe('2 KB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.0 MB');
  });

  it('says how long ago', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    expect(relativeTime('2026-01-01T11:59:50Z', now)).toBe('just now');
    expect(relativeTime('2026-01-01T11:55:00Z', now)).toBe('5 min ago');
    expect(relativeTime('2026-01-01T09:00:00Z', now)).toBe('3 h ago');
    expect(relativeTime('nonsense', now)).toBe('');
    expect(clockTime('nonsense')).toBe('');
    expect(clockTime('2026-01-01T12:00:00Z')).toMatch(/\d/);
  });
});

describe('fileKind', () => {
  it('routes by MIME type, then by extension', () => {
    expect(fileKind({ type: 'video/mp4', name: 'a.bin' })).toBe('video');
    expect(fileKind({ type: 'image/png', name: 'a.mp4' })).toBe('photo');
    expect(fileKind({ type: '', name: 'clip.MKV' })).toBe('video');
    expect(fileKind({ type: '', name: 'face.jpeg' })).toBe('photo');
    expect(fileKind({ type: 'application/octet-stream', name: 'x' })).toBe('photo');
  });
});
