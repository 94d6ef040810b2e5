import { REVOCATION_MARGIN_S, subjectRevoked } from './memory.js';
import type { Revocation, TokenSubject } from './store.js';

/**
 * One instance's copy of the revocation set, so the hot-path check needs no round trip. It only
 * ever learns (keeping the later deadline of two), and forgets an entry REVOCATION_MARGIN_S
 * after its deadline, like the memory store: it is exactly as large as Redis's own set.
 */
export class RevocationMirror {
  private readonly tokens = new Map<string, number>();
  private readonly sessions = new Map<string, number>();
  /** Revoked users by `sub`: the latest not-before second and the latest deadline of all their revocations. */
  private readonly subjects = new Map<string, { notBeforeS: number; untilS: number }>();
  private readonly listeners: ((revocation: Revocation) => void)[] = [];

  /** Learns a revocation; a shorter deadline never shortens a known one. Listeners hear what was new. */
  apply(revocation: Revocation): void {
    if (revocation.kind === 'u') return this.applySubject(revocation);
    const { kind, id, untilS } = revocation;
    const map = kind === 't' ? this.tokens : this.sessions;
    if ((map.get(id) ?? -Infinity) >= untilS) return;
    map.set(id, untilS);
    for (const listener of this.listeners) listener(revocation);
  }

  private applySubject({ id, notBeforeS, untilS }: Extract<Revocation, { kind: 'u' }>): void {
    const known = this.subjects.get(id);
    const next = { notBeforeS: Math.max(notBeforeS, known?.notBeforeS ?? -Infinity), untilS: Math.max(untilS, known?.untilS ?? -Infinity) };
    if (known?.notBeforeS === next.notBeforeS && known.untilS === next.untilS) return;
    this.subjects.set(id, next);
    for (const listener of this.listeners) listener({ kind: 'u', id, ...next });
  }

  /** Calls `listener` with every revocation in force at `nowS`, then with every one learned from now on (see `apply`). */
  watch(listener: (revocation: Revocation) => void, nowS: number): void {
    for (const [id, untilS] of this.tokens) if (untilS >= nowS) listener({ kind: 't', id, untilS });
    for (const [id, untilS] of this.sessions) if (untilS >= nowS) listener({ kind: 's', id, untilS });
    for (const [id, r] of this.subjects) if (r.untilS >= nowS) listener({ kind: 'u', id, ...r });
    this.listeners.push(listener);
  }

  /** Whether the token, its session or (given `subject`) its user is revoked at `nowS` (a deadline holds through its second). */
  isRevoked(jti: string | undefined, sid: string | undefined, nowS: number, subject?: TokenSubject): boolean {
    if (jti !== undefined && (this.tokens.get(jti) ?? -Infinity) >= nowS) return true;
    if (sid !== undefined && (this.sessions.get(sid) ?? -Infinity) >= nowS) return true;
    return subject !== undefined && subjectRevoked(this.subjects.get(subject.sub), subject, nowS);
  }

  /** Forgets what expired more than REVOCATION_MARGIN_S ago. */
  sweep(nowS: number): void {
    for (const map of [this.tokens, this.sessions]) for (const [id, until] of map) if (until + REVOCATION_MARGIN_S < nowS) map.delete(id);
    for (const [id, r] of this.subjects) if (r.untilS + REVOCATION_MARGIN_S < nowS) this.subjects.delete(id);
  }

  get size(): number {
    return this.tokens.size + this.sessions.size + this.subjects.size;
  }
}
