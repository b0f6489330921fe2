// The cast of a generated impersonation event: accounts that imitate a watch (labelled
// impersonators) among innocent look-alikes — fans, parody accounts that say so, the brand's own
// regional accounts listed in the watch, unrelated accounts with a similar word — and their posts.
// Pure and seeded, so the generator and labelsFor agree on who is who.
import type { Author } from '../schemas/post.js';
import type { Watch } from '../schemas/watches.js';

export type Role = 'impersonator' | 'fan' | 'parody' | 'own' | 'unrelated';
export interface CastMember { role: Role; platform: string; author: Author; addresses: boolean; posts: number }

export interface ImpersonationCastOptions { watch: Watch; at: number; impersonators: number; fans: number; parodies: number; unrelated: number }

const DAY = 86_400_000;
// Look-alikes as spoofers type them (Cyrillic and Greek letters, digits for letters).
const LOOKALIKE: Record<string, string[]> = { a: ['а', 'α'], e: ['е'], o: ['о', 'ο', '0'], p: ['р'], c: ['с'], i: ['і', '1'], l: ['1', 'I'], s: ['ѕ', '5'], x: ['х'], y: ['у'] };
const WORDS = ['official', 'support', 'help', 'care', 'service', 'team', 'real', 'hq', 'hilfe', 'kundenservice', 'offiziell', 'helpdesk', 'info'];
const NAME_WORDS = ['Support', 'Help', 'Customer Care', 'Service', 'Official', 'Kundenservice', 'Hilfe', 'Team'];
const UNRELATED = ['hardware', 'tools', 'bakery', 'fitness', 'records', 'studio', 'games', 'plumbing', 'gardens', 'printing', 'kebab', 'yoga'];
const FIRST = ['anna', 'ben', 'clara', 'deniz', 'emil', 'fatma', 'greta', 'hugo', 'ines', 'jonas', 'kim', 'lena', 'mila', 'noah', 'olga', 'paul'];
const INSTANCES = ['mastodon.social', 'chaos.social', 'mas.to', 'troet.cafe', 'social.example', 'fosstodon.org'];

/** The account part of the watch's first handle, as typed there (`@DB_Bahn` → `DB_Bahn`). */
const brandHandle = (w: Watch): string => (w.handles[0] ?? `@${w.name.replace(/\s+/g, '')}`).replace(/^@/, '').split('@')[0]!;

export function impersonationCast(o: ImpersonationCastOptions, r: () => number): CastMember[] {
  const pk = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const int = (a: number, b: number) => a + Math.floor(r() * (b - a + 1));
  const w = o.watch;
  const base = brandHandle(w);
  const sep = () => pk(['_', '.', '-', '_']);
  const cast: CastMember[] = [];
  let n = 0;
  const add = (role: Role, handle: string, display: string | null, ageDays: number, addresses: boolean) => {
    const u = r();
    // The brand's own accounts are where the watch lists them, spelt as listed (no Bluesky domain handle).
    const platform = u < 0.6 ? 'mastodon' : u < 0.8 && role !== 'own' ? 'bluesky' : 'generic';
    const h = platform === 'mastodon' ? `@${handle}@${pk(INSTANCES)}` : platform === 'bluesky' ? `@${handle.replace(/_/g, '-')}.bsky.social` : `@${handle}`;
    cast.push({ role, platform, addresses, posts: int(1, 3), author: { id: `imp-${w.id}-${n++}`, handle: h, followers: int(0, 400), created_at: o.at - Math.floor(ageDays * DAY), display_name: display } });
  };
  const spoof = (s: string): string => {
    const chars = [...s];
    const idx = chars.map((c, i) => (LOOKALIKE[c.toLowerCase()] ? i : -1)).filter((i) => i >= 0);
    for (let k = int(1, 2); k > 0 && idx.length; k--) { const i = idx.splice(Math.floor(r() * idx.length), 1)[0]!; chars[i] = pk(LOOKALIKE[chars[i]!.toLowerCase()]!); }
    return chars.join('');
  };
  const typo = (s: string): string => {
    const i = int(1, s.length - 2);
    const t = r();
    if (t < 0.35) return s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2); // transposition
    if (t < 0.7) return s.slice(0, i) + s.slice(i + 1); // dropped letter
    return s.slice(0, i) + s[i] + s.slice(i); // doubled letter
  };
  const imitation = (): { handle: string; display: string | null } => {
    const t = r();
    let h: string;
    if (t < 0.15) h = spoof(base);
    else if (t < 0.27) { const i = int(2, base.length - 2); h = base.slice(0, i) + sep() + base.slice(i); }
    else if (t < 0.37) h = base + (r() < 0.5 ? String(int(1, 99)) : String(int(2020, 2027)));
    else if (t < 0.47) h = typo(base);
    else if (t < 0.72) h = r() < 0.7 ? base + (r() < 0.6 ? sep() : '') + pk(WORDS) : pk(WORDS) + (r() < 0.6 ? sep() : '') + base;
    else if (t < 0.82) h = base + sep() + pk(WORDS) + sep() + String(int(1, 999));
    else if (t < 0.9) h = spoof(base) + sep() + pk(WORDS);
    else return { handle: `${pk(['help', 'service', 'refunds', 'travel', 'cs'])}_${pk(['desk', 'agent', 'team'])}${int(10, 9999)}`, display: `${w.name} ${pk(NAME_WORDS)}` };
    return { handle: h, display: r() < 0.5 ? `${w.name}${r() < 0.6 ? ` ${pk(NAME_WORDS)}` : ''}` : null };
  };
  for (let i = 0; i < o.impersonators; i++) {
    const { handle, display } = imitation();
    const young = r() < 0.75;
    add('impersonator', handle, display, young ? 1 + r() * 20 : 200 + r() * 2500, !young || r() < 0.6);
  }
  for (let i = 0; i < o.fans; i++) {
    const b = base.toLowerCase();
    const handle = pk([`${b}_fan`, `ilove${b}`, `${b}fans`, `${b}.lover`, `${pk(FIRST)}_loves_${b}`, `${b}_fanclub`]);
    add('fan', handle, r() < 0.5 ? `${pk(FIRST)} | ${w.name} fan` : null, r() < 0.4 ? 1 + r() * 20 : 100 + r() * 2000, r() < 0.9);
  }
  for (let i = 0; i < o.parodies; i++) {
    const v = r();
    const handle = v < 0.4 ? `${base}${sep()}parody` : v < 0.6 ? `not${base}` : v < 0.8 ? `fake${base}` : base + sep() + String(int(1, 9));
    const display = v < 0.8 ? (r() < 0.5 ? `${w.name} (Parody)` : null) : `${w.name} – parody, not affiliated`;
    add('parody', handle, display, r() < 0.5 ? 1 + r() * 20 : 100 + r() * 2000, r() < 0.9);
  }
  for (const own of w.own_accounts ?? []) add('own', own.replace(/^@/, '').split('@')[0]!, `${w.name} ${pk(['Deutschland', 'UK', 'Service', 'News'])}`, 500 + r() * 3000, true);
  const words = w.name.toLowerCase().split(/\s+/).filter((x) => x.length >= 3);
  for (let i = 0; i < o.unrelated; i++) {
    const part = words.length > 1 ? pk(words) : base.toLowerCase().replace(/[^a-z]/g, '').slice(0, Math.max(3, Math.ceil(base.length * 0.6)));
    const other = pk(UNRELATED);
    const handle = r() < 0.5 ? part + sep() + other : other + sep() + part;
    add('unrelated', handle, r() < 0.5 ? `${part[0]!.toUpperCase()}${part.slice(1)} ${other[0]!.toUpperCase()}${other.slice(1)}` : null, r() < 0.3 ? 1 + r() * 20 : 100 + r() * 3000, r() < 0.5);
  }
  return cast;
}

/** What a cast member writes; `watch` is the watch's handle when the member addresses it. */
export function castText(m: CastMember, w: Watch, r: () => number): string {
  const pk = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const h = m.addresses ? `${w.handles[0] ?? ''} ` : '';
  switch (m.role) {
    case 'impersonator': return pk([
      `${h}Sorry for the trouble! Please DM us your booking reference and card number so we can process your refund.`,
      `${h}Wir helfen gern! Schick uns deine Kundennummer und dein Passwort per DM.`,
      `${h}Refunds for cancelled orders: verify your account here https://refund-help.example/${Math.floor(r() * 1e6)}`,
      `${h}We're aware of the issue. Contact our support team via WhatsApp +44 7700 900${Math.floor(r() * 1000)}.`,
    ]);
    case 'fan': return pk([`${h}best service ever, love you guys ❤️`, `${h}cannot wait for the next trip!`, `${h}ich bin immer noch Fan 😍`]);
    case 'parody': return pk([`${h}Your luggage has been promoted to first class. You have not.`, `${h}Heute wieder pünktlich. Satire.`, `${h}We value your complaint. It is in the bin.`]);
    case 'own': return pk([`${h}Unser Service-Team ist heute bis 22 Uhr für euch da.`, `${h}Update: all services running normally again.`]);
    case 'unrelated': return pk([`${h}Big sale this weekend, come by!`, `${h}new opening hours from Monday`, `${h}anyone else had trouble with them today?`]);
  }
}
