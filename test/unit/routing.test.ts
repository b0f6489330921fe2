// Routing per watch (issue 22): which channels and recipients get which severities, decided by
// routeAlert from the watch's `routes` (or, in watch files without them, its `channels`).
import { describe, expect, it } from 'vitest';
import { parseWatchList } from '../../serve/watch-store.js';
import { type Channel, routeAlert, unconfiguredChannels } from '../../sinks/channel.js';

const slack: Channel = { name: 'slack', kind: 'slack', url: 'https://hooks.example/s' };
const teams: Channel = { name: 'teams', kind: 'teams', url: 'https://hooks.example/t' };
const mail: Channel = { name: 'mail', kind: 'email', host: 'smtp.example', port: 587, secure: false, requireTLS: false, from: 'a@pr.example', to: ['desk@pr.example'], timeoutMs: 1000 };
const CHANNELS = [slack, teams, mail];

/** Where an alert of `severity` (and `type`) goes: channel name → recipients, for the routed channels only. */
function where(watch: object | undefined, severity: number, type: 'alert' | 'impersonation' = 'alert'): Record<string, string[]> {
  const w = watch && parseWatchList([{ id: 'acme', name: 'Acme', ...watch }])[0];
  const out: Record<string, string[]> = {};
  for (const ch of CHANNELS) {
    const to = routeAlert(w, ch, { type, severity });
    if (to) out[ch.name] = to;
  }
  return out;
}

describe('routing per watch', () => {
  it('sends severity 3 and up to Slack and from 5 on also to the named e-mail recipients', () => {
    const w = { routes: [{ min_severity: 3, channels: ['slack'] }, { min_severity: 5, channels: ['mail'], email_to: ['ceo@pr.example', 'legal@pr.example'] }] };
    expect(where(w, 3)).toEqual({ slack: [] });
    expect(where(w, 4)).toEqual({ slack: [] });
    // An escalation to 5 (and a resolution, which carries the episode's peak) reaches both.
    expect(where(w, 5)).toEqual({ slack: [], mail: ['ceo@pr.example', 'legal@pr.example'] });
    expect(where(w, 6)).toEqual({ slack: [], mail: ['ceo@pr.example', 'legal@pr.example'] });
  });

  it('joins the recipients of every matching route once, falling back to the watch\'s and then the channel\'s', () => {
    const routes = [{ min_severity: 3, channels: ['mail'] }, { min_severity: 5, channels: ['mail', 'teams'], email_to: ['ceo@pr.example', 'pr@acme.example'] }];
    expect(where({ email_to: ['pr@acme.example'], routes }, 4)).toEqual({ mail: ['pr@acme.example'] });
    expect(where({ email_to: ['pr@acme.example'], routes }, 5)).toEqual({ teams: [], mail: ['pr@acme.example', 'ceo@pr.example'] });
    expect(where({ routes }, 3)).toEqual({ mail: ['desk@pr.example'] });
    expect(where({ routes }, 6)).toEqual({ teams: [], mail: ['desk@pr.example', 'ceo@pr.example', 'pr@acme.example'] });
  });

  it('routes impersonations as severity 3, or by type where a route names types', () => {
    const w = { routes: [
      { min_severity: 3, channels: ['slack'] },
      { channels: ['mail'], email_to: ['brand-protection@pr.example'], types: ['impersonation'] },
      { min_severity: 5, channels: ['mail', 'teams'], types: ['alert'] },
    ] };
    expect(where(w, 3, 'impersonation')).toEqual({ slack: [], mail: ['brand-protection@pr.example'] });
    expect(where(w, 3, 'alert')).toEqual({ slack: [] });
    expect(where(w, 5, 'alert')).toEqual({ slack: [], teams: [], mail: ['desk@pr.example'] });
  });

  it('keeps watch files without routes working: `channels` (empty for all) and `email_to`', () => {
    expect(where({}, 3)).toEqual({ slack: [], teams: [], mail: ['desk@pr.example'] });
    expect(where({ channels: ['teams', 'mail'], email_to: ['pr@acme.example'] }, 6)).toEqual({ teams: [], mail: ['pr@acme.example'] });
    expect(where({ channels: ['slack'] }, 3, 'impersonation')).toEqual({ slack: [] });
    // An alert of a watch no longer in the list still reaches every channel.
    expect(where(undefined, 4)).toEqual({ slack: [], teams: [], mail: ['desk@pr.example'] });
  });

  it('name the field and the fix for a bad route', () => {
    const bad = (routes: unknown, extra: object = {}) => () => parseWatchList([{ id: 'acme', name: 'Acme', ...extra, routes }]);
    expect(bad([])).toThrow(/\[0\.routes\] give at least one route, or leave `routes` out to deliver every alert to `channels`/);
    expect(bad([{ min_severity: 3 }])).toThrow(/\[0\.routes\.0\.channels\] is required/);
    expect(bad([{ min_severity: 3, channels: [] }])).toThrow(/\[0\.routes\.0\.channels\] a route names at least one channel/);
    expect(bad([{ min_severity: 7, channels: ['slack'] }])).toThrow(/\[0\.routes\.0\.min_severity\]/);
    expect(bad([{ channels: ['mail'], email_to: ['not-an-address'] }])).toThrow(/\[0\.routes\.0\.email_to\.0\]/);
    expect(bad([{ channels: ['mail'], types: ['trend'] }])).toThrow(/\[0\.routes\.0\.types\.0\]/);
    expect(bad([{ channels: ['mail'], severity: 3 }])).toThrow(/\[0\.routes\.0\.severity\] unknown field/);
    expect(bad([{ channels: ['mail'] }], { channels: ['slack'] })).toThrow(/\[0\.channels\] a watch with `routes` names its channels in each route/);
  });

  it('names every watch and channel name that routes alerts to a channel the sink has not configured', () => {
    const ws = parseWatchList([
      { id: 'acme', name: 'Acme', routes: [{ min_severity: 3, channels: ['slack', 'pager'] }, { min_severity: 5, channels: ['mail', 'pager', 'sms'] }] },
      { id: 'bahn', name: 'Bahn', channels: ['teams', 'msteams'] },
      { id: 'zoo', name: 'Zoo' }, // no channels named: every configured channel
      { id: 'ok', name: 'Ok', routes: [{ min_severity: 1, channels: ['slack', 'mail'] }] },
    ]);
    const configured = new Set(CHANNELS.map((c) => c.name));
    expect(unconfiguredChannels(ws, configured)).toEqual([
      { watch: 'acme', channel: 'pager' }, { watch: 'acme', channel: 'sms' }, { watch: 'bahn', channel: 'msteams' },
    ]);
    expect(unconfiguredChannels(ws, new Set([...configured, 'pager', 'sms', 'msteams']))).toEqual([]);
  });
});
