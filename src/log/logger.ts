import { pino, type Logger } from 'pino';

export type { Logger };

/** Fields whose value may be a credential: censored in every log line (and masked again by `npm start`'s readable lines). */
export const SECRET_FIELDS = ['password', 'token', 'refresh_token', 'csrf', 'secret'] as const;
/** Request headers that carry credentials, censored wherever a `headers` object is logged. */
export const SECRET_HEADERS = ['authorization', 'cookie'] as const;

/**
 * JSON logs on stdout; anything that could hold a credential is redacted by path as a second line of defence.
 * `time` stays pino's epoch milliseconds: the fail2ban filter (`deploy/fail2ban`) reads it with
 * `{LEPOCH}`, and ISO text would need that filter and its tests changed in the same commit.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'tokengate' },
      redact: {
        paths: [
          ...SECRET_FIELDS.flatMap((field) => [field, `*.${field}`]),
          ...SECRET_HEADERS.flatMap((header) => [`headers.${header}`, `*.headers.${header}`]),
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
