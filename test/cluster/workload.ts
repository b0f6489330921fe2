// The cluster suite's workload: small enough for CI (the brief allows the cluster tests a few
// minutes), with a trend and a firestorm so that trends and alerts are decided around the faults.
import { EVAL_WATCHES } from '../../bench/scenarios.js';
import { generate } from '../../sim/generator.js';
import { workload, type Workload } from '../fault-case.js';

const START = Date.parse('2026-11-24T10:00:00Z');
const M = 60_000;

/** About 4,000 posts over 40 simulated minutes, with a trend and a firestorm, so trends and alerts are decided around the faults. */
export const clusterWorkload = (() => {
  let cached: Workload | null = null;
  return () => {
    cached ??= workload([...generate({
      seed: 2101, start: START, minutes: 40, postsPerMinute: 70, rhythm: false, disorderMs: 20_000, watches: EVAL_WATCHES,
      events: [
        { kind: 'burst', tag: 'Sturmflut', at: START + 12 * M, peakPerMinute: 60, rampMinutes: 2, durationMinutes: 12, lang: 'de' },
        { kind: 'firestorm', watch: 'telekom', at: START + 18 * M, peakPerMinute: 60, rampMinutes: 2, durationMinutes: 12, tag: 'Telekomausfall' },
      ],
    })], EVAL_WATCHES);
    return cached;
  };
})();

