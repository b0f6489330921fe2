// The registry of what the project changes inside kafkajs 2.2.4 (patch.ts swaps modules,
// kip447.ts adds protocol versions and a group hook): each change named with the kafkajs
// behaviour it corrects and a check that it is in effect. Exactly-once work refuses to start
// when one is not, since those corrections are what make it exactly once.

export interface Replacement {
  name: string;
  /** The kafkajs behaviour it corrects. */
  corrects: string;
  /** Whether kafkajs, as loaded in this process, uses it. */
  applied: () => boolean;
  /** Needed for exactly-once processing (the others are performance). */
  exactlyOnce: boolean;
}

const registry: Replacement[] = [];

export function register(r: Replacement): void {
  registry.push(r);
}

/** Every replacement with whether it is in effect now. */
export function replacements(): { name: string; corrects: string; applied: boolean; exactlyOnce: boolean }[] {
  return registry.map((r) => ({ name: r.name, corrects: r.corrects, applied: r.applied(), exactlyOnce: r.exactlyOnce }));
}

export class KafkajsReplacementError extends Error {
  readonly code = 'kafkajs_replacement_missing';
  constructor(missing: string[]) {
    super(`kafkajs is not corrected as exactly-once processing needs (${missing.join('; ')}): import kafkajs only through lib/kafka/client.ts, which loads the corrections before kafkajs, and keep kafkajs at 2.2.4`);
    this.name = 'KafkajsReplacementError';
  }
}

/** Throws when a correction exactly-once work relies on is not in effect. */
export function assertExactlyOnceReady(): void {
  const missing = replacements().filter((r) => r.exactlyOnce && !r.applied).map((r) => `${r.name}: ${r.corrects}`);
  if (missing.length) throw new KafkajsReplacementError(missing);
}
