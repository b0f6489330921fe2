// Microsoft Teams delivery (issue 22): a Workflows "post to a channel when a webhook request is
// received" flow (or a classic incoming webhook) gets a message with one Adaptive Card. Text
// from outside is only ever put in TextRuns, which Teams renders literally: no Markdown, no
// link, no <at> mention from a watch name, summary or post id.
import type { AlertEvent } from '../schemas/events.js';
import { countsLine, headline, oneLine, reasonLines } from './channel.js';

/**
 * Outside text for a TextRun: one line, bounded, and `{{` broken up so no DATE()/TIME()
 * substitution happens. TextRuns take no Markdown, so nothing else needs escaping.
 */
export function teamsText(s: string, max = 300): string {
  return oneLine(s, max).replace(/\{\{/g, '{\u200b{').replace(/\}\}/g, '}\u200b}');
}

const run = (text: string, extra: Record<string, unknown> = {}) => ({ type: 'TextRun', text, ...extra });
const rich = (...inlines: object[]) => ({ type: 'RichTextBlock', inlines });
const ATTENTION = new Set([4, 5, 6]);

/** The Teams message for an alert: severity, counts, reasons, sample posts and a dashboard button. */
export function teamsMessage(e: AlertEvent, watchName: string, link?: string): Record<string, unknown> {
  const head = headline(e, teamsText(watchName, 150));
  const body: object[] = [
    rich(run(head, { weight: 'Bolder', size: 'Medium', color: e.state === 'resolved' ? 'Good' : ATTENTION.has(e.severity) ? 'Attention' : 'Warning' })),
    rich(run(teamsText(e.summary, 1000))),
    rich(run(countsLine(e), { isSubtle: true })),
    rich(run('Why', { weight: 'Bolder' })),
    ...reasonLines(e).map((l) => rich(run(`• ${l}`))),
  ];
  if (e.samples.length) {
    body.push(rich(run('Sample posts', { weight: 'Bolder' })));
    for (const s of e.samples.slice(0, 10)) body.push(rich(run(`• ${teamsText(s.platform, 40)} post ${teamsText(s.id, 200)}`)));
  }
  body.push(rich(run(`event ${teamsText(e.id, 200)}`, { isSubtle: true, size: 'Small' })));
  const card = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4',
    msteams: { width: 'Full' },
    body,
    ...(link ? { actions: [{ type: 'Action.OpenUrl', title: 'Open the dashboard', url: link }] } : {}),
  };
  return { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }] };
}
