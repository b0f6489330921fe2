// Teams and e-mail messages (issue 22): outside text shows literally (no Markdown, mention,
// link or HTML from watch names, summaries or post ids), Message-IDs follow the event id, and
// the channel configuration is checked before anything connects.
import { describe, expect, it } from 'vitest';
import { loadConfig, redact } from '../../app/config.js';
import { type AlertEvent, IMPERSONATION_SEVERITY, type ImpersonationEvent, impersonationAlert } from '../../schemas/events.js';
import { slackMessage } from '../../sinks/webhook.js';
import { alertMail, htmlText, messageId, smtpRetryable } from '../../sinks/email.js';
import { teamsMessage, teamsText } from '../../sinks/teams.js';

const HOSTILE = 'Bahn <at>Everyone</at> **bold** [click](https://evil.example) <script>alert(1)</script> {{DATE(2026-01-01T00:00:00Z)}}\r\nBcc: x@evil.example';
const alert: AlertEvent = {
  id: 'alert:w:2026-11-27T10:24:00Z:opened', type: 'alert', state: 'opened', watch: 'w', severity: 4, detected_at: '2026-11-27T10:24:30Z',
  posts: 830, negative_share: 0.71, inauthentic: true, reasons: [{ code: 'volume', value: 7.9, baseline: 1 }, { code: 'negative_share', value: 0.71, baseline: 0.2 }],
  summary: `Volume 7.9x baseline ${HOSTILE}`, samples: [{ platform: 'mastodon', id: '<at>CEO</at>[x](https://evil.example)' }],
};

/** Every object in a JSON tree, depth first. */
function* nodes(x: unknown): Generator<Record<string, unknown>> {
  if (Array.isArray(x)) for (const y of x) yield* nodes(y);
  else if (x && typeof x === 'object') { yield x as Record<string, unknown>; for (const v of Object.values(x)) yield* nodes(v); }
}

describe('Teams messages', () => {
  const msg = teamsMessage(alert, HOSTILE, 'https://dash.example/?w=1');
  const card = (msg.attachments as { contentType: string; content: Record<string, unknown> }[])[0]!;

  it('are one Adaptive Card in a message attachment, with a button to the dashboard', () => {
    expect(msg.type).toBe('message');
    expect(card.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect([card.content.type, card.content.version]).toEqual(['AdaptiveCard', '1.4']);
    expect(card.content.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Open the dashboard', url: 'https://dash.example/?w=1' }]);
    const texts = [...nodes(card.content)].filter((n) => n.type === 'TextRun').map((n) => n.text as string);
    expect(texts[0]).toMatch(/^🔴 Shitstorm alert: Bahn <at>Everyone<\/at> \*\*bold\*\* .* — severity 4\/6 \(firestorm\)$/);
    expect(texts).toContain('• volume: 7.9 (baseline 1)');
    expect(texts).toContain('• mastodon post <at>CEO</at>[x](https://evil.example)');
    expect(texts).toContain('Posts in window: 830 · negative: 71% · ⚠️ likely bots / coordinated');
  });

  it('put outside text only into TextRuns, which Teams shows literally: no Markdown block, no mention entity, no substitution', () => {
    const all = [...nodes(card.content)];
    // TextBlock and FactSet render Markdown; the card has neither.
    expect(all.filter((n) => n.type === 'TextBlock' || n.type === 'FactSet')).toEqual([]);
    expect(all.some((n) => 'entities' in n)).toBe(false);
    const json = JSON.stringify(msg);
    expect(json).not.toContain('{{DATE');
    expect(json).not.toMatch(/\r|\\r|\\n/);
    expect(teamsText('a {{x}}\nb')).toBe('a {\u200b{x}\u200b} b');
    // The only URL outside a TextRun is ours.
    const urls = all.flatMap((n) => Object.entries(n).filter(([k]) => k === 'url').map(([, v]) => v));
    expect(urls).toEqual(['https://dash.example/?w=1']);
  });
});

describe('alert e-mails', () => {
  const mail = alertMail(alert, HOSTILE, 'Trendstream <alerts@pr.example>', 'https://dash.example/?a="b"&c');

  it('escape outside text in the HTML part and keep it literal in the text part', () => {
    expect(htmlText(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(mail.html).not.toMatch(/<script|<at>|<\/at>/);
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(mail.html).toContain('<a href="https://dash.example/?a=&quot;b&quot;&amp;c">Open the dashboard</a>');
    expect(mail.text).toContain('Bahn <at>Everyone</at> **bold** [click](https://evil.example) <script>alert(1)</script>');
    expect(mail.text).toContain('- mastodon post <at>CEO</at>[x](https://evil.example)');
  });

  it('keep outside text to one line in the subject, so no header can be added', () => {
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.subject.startsWith('[trendstream] 🔴 Shitstorm alert: Bahn <at>Everyone</at>')).toBe(true);
    expect(mail.headers).toEqual({ 'X-Trendstream-Event-Id': alert.id });
  });

  it('derive the Message-ID from the event id, and thread follow-ups under the opening mail', () => {
    expect(mail.messageId).toBe(messageId(alert.id, 'pr.example'));
    expect(mail.messageId).toMatch(/^<[0-9a-f]{40}\.alert@pr\.example>$/);
    expect(alertMail(alert, 'other name', 'alerts@pr.example').messageId).toBe(mail.messageId);
    expect(messageId('alert:w:2026-11-27T10:24:00Z:resolved', 'pr.example')).not.toBe(mail.messageId);
    const resolved = alertMail({ ...alert, id: 'alert:w:2026-11-27T10:24:00Z:resolved', state: 'resolved' }, 'Bahn', 'alerts@pr.example');
    expect(resolved.inReplyTo).toBe(mail.messageId);
    expect(mail.inReplyTo).toBeUndefined();
  });

  it('retry connection failures and 4xx replies, not 5xx ones', () => {
    expect([smtpRetryable({ code: 'ECONNECTION' }), smtpRetryable({ code: 'ETIMEDOUT' }), smtpRetryable({ responseCode: 421 }), smtpRetryable({ responseCode: 451 })]).toEqual([true, true, true, true]);
    expect([smtpRetryable({ responseCode: 550 }), smtpRetryable({ responseCode: 535, code: 'EAUTH' }), smtpRetryable({ code: 'EENVELOPE' })]).toEqual([false, false, false]);
  });
});

describe('Teams and e-mail channels', () => {
  it('are configured from the environment, with the SMTP password redacted in logs', () => {
    const c = loadConfig({ env: {
      TRENDSTREAM_TEAMS_WEBHOOK_URL: 'https://prod.westeurope.logic.azure.com/workflows/1/triggers/manual/paths/invoke?sig=SECRETSIG',
      TRENDSTREAM_SMTP_HOST: 'smtp.pr.example', TRENDSTREAM_SMTP_USERNAME: 'alerts', TRENDSTREAM_SMTP_PASSWORD: 'hunter2-hunter2',
      TRENDSTREAM_ALERT_EMAIL_FROM: 'Trendstream <alerts@pr.example>', TRENDSTREAM_ALERT_EMAIL_TO: 'pr@pr.example, ceo@pr.example',
    } });
    expect(c.alerting.channels).toEqual([
      { name: 'teams', kind: 'teams', url: 'https://prod.westeurope.logic.azure.com/workflows/1/triggers/manual/paths/invoke?sig=SECRETSIG' },
      { name: 'email', kind: 'email', host: 'smtp.pr.example', port: 587, secure: false, requireTLS: false, username: 'alerts', password: 'hunter2-hunter2',
        from: 'Trendstream <alerts@pr.example>', to: ['pr@pr.example', 'ceo@pr.example'], timeoutMs: 15_000 },
    ]);
    const shown = JSON.stringify(redact(c));
    expect(shown).not.toMatch(/hunter2|SECRETSIG/);
  });

  it('name the field and the fix when an e-mail channel is incomplete', () => {
    const channels = (ch: object) => () => loadConfig({ env: {}, overrides: { alerting: { channels: [ch as never] } } });
    expect(channels({ name: 'mail', kind: 'email', host: 'smtp.example', from: 'a@b.example', to: [] })).toThrow(/alerting\.channels\.0\.to: an e-mail channel needs at least one recipient/);
    expect(channels({ name: 'mail', kind: 'email', host: 'smtp.example', from: 'a@b.example', to: ['x@y.example'], username: 'u' })).toThrow(/alerting\.channels\.0\.password: an SMTP username needs a password/);
    expect(channels({ name: 'mail', kind: 'fax', url: 'https://x.example' })).toThrow(/alerting\.channels\.0\.kind/);
    expect(() => loadConfig({ env: {}, overrides: { alerting: { channels: [{ name: 'a', kind: 'teams', url: 'https://x.example' }, { name: 'a', kind: 'slack', url: 'https://y.example' }] } } }))
      .toThrow(/alerting\.channels: every channel needs its own name/);
  });
});

describe('impersonation alerts on the channels', () => {
  const imp: ImpersonationEvent = {
    id: 'impersonation:acme-air:mastodon:a-9:opened', type: 'impersonation', state: 'opened', watch: 'acme-air',
    account: { platform: 'mastodon', id: 'a-9', handle: '@acmeair_support' }, imitates: '@acmeair', detected_at: '2026-11-27T10:24:30Z',
    reasons: [{ code: 'handle_distance', value: 0, baseline: 0 }], summary: `@acmeair_support imitates @acmeair ${HOSTILE}`, samples: [{ platform: 'mastodon', id: 'p-1' }],
  };

  it('reach Slack, Teams and e-mail as a severity-3 alert whose summary names account and imitated handle, escaped like any outside text', () => {
    const a = impersonationAlert(imp);
    expect([a.type, a.id, a.state, a.severity, a.inauthentic, a.posts]).toEqual(['alert', imp.id, 'opened', IMPERSONATION_SEVERITY, true, 1]);
    expect(a.summary.startsWith('Impersonation: @acmeair_support imitates @acmeair')).toBe(true);
    const slack = JSON.stringify(slackMessage(a, 'Acme Air'));
    expect(slack).toContain('Impersonation: @acmeair_support imitates @acmeair');
    expect(slack).not.toContain('<script>');
    const texts = [...nodes(teamsMessage(a, 'Acme Air'))].filter((n) => n.type === 'TextRun').map((n) => n.text as string);
    expect(texts.some((t) => t.includes('Impersonation: @acmeair_support imitates @acmeair'))).toBe(true);
    expect(alertMail(a, 'Acme Air', 'alerts@acme.example').html).not.toContain('<script>');
  });
});
