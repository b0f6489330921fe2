import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config.js';
import type { AlertEvent } from '../../schemas/events.js';
import { deliver, slackMessage, slackText } from '../../sinks/webhook.js';

const alert: AlertEvent = {
  id: 'alert:w:2026-11-27T10:24:00Z:opened', type: 'alert', state: 'opened', watch: 'w', severity: 3, detected_at: '2026-11-27T10:24:30Z',
  posts: 830, negative_share: 0.71, inauthentic: false, reasons: [{ code: 'volume', value: 7.9, baseline: 1 }],
  summary: 'Volume 7.9x baseline <!channel>', samples: [{ platform: 'mastodon', id: '<https://evil.example|click me>' }],
};

describe('Slack messages', () => {
  it('show outside text literally: no channel ping, no disguised link, no markup from watch names or post ids', () => {
    expect(slackText('a & <b> <!here>')).toBe('a &amp; &lt;b&gt; &lt;!here&gt;');
    const json = JSON.stringify(slackMessage(alert, 'Bahn <!channel> & <https://x.example|co>', 'https://dash.example/?w=1'));
    expect(json).not.toMatch(/<!channel>|<!here>|<https:\/\/evil|<https:\/\/x\.example/);
    expect(json).toContain('&lt;!channel&gt;');
    expect(json).toContain('&lt;https://evil.example|click me&gt;');
    // The dashboard link is ours and stays a link.
    expect(json).toContain('<https://dash.example/?w=1|Open the dashboard>');
  });
});

describe('alert channels', () => {
  it('accept only http(s) URLs and a generic webhook only with a signing secret', () => {
    const channels = (ch: object) => () => loadConfig({ env: {}, overrides: { alerting: { channels: [ch as never] } } });
    expect(channels({ name: 'a', kind: 'slack', url: 'file:///etc/passwd' })).toThrow(/alerting\.channels\.0\.url: must be an http\(s\) URL/);
    expect(channels({ name: 'a', kind: 'webhook', url: 'https://hooks.example/x' })).toThrow(/alerting\.channels\.0\.secret: a generic webhook needs a signing secret/);
    expect(channels({ name: 'a', kind: 'webhook', url: 'https://hooks.example/x', secret: 'sixteen-chars-ok' })).not.toThrow();
  });

  it('do not follow a redirect, and do not retry one', async () => {
    let followed = 0;
    const server = createServer((req, res) => {
      if (req.url === '/moved') { res.writeHead(307, { location: '/elsewhere' }); res.end(); return; }
      followed++;
      res.writeHead(200); res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/moved`;
    try {
      const err = await deliver({ name: 'hook', kind: 'webhook', url, secret: 'sixteen-chars-ok' }, alert, 'w').catch((e) => e);
      expect([err.message, err.retryable]).toEqual(['hook: HTTP 307 redirect not followed: configure the final URL', false]);
      expect(followed).toBe(0);
    } finally {
      server.close();
    }
  });
});
