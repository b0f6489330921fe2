import { describe, expect, it } from 'vitest';
import { StreamClock, minuteOf } from '../../processors/stream-time.js';

const T = Date.parse('2026-11-27T10:00:00Z');

describe('stream clock', () => {
  it('is established by three posts and then follows the greatest created_at', () => {
    const c = new StreamClock();
    c.observe(T); c.observe(T + 1000);
    expect(c.time).toBe(-Infinity);
    c.observe(T + 500);
    expect(c.time).toBe(T + 1000);
    c.observe(T + 60_000);
    c.observe(T + 30_000); // out of order: never moves the clock back
    expect(c.time).toBe(T + 60_000);
  });

  it('ignores a few wild timestamps far ahead', () => {
    const c = new StreamClock();
    for (let i = 0; i < 3; i++) c.observe(T + i);
    c.observe(T + 86_400_000 * 365);
    c.observe(T + 3 * 3600_000);
    for (let i = 0; i < 2000; i++) c.observe(T + 1000 + i);
    c.observe(T + 86_400_000 * 365); // the first wild one was forgotten: still unconfirmed
    expect(c.time).toBe(T + 2999);
  });

  it('jumps a real gap once enough posts confirm it', () => {
    const c = new StreamClock();
    for (let i = 0; i < 3; i++) c.observe(T + i);
    const later = T + 2 * 3600_000;
    c.observe(later); c.observe(later + 10);
    expect(c.time).toBe(T + 2);
    c.observe(later + 20);
    expect(c.time).toBe(later + 20);
  });

  it('restores from a snapshot that went through JSON', () => {
    const c = new StreamClock();
    const fresh = StreamClock.restore(JSON.parse(JSON.stringify(c.snapshot())));
    expect(fresh.time).toBe(-Infinity);
    for (let i = 0; i < 3; i++) c.observe(T + i);
    expect(StreamClock.restore(JSON.parse(JSON.stringify(c.snapshot()))).time).toBe(T + 2);
  });

  it('floors to the minute, also before 1970', () => {
    expect(minuteOf(T + 59_999)).toBe(T);
    expect(minuteOf(-1)).toBe(-60_000);
  });
});
