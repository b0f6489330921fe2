// One retry policy for every component: exponential backoff with "equal jitter" (half the delay
// fixed, half random, capped), and a loop that retries what its caller calls retryable until
// the call succeeds, the error is not worth retrying, or the caller stops.
import { setTimeout as sleep } from 'node:timers/promises';

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor?: number;
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  constructor(private readonly o: BackoffOptions) {}

  /** The delay before the next attempt; each call doubles the base up to the cap. */
  next(): number {
    const base = Math.min(this.o.maxMs, this.o.initialMs * (this.o.factor ?? 2) ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 60);
    return Math.round(base / 2 + (this.o.random ?? Math.random)() * (base / 2));
  }

  reset(): void { this.attempt = 0; }
  get attempts(): number { return this.attempt; }
}

export interface RetryOptions extends BackoffOptions {
  /** Whether to try again after `err` (attempt counts from 1); false rethrows it. Called before each wait. */
  retryable: (err: unknown, attempt: number) => boolean;
  /** Runs before each wait: logging, metrics, a consumer heartbeat. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void | Promise<void>;
}

/** Calls `fn` until it resolves; rethrows the first error `retryable` refuses. */
export async function retry<T>(fn: () => Promise<T>, o: RetryOptions): Promise<T> {
  const backoff = new Backoff(o);
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!o.retryable(e, attempt)) throw e;
      const delay = backoff.next();
      await o.onRetry?.(e, attempt, delay);
      await sleep(delay);
    }
  }
}
