import { z } from 'zod';
import type { Logger } from '../log/logger.js';
import { CREATE_SESSION, REVOKE, ROTATE_REFRESH } from './lua.js';
import { MAX_SESSIONS_PER_SUB, REVOCATION_MARGIN_S } from './memory.js';
import { MirrorSync } from './mirror-sync.js';
import { createRedisClient, OutageLog, RedisCommands, type RedisClient } from './redis-connection.js';
import { withTimeout } from './redis-errors.js';
import { KEYS, member, type RevokedKind } from './redis-keys.js';
import { RevocationMirror } from './revocation-mirror.js';
import type { ScriptRunner } from './script-runner.js';
import { StoreUnavailableError, type RotateOptions, type RotateResult, type SessionRecord, type Store, type StoreHealth } from './store.js';

export interface RedisStoreOptions {
  /** `redis://` or `rediss://`; never logged. */
  url: string;
  keyPrefix: string;
  /** Bounds every command, connection attempt and heartbeat (REDIS_TIMEOUT_MS). */
  timeoutMs: number;
  /** STORE_FAIL_OPEN: answer revocation checks from the last known list while out of sync. */
  failOpen: boolean;
  logger: Logger;
  nowS?: () => number;
  maxSessionsPerSub?: number;
  /** How often the subscriber is pinged; at most a second by default. */
  heartbeatMs?: number;
}

/** A fail-open answer is logged at most this often, with how many there were. */
const FAIL_OPEN_LOG_INTERVAL_MS = 60_000;

const claimsJson = z.string().transform((text, ctx) => {
  const parsed = z.record(z.string(), z.unknown()).safeParse(JSON.parse(text));
  if (parsed.success) return parsed.data;
  ctx.addIssue({ code: 'custom', message: 'stored claims are not an object' });
  return z.NEVER;
});

const rotateReply = z.union([
  z.tuple([z.enum(['rotated', 'grace']), claimsJson, z.coerce.number()]),
  z.tuple([z.literal('reused'), z.coerce.number()]),
  z.tuple([z.literal('unknown')]),
]);

/**
 * The store for several signer instances: sessions and revocations in Redis, each decision one
 * Lua script. `isRevoked` never goes to Redis: it reads a local mirror of the revocation set,
 * kept current through pub/sub (see `MirrorSync`), and fails closed while that mirror is not in
 * sync (unless `failOpen`). Every other call is bounded by `timeoutMs` and fails with
 * `StoreUnavailableError`. It also runs other parts' Lua scripts (`ScriptRunner`).
 */
export class RedisStore implements Store, ScriptRunner {
  private readonly commands: RedisCommands;
  private readonly mirror = new RevocationMirror();
  private readonly sync: MirrorSync;
  private readonly nowS: () => number;
  private readonly maxPerSub: number;
  private failOpenAnswers = 0;
  private failOpenLoggedAt = -Infinity;
  private closing: Promise<void> | undefined;

  /** Starts connecting in the background and returns at once; see `waitUntilSynced`. */
  static start(opts: RedisStoreOptions): RedisStore {
    return new RedisStore(opts, createRedisClient(opts.url, opts.timeoutMs));
  }

  private constructor(
    private readonly opts: RedisStoreOptions,
    private readonly client: RedisClient,
    private readonly subscriber: RedisClient = client.duplicate(),
  ) {
    this.nowS = opts.nowS ?? (() => Math.floor(Date.now() / 1000));
    this.maxPerSub = opts.maxSessionsPerSub ?? MAX_SESSIONS_PER_SUB;
    this.commands = new RedisCommands(client, opts.keyPrefix, opts.timeoutMs);
    const outages = new OutageLog(opts.logger);
    outages.watch('commands', client);
    outages.watch('subscriber', subscriber);
    this.sync = new MirrorSync({
      subscriber,
      commands: this.commands,
      mirror: this.mirror,
      logger: opts.logger,
      timeoutMs: opts.timeoutMs,
      heartbeatMs: opts.heartbeatMs ?? Math.min(opts.timeoutMs, 1_000),
      nowS: this.nowS,
    });
    // The load goes over the command connection: when that one is ready last, load then.
    client.on('ready', () => this.sync.retry());
    // Both retry for ever in the background; close() ends them.
    for (const c of [client, subscriber]) c.connect().catch(() => {});
  }

  /** Resolves true once the revocation mirror is loaded and live, false after `ms`. */
  waitUntilSynced(ms: number): Promise<boolean> {
    return this.sync.waitUntilSynced(ms);
  }

  async createSession(sid: string, refreshJti: string, record: SessionRecord, refreshExpiresAt?: number): Promise<void> {
    const deadAt = Math.min(record.expiresAt, refreshExpiresAt ?? Infinity);
    await this.runScript(
      CREATE_SESSION,
      [KEYS.session(sid), KEYS.user(String(record.claims.sub))],
      [sid, refreshJti, JSON.stringify(record.claims), record.expiresAt, deadAt, this.nowS(), this.maxPerSub, this.opts.keyPrefix + KEYS.sessionPrefix],
    );
  }

  async rotateRefresh(sid: string, presentedJti: string, nextJti: string, at: RotateOptions): Promise<RotateResult> {
    const reply = rotateReply.parse(
      await this.runScript(
        ROTATE_REFRESH,
        [KEYS.session(sid), KEYS.revoked],
        [presentedJti, nextJti, at.nowS, at.graceS, at.nextExpiresAt ?? '', at.reuseRevokesUntil ?? '', member('s', sid), REVOCATION_MARGIN_S, this.channel],
      ),
    );
    switch (reply[0]) {
      case 'rotated':
      case 'grace':
        return { kind: reply[0], session: { claims: reply[1], expiresAt: reply[2] } };
      case 'reused':
        this.mirror.apply({ kind: 's', id: sid, untilS: reply[1] });
        return { kind: 'reused' };
      case 'unknown':
        return { kind: 'unknown' };
    }
  }

  revokeSession(sid: string, untilS: number): Promise<void> {
    return this.revoke('s', sid, untilS, [KEYS.revoked, KEYS.session(sid)]);
  }

  revokeToken(jti: string, untilS: number): Promise<void> {
    return this.revoke('t', jti, untilS, [KEYS.revoked]);
  }

  /** This instance refuses at once, without waiting for its own message; the others hear it on the channel. */
  private async revoke(kind: RevokedKind, id: string, untilS: number, keys: string[]): Promise<void> {
    const inForce = Number(await this.runScript(REVOKE, keys, [member(kind, id), untilS, this.nowS(), REVOCATION_MARGIN_S, this.channel]));
    if (Number.isFinite(inForce)) this.mirror.apply({ kind, id, untilS: inForce });
  }

  async isRevoked(jti: string | undefined, sid: string | undefined, nowS: number): Promise<boolean> {
    if (!this.sync.inSync) {
      if (!this.opts.failOpen) throw new StoreUnavailableError('the revocation list is not in sync with Redis');
      this.noteFailOpen();
    }
    return this.mirror.isRevoked(jti, sid, nowS);
  }

  async health(): Promise<StoreHealth> {
    if (this.closing) return { kind: 'redis', ok: false, detail: 'closed' };
    try {
      await this.commands.send(['PING']);
    } catch (err) {
      return { kind: 'redis', ok: false, detail: err instanceof StoreUnavailableError ? err.message : 'Redis PING failed' };
    }
    if (!this.sync.inSync) return { kind: 'redis', ok: false, detail: 'the revocation list is not in sync with Redis' };
    return { kind: 'redis', ok: true };
  }

  runScript(script: string, keys: string[], args: (string | number)[]): Promise<unknown> {
    return this.commands.runScript(script, keys, args);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.sync.close();
      await Promise.all([this.client, this.subscriber].map((c) => quit(c, this.opts.timeoutMs)));
    })();
    return this.closing;
  }

  private get channel(): string {
    return this.opts.keyPrefix + KEYS.channel;
  }

  private noteFailOpen(): void {
    this.failOpenAnswers++;
    const now = Date.now();
    if (now - this.failOpenLoggedAt < FAIL_OPEN_LOG_INTERVAL_MS) return;
    this.opts.logger.warn({ answers: this.failOpenAnswers }, 'STORE_FAIL_OPEN: revocation checks answered from the last known list while Redis is out of sync');
    this.failOpenLoggedAt = now;
    this.failOpenAnswers = 0;
  }
}

/** Closes a client gracefully within `ms` (pending replies first), then for sure. */
async function quit(client: RedisClient, ms: number): Promise<void> {
  if (client.isOpen) await withTimeout(client.close(), ms).catch(() => {});
  client.destroy();
}
