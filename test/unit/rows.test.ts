import { describe, expect, it } from 'vitest';
import { chTime } from '../../lib/clickhouse/sql.js';

describe('chTime', () => {
  const reference = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

  it('formats like toISOString, across days, years and before 1970', () => {
    const cases = [0, 999, 1000, -1, -1000, -86_400_001, Date.UTC(2026, 10, 28, 23, 59, 59, 999), Date.UTC(2026, 10, 29), Date.UTC(2024, 1, 29, 12, 0, 7), Date.UTC(1969, 11, 31, 23, 59, 59)];
    let seed = 3;
    for (let i = 0; i < 20_000; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      cases.push(Date.UTC(2020, 0, 1) + seed * 97 + (i % 7) * 1000 - (i % 2 ? 86_400_000 * 400 : 0));
    }
    for (const ms of cases) expect(chTime(ms), String(ms)).toBe(reference(ms));
    expect(chTime(Date.UTC(2026, 10, 28, 7, 5, 9, 500))).toBe('2026-11-28 07:05:09');
  });

  it('refuses a time that is not one', () => {
    expect(() => chTime(NaN)).toThrow(RangeError);
  });
});
