import { pino, type Logger } from 'pino';

export type { Logger };

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
          'password',
          '*.password',
          'token',
          '*.token',
          'refresh_token',
          '*.refresh_token',
          'csrf',
          '*.csrf',
          'secret',
          '*.secret',
          'headers.authorization',
          '*.headers.authorization',
          'headers.cookie',
          '*.headers.cookie',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
