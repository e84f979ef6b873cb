import { Injectable } from '@nestjs/common';
import { z } from '@glimpse/contracts';
import { Bus, InjectBus } from '@glimpse/platform';
import type { KV, KvEntry } from 'nats';
import { generateApiKey, hashSecret, parseApiKey, scopeSchema, verifySecret, type Scope } from './api-key';

export const API_KEYS_BUCKET = 'glimpse_api_keys';
/** Signed-out UI sessions, kept until their cookies would have expired anyway. */
export const REVOKED_SESSIONS_BUCKET = 'glimpse_ui_revoked';
/** The longest SESSION_TTL_S: one fixed TTL, so that gateways with different settings share the bucket. */
const REVOKED_TTL_MS = 7 * 24 * 3600 * 1000;

export const storedKeySchema = z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(scopeSchema),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.string(),
  lastUsedAt: z.string().optional(),
});
export type StoredApiKey = z.infer<typeof storedKeySchema>;
/** What the API shows of a key: never its hash. */
export type ApiKeyInfo = Omit<StoredApiKey, 'hash'>;

const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const LAST_USED_RESOLUTION_MS = 60_000;

/** API keys in a JetStream KV bucket (shared by every gateway); secrets are kept only as sha256 hashes. */
@Injectable()
export class ApiKeyStore {
  private kv: Promise<KV> | undefined;
  private revokedKv: Promise<KV> | undefined;

  constructor(@InjectBus() private readonly bus: Bus) {}

  private bucket(): Promise<KV> {
    if (!this.kv) {
      const p = this.bus.nc
        .jetstream()
        .views.kv(API_KEYS_BUCKET, { history: 1, replicas: this.bus.jetStreamReplicas() });
      p.catch(() => (this.kv = undefined));
      this.kv = p;
    }
    return this.kv;
  }

  private revoked(_ttlS: number): Promise<KV> {
    if (!this.revokedKv) {
      const p = this.bus.nc
        .jetstream()
        .views.kv(REVOKED_SESSIONS_BUCKET, { history: 1, ttl: REVOKED_TTL_MS, replicas: this.bus.jetStreamReplicas() });
      p.catch(() => (this.revokedKv = undefined));
      this.revokedKv = p;
    }
    return this.revokedKv;
  }

  async revokeSession(sid: string, ttlS: number): Promise<void> {
    await (await this.revoked(ttlS)).put(sid, json({ at: new Date().toISOString() }));
  }

  async isRevoked(sid: string, ttlS: number): Promise<boolean> {
    const e = await (await this.revoked(ttlS)).get(sid);
    return !!e && e.operation === 'PUT';
  }

  private decode(e: KvEntry | null): StoredApiKey | null {
    if (!e || e.operation !== 'PUT' || e.value.length === 0) return null;
    const r = storedKeySchema.safeParse(JSON.parse(new TextDecoder().decode(e.value)));
    return r.success ? r.data : null;
  }

  /** A new key; the full key (with its secret) is returned once and never stored. */
  async create(name: string, scopes: Scope[]): Promise<ApiKeyInfo & { key: string }> {
    const { id, secret, key } = generateApiKey();
    const stored: StoredApiKey = { id, name, scopes, hash: hashSecret(secret), createdAt: new Date().toISOString() };
    await (await this.bucket()).create(id, json(stored));
    return { id, name, scopes, createdAt: stored.createdAt, key };
  }

  async get(id: string): Promise<StoredApiKey | null> {
    return this.decode(await (await this.bucket()).get(id));
  }

  async list(): Promise<ApiKeyInfo[]> {
    const kv = await this.bucket();
    const ids: string[] = [];
    for await (const id of await kv.keys()) ids.push(id);
    const out: ApiKeyInfo[] = [];
    for (const id of ids) {
      const k = await this.get(id);
      if (k) out.push(info(k));
    }
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /** False when there was no such key. */
  async delete(id: string): Promise<boolean> {
    if (!parseApiKey(`glk_${id}_${'x'.repeat(43)}`) || !(await this.get(id))) return false;
    await (await this.bucket()).delete(id);
    return true;
  }

  async count(): Promise<number> {
    let n = 0;
    for await (const id of await (await this.bucket()).keys()) if (id) n++;
    return n;
  }

  /** The stored key when `key` is genuine, else null (constant-time hash comparison). */
  async verify(key: string): Promise<StoredApiKey | null> {
    const parsed = parseApiKey(key);
    if (!parsed) return null;
    const kv = await this.bucket();
    const entry = await kv.get(parsed.id);
    const stored = this.decode(entry);
    if (!entry || !stored || !verifySecret(parsed.secret, stored.hash)) return null;
    const now = Date.now();
    if (!stored.lastUsedAt || now - Date.parse(stored.lastUsedAt) > LAST_USED_RESOLUTION_MS) {
      // compare-and-set on the revision read, so that a key deleted meanwhile is never brought back
      void kv
        .update(stored.id, json({ ...stored, lastUsedAt: new Date(now).toISOString() }), entry.revision)
        .catch(() => undefined);
    }
    return stored;
  }
}

export const info = ({ hash: _hash, ...rest }: StoredApiKey): ApiKeyInfo => rest;
