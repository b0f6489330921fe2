// The root pino logger: one per process, a child per component, secrets redacted.
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level = process.env.LOG_LEVEL ?? 'info', dest?: pino.DestinationStream): Logger {
  return pino({
    level,
    base: { pid: process.pid },
    redact: { paths: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'headers.authorization'], censor: '[redacted]' },
  }, dest ?? pino.destination({ dest: 2, sync: false }));
}
