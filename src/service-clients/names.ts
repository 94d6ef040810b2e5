/**
 * A client's name: what its token's `username` claim holds, what `X-Auth-Sub` carries, and its
 * key file's name in CLIENTS_DIR. File-name safe: no `/`, and no leading dot (dotfiles are temp files).
 */
export const CLIENT_NAME_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$/;

/** Said wherever a name is refused, so the CLI and the loader explain it the same way. */
export const CLIENT_NAME_RULE = 'a client name is 1 to 64 letters, digits, "_", "-" or "." and does not start with "."';

/** The two formats a client's public key is registered in. */
export type ClientKeyFormat = 'pem' | 'jwk';

/** File name endings by format: `<name>.pem` (SPKI) or `<name>.jwk.json`. */
export const CLIENT_FILE_SUFFIX: Record<ClientKeyFormat, string> = { pem: '.pem', jwk: '.jwk.json' };

/** Whether a value is a well-formed client name. */
export const isClientName = (value: string): boolean => CLIENT_NAME_PATTERN.test(value);

/** The file that holds client `name`'s key in `format`. */
export const clientFileName = (name: string, format: ClientKeyFormat): string => `${name}${CLIENT_FILE_SUFFIX[format]}`;

/** The client and format a file name stands for; undefined for any other file (never a client). */
export function parseClientFileName(file: string): { name: string; format: ClientKeyFormat } | undefined {
  // `.jwk.json` first: `x.jwk.json` is client `x`, never a `.json` file of client `x.jwk`.
  for (const format of ['jwk', 'pem'] as const) {
    const suffix = CLIENT_FILE_SUFFIX[format];
    if (file.endsWith(suffix)) return { name: file.slice(0, -suffix.length), format };
  }
  return undefined;
}
