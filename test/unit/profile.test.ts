import { describe, expect, it } from 'vitest';
import { partOf, summarise } from '../../bench/profile.js';

describe('CPU profile summary', () => {
  it('names the part of the code a function belongs to', () => {
    expect(partOf('file:///w/node_modules/kafkajs/src/protocol/encoder.js', 'writeInt32')).toBe('kafkajs');
    expect(partOf('file:///w/node_modules/@clickhouse/client-common/dist/x.js', 'f')).toBe('@clickhouse/client-common');
    expect(partOf('file:///w/processors/text/simhash.ts', 'simhash')).toBe('processors/text');
    expect(partOf('file:///w/processors/intake.ts', 'offer')).toBe('processors');
    expect(partOf('node:internal/buffer', 'FastBuffer')).toBe('node');
    expect(partOf('', '(garbage collector)')).toBe('gc');
    expect(partOf('', '(idle)')).toBe('idle');
  });

  it('shares self time of busy time, leaving idle out', () => {
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 9 });
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', '') },
        { id: 2, callFrame: frame('(idle)', '') },
        { id: 3, callFrame: frame('simhash', 'file:///w/processors/text/simhash.ts') },
        { id: 4, callFrame: frame('encode', 'file:///w/node_modules/avsc/lib/types.js') },
        { id: 5, callFrame: frame('(garbage collector)', '') },
      ],
      // 4 ms idle, 3 ms simhash, 2 ms avsc, 1 ms GC: 6 ms busy.
      samples: [2, 3, 4, 2, 3, 5, 2, 3, 4, 2],
      timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
    };
    const s = summarise(profile);
    expect(s.sampled_ms).toBe(10);
    expect(s.busy_ms).toBe(6);
    expect(s.parts).toEqual({ 'processors/text': 0.5, avsc: 0.333, gc: 0.167 });
    expect(Object.keys(s.parts)).toEqual(['processors/text', 'avsc', 'gc']);
    expect(s.top['simhash (text/simhash.ts:10)']).toBe(0.5);
  });
});
