// The root pino logger: one per process, a child per component, secrets redacted; and a
// destination that keeps chosen components' lines (the libraries' in the demo) in a file.
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level = process.env.LOG_LEVEL ?? 'info', dest?: pino.DestinationStream): Logger {
  return pino({
    level,
    base: { pid: process.pid },
    redact: { paths: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'headers.authorization'], censor: '[redacted]' },
  }, dest ?? pino.destination({ dest: 2, sync: false }));
}

/**
 * A destination for createLogger: lines of the given components (e.g. `kafkajs`, `clickhouse`)
 * go to `file` (created with its folder; written synchronously, so nothing is lost at exit),
 * every other line to `rest` (stderr).
 */
export function componentsToFile(file: string, components: readonly string[], rest: pino.DestinationStream = pino.destination({ dest: 2, sync: false })): pino.DestinationStream {
  const toFile = pino.destination({ dest: file, mkdir: true, sync: true });
  return {
    write(line: string) {
      let component: unknown;
      try { component = (JSON.parse(line) as { component?: unknown }).component; } catch { /* not JSON: not a component's */ }
      (typeof component === 'string' && components.includes(component) ? toFile : rest).write(line);
    },
  };
}
