import { z } from 'zod';
import type { Logger } from '../log/logger.js';
import { EvictionPolicyCheck } from './eviction-policy.js';
import { CLAIM_NONCE, CREATE_SESSION, END_SESSION_OF, LIST_SESSIONS, REVOKE, REVOKE_SUBJECT, ROTATE_REFRESH } from './lua.js';
import { MAX_SESSIONS_PER_SUB, REVOCATION_MARGIN_S } from './memory.js';
import { MirrorSync } from './mirror-sync.js';
import { createRedisClient, OutageLog, RedisCommands, type RedisClient } from './redis-connection.js';
import { withTimeout } from './redis-errors.js';
import { KEYS, member, subjectMember } from './redis-keys.js';
import { RevocationMirror } from './revocation-mirror.js';
import type { ScriptRunner } from './script-runner.js';
import { SessionIntegrity } from './session-integrity.js';
import { StoreUnavailableError, type Revocation, type RotateOptions, type RotateResult, type SessionInfo, type SessionRecord, type Store, type StoreHealth, type TokenSubject } from './store.js';

export interface RedisStoreOptions {
  /** `redis://` or `rediss://`; never logged. */
  url: string;
  keyPrefix: string;
  /** Bounds every command, connection attempt and heartbeat (REDIS_TIMEOUT_MS). */
  timeoutMs: number;
  /**
   * STORE_FAIL_OPEN: answer revocation checks from the last known list while out of sync. Only
   * once the list has been loaded: before that there is no list, and checks fail closed.
   */
  failOpen: boolean;
  /**
   * At least 32 secret bytes, the same on every instance (derived from the signing secret): keys
   * the MAC stored with each session's claims and the names of the per-user indexes.
   */
  integrityKey: Uint8Array;
  logger: Logger;
  nowS?: () => number;
  maxSessionsPerSub?: number;
  /** How often the subscriber is pinged and Redis's clock sampled; at most a second by default. */
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

const revokeSubjectReply = z.tuple([z.coerce.number(), z.coerce.number()]).rest(z.string());

const listReply = z.array(z.tuple([z.string(), z.coerce.number(), z.coerce.number(), z.coerce.number(), z.string(), z.string()]));

const rotateReply = z.union([
  // Claims, end and MAC as stored: the claims are parsed only once the MAC holds.
  z.tuple([z.enum(['rotated', 'grace']), z.string(), z.string(), z.string().nullable()]),
  z.tuple([z.literal('reused'), z.coerce.number()]),
  z.tuple([z.literal('unknown')]),
]);

/**
 * The store for several signer instances: sessions and revocations in Redis, each decision one
 * Lua script. `isRevoked` never goes to Redis: it reads a local mirror of the revocation set,
 * kept current through pub/sub (see `MirrorSync`), and fails closed while that mirror is not in
 * sync (unless `failOpen` and it was loaded once). Every other call is bounded by `timeoutMs`
 * and fails with `StoreUnavailableError`; a session write or rotation that Redis reaches only
 * after that is refused there, unwritten. It also runs other parts' Lua scripts (`ScriptRunner`).
 *
 * Redis must be private to the signers: see `KEYS` for what it holds and what someone who can
 * write to it can and cannot do.
 */
export class RedisStore implements Store, ScriptRunner {
  private readonly commands: RedisCommands;
  private readonly mirror = new RevocationMirror();
  private readonly sync: MirrorSync;
  private readonly nowS: () => number;
  private readonly maxPerSub: number;
  private readonly integrity: SessionIntegrity;
  private readonly clockTimer: NodeJS.Timeout;
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
    this.integrity = new SessionIntegrity(opts.integrityKey);
    this.nowS = opts.nowS ?? (() => Math.floor(Date.now() / 1000));
    this.maxPerSub = opts.maxSessionsPerSub ?? MAX_SESSIONS_PER_SUB;
    this.commands = new RedisCommands(client, opts.keyPrefix, opts.timeoutMs);
    const heartbeatMs = opts.heartbeatMs ?? Math.min(opts.timeoutMs, 1_000);
    const outages = new OutageLog(opts.logger);
    outages.watch('commands', client);
    outages.watch('subscriber', subscriber);
    this.sync = new MirrorSync({
      subscriber,
      commands: this.commands,
      mirror: this.mirror,
      logger: opts.logger,
      timeoutMs: opts.timeoutMs,
      heartbeatMs,
      nowS: this.nowS,
    });
    const policy = new EvictionPolicyCheck(this.commands, opts.logger);
    const { clock } = this.commands;
    client.on('ready', () => {
      // Maybe another server (a failover): its clock and its config are measured afresh.
      clock.reset();
      void clock.sample();
      void policy.run();
      // The load goes over the command connection: when that one is ready last, load then.
      this.sync.retry();
    });
    this.clockTimer = setInterval(() => void clock.sample(), heartbeatMs);
    this.clockTimer.unref();
    // Both retry for ever in the background; close() ends them.
    for (const c of [client, subscriber]) c.connect().catch(() => {});
  }

  /** Resolves true once the revocation mirror is loaded and live, false after `ms`. */
  waitUntilSynced(ms: number): Promise<boolean> {
    return this.sync.waitUntilSynced(ms);
  }

  /** Refused unwritten when Redis reaches it late: it would take a place under the per-user cap for tokens nobody got. */
  async createSession(sid: string, refreshJti: string, record: SessionRecord, refreshExpiresAt?: number): Promise<void> {
    const deadAt = Math.min(record.expiresAt, refreshExpiresAt ?? Infinity);
    const [claims, end] = [JSON.stringify(record.claims), String(record.expiresAt)];
    await this.commands.runScript(
      CREATE_SESSION,
      [KEYS.session(sid), KEYS.user(this.integrity.userIndex(String(record.claims.sub)))],
      [sid, refreshJti, claims, end, deadAt, this.nowS(), this.maxPerSub, this.sessionPrefix, this.integrity.seal(sid, end, claims), record.client?.address ?? '', record.client?.userAgent ?? ''],
    );
  }

  /**
   * Refused unwritten when Redis reaches it late: applied after the client was told 503, it
   * would make the client's retry with the same token look like reuse and end the session.
   * The claims are handed back only if their MAC holds; otherwise the session counts as gone.
   */
  async rotateRefresh(sid: string, presentedJti: string, nextJti: string, at: RotateOptions): Promise<RotateResult> {
    const reply = rotateReply.parse(
      await this.commands.runScript(
        ROTATE_REFRESH,
        [KEYS.session(sid), KEYS.revoked],
        [
          ...[presentedJti, nextJti, at.nowS, at.graceS, at.nextExpiresAt ?? '', at.reuseRevokesUntil ?? '', member('s', sid), REVOCATION_MARGIN_S, this.channel],
          ...(at.client ? ['1', at.client.address ?? '', at.client.userAgent ?? ''] : ['0']),
        ],
      ),
    );
    switch (reply[0]) {
      case 'rotated':
      case 'grace': {
        const session = this.openSession(sid, reply[1], reply[2], reply[3], at.nowS);
        return session ? { kind: reply[0], session } : { kind: 'unknown' };
      }
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

  /** Unguarded, like `revoke`: applied late, it only ends and refuses more. */
  async revokeSubject(sub: string, notBeforeS: number, untilS: number, sessionsUntilS: number): Promise<number> {
    const keys = [KEYS.revoked, KEYS.user(this.integrity.userIndex(sub))];
    const args = [subjectMember(sub, notBeforeS), untilS, this.nowS(), REVOCATION_MARGIN_S, this.channel, this.sessionPrefix, sessionsUntilS];
    const [ended, inForce, ...sids] = revokeSubjectReply.parse(await this.commands.runScript(REVOKE_SUBJECT, keys, args, { late: 'apply' }));
    for (const sid of sids) this.mirror.apply({ kind: 's', id: sid, untilS: sessionsUntilS });
    this.mirror.apply({ kind: 'u', id: sub, notBeforeS, untilS: inForce });
    return ended;
  }

  async endSessionOf(sub: string, sid: string, untilS: number): Promise<boolean> {
    const keys = [KEYS.session(sid), KEYS.revoked, KEYS.user(this.integrity.userIndex(sub))];
    const args = [sid, member('s', sid), untilS, this.nowS(), REVOCATION_MARGIN_S, this.channel];
    const ended = Number(await this.commands.runScript(END_SESSION_OF, keys, args, { late: 'apply' })) === 1;
    if (ended) this.mirror.apply({ kind: 's', id: sid, untilS });
    return ended;
  }

  async listSessions(sub: string, nowS: number): Promise<SessionInfo[]> {
    const rows = listReply.parse(await this.commands.runScript(LIST_SESSIONS, [KEYS.user(this.integrity.userIndex(sub))], [nowS, this.sessionPrefix]));
    return rows.map(([sid, startedAt, lastRefreshAt, expiresAt, address, userAgent]) => ({
      sid,
      startedAt,
      lastRefreshAt,
      expiresAt,
      ...(address ? { address } : {}),
      ...(userAgent ? { userAgent } : {}),
    }));
  }

  /**
   * This instance refuses at once, without waiting for its own message; the others hear it on
   * the channel. Applied even when Redis reaches it late, unlike session writes: a logout the
   * client was told failed (503) and that takes effect later did what was asked, and a
   * revocation only ever refuses more. Every mirror, this one too, hears of it then.
   */
  private async revoke(kind: 't' | 's', id: string, untilS: number, keys: string[]): Promise<void> {
    const args = [member(kind, id), untilS, this.nowS(), REVOCATION_MARGIN_S, this.channel];
    const inForce = Number(await this.commands.runScript(REVOKE, keys, args, { late: 'apply' }));
    if (Number.isFinite(inForce)) this.mirror.apply({ kind, id, untilS: inForce });
  }

  watchRevocations(listener: (revocation: Revocation) => void, nowS: number): void {
    this.mirror.watch(listener, nowS);
  }

  revocationsCurrent(): boolean {
    return this.sync.inSync;
  }

  async isRevoked(jti: string | undefined, sid: string | undefined, nowS: number, subject?: TokenSubject): Promise<boolean> {
    if (!this.sync.inSync) {
      // Failing open on a list never loaded (started during an outage) would accept every revoked token.
      if (!this.opts.failOpen || !this.sync.loadedOnce) throw new StoreUnavailableError('the revocation list is not in sync with Redis');
      this.noteFailOpen();
    }
    return this.mirror.isRevoked(jti, sid, nowS, subject);
  }

  /** One guarded SET NX: the first caller of every instance gets true, every other false. */
  async claimNonce(client: string, nonce: string, ttlSeconds: number): Promise<boolean> {
    return Number(await this.commands.runScript(CLAIM_NONCE, [KEYS.nonce(client, nonce)], [ttlSeconds])) === 1;
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

  /** Behind the deadline guard, like every script of other parts (see `ScriptRunner`). */
  runScript(script: string, keys: string[], args: (string | number)[]): Promise<unknown> {
    return this.commands.runScript(script, keys, args);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.sync.close();
      clearInterval(this.clockTimer);
      await Promise.all([this.client, this.subscriber].map((c) => quit(c, this.opts.timeoutMs)));
    })();
    return this.closing;
  }

  private get sessionPrefix(): string {
    return this.opts.keyPrefix + KEYS.sessionPrefix;
  }

  private get channel(): string {
    return this.opts.keyPrefix + KEYS.channel;
  }

  /** The stored session if its MAC holds; a failure is logged with the sid only (the claims may be anyone's). */
  private openSession(sid: string, claims: string, end: string, mac: string | null, nowS: number): SessionRecord | undefined {
    const expiresAt = Number(end);
    if (!this.integrity.verify(sid, end, claims, mac)) {
      this.opts.logger.error({ sid }, 'a session in Redis failed its integrity check (tampered with, or written without the same key); its refresh is refused');
      return undefined;
    }
    // Sealed by us, so well-formed; a session copied back after its end is refused all the same.
    if (!(expiresAt > nowS)) return undefined;
    return { claims: claimsJson.parse(claims), expiresAt };
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
