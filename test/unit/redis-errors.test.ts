import express from 'express';
import { ClientOfflineError, ErrorReply, SocketClosedUnexpectedlyError } from 'redis';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { toHttp } from '../../src/errors.js';
import { errorHandler } from '../../src/http/error-handler.js';
import { describeRedisError, LATE_REPLY, toStoreError, withTimeout } from '../../src/store/redis-errors.js';
import { StoreUnavailableError } from '../../src/store/store.js';
import { capturingLogger } from '../fixtures/signer.js';

afterEach(() => {
  vi.useRealTimers();
});

const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:6379 redis://:hunter2@10.0.0.7'), { code: 'ECONNREFUSED' });

describe('Redis errors', () => {
  it.each<[string, unknown]>([
    ['a connection refused', refused],
    ['a client offline (no queue while disconnected)', new ClientOfflineError()],
    ['a connection closed under a command', new SocketClosedUnexpectedlyError()],
    ['Redis loading its data', new ErrorReply('LOADING Redis is loading the dataset in memory')],
    ['a read-only replica', new ErrorReply("READONLY You can't write against a read only replica.")],
    ['Redis out of memory', new ErrorReply("OOM command not allowed when used memory > 'maxmemory'.")],
    ['a wrong password', new ErrorReply('WRONGPASS invalid username-password pair or user is disabled.')],
    ['something thrown that is not an Error', 'boom'],
  ])('turn %s into StoreUnavailableError, saying nothing of the server', (_case, err) => {
    const mapped = toStoreError(err);
    expect(mapped).toBeInstanceOf(StoreUnavailableError);
    expect(mapped.message).not.toContain('hunter2');
    expect(mapped.message).not.toContain('10.0.0.7');
  });

  it('turn a guarded script that Redis reached after its deadline into StoreUnavailableError: nothing was written', () => {
    const late = new ErrorReply(`${LATE_REPLY} the deadline passed before the script ran; nothing was written`);
    expect(toStoreError(late)).toBeInstanceOf(StoreUnavailableError);
    expect(toStoreError(new ErrorReply(`ERR user_script:1: ${LATE_REPLY}`))).not.toBeInstanceOf(StoreUnavailableError);
  });

  it('leave a script error as it is: a bug must not read as an outage', () => {
    const bug = new ErrorReply('ERR user_script:1: Script attempted to access nonexistent global variable');
    expect(toStoreError(bug)).toBe(bug);
  });

  it('are described by class and code or first word only', () => {
    expect(describeRedisError(refused)).toBe('Error ECONNREFUSED');
    expect(describeRedisError(new ErrorReply('WRONGPASS invalid username-password pair'))).toBe('ErrorReply WRONGPASS');
    expect(describeRedisError(new ClientOfflineError())).toBe(new ClientOfflineError().name);
  });
});

describe('bounding a Redis call', () => {
  it('rejects with StoreUnavailableError after the timeout when Redis never answers', async () => {
    vi.useFakeTimers();
    const bounded = withTimeout(new Promise(() => {}), 250);
    const settled = expect(bounded).rejects.toBeInstanceOf(StoreUnavailableError);
    await vi.advanceTimersByTimeAsync(249);
    await vi.advanceTimersByTimeAsync(1);
    await settled;
  });

  it('passes an answer through and leaves no timer behind', async () => {
    vi.useFakeTimers();
    await expect(withTimeout(Promise.resolve('PONG'), 250)).resolves.toBe('PONG');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('swallows a rejection that comes after the timeout (no unhandled rejection)', async () => {
    vi.useFakeTimers();
    let fail: (err: Error) => void = () => {};
    const late = new Promise((_, reject) => (fail = reject));
    const bounded = expect(withTimeout(late, 10)).rejects.toBeInstanceOf(StoreUnavailableError);
    await vi.advanceTimersByTimeAsync(10);
    await bounded;
    fail(new SocketClosedUnexpectedlyError());
    await vi.advanceTimersByTimeAsync(0);
  });
});

describe('a store outage as the client sees it', () => {
  it('is 503 store_unavailable, never a 500', () => {
    expect(toHttp(new StoreUnavailableError('Redis did not answer within 1000 ms'))).toEqual({
      status: 503,
      body: { error: 'store_unavailable', message: expect.any(String) },
    });
  });

  it("comes with Retry-After: 1, and is logged once per request only at debug (the store logs the outage once), without the server's details", async () => {
    const { logger, lines } = capturingLogger();
    const app = express();
    app.get('/verify', async () => {
      throw toStoreError(refused);
    });
    app.use(errorHandler(logger));
    const res = await request(app).get('/verify');
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.body).toMatchObject({ error: 'store_unavailable' });
    const logged = lines.map((line) => JSON.parse(line) as { level: number; code?: string });
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 20, msg: 'store unavailable' });
    expect(lines.join('')).not.toContain('hunter2');
    expect(lines.join('')).not.toContain('10.0.0.7');
  });
});
