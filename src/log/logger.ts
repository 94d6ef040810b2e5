import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout; anything that could hold a credential is redacted by path as a second line of defence. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'tokengate' },
      redact: {
        paths: ['password', '*.password', 'token', '*.token', 'secret', '*.secret', 'headers.authorization', '*.headers.authorization', 'headers.cookie', '*.headers.cookie'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
