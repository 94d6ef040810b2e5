import { describe, expect, it } from 'vitest';
import { GatewayError, toHttp, type ErrorCode } from '../../src/errors.js';

describe('errors to HTTP', () => {
  it.each<[ErrorCode, number]>([
    ['invalid_request', 400],
    ['invalid_json', 400],
    ['unauthorized', 401],
    ['not_found', 404],
    ['method_not_allowed', 405],
    ['payload_too_large', 413],
    ['unsupported_media_type', 415],
    ['server_error', 500],
    ['bad_upstream_response', 502],
    ['upstream_unavailable', 502],
    ['signer_unavailable', 503],
    ['upstream_timeout', 504],
  ])('answers a GatewayError %s with %i and its code', (code, status) => {
    const http = toHttp(new GatewayError(code));
    expect(http.status).toBe(status);
    expect(http.body.error).toBe(code);
    expect(http.body.message).toEqual(expect.any(String));
    expect(http.body.message.length).toBeGreaterThan(0);
  });

  it('shows the message a GatewayError was given, since it is public', () => {
    expect(toHttp(new GatewayError('invalid_request', 'Send a username.')).body).toEqual({ error: 'invalid_request', message: 'Send a username.' });
  });

  it.each<[string, number, ErrorCode]>([
    ['entity.too.large', 413, 'payload_too_large'],
    ['entity.parse.failed', 400, 'invalid_json'],
    ['charset.unsupported', 415, 'unsupported_media_type'],
    ['encoding.unsupported', 415, 'unsupported_media_type'],
    ['parameters.too.many', 400, 'invalid_request'],
    ['request.size.invalid', 400, 'invalid_request'],
    ['request.aborted', 400, 'invalid_request'],
  ])('maps the body-parser error type %s to %i %s', (type, status, code) => {
    const err = Object.assign(new Error('body-parser says something internal'), { type, status: 400, expose: true });
    expect(toHttp(err)).toMatchObject({ status, body: { error: code } });
  });

  it.each<[string, unknown]>([
    ['an Error with internal details', new Error('connect ECONNREFUSED 10.0.0.7:5432 password=hunter2')],
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'password=hunter2')")],
    ['an error with an unknown body-parser type', Object.assign(new Error('password=hunter2'), { type: 'stream.encoding.set', status: 500 })],
    ['an error that claims a 4xx status', Object.assign(new Error('password=hunter2'), { status: 400, expose: true })],
    ['a thrown string', 'password=hunter2'],
    ['a thrown object', { message: 'password=hunter2' }],
    ['null', null],
    ['undefined', undefined],
  ])('turns %s into a generic 500 server_error', (_case, err) => {
    const http = toHttp(err);
    expect(http.status).toBe(500);
    expect(http.body.error).toBe('server_error');
    expect(http.body.message).toBe(new GatewayError('server_error').message);
    expect(JSON.stringify(http.body)).not.toContain('hunter2');
  });
});
