/** The signing algorithms a key ring may hold; the `alg` of every key is one of these. */
export const KEY_ALGS = ['HS256', 'RS256', 'ES256', 'EdDSA'] as const;

export type KeyAlg = (typeof KEY_ALGS)[number];

/** File-name safe: a kid can never climb out of the key ring directory or hide as a dotfile's twin. */
export const KID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const KEY_FILE_SUFFIX = '.jwk.json';
export const ACTIVE_FILE = 'active';

/** Whether a value is one of the supported algorithms. */
export const isKeyAlg = (value: unknown): value is KeyAlg => typeof value === 'string' && (KEY_ALGS as readonly string[]).includes(value);

/** Whether a value is a well-formed kid. */
export const isKid = (value: unknown): value is string => typeof value === 'string' && KID_PATTERN.test(value);

/** The file name that holds a key: `<kid>.jwk.json`. */
export const keyFileName = (kid: string): string => `${kid}${KEY_FILE_SUFFIX}`;
