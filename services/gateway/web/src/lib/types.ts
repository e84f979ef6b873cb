/** The gateway's HTTP and WebSocket payloads, as the web client reads them (see README "HTTP API"). */

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Size {
  width: number;
  height: number;
}

export interface ApiFace {
  /** null when nothing was stored (`store=false`). */
  faceId: string | null;
  box: Box;
  personId: string | null;
  personNumber: number | null;
  personName: string | null;
  isNew: boolean;
  distance: number | null;
  similarity: number | null;
  cropUrl: string | null;
  /** Stream faces: the sighting they count in (one per person per visit of a stream). */
  sightingId?: string;
  /** `unsure`: neither a match nor safely new (docs/identity.md); nothing stored, `guess` is the closest person. */
  decision?: 'match' | 'new' | 'unsure' | 'unknown';
  guess?: { personId: string; personNumber: number; personName: string | null; distance: number; similarity: number } | null;
}

export interface FrameMeta {
  source: string;
  seq: number;
  capturedAt: string;
  width: number;
  height: number;
}

export type StreamState = 'starting' | 'running' | 'ended' | 'failed' | 'stopped';

export interface StreamInfo {
  id: string;
  state: StreamState | string;
  error: string | null;
  framesCaptured: number;
  framesSkipped: number;
  framesProcessed: number;
  framesFailed: number;
  url?: string;
  fps?: number;
  startedAt?: string;
  endedAt?: string | null;
  [extra: string]: unknown;
}

export const FINISHED_STATES: ReadonlySet<string> = new Set(['ended', 'failed', 'stopped']);

export interface RecognitionMessage {
  type: 'recognition';
  streamId: string;
  frame: FrameMeta;
  faces: ApiFace[];
}

export type ServerMessage =
  | RecognitionMessage
  | { type: 'stream'; stream: StreamInfo }
  | { type: 'error'; message: string }
  | { type: 'subscribed'; streamId: string }
  | { type: 'unsubscribed'; streamId: string }
  | { type: 'pong' };

export interface RecognizeReply {
  faces: ApiFace[];
}

export interface Person {
  id: string;
  number: number;
  name: string | null;
  faceCount: number;
  createdAt: string;
  lastSeenAt: string;
  coverFaceId: string | null;
  coverUrl?: string | null;
}

export interface PersonFace {
  id: string;
  box: Box;
  source: string;
  capturedAt: string;
  createdAt: string;
  cropUrl: string | null;
}

export interface PersonDetail extends Person {
  faces: PersonFace[];
}

export interface PersonsPage {
  items: Person[];
  total: number;
  page: number;
  pageSize: number;
}

/** `POST /api/v1/sessions`: a short-lived publishing session for the live camera. */
export interface LiveSession {
  sessionId: string;
  token: string;
  expiresAt: string;
  streamId: string;
  /** WHIP mode only. */
  whipUrl?: string;
  /** `whip` (default) or `openvidu` (README "OpenVidu mode"). */
  mode?: 'whip' | 'openvidu' | string;
  /** OpenVidu mode: the PUBLISHER connection's token. */
  openvidu?: { sessionId: string; token: string; serverUrl: string };
}

export interface HealthReply {
  status?: string;
  checks: Record<string, { ok: boolean; detail?: string; [k: string]: unknown }>;
}

/** `GET /api/v1/review`: groups of persons that look like one person. */
export interface ReviewGroup {
  distance: number;
  persons: Array<{ person: Person; faces: Array<{ id: string; cropUrl: string | null }> }>;
  pairs: Array<{ a: string; b: string; distance: number; faceA: string; faceB: string }>;
}

export interface ReviewReply {
  maxDistance: number;
  consideredPersons: number;
  truncated: boolean;
  groups: ReviewGroup[];
}

export interface RatePoint {
  threshold: number;
  pairFar: number;
  identFar: number;
  frr: number;
}

/** `GET /api/v1/calibration?far=`. */
export interface CalibrationReply {
  sufficient: boolean;
  reason: string | null;
  namedPersons: number;
  galleryPersons: number;
  genuinePairs: number;
  impostorPairs: number;
  cannotLinkPairs: number;
  currentThreshold: number;
  far: number;
  pairFar: number;
  suggested: RatePoint | null;
  limitedByData: boolean;
  current: RatePoint | null;
  curve: RatePoint[];
  histogram: { binWidth: number; genuine: number[]; impostor: number[] };
}

/** `GET|PUT /api/v1/settings/threshold`. */
export interface ThresholdReply {
  threshold: number;
  origin: 'applied' | 'config';
  updatedAt: string | null;
}
