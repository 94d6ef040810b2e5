import type { Logger } from '../log/logger.js';
import { CountedWarning } from './counted-warning.js';
import { EvictionPolicyCheck } from './eviction-policy.js';
import {
  CLAIM_NONCE,
  CREATE_SESSION,
  END_SESSION_OF,
  LIST_SESSIONS,
  REVOKE,
  REVOKE_SUBJECT,
  ROTATE_REFRESH,
  UNCLAIM_NONCE,
  UNCREATE_SESSION,
  UNROTATE,
} from './lua.js';
import { MasterLink } from './master-link.js';
import { MAX_SESSIONS_PER_SUB, REVOCATION_MARGIN_S } from './memory.js';
import { MirrorSync } from './mirror-sync.js';
import { createRedisClient, OutageLog, RedisCommands } from './redis-connection.js';
import { withTimeout } from './redis-errors.js';
import { KEYS, member, subjectMember } from './redis-keys.js';
import type { RedisLink } from './redis-link.js';
import { claimsJson, listReply, revokeSubjectReply, rotateReply } from './redis-replies.js';
import type { SentinelTarget } from './redis-target.js';
import { ReplicatedWrites } from './replicated-writes.js';
import type { Replication } from './replication.js';
import { RevocationMirror } from './revocation-mirror.js';
import type { ScriptRunner } from './script-runner.js';
import { SentinelResolver } from './sentinel-resolver.js';
import { SessionIntegrity } from './session-integrity.js';
import {
  StoreUnavailableError,
  type Revocation,
  type RotateOptions,
  type RotateResult,
  type SessionInfo,
  type SessionRecord,
  type Store,
  type StoreHealth,
  type TokenSubject,
} from './store.js';

export interface RedisStoreOptions {
  /** `redis://` or `rediss://`; never logged. Exactly one of `url` and `sentinel`. */
  url?: string | undefined;
  /** The master the sentinels name, followed through failovers (REDIS_SENTINELS). */
  sentinel?: SentinelTarget | undefined;
  keyPrefix: string;
  /** Bounds every command, connection attempt and heartbeat (REDIS_TIMEOUT_MS). */
  timeoutMs: number;
  /**
   * STORE_FAIL_OPEN: answer revocation checks from the last known list while out of sync. Only
   * once the list has been loaded: before that there is no list, and checks fail closed.
   */
  failOpen: boolean;
  /**
   * STORE_MAX_STALE_S, in ms: for this long after the mirror fell out of sync (once it was
   * loaded), revocation checks still answer from it; then they fail closed (unless `failOpen`).
   * Default 0: at once.
   */
  maxStaleMs?: number;
  /** REDIS_WAIT_*: the replicas every write waits for. None: no `WAIT`. */
  replication?: Replication | undefined;
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

/**
 * The store for several signer instances: sessions and revocations in Redis, each decision one
 * Lua script. `isRevoked` never goes to Redis: it reads a local mirror of the revocation set,
 * kept current through pub/sub (see `MirrorSync`), and fails closed once that mirror has been
 * out of sync for longer than `maxStaleMs` (unless `failOpen`), or was never loaded. Every other
 * call is bounded by `timeoutMs` and fails with `StoreUnavailableError`; a session write or
 * rotation that Redis reaches only after that is refused there, unwritten. With `replication`,
 * every write is answered as done only once enough replicas acknowledged it (see
 * `Replication`). With `sentinel`, both connections follow the master through a failover (see
 * `MasterLink`). It also runs other parts' Lua scripts (`ScriptRunner`).
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
  private readonly failOpenWarning: CountedWarning;
  private readonly writes: ReplicatedWrites;
  private closing: Promise<void> | undefined;

  /** Starts connecting in the background and returns at once; see `waitUntilSynced`. */
  static start(opts: RedisStoreOptions): RedisStore {
    if ((opts.url === undefined) === (opts.sentinel === undefined)) throw new TypeError('the Redis store needs exactly one of url and sentinel');
    if (opts.url !== undefined) return new RedisStore(opts, createRedisClient(opts.url, opts.timeoutMs));
    const heartbeatMs = opts.heartbeatMs ?? Math.min(opts.timeoutMs, 1_000);
    const resolver = new SentinelResolver({ target: opts.sentinel!, timeoutMs: opts.timeoutMs, checkMs: heartbeatMs, logger: opts.logger });
    return new RedisStore(opts, new MasterLink({ resolver, target: opts.sentinel!, timeoutMs: opts.timeoutMs }));
  }

  private constructor(
    private readonly opts: RedisStoreOptions,
    private readonly client: RedisLink,
    private readonly subscriber: RedisLink = client.duplicate(),
  ) {
    this.integrity = new SessionIntegrity(opts.integrityKey);
    this.nowS = opts.nowS ?? (() => Math.floor(Date.now() / 1000));
    this.maxPerSub = opts.maxSessionsPerSub ?? MAX_SESSIONS_PER_SUB;
    this.failOpenWarning = new CountedWarning(
      opts.logger,
      'STORE_FAIL_OPEN: revocation checks answered from the last known list while Redis is out of sync',
      'answers',
    );
    const replication = opts.replication;
    const unmet = new CountedWarning(
      opts.logger,
      'REDIS_WAIT_UNMET=accept: store writes answered as done although fewer replicas than REDIS_WAIT_REPLICAS acknowledged them; a failover now may lose them',
      'writes',
    );
    this.commands = new RedisCommands(client, {
      prefix: opts.keyPrefix,
      timeoutMs: opts.timeoutMs,
      replication,
      onUnmet: (acknowledged) => unmet.note({ acknowledged, wanted: replication?.replicas }),
    });
    this.writes = new ReplicatedWrites(this.commands, opts.logger);
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

  /**
   * Refused unwritten when Redis reaches it late: it would take a place under the per-user cap for
   * tokens nobody got. Undone when too few replicas acknowledge it (the login answers 503).
   */
  async createSession(sid: string, refreshJti: string, record: SessionRecord, refreshExpiresAt?: number): Promise<void> {
    const deadAt = Math.min(record.expiresAt, refreshExpiresAt ?? Infinity);
    const [claims, end] = [JSON.stringify(record.claims), String(record.expiresAt)];
    const keys = [KEYS.session(sid), KEYS.user(this.integrity.userIndex(String(record.claims.sub)))];
    await this.writes.run(
      CREATE_SESSION,
      keys,
      [
        sid,
        refreshJti,
        claims,
        end,
        deadAt,
        this.nowS(),
        this.maxPerSub,
        this.sessionPrefix,
        this.integrity.seal(sid, end, claims),
        record.client?.address ?? '',
        record.client?.userAgent ?? '',
      ],
      { undo: () => this.writes.undo(UNCREATE_SESSION, keys, [sid, refreshJti]) },
    );
  }

  /**
   * Refused unwritten when Redis reaches it late: applied after the client was told 503, it
   * would make the client's retry with the same token look like reuse and end the session. For
   * the same reason a rotation too few replicas acknowledged is put back. A reuse detection's
   * revocation stays (in force here at once), whatever the replicas say.
   * The claims are handed back only if their MAC holds; otherwise the session counts as gone.
   */
  async rotateRefresh(sid: string, presentedJti: string, nextJti: string, at: RotateOptions): Promise<RotateResult> {
    const args = [
      ...[presentedJti, nextJti, at.nowS, at.graceS, at.nextExpiresAt ?? '', at.reuseRevokesUntil ?? '', member('s', sid), REVOCATION_MARGIN_S, this.channel],
      ...(at.client ? ['1', at.client.address ?? '', at.client.userAgent ?? ''] : ['0']),
    ];
    const reply = await this.writes.run(ROTATE_REFRESH, [KEYS.session(sid), KEYS.revoked], args, {
      read: (raw) => rotateReply.parse(raw),
      applied: (r) => {
        if (r[0] === 'reused') this.mirror.apply({ kind: 's', id: sid, untilS: r[1] });
      },
      // Nothing was written for a grace or an unknown answer: no replica has anything to lose.
      unreplicatedOk: (r) => r[0] === 'grace' || r[0] === 'unknown',
      undo: (r) => (r[0] === 'rotated' ? this.writes.undo(UNROTATE, [KEYS.session(sid)], [presentedJti, nextJti, r[3], r[4], r[5]]) : Promise.resolve()),
    });
    switch (reply[0]) {
      case 'rotated': {
        const session = this.openSession(sid, reply[1], reply[2], reply[6] ?? null, at.nowS);
        return session ? { kind: 'rotated', session } : { kind: 'unknown' };
      }
      case 'grace': {
        const session = this.openSession(sid, reply[1], reply[2], reply[3] ?? null, at.nowS);
        return session ? { kind: 'grace', session } : { kind: 'unknown' };
      }
      case 'reused':
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

  /** Unguarded, like `revoke`: applied late, it only ends and refuses more; so it is kept when too few replicas acknowledge it. */
  async revokeSubject(sub: string, notBeforeS: number, untilS: number, sessionsUntilS: number): Promise<number> {
    const keys = [KEYS.revoked, KEYS.user(this.integrity.userIndex(sub))];
    const args = [subjectMember(sub, notBeforeS), untilS, this.nowS(), REVOCATION_MARGIN_S, this.channel, this.sessionPrefix, sessionsUntilS];
    const [ended] = await this.writes.run(REVOKE_SUBJECT, keys, args, {
      late: 'apply',
      read: (raw) => revokeSubjectReply.parse(raw),
      applied: ([, inForce, ...sids]) => {
        for (const sid of sids) this.mirror.apply({ kind: 's', id: sid, untilS: sessionsUntilS });
        this.mirror.apply({ kind: 'u', id: sub, notBeforeS, untilS: inForce });
      },
    });
    return ended;
  }

  /** Like `revokeSession`, for a session of `sub` only; kept when too few replicas acknowledge it. */
  async endSessionOf(sub: string, sid: string, untilS: number): Promise<boolean> {
    const keys = [KEYS.session(sid), KEYS.revoked, KEYS.user(this.integrity.userIndex(sub))];
    const args = [sid, member('s', sid), untilS, this.nowS(), REVOCATION_MARGIN_S, this.channel];
    return this.writes.run(END_SESSION_OF, keys, args, {
      late: 'apply',
      read: (raw) => Number(raw) === 1,
      applied: (ended) => {
        if (ended) this.mirror.apply({ kind: 's', id: sid, untilS });
      },
      unreplicatedOk: (ended) => !ended,
    });
  }

  /** A read: the master's own answer, no `WAIT`. */
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
   * revocation only ever refuses more. Every mirror, this one too, hears of it then. For the
   * same reason it stays when too few replicas acknowledge it: the client hears 503 and retries.
   */
  private async revoke(kind: 't' | 's', id: string, untilS: number, keys: string[]): Promise<void> {
    const args = [member(kind, id), untilS, this.nowS(), REVOCATION_MARGIN_S, this.channel];
    await this.writes.run(REVOKE, keys, args, {
      late: 'apply',
      read: Number,
      applied: (inForce) => {
        if (Number.isFinite(inForce)) this.mirror.apply({ kind, id, untilS: inForce });
      },
    });
  }

  watchRevocations(listener: (revocation: Revocation) => void, nowS: number): void {
    this.mirror.watch(listener, nowS);
  }

  revocationsCurrent(): boolean {
    return this.sync.inSync;
  }

  /**
   * From the mirror: while in sync, and for `maxStaleMs` after it lost sync (a failover), then
   * only with `failOpen`. Failing open on a list never loaded (started during an outage) would
   * accept every revoked token: that always fails closed.
   */
  async isRevoked(jti: string | undefined, sid: string | undefined, nowS: number, subject?: TokenSubject): Promise<boolean> {
    const staleMs = this.sync.staleForMs();
    if (staleMs > (this.opts.maxStaleMs ?? 0)) {
      if (!this.opts.failOpen || !this.sync.loadedOnce) throw new StoreUnavailableError('the revocation list is not in sync with Redis');
      this.failOpenWarning.note();
    }
    return this.mirror.isRevoked(jti, sid, nowS, subject);
  }

  /**
   * One guarded SET NX: the first caller of every instance gets true, every other false. A claim
   * too few replicas acknowledged is taken back (the client hears 503, and its retry is no replay).
   */
  async claimNonce(client: string, nonce: string, ttlSeconds: number): Promise<boolean> {
    const key = [KEYS.nonce(client, nonce)];
    return this.writes.run(CLAIM_NONCE, key, [ttlSeconds], {
      read: (raw) => Number(raw) === 1,
      unreplicatedOk: (claimed) => !claimed,
      undo: () => this.writes.undo(UNCLAIM_NONCE, key, []),
    });
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
}

/** Closes a client gracefully within `ms` (pending replies first), then for sure. */
async function quit(client: RedisLink, ms: number): Promise<void> {
  if (client.isOpen) await withTimeout(client.close(), ms).catch(() => {});
  client.destroy();
}
