// Deterministic synthetic social-media posts with ground truth (CONTRACTS §2, §3, §5): the
// source behind tests, the demo stream, the benchmark and the evaluation scenarios. Pure and
// lazy (one minute of event time in memory at a time); writeScenario is the only I/O.
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { postToJson, type Author, type Post } from '../schemas/post.js';
import { extractHashtags, extractMentions, fold, normaliseHashtag } from '../schemas/normalise.js';
import type { Watch } from '../schemas/watches.js';
import { castText, impersonationCast, type CastMember } from './impersonation.js';

export interface GeneratorOptions {
  seed: number;
  /** Epoch ms of the first post (event time). */
  start: number;
  /** Event-time length of the stream; `Infinity` gives an endless stream (demo). */
  minutes: number;
  /** Mean background rate at the daily peak (with rhythm off: the constant mean rate). */
  postsPerMinute: number;
  /** Distinct background hashtags, Zipf by rank; default 2000. */
  tags?: number;
  /** Zipf exponent of the background hashtags; default 1.1. */
  zipf?: number;
  /** Background author population; default 50_000. */
  authors?: number;
  /** Language shares of background posts; default { de: 0.5, en: 0.45, other: 0.05 }. */
  langs?: { de: number; en: number; other: number };
  /** Daily and weekly rhythm of the background rate (Europe/Berlin ≈ UTC+1); default true. */
  rhythm?: boolean;
  /** Max arrival delay: arrival = created_at + delay, delay in [0, disorderMs], mostly small; output in arrival order. Default 0. */
  disorderMs?: number;
  /** Share of posts delayed beyond disorderMs (up to 10 minutes, or disorderMs + 1 min if larger); default 0. */
  lateShare?: number;
  /** Share of posts emitted twice (same platform+id, identical content); default 0. */
  duplicateShare?: number;
  events?: GeneratorEvent[];
  /** Watches the firestorm/complaints/praise events target; background chatter mentions them at a low everyday rate. */
  watches?: Watch[];
  /** Prefix of post (and author) ids; default `s${seed}-`. */
  idPrefix?: string;
}

/**
 * Scripted events. Times are epoch ms (`at`), rates posts per minute. burst: organic trend of
 * many distinct authors; campaign: click farm of `accounts` young bot accounts posting
 * near-duplicates in synchronized waves (inauthentic trend); firestorm: outrage at a watch
 * from a crowd of mostly new authors (labelled; its tag, if any, a labelled trend); complaints:
 * everyday negative mentions (never labelled); praise: a positive viral moment (no firestorm
 * label); rhythmic: a recurring slot each day, or each `weekday` (0 = Sunday, UTC), starting
 * at `hourUtc` (fractional: 19.25 = 19:15) — never a labelled trend.
 * burst with `established`: the crowd is the everyday population of known accounts writing
 * ordinary texts (no excited burst phrasing, few new accounts). firestorm with `texts`: each
 * post is the next of these real texts (English), its @mentions and RT markers replaced by a
 * handle of the watch. surge: a tag that is already busy — the background tag of Zipf rank
 * `rank` (0 = busiest) — gets `factor` times its usual rate, from established accounts with
 * ordinary texts (a labelled organic trend). impersonation: over the window, `impersonators`
 * accounts imitating the watch's handle or name (labelled) post among innocent look-alikes — fans,
 * parody accounts that say so, the watch's `own_accounts`, unrelated accounts with a similar word
 * (sim/impersonation.ts); each account posts 1–3 times.
 */
export type GeneratorEvent =
  | { kind: 'burst'; tag: string; at: number; peakPerMinute: number; rampMinutes: number; durationMinutes: number; lang?: 'de' | 'en'; established?: boolean }
  | { kind: 'campaign'; tag: string; at: number; perMinute: number; durationMinutes: number; accounts: number }
  | { kind: 'firestorm'; watch: string; at: number; peakPerMinute: number; rampMinutes: number; durationMinutes: number; tag?: string; inauthentic?: boolean; texts?: readonly string[] }
  | { kind: 'surge'; rank: number; factor: number; at: number; rampMinutes: number; durationMinutes: number }
  | { kind: 'complaints'; watch: string; at: number; perMinute: number; durationMinutes: number }
  | { kind: 'praise'; watch: string; at: number; peakPerMinute: number; rampMinutes: number; durationMinutes: number; tag?: string }
  | { kind: 'rhythmic'; tag: string; hourUtc: number; weekday?: number; perMinute: number; durationMinutes: number }
  | { kind: 'impersonation'; watch: string; at: number; durationMinutes: number; impersonators: number; fans?: number; parodies?: number; unrelated?: number };

/** The truth of a scenario (CONTRACTS §5). */
export interface Labels {
  trends: { hashtag: string; onset: string; inauthentic: boolean }[];
  optional_trends: string[];
  firestorms: { watch: string; onset: string }[];
  ignore_trends: boolean;
  /** Accounts (`platform:id`) that impersonate a watch; present when the scenario has any. */
  impersonators?: { watch: string; account: string }[];
}

/** A post with the wall-clock offset at which it arrives (created_at + delay), for pacing a live demo. */
export interface TimedPost { post: Post; arrival: number }

// ---------------------------------------------------------------------------------------
// Randomness

/** The PRNG of the generator: mulberry32, 32-bit state, uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes integers into a 32-bit seed (murmur3 finaliser), so derived streams are independent of call order. */
function mix(...xs: number[]): number {
  let h = 0x9e3779b9;
  for (const x of xs) {
    h = Math.imul(h ^ (x | 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

function poisson(lambda: number, r: () => number): number {
  if (!(lambda > 0)) return 0;
  if (lambda < 30) {
    const l = Math.exp(-lambda);
    let k = 0;
    let p = r();
    while (p > l) { k++; p *= r(); }
    return k;
  }
  return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * gauss(r)));
}

// ---------------------------------------------------------------------------------------
// Time

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

// Relative activity by local hour (Europe/Berlin): quiet night, morning rise, evening peak.
const WEEKDAY = [0.3, 0.2, 0.14, 0.11, 0.1, 0.13, 0.25, 0.45, 0.6, 0.68, 0.72, 0.75, 0.8, 0.78, 0.74, 0.74, 0.77, 0.82, 0.88, 0.95, 1, 0.97, 0.8, 0.55];
const WEEKEND = [0.4, 0.3, 0.2, 0.14, 0.11, 0.1, 0.13, 0.22, 0.36, 0.52, 0.65, 0.72, 0.76, 0.76, 0.75, 0.75, 0.77, 0.8, 0.85, 0.93, 0.98, 0.95, 0.82, 0.62];
const DAY_MUL = [0.95, 1, 1, 1, 1, 0.95, 0.88]; // Sunday .. Saturday

/** The background rate at `t` relative to the weekly peak (0..1); Europe/Berlin approximated as UTC+1. */
export function rhythmFactor(t: number): number {
  const local = t + HOUR;
  const day = Math.floor(local / DAY);
  const wd = (((day + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
  const h = (local - day * DAY) / HOUR;
  const prof = wd === 0 || wd === 6 ? WEEKEND : WEEKDAY;
  const i = Math.floor(h);
  const f = h - i;
  return (prof[i]! * (1 - f) + prof[(i + 1) % 24]! * f) * DAY_MUL[wd]!;
}

/** Relative intensity (0..1) of a ramped event `m` minutes after its start: linear rise, plateau, exponential decay. */
function shape(m: number, ramp: number, dur: number): number {
  if (m < 0 || m >= dur) return 0;
  if (m < ramp) return m / ramp;
  const rest = dur - ramp;
  const hold = 0.3 * rest;
  if (m < ramp + hold) return 1;
  return Math.exp(-(m - ramp - hold) / Math.max(0.5, (rest - hold) / 3));
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

// ---------------------------------------------------------------------------------------
// Vocabulary. Templates use {T} hashtag, {X} topic, {E} emoji, {P} place, {N} small number,
// {M} minutes, {U} URL, {H} watch handle, {K} watch keyword, {I} insult, {C} complaint.

type Tpl = readonly (string | number)[];
const CODES: Record<string, number> = { T: 1, X: 2, E: 3, P: 4, N: 5, M: 6, U: 7, H: 8, K: 9, I: 10, C: 11 };
const tpl = (s: string): Tpl => s.split(/\{([A-Z])\}/).map((p, i) => (i % 2 ? CODES[p]! : p)).filter((p) => p !== '');
const tpls = (xs: string[]): Tpl[] => xs.map(tpl);

interface Vocab {
  X: string[]; P: string[]; F: string[]; E: string[];
  plain: Tpl[]; inline: Tpl[];
  burst: Tpl[]; rhythm: Tpl[];
  fs: Tpl[]; fsC: Tpl[]; fsI: string[]; fsF: string[];
  compl: Tpl[]; praise: Tpl[]; posF: string[]; chat: Tpl[]; camp: Tpl[];
}

const EMOJI = ['😂', '🙈', '☕', '🎉', '🤔', '😅', '👍', '🔥', '❤️', '😍', '🙄', '😴', '🌧️', '☀️', '🚆', '⚽', '📚', '🎶', '✨', '💪', '🤷', '👀'];
const NEG_EMOJI = ['🤬', '😡', '🤮', '👎', '💩', '🙄', '😤'];
const POS_EMOJI = ['❤️', '👏', '😍', '🙌', '🥰', '✨', '💚', '🎉'];
const CAMP_EMOJI = ['🔥', '👉', '💯', '🚨', '‼️', '⚠️', '📢'];
const DOMAINS = ['www.tagesschau.de', 'www.spiegel.de', 'www.zeit.de', 'www.heise.de', 'taz.de', 'www.bbc.co.uk', 'www.theguardian.com', 'blog.example.org', 'youtu.be', 'www.instagram.com', 'medium.com', 'www.sueddeutsche.de'];
const URL_PATHS = ['news', 'inland', 'p', 'article', 'video', 'blog', '2026', 'tech', 'kultur', 'sport'];

const DE: Vocab = {
  X: ['das Wetter heute', 'der neue Fahrplan', 'der Einkauf im Supermarkt', 'das Spiel gestern Abend', 'die Baustelle vor meiner Tür', 'der Podcast von gestern', 'die Debatte im Bundestag', 'mein Kaffee am Morgen', 'das Konzert am Wochenende', 'die neue Staffel', 'die Steuererklärung', 'das Homeoffice', 'der Feierabendverkehr', 'die Schlange beim Bäcker', 'das Update auf meinem Handy', 'der erste Schnee', 'der Radweg hier', 'das Stadtfest', 'die Nachrichtenlage', 'der Elternabend', 'das neue Album', 'die Nebenkostenabrechnung', 'der Wochenmarkt', 'das Training heute', 'die Mittagspause', 'der Urlaub im Sommer', 'die Heizung im Büro', 'das Buch, das ich gerade lese', 'der Sonnenuntergang am Kanal', 'das WLAN im Zug'],
  P: ['Berlin', 'Hamburg', 'München', 'Köln', 'Leipzig', 'Dresden', 'Frankfurt', 'Stuttgart', 'Bremen', 'Münster', 'Freiburg', 'Hannover', 'Nürnberg', 'Bochum', 'Kiel', 'Rostock', 'Mainz', 'Wien', 'Zürich', 'Bielefeld'],
  F: ['Schönen Tag euch!', 'Was meint ihr?', 'Bin gespannt.', 'Mal sehen, wie es weitergeht.', 'Naja.', 'Ihr wisst Bescheid.', 'Gleich gibt es Mittagessen.', 'Mehr dazu später.', "Macht's gut!", 'Einfach mal durchatmen.', 'So viel dazu.', 'Bis später!',
    'Ich glaube, das wird uns noch eine ganze Weile beschäftigen.', 'Wenn ich ehrlich bin, hatte ich mir das alles etwas anders vorgestellt.', 'Schreibt mir gern, wie ihr das seht, ich lese wirklich alles.', 'Vor einem Jahr hätte ich darüber noch gelacht, jetzt eher nicht mehr.', 'Meine Nachbarin sieht das übrigens komplett anders, wir diskutieren seit Tagen.', 'Manchmal frage ich mich, ob das nur mir so geht oder ob alle so denken.'],
  E: EMOJI,
  plain: tpls([
    'Guten Morgen zusammen! {X} ist mal wieder ein Erlebnis {E}',
    'Also {X} hat mich heute echt überrascht.',
    'Ehrlich gesagt finde ich {X} gar nicht so schlimm, wie alle sagen.',
    'Kurzes Update aus {P}: {X} läuft, alles gut {E}',
    "Wer kennt's? Erst {X} und plötzlich ist der Tag vorbei.",
    'Gerade gelesen, dass sich {X} bald ändern soll. Mal sehen. {U}',
    'Feierabend! Noch kurz über {X} nachdenken und dann ab aufs Sofa {E}',
    'Unpopuläre Meinung: {X} wird völlig überbewertet.',
    'Samstagmorgen in {P}, {X} und ein guter Kaffee. Mehr braucht es nicht.',
    'Hat noch jemand Probleme mit {X}? Bei mir geht seit heute früh nichts.',
    "Ich sag's ungern, aber {X} war heute wirklich gut gemacht.",
    '{M} Minuten über {X} diskutiert und am Ende doch nichts entschieden {E}',
    'Bin seit {N} Jahren in {P} und {X} überrascht mich immer noch.',
    'Kleine Erinnerung an mich selbst: {X} ist nicht so wichtig, wie es sich anfühlt.',
    'Wie ist das bei euch so mit {X}? Hier in {P} eher durchwachsen.',
    'Notiz an mich: nie wieder {X} unterschätzen.',
  ]),
  inline: tpls([
    'Was haltet ihr eigentlich von {T}? Ich finde, darüber wird viel zu wenig geredet.',
    'Heute wieder {T} überall in meiner Timeline {E}',
    '{T} ist gerade echt das Thema hier in {P}, oder?',
    'Kann mir jemand erklären, warum gerade alle über {T} reden?',
    'Mein Senf zu {T}: halb so wild, aber trotzdem spannend.',
    'Neuer Blogpost zu {T} ist online, Feedback gern! {U}',
    'Endlich mal gute Nachrichten zu {T} {E}',
    'Ich habe keine Meinung zu {T}, aber ich habe Kaffee. Reicht auch.',
    'Kleiner Thread zu {T}, weil mich das seit Tagen beschäftigt 🧵',
    'Gerade in {P} gesehen: {T} live und in Farbe {E}',
    'Lese mich gerade in {T} ein. Hat jemand gute Quellen?',
    'Zu {T} wurde jetzt wirklich alles gesagt, nur noch nicht von jedem.',
  ]),
  burst: tpls([
    'Wahnsinn, was gerade bei {T} los ist! {E}',
    'Leute, habt ihr {T} schon gesehen?! Ich fasse es nicht.',
    'Ich kann nicht mehr 😂 {T} ist einfach zu gut',
    'Live dabei bei {T} und die Stimmung ist unglaublich {E}',
    'Breaking: {T} – erste Infos gibt es hier {U}',
    'Alle reden über {T} und ich verstehe endlich, warum.',
    '{T}!!! Ich habe Gänsehaut {E}',
    'Okay, {T} ist definitiv das Thema des Tages.',
    'Mein Handy explodiert gerade wegen {T} 😅',
    'Wer hätte das gedacht? {T} geht gerade durch die Decke.',
    'Gerade aus {P}: {T} sorgt hier für volle Straßen {E}',
  ]),
  rhythm: tpls([
    'Guten Morgen! {T} und der Kaffee reicht wieder nicht ☕',
    'Es ist wieder {T}-Zeit! Wer schaut mit?',
    'Gleich geht es los: {T} {E}',
    'Wie jede Woche: {T}, Sofa, Chips {E}',
    '{T} und ich bin noch nicht bereit für diese Woche.',
    'Ritual wie immer: {T} mit der ganzen Familie.',
  ]),
  fs: tpls([
    'Unfassbar, {H}! {C} Ihr seid echt {I}.',
    '{H} {C} Was für eine Frechheit!',
    'Ich bin so wütend auf {K}. {C} Einfach nur {I}!',
    'Hey {H}, {C} Das ist einfach nur peinlich.',
    '{K} mal wieder: {C} Nie wieder!',
    'Boykott {K}! {C} Ihr {I} habt es nicht anders verdient.',
    'Das ist der Skandal des Jahres, {H}. {C}',
    'Wer bei {K} arbeitet, sollte sich schämen. {C}',
    '{H} ihr {I}! {C} Entschuldigt euch endlich.',
    'Schämt euch, {H}. {C} Ich bin fassungslos.',
    'Was für ein Desaster von {K}. {C} Absolut inakzeptabel.',
    "Liebe Leute von {K}, {C} Geht's noch?",
  ]),
  fsC: tpls([
    'Wieder {N} Stunden Verspätung und keiner sagt was.',
    'Euer Kundenservice ist ein absoluter Witz.',
    'Seit {N} Tagen keine Antwort auf meine Beschwerde.',
    'Wie kann man Kunden so abzocken?',
    'Diese Aussage ist widerlich und menschenverachtend.',
    'Ihr lügt uns doch seit Jahren an.',
    'Das ist respektlos gegenüber allen Betroffenen.',
    'Komplettes Versagen auf ganzer Linie.',
    'Ich kündige, und zwar sofort.',
    'So eine Arroganz habe ich selten erlebt.',
    'Diese Werbung ist einfach nur geschmacklos.',
    'Und dann noch die Kunden beschimpfen, echt jetzt?',
  ]),
  fsI: ['Versager', 'Stümper', 'Witzfiguren', 'Amateure', 'Clowns', 'Abzocker', 'Lügner', 'Totalversager', 'Vollpfosten', 'Heuchler'],
  fsF: ['Reicht jetzt!', 'Unglaublich.', 'Einfach nur traurig.', 'Kein Wort mehr.', 'Nie wieder!', 'Mir reicht es.'],
  compl: tpls([
    'Hey {H}, meine Bestellung ist schon wieder {N} Tage zu spät. Schade.',
    '{K}: Warum dauert das eigentlich immer so lange? Etwas nervig.',
    'Leider wieder Probleme mit {K}. Hoffe, das wird bald besser.',
    '{H} Die App hängt seit heute Morgen. Könnt ihr mal schauen?',
    'Bisschen enttäuscht von {K} heute. Naja, kann passieren.',
    '{H} Warte seit {M} Minuten in der Hotline. Geht das auch schneller?',
    'Nicht so schön, {K}. Die Preise steigen und der Service nicht.',
  ]),
  praise: tpls([
    'Danke {H}, super Aktion! ❤️',
    'Wow, {K} hat heute echt geliefert. Großartig! {E}',
    'Das ist mal richtig toll gemacht, {H} 👏',
    'Riesiges Lob an {K}! Genau so geht guter Service.',
    'Ich liebe es! Danke {H} für diese tolle Idee {E}',
    'So geht das, {K}! Bitte mehr davon.',
    'Beste Werbung des Jahres, {H}. Ich bin begeistert!',
  ]),
  posF: ['Weiter so!', 'Macht richtig Spaß.', 'Hat meinen Tag gerettet.', 'Einfach schön.', 'Danke euch!'],
  chat: tpls([
    'Hat jemand Erfahrungen mit {K}? Überlege gerade zu wechseln.',
    'Kurze Frage an {H}: Gibt es dazu schon Infos?',
    'Interessanter Artikel über {K}: {U}',
    'Gerade Werbung von {K} gesehen, ganz nett gemacht.',
    'Weiß jemand, ob {K} am Wochenende erreichbar ist?',
    '{K} hat wohl neue Angebote, schaue ich mir später mal an.',
    'Heute Termin bei {K} in {P}, mal sehen, wie es läuft.',
  ]),
  camp: tpls([
    'Endlich sagt es mal jemand! {T} jetzt teilen, bevor es gelöscht wird!',
    'Alle reden über {T}, nur die Medien schweigen. Aufwachen, Leute!',
    '{T} Die Wahrheit kommt ans Licht. Teilen, teilen, teilen!',
    'Unglaublich, was hier passiert. {T} muss trenden, bitte alle teilen!',
  ]),
};

const EN: Vocab = {
  X: ['the weather today', 'the new timetable', 'grocery shopping', "last night's game", 'the roadworks outside my flat', "yesterday's podcast", 'the debate in parliament', 'my morning coffee', 'the concert this weekend', 'the new season', 'my tax return', 'working from home', 'rush hour traffic', 'the queue at the bakery', 'the latest phone update', 'the first snow', 'the bike lane here', 'the street festival', 'the news cycle', 'the new album', 'the heating bill', 'the farmers market', "today's training", 'lunch break', 'the summer holiday', "the book I'm reading", 'the sunset by the river', 'the wifi on the train'],
  P: ['London', 'Manchester', 'Dublin', 'New York', 'Toronto', 'Amsterdam', 'Seattle', 'Glasgow', 'Bristol', 'Chicago', 'Sydney', 'Berlin', 'Edinburgh', 'Boston'],
  F: ['Have a nice day!', 'Thoughts?', 'Curious to see.', "Let's see how it goes.", 'Anyway.', 'You know the drill.', 'Lunch soon.', 'More later.', 'Take care!', 'Deep breaths.', "That's all.", 'See you later!',
    'I have a feeling this is going to keep us busy for quite a while.', 'To be honest, I had imagined all of this a little differently.', 'Let me know how you see it, I really do read every reply.', 'A year ago I would have laughed about this, now not so much.', 'My neighbour sees it completely differently, we have been arguing for days.', "Sometimes I wonder if it's just me or if everyone feels this way."],
  E: EMOJI,
  plain: tpls([
    'Good morning everyone! {X} is an adventure again {E}',
    'Honestly, {X} surprised me today.',
    'To be fair, {X} is not as bad as everyone says.',
    'Quick update from {P}: {X} is fine, all good {E}',
    'You know the feeling: first {X} and suddenly the day is over.',
    "Just read that {X} is about to change. We'll see. {U}",
    'Done for the day! Thinking about {X} for a minute and then couch time {E}',
    'Unpopular opinion: {X} is completely overrated.',
    "Saturday morning in {P}, {X} and a good coffee. That's all I need.",
    'Anyone else having trouble with {X}? Nothing works for me since this morning.',
    'Hate to admit it, but {X} was really well done today.',
    'Spent {M} minutes discussing {X} and decided nothing {E}',
    'Been in {P} for {N} years and {X} still surprises me.',
    "How's {X} where you are? Pretty mixed here in {P}.",
  ]),
  inline: tpls([
    'What do you all think about {T}? Feels like nobody talks about it enough.',
    '{T} all over my timeline again today {E}',
    'Is {T} the only topic in {P} right now or is it just me?',
    'Can someone explain why everyone is talking about {T}?',
    'My two cents on {T}: not a big deal, but interesting.',
    'New blog post about {T} is up, feedback welcome! {U}',
    'Finally some good news about {T} {E}',
    'I have no opinion on {T}, but I do have coffee. Good enough.',
    "Short thread on {T}, because it's been on my mind for days 🧵",
    'Reading up on {T} right now. Any good sources?',
    'Just saw {T} live in {P} {E}',
  ]),
  burst: tpls([
    'Wow, what is happening with {T} right now! {E}',
    "Guys, have you seen {T} yet?! I can't believe it.",
    "I can't 😂 {T} is just too good",
    'Watching {T} live and the atmosphere is unreal {E}',
    'Breaking: {T} – first details here {U}',
    'Everyone is talking about {T} and now I get why.',
    '{T}!!! Goosebumps {E}',
    'Okay, {T} is officially the topic of the day.',
    'My phone is blowing up because of {T} 😅',
    'Who saw that coming? {T} is going through the roof.',
    'Straight from {P}: {T} has the streets packed {E}',
  ]),
  rhythm: tpls([
    'Here we go again: {T} {E}',
    'Same time every week: {T}, couch, snacks {E}',
    "{T} and I'm not ready for this week.",
    "Who's watching {T} tonight?",
    'Coffee first, then {T}. Every single week ☕',
  ]),
  fs: tpls([
    'Unbelievable, {H}! {C} You are absolute {I}.',
    '{H} {C} Shame on you!',
    'Done with {K}. {C} Never again.',
    'Boycott {K}! {C} You {I} deserve this.',
    'How is this acceptable, {H}? {C} Pathetic.',
    '{K} is a total disgrace. {C}',
    'Hey {H}, {C} Fire whoever is responsible, you {I}.',
    'What a disaster from {K}. {C} Absolutely unacceptable.',
    "Shame on you, {H}. {C} I'm speechless.",
  ]),
  fsC: tpls([
    '{N} hours delay again and zero information.',
    'Your customer service is an absolute joke.',
    'No answer to my complaint for {N} days.',
    'This statement is disgusting and offensive.',
    'You have been lying to us for years.',
    'Total failure from top to bottom.',
    'Cancelling my subscription right now.',
    'Rarely seen such arrogance.',
    'Ripping off customers like this is a scandal.',
    'That ad is just tasteless.',
    'And then insulting your own customers, seriously?',
  ]),
  fsI: ['clowns', 'idiots', 'liars', 'amateurs', 'frauds', 'losers', 'morons', 'hypocrites'],
  fsF: ['Enough!', 'Unbelievable.', 'Just sad.', 'Never again!', 'Disgusting.', "I'm done."],
  compl: tpls([
    'Hey {H}, my order is {N} days late again. A bit disappointing.',
    '{K}: why does this always take so long? Mildly annoying.',
    'Having issues with {K} again. Hope it gets better soon.',
    '{H} the app keeps freezing since this morning, could you take a look?',
    'A bit disappointed with {K} today. Oh well, it happens.',
    '{H} been on hold for {M} minutes. Any chance to speed this up?',
  ]),
  praise: tpls([
    'Thank you {H}, amazing job! ❤️',
    'Wow, {K} really delivered today. Brilliant! {E}',
    'Love this so much, {H} 👏',
    'Huge props to {K}, this is how great service looks.',
    "Best ad of the year, {H}. I'm thrilled!",
    "That's how it's done, {K}! More of this please.",
  ]),
  posF: ['Keep it up!', 'Made my day.', 'So good.', 'Just lovely.', 'Thank you!'],
  chat: tpls([
    'Anyone have experience with {K}? Thinking about switching.',
    'Quick question for {H}: any news on this yet?',
    'Interesting read about {K}: {U}',
    'Just saw an ad from {K}, pretty nicely done.',
    'Does anyone know if {K} is reachable on weekends?',
    '{K} apparently has new offers, will check later.',
  ]),
  camp: tpls([
    'Everyone needs to see this {T} share it before they delete it!',
    '{T} is the only thing that matters today. Share it everywhere!',
    "They don't want you to know about {T}. Wake up and share!",
    'The media is silent about {T}. Make it trend, share now!',
  ]),
};

function other(base: Partial<Vocab>): Vocab {
  return { ...EN, ...base } as Vocab;
}
const FR = other({
  X: ['la météo', 'le nouveau film', 'les prix au supermarché', "le match d'hier soir", 'mon café du matin', 'les travaux dans ma rue', 'le concert du week-end', 'la grève des transports'],
  P: ['Paris', 'Lyon', 'Marseille', 'Bruxelles', 'Genève', 'Montréal', 'Lille'],
  F: ['Bonne journée !', "Qu'en pensez-vous ?", 'À suivre.', 'Bref.'],
  plain: tpls([
    'Bonjour tout le monde ! {X} est encore une aventure {E}',
    "Franchement, {X} m'a surpris aujourd'hui.",
    'Petite mise à jour depuis {P} : {X}, tout va bien {E}',
    "Quelqu'un d'autre a des soucis avec {X} ? Rien ne marche depuis ce matin.",
    'Avis impopulaire : {X} est complètement surestimé.',
  ]),
  inline: tpls([
    "Vous pensez quoi de {T} ? On n'en parle pas assez.",
    "Encore {T} partout dans ma timeline aujourd'hui {E}",
    "Quelqu'un peut m'expliquer pourquoi tout le monde parle de {T} ?",
    'Enfin une bonne nouvelle pour {T} {E}',
  ]),
});
const ES = other({
  X: ['el tiempo de hoy', 'la nueva serie', 'los precios del supermercado', 'el partido de anoche', 'mi café de la mañana', 'las obras en mi calle', 'el concierto del finde'],
  P: ['Madrid', 'Barcelona', 'Valencia', 'Sevilla', 'Bilbao', 'México', 'Buenos Aires'],
  F: ['¡Buen día!', '¿Qué pensáis?', 'Ya veremos.', 'En fin.'],
  plain: tpls([
    '¡Buenos días a todos! {X} es otra aventura {E}',
    'La verdad, {X} me sorprendió hoy.',
    'Actualización rápida desde {P}: {X}, todo bien {E}',
    '¿Alguien más tiene problemas con {X}? Nada funciona desde esta mañana.',
    'Opinión impopular: {X} está sobrevalorado.',
  ]),
  inline: tpls([
    '¿Qué opináis de {T}? No se habla lo suficiente.',
    'Otra vez {T} por todas partes en mi timeline {E}',
    '¿Alguien me explica por qué todo el mundo habla de {T}?',
    'Por fin buenas noticias sobre {T} {E}',
  ]),
});
const IT = other({
  X: ['il meteo di oggi', 'la nuova serie', 'i prezzi al supermercato', 'la partita di ieri sera', 'il mio caffè del mattino', 'i lavori sotto casa', 'il concerto del weekend'],
  P: ['Roma', 'Milano', 'Napoli', 'Torino', 'Bologna', 'Firenze'],
  F: ['Buona giornata!', 'Che ne pensate?', 'Vedremo.', 'Comunque.'],
  plain: tpls([
    "Buongiorno a tutti! {X} è di nuovo un'avventura {E}",
    'Sinceramente, {X} mi ha sorpreso oggi.',
    'Aggiornamento veloce da {P}: {X}, tutto bene {E}',
    'Qualcun altro ha problemi con {X}? Non funziona niente da stamattina.',
    'Opinione impopolare: {X} è sopravvalutato.',
  ]),
  inline: tpls([
    'Cosa ne pensate di {T}? Se ne parla troppo poco.',
    'Di nuovo {T} ovunque nella mia timeline {E}',
    'Qualcuno mi spiega perché tutti parlano di {T}?',
    'Finalmente buone notizie su {T} {E}',
  ]),
});
type Lang = 'de' | 'en' | 'fr' | 'es' | 'it';
const VOCAB: Record<Lang, Vocab> = { de: DE, en: EN, fr: FR, es: ES, it: IT };
const OTHER_LANGS: Lang[] = ['fr', 'es', 'it'];

// Background hashtag names: everyday tags first (they take the Zipf head), then compounds.
const STANDALONE = ['Wetter', 'Fußball', 'Politik', 'Kaffee', 'Mastodon', 'Bluesky', 'Fediverse', 'Berlin', 'Hamburg', 'München', 'Köln', 'KI', 'AI', 'Nachrichten', 'News', 'Musik', 'Music', 'Photography', 'Fotografie', 'Caturday', 'OpenSource', 'Linux', 'Klimaschutz', 'Bundestag', 'ÖPNV', 'Radfahren', 'Kochen', 'Gaming', 'Datenschutz', 'Energiewende', 'Bundesliga', 'ChampionsLeague', 'Wochenende', 'Feierabend', 'Homeoffice', 'Sonnenschein', 'Regen', 'Herbst', 'Frühling', 'Sommer', 'Winter', 'Serien', 'Bücher', 'Lesen', 'Podcast', 'Kunst', 'Garten', 'Hunde', 'Katzen', 'Cats', 'Dogs', 'Science', 'Wissenschaft', 'Gesundheit', 'Pflege', 'Bildung', 'Schule', 'Europa', 'Wahlen', 'Rente', 'Inflation', 'Mieten', 'Wohnen', 'Tech', 'Programming', 'JavaScript', 'Python', 'Rust', 'Coffee', 'Travel', 'Reisen', 'Food', 'Vegan', 'Nature', 'Natur', 'Sunset', 'ESC', 'Tatort'];
const DE_PREFIX = ['Bahn', 'Klima', 'Energie', 'Fußball', 'Wetter', 'Kaffee', 'Berlin', 'Hamburg', 'München', 'Köln', 'Leipzig', 'Wahl', 'Garten', 'Rad', 'Auto', 'Kultur', 'Kino', 'Musik', 'Schul', 'Arbeits', 'Miet', 'Stadt', 'Sommer', 'Winter', 'Herbst', 'Frühlings', 'Wochen', 'Montags', 'Sonntags', 'Hunde', 'Katzen', 'Koch', 'Back', 'Wander', 'Lauf', 'Technik', 'Daten', 'Netz', 'Handy', 'Spiele', 'Bücher', 'Kunst', 'Politik', 'Steuer', 'Renten', 'Gesundheits', 'Pflege', 'Bildungs', 'Verkehrs', 'Wohnungs', 'Strom', 'Gas', 'Wasser', 'Wald', 'Meer', 'Alpen', 'Ostsee', 'Nordsee', 'Bier', 'Brot', 'Medien', 'Familien', 'Kinder', 'Uni', 'Büro', 'Feierabend', 'Urlaubs', 'Europa', 'Nachbarschafts', 'Tier'];
const DE_SUFFIX = ['streik', 'chaos', 'gipfel', 'wende', 'krise', 'tag', 'woche', 'fest', 'liebe', 'tipp', 'news', 'zeit', 'frage', 'debatte', 'markt', 'plan', 'projekt', 'spiel', 'abend', 'moment', 'foto', 'glück', 'rezept', 'wahnsinn', 'politik', 'reform', 'ticket', 'preis', 'check', 'talk', 'geschichte', 'kultur', 'alarm', 'pause', 'saison', 'welt', 'blick', 'update', 'träume', 'fails'];
const EN_PREFIX = ['Climate', 'Coffee', 'Football', 'Music', 'Tech', 'Data', 'Open', 'Indie', 'Retro', 'Game', 'Book', 'Film', 'Photo', 'Garden', 'City', 'Night', 'Summer', 'Winter', 'Monday', 'Friday', 'Weekend', 'Travel', 'Food', 'Vegan', 'Cat', 'Dog', 'Bike', 'Run', 'Code', 'Space', 'Art', 'Science', 'Health', 'Home', 'Street', 'Jazz', 'Rock', 'Pixel', 'Design', 'Cloud'];
const EN_SUFFIX = ['Life', 'Day', 'Night', 'Vibes', 'News', 'Talk', 'Love', 'Lovers', 'Tips', 'Goals', 'Time', 'Week', 'Fest', 'Club', 'Chat', 'Fail', 'Win', 'Mood', 'Hack', 'Stories'];
const SYLLABLES = ['ba', 'be', 'bi', 'bo', 'da', 'de', 'di', 'do', 'ka', 'ke', 'ko', 'la', 'le', 'li', 'lo', 'ma', 'me', 'mi', 'mo', 'na', 'ne', 'no', 'ra', 're', 'ri', 'ro', 'sa', 'se', 'so', 'ta', 'te', 'to', 'va', 've', 'za', 'zu'];
const ENDINGS = ['', 'n', 'r', 's', 'x', 'l'];

const FIRST = ['anna', 'max', 'lena', 'paul', 'mia', 'felix', 'sophie', 'jonas', 'laura', 'leon', 'julia', 'tim', 'sarah', 'lukas', 'lisa', 'jan', 'marie', 'niklas', 'emma', 'david', 'hannah', 'tom', 'lea', 'ben', 'clara', 'finn', 'nina', 'moritz', 'katrin', 'sven', 'jana', 'ole', 'greta', 'emil', 'ida', 'kai', 'johanna', 'erik', 'tanja', 'stefan', 'sam', 'alex', 'chris', 'jamie', 'kate', 'oliver', 'emily', 'jack', 'chloe', 'ryan', 'grace', 'liam', 'zoe', 'noah', 'ella', 'marco', 'giulia', 'lucas', 'ines', 'pablo'];
const LAST = ['mueller', 'schmidt', 'schneider', 'fischer', 'weber', 'meyer', 'wagner', 'becker', 'schulz', 'hoffmann', 'koch', 'richter', 'klein', 'wolf', 'neumann', 'braun', 'zimmermann', 'krueger', 'hartmann', 'lange', 'smith', 'jones', 'taylor', 'brown', 'wilson', 'evans', 'walker', 'wright', 'green', 'hall', 'rossi', 'garcia', 'martin', 'dubois'];
const NICK = ['kaffee', 'radelt', 'liest', 'schreibt', 'codes', 'photo', 'nerd', 'fan', 'punk', 'owl', 'fox', 'bear', 'cat', 'berlin', 'nord', 'sued', 'mitte', 'dev', 'art', 'music', 'travel'];
const BOT_A = ['truth', 'patriot', 'real', 'free', 'news', 'daily', 'wake', 'info', 'voice', 'true', 'echo', 'deal'];
const BOT_B = ['speaker', 'news', 'facts', 'now', 'germany', 'world', 'media', 'bot', 'channel', 'feed', 'alert', 'hub'];
const INSTANCES = ['mastodon.social', 'chaos.social', 'norden.social', 'social.tchncs.de', 'mastodon.online', 'troet.cafe', 'muenchen.social', 'hachyderm.io', 'fosstodon.org', 'det.social', 'social.example', 'mas.to'];

// ---------------------------------------------------------------------------------------
// Option handling

interface Resolved {
  seed: number; start: number; end: number; ppm: number;
  tags: number; zipf: number; authors: number;
  langs: { de: number; en: number; other: number };
  rhythm: boolean; disorderMs: number; lateShare: number; duplicateShare: number;
  events: GeneratorEvent[]; watches: Watch[]; prefix: string;
}

function resolve(o: GeneratorOptions): Resolved {
  const num = (v: number, name: string, min = 0) => {
    if (!(typeof v === 'number' && v >= min) || Number.isNaN(v)) throw new RangeError(`generator: ${name} must be a number >= ${min}, got ${String(v)}`);
    return v;
  };
  const share = (v: number | undefined, name: string) => {
    const s = v ?? 0;
    if (!(s >= 0 && s <= 1)) throw new RangeError(`generator: ${name} must be between 0 and 1, got ${String(v)}`);
    return s;
  };
  const start = Math.floor(num(o.start, 'start', -8.64e15));
  const minutes = num(o.minutes, 'minutes');
  const langs = o.langs ?? { de: 0.5, en: 0.45, other: 0.05 };
  const lt = langs.de + langs.en + langs.other;
  if (!(lt > 0)) throw new RangeError('generator: langs shares must add up to more than 0');
  const watches = o.watches ?? [];
  const ids = new Set(watches.map((w) => w.id));
  for (const e of o.events ?? []) {
    if ('watch' in e && !ids.has(e.watch)) throw new RangeError(`generator: ${e.kind} event targets unknown watch "${e.watch}"; add it to watches`);
    if ('tag' in e && e.tag !== undefined && !normaliseHashtag(e.tag)) throw new RangeError(`generator: ${e.kind} event tag "${e.tag}" is not a valid hashtag`);
    if (e.kind === 'surge' && !(Number.isInteger(e.rank) && e.rank >= 0 && e.factor >= 1)) throw new RangeError(`generator: surge needs an integer rank >= 0 and a factor >= 1, got rank ${String(e.rank)}, factor ${String(e.factor)}`);
    if (e.kind === 'firestorm' && e.texts && e.texts.length === 0) throw new RangeError('generator: firestorm texts must not be empty when given');
  }
  const r: Resolved = {
    seed: Math.floor(o.seed) | 0,
    start,
    end: minutes === Infinity ? Infinity : start + Math.round(minutes * MIN),
    ppm: num(o.postsPerMinute, 'postsPerMinute'),
    tags: Math.max(1, Math.floor(num(o.tags ?? 2000, 'tags', 1))),
    zipf: num(o.zipf ?? 1.1, 'zipf'),
    authors: Math.max(1, Math.floor(num(o.authors ?? 50_000, 'authors', 1))),
    langs: { de: langs.de / lt, en: langs.en / lt, other: langs.other / lt },
    rhythm: o.rhythm ?? true,
    disorderMs: Math.floor(num(o.disorderMs ?? 0, 'disorderMs')),
    lateShare: share(o.lateShare, 'lateShare'),
    duplicateShare: share(o.duplicateShare, 'duplicateShare'),
    events: o.events ?? [],
    watches,
    prefix: o.idPrefix ?? `s${o.seed}-`,
  };
  if (1 + watches.length + r.events.length > SRC) throw new RangeError(`generator: at most ${SRC - 1} events and watches together`);
  return r;
}

/** Normalised tags the events and watches use: kept out of the background vocabulary. */
function reservedTags(o: Resolved): Set<string> {
  const s = new Set<string>();
  for (const e of o.events) if ('tag' in e && e.tag) s.add(normaliseHashtag(e.tag));
  for (const w of o.watches) for (const t of w.hashtags) { const n = normaliseHashtag(t); if (n) s.add(n); }
  return s;
}

interface TagTable { keys: string[]; variants: string[][]; cdf: Float64Array }

function shuffle<T>(xs: T[], r: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    const t = xs[i]!; xs[i] = xs[j]!; xs[j] = t;
  }
  return xs;
}

/** Display forms of a tag, weighted by position: as written, lower case, UPPER CASE, alternative. */
function tagVariants(display: string, alt?: string): string[] | null {
  const key = normaliseHashtag(display);
  if (!key) return null;
  const forms = [display, display.toLowerCase(), display.toUpperCase(), alt ?? display[0]!.toUpperCase() + display.slice(1)];
  return forms.every((f) => normaliseHashtag(f) === key) ? forms : [display, display, display, display];
}

function buildTags(o: Resolved): TagTable {
  const r = mulberry32(mix(o.seed, 0x7a95));
  const reserved = reservedTags(o);
  const compounds: [string, string?][] = [];
  for (const p of DE_PREFIX) for (const s of DE_SUFFIX) if (p.toLowerCase() !== s) compounds.push([p + s, p + s[0]!.toUpperCase() + s.slice(1)]);
  for (const p of EN_PREFIX) for (const s of EN_SUFFIX) compounds.push([p + s]);
  const ordered: [string, string?][] = [...shuffle(STANDALONE.map((s): [string] => [s]), r), ...shuffle(compounds, r)];
  const keys: string[] = [];
  const variants: string[][] = [];
  const seen = new Set<string>();
  const add = (display: string, alt?: string) => {
    const v = tagVariants(display, alt);
    const key = normaliseHashtag(display);
    if (!v || seen.has(key) || reserved.has(key)) return;
    seen.add(key); keys.push(key); variants.push(v);
  };
  for (const [d, alt] of ordered) { if (keys.length >= o.tags) break; add(d, alt); }
  for (let i = 0; keys.length < o.tags; i++) {
    // Made-up words from syllables, then numbered, for very large vocabularies.
    const n = 2 + Math.floor(r() * 2);
    let w = '';
    for (let k = 0; k < n; k++) w += SYLLABLES[Math.floor(r() * SYLLABLES.length)]!;
    w += ENDINGS[Math.floor(r() * ENDINGS.length)]!;
    if (i > 20 * o.tags) w += String(i);
    add(w[0]!.toUpperCase() + w.slice(1));
  }
  const cdf = new Float64Array(keys.length);
  let sum = 0;
  for (let i = 0; i < keys.length; i++) { sum += (i + 1) ** -o.zipf; cdf[i] = sum; }
  for (let i = 0; i < keys.length; i++) cdf[i] = cdf[i]! / sum;
  cdf[keys.length - 1] = 1;
  return { keys, variants, cdf };
}

/** The background hashtags (normalised) in Zipf rank order: index 0 is the most frequent. */
export function backgroundTags(opts: GeneratorOptions): string[] {
  return buildTags(resolve(opts)).keys;
}

// ---------------------------------------------------------------------------------------
// The generator

interface GenAuthor { a: Author; platform: string; reach: number }

interface Source {
  /** Appends the created_at times (integer ms in [a, b)) of this source's posts in [a, b). */
  plan(a: number, b: number, out: number[]): void;
  make(t: number): Post;
}

interface WatchCtx {
  w: Watch;
  handles: string[];
  keywords: string[];
  tags: string[][];
  brandPost: string;
}

interface Ctx {
  voc: Vocab;
  tag: string;
  watch: WatchCtx | null;
  matched: boolean;
}

interface HeapNode { arrival: number; seq: number; post: Post }

/** Min-heap on (arrival, seq): posts waiting for their arrival time. */
class ArrivalHeap {
  private readonly a: HeapNode[] = [];
  get size(): number { return this.a.length; }
  peek(): HeapNode | undefined { return this.a[0]; }
  push(n: HeapNode): void {
    const a = this.a;
    let i = a.length;
    a.push(n);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const q = a[p]!;
      if (q.arrival < n.arrival || (q.arrival === n.arrival && q.seq < n.seq)) break;
      a[i] = q;
      i = p;
    }
    a[i] = n;
  }
  pop(): HeapNode | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) return top;
    let i = 0;
    const n = a.length;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      const d = a[c + 1];
      if (d && (d.arrival < a[c]!.arrival || (d.arrival === a[c]!.arrival && d.seq < a[c]!.seq))) c++;
      const x = a[c]!;
      if (last.arrival < x.arrival || (last.arrival === x.arrival && last.seq < x.seq)) break;
      a[i] = x;
      i = c;
    }
    a[i] = last;
    return top;
  }
}

const SRC = 1024; // sources are packed with their offset into one float: offset * SRC + source

class Generator {
  private readonly r: () => number;
  private readonly tags: TagTable;
  // Background authors, made on first use; a preallocated array stays in V8's fast elements.
  private readonly bg: (GenAuthor | undefined)[] | Map<number, GenAuthor>;
  private readonly sources: Source[] = [];
  private readonly watchCtx = new Map<string, WatchCtx>();
  private seq = 0;
  // current minute of event time
  private slot = 0;
  private slotStart = 0;
  private entries = new Float64Array(0);
  private ei = 0;
  // arrival ordering
  private readonly heap = new ArrivalHeap();
  private readonly fast: boolean;
  private heapSeq = 0;
  private pending: Post | null = null;
  private frontier = -Infinity;
  private done = false;
  /** Arrival time of the post last returned by next(). */
  arrival = 0;

  constructor(private readonly o: Resolved) {
    this.r = mulberry32(mix(o.seed, 0x51ed));
    this.bg = o.authors <= 1 << 22 ? new Array<GenAuthor | undefined>(o.authors).fill(undefined) : new Map();
    this.tags = buildTags(o);
    this.fast = o.disorderMs === 0 && o.lateShare === 0;
    for (const [i, w] of o.watches.entries()) this.watchCtx.set(w.id, this.watchContext(w, i));
    this.sources.push(this.background());
    for (const w of o.watches) this.sources.push(this.chatter(this.watchCtx.get(w.id)!));
    for (const [i, e] of o.events.entries()) this.sources.push(this.event(e, i));
  }

  // --- output in arrival order ---------------------------------------------------------

  next(): Post | undefined {
    if (this.fast) {
      if (this.pending) { const p = this.pending; this.pending = null; return p; }
      const p = this.produce();
      if (!p) return undefined;
      if (this.o.duplicateShare > 0 && this.r() < this.o.duplicateShare) this.pending = { ...p };
      this.arrival = p.created_at;
      return p;
    }
    for (;;) {
      const top = this.heap.peek();
      // Every later post has created_at >= frontier, so it cannot arrive before it.
      if (top && (this.done || top.arrival <= this.frontier)) {
        this.heap.pop();
        this.arrival = top.arrival;
        return top.post;
      }
      if (this.done) return undefined;
      const p = this.produce();
      if (!p) { this.done = true; continue; }
      this.frontier = p.created_at;
      this.heap.push({ arrival: p.created_at + this.delay(), seq: this.heapSeq++, post: p });
      if (this.o.duplicateShare > 0 && this.r() < this.o.duplicateShare) {
        this.heap.push({ arrival: p.created_at + this.delay(), seq: this.heapSeq++, post: { ...p } });
      }
    }
  }

  private delay(): number {
    const { disorderMs: d, lateShare } = this.o;
    const r = this.r;
    if (lateShare > 0 && r() < lateShare) {
      const max = Math.max(d + MIN, 10 * MIN);
      return d + 1 + Math.floor(r() * (max - d - 1));
    }
    if (d === 0) return 0;
    return Math.min(d, Math.floor(-Math.log(1 - r()) * (d / 8)));
  }

  /** The next post in event-time order. */
  private produce(): Post | undefined {
    while (this.ei >= this.entries.length) if (!this.planSlot()) return undefined;
    const e = this.entries[this.ei++]!;
    const src = e % SRC;
    return this.sources[src]!.make(this.slotStart + (e - src) / SRC);
  }

  private planSlot(): boolean {
    const a = this.o.start + this.slot * MIN;
    if (a >= this.o.end) return false;
    const b = Math.min(a + MIN, this.o.end);
    this.slot++;
    this.slotStart = a;
    const packed: number[] = [];
    const times: number[] = [];
    for (let s = 0; s < this.sources.length; s++) {
      times.length = 0;
      this.sources[s]!.plan(a, b, times);
      for (const t of times) packed.push((t - a) * SRC + s);
    }
    this.entries = Float64Array.from(packed).sort();
    this.ei = 0;
    return true;
  }

  // --- small helpers -------------------------------------------------------------------

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.r() * xs.length)]!;
  }

  private uniformTimes(n: number, a: number, b: number, out: number[]): void {
    const span = b - a;
    for (let i = 0; i < n; i++) out.push(a + Math.floor(this.r() * span));
  }

  private lang(): Lang {
    const u = this.r();
    const { de, en } = this.o.langs;
    return u < de ? 'de' : u < de + en ? 'en' : this.pick(OTHER_LANGS);
  }

  /** German or English in the configured proportion (events are about German-speaking brands). */
  private deEn(): 'de' | 'en' {
    const { de, en } = this.o.langs;
    const s = de + en;
    return s > 0 ? (this.r() * s < de ? 'de' : 'en') : this.r() < 0.5 ? 'de' : 'en';
  }

  private zipf(): number {
    const cdf = this.tags.cdf;
    const u = this.r();
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! > u) hi = mid; else lo = mid + 1;
    }
    return lo;
  }

  private variant(v: readonly string[]): string {
    const u = this.r();
    return '#' + (u < 0.6 ? v[0]! : u < 0.86 ? v[1]! : u < 0.93 ? v[2]! : v[3]!);
  }

  private url(): string {
    return `https://${this.pick(DOMAINS)}/${this.pick(URL_PATHS)}/${Math.floor(this.r() * 2 ** 31).toString(36)}`;
  }

  private fill(t: Tpl, c: Ctx): string {
    let s = '';
    for (let i = 0; i < t.length; i++) {
      const p = t[i]!;
      if (typeof p === 'string') { s += p; continue; }
      const x = this.slotText(p, c);
      // Topics start a sentence after `!`/`.`; complaints continue one after a comma.
      if ((p === 2 || p === 9) && (s === '' || s.endsWith('. ') || s.endsWith('! ') || s.endsWith('? '))) s += x[0]!.toUpperCase() + x.slice(1);
      else if (p === 11 && s.endsWith(', ')) s += x[0]!.toLowerCase() + x.slice(1);
      else s += x;
    }
    return s;
  }

  private slotText(code: number, c: Ctx): string {
    const r = this.r;
    switch (code) {
      case 1: return c.tag;
      case 2: return this.pick(c.voc.X);
      case 3: return this.pick(c.voc.E);
      case 4: return this.pick(c.voc.P);
      case 5: return String(2 + Math.floor(r() * 8));
      case 6: return String(5 + 5 * Math.floor(r() * 18));
      case 7: return this.url();
      case 8: {
        const w = c.watch;
        if (w?.handles.length) { c.matched = true; return this.pick(w.handles); }
        return this.slotText(9, c);
      }
      case 9: {
        const w = c.watch;
        if (w?.keywords.length) { c.matched = true; return this.pick(w.keywords); }
        return w ? w.w.name : 'euch';
      }
      case 10: return this.pick(c.voc.fsI);
      case 11: return this.fill(this.pick(c.voc.fsC), c);
      default: return '';
    }
  }

  /** Pads `body` with filler sentences to about 60 characters (counting `extra`), then joins the hashtags. */
  private finish(body: string, tags: string[], fillers: string[], extraLen = 0): string {
    const tagStr = tags.join(' ');
    let len = body.length + tagStr.length + extraLen + (tagStr ? 1 : 0);
    // Pad short posts to about 60 characters; some people simply write more.
    let extra = len >= 60 && len < 170 && this.r() < 0.3;
    while (len < 60 || extra) {
      const f = this.pick(fillers);
      if (len >= 60 && len + f.length + 1 > 280) break;
      body += ' ' + f;
      len += f.length + 1;
      extra = false;
    }
    if (!tagStr) return body;
    return this.r() < 0.85 ? `${body} ${tagStr}` : `${tagStr} ${body}`;
  }

  private mk(t: number, ga: GenAuthor, text: string, lang: Lang, replyTo: string | null, replyToAuthor: string | null, engage: number): Post {
    const r = this.r;
    const likes = Math.floor(-Math.log(1 - r()) * ga.reach * engage);
    return {
      id: this.o.prefix + String(this.seq++),
      platform: ga.platform,
      created_at: t,
      author: ga.a,
      text,
      lang,
      reply_to: replyTo,
      reply_to_author: replyToAuthor,
      repost_of: null,
      hashtags: extractHashtags(text),
      mentions: extractMentions(text),
      metrics: { likes, reposts: Math.floor(likes * r() * 0.35), replies: Math.floor(-Math.log(1 - r()) * 0.6 * engage) },
    };
  }

  // --- authors -------------------------------------------------------------------------

  private makeAuthor(r: () => number, id: string, kind: 'normal' | 'bot', ref: number): GenAuthor {
    const u = r();
    const platform = u < 0.55 ? 'mastodon' : u < 0.85 ? 'bluesky' : 'generic';
    const pk = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    let name: string;
    let followers: number;
    let created: number;
    if (kind === 'bot') {
      name = pk(BOT_A) + pk(BOT_B) + String(1000 + Math.floor(r() * 9000));
      followers = Math.floor(r() * 6);
      created = ref - Math.floor((1 + r() * 28) * DAY);
    } else {
      const f = pk(FIRST);
      const v = r();
      name = v < 0.3 ? `${f}_${pk(LAST)}` : v < 0.5 ? f + pk(LAST) : v < 0.75 ? f + String(Math.floor(r() * 100)) : `${f}_${pk(NICK)}`;
      followers = Math.min(2_000_000, Math.floor(Math.exp(Math.log(120) + 1.5 * gauss(r))));
      created = ref - Math.floor((0.2 + r() * 11) * 365.25 * DAY);
    }
    const handle = platform === 'mastodon' ? `@${name}@${pk(INSTANCES)}`
      : platform === 'bluesky' ? `@${name.replace(/_/g, '')}.bsky.social` : `@${name}`;
    return { a: { id, handle, followers, created_at: created, display_name: null }, platform, reach: 1 + Math.sqrt(followers) / 6 };
  }

  private bgAuthor(i: number): GenAuthor {
    const bg = this.bg;
    let a = Array.isArray(bg) ? bg[i] : bg.get(i);
    if (!a) {
      a = this.makeAuthor(mulberry32(mix(this.o.seed, 0xa11, i)), `${this.o.prefix}u${i}`, 'normal', this.o.start);
      if (Array.isArray(bg)) bg[i] = a; else bg.set(i, a);
    }
    return a;
  }

  /** A background author, weighted by activity: a few post a lot, most rarely. */
  private activeAuthor(): GenAuthor {
    const u = this.r();
    return this.bgAuthor(Math.floor(this.o.authors * u * u));
  }

  private anyAuthor(): GenAuthor {
    return this.bgAuthor(Math.floor(this.o.authors * this.r()));
  }

  /** An event crowd: `pNew` authors never seen before, `pBg` existing ones, the rest repeat posters of the event. */
  private crowd(pool: GenAuthor[], idBase: string, salt: number, pNew: number, pBg: number, ref: number): GenAuthor {
    const u = this.r();
    if (u < pNew || (u >= pNew + pBg && pool.length === 0)) {
      const k = pool.length;
      const a = this.makeAuthor(mulberry32(mix(this.o.seed, 0xf7e5, salt, k)), `${idBase}${k}`, 'normal', ref);
      // A tenth of a crowd opened their account in the last weeks.
      if (this.r() < 0.1) a.a.created_at = ref - Math.floor((2 + this.r() * 60) * DAY);
      pool.push(a);
      return a;
    }
    if (u < pNew + pBg) return this.anyAuthor();
    return this.pick(pool);
  }

  private bot(bots: (GenAuthor | undefined)[], n: number, idBase: string, ref: number, salt: number): GenAuthor {
    const k = Math.floor(this.r() * n);
    let b = bots[k];
    if (!b) {
      b = this.makeAuthor(mulberry32(mix(this.o.seed, 0xb07, salt, k)), `${idBase}${k}`, 'bot', ref);
      bots[k] = b;
    }
    return b;
  }

  // --- sources -------------------------------------------------------------------------

  private background(): Source {
    const o = this.o;
    return {
      plan: (a, b, out) => {
        const mid = (a + b) / 2;
        const rate = o.ppm * (o.rhythm ? rhythmFactor(mid) : 1);
        this.uniformTimes(poisson(rate * ((b - a) / MIN), this.r), a, b, out);
      },
      make: (t) => this.backgroundPost(t),
    };
  }

  private backgroundPost(t: number): Post {
    const r = this.r;
    const lang = this.lang();
    const voc = VOCAB[lang];
    const author = this.activeAuthor();
    const u = r();
    const n = u < 0.15 ? 0 : u < 0.8 ? 1 : u < 0.96 ? 2 : 3;
    const tags: string[] = [];
    let last = -1;
    for (let k = 0; k < n; k++) {
      let i = this.zipf();
      if (i === last) i = this.zipf();
      last = i;
      tags.push(this.variant(this.tags.variants[i]!));
    }
    const c: Ctx = { voc, tag: '', watch: null, matched: false };
    let body: string;
    if (n > 0 && r() < 0.5) {
      c.tag = tags.shift()!;
      body = this.fill(this.pick(voc.inline), c);
    } else {
      body = this.fill(this.pick(voc.plain), c);
    }
    const x = r();
    if (x < 0.05) body += ' cc ' + this.anyAuthor().a.handle!;
    else if (x < 0.11 && !body.includes('https://')) body += ' ' + this.url();
    else if (x < 0.3) body += ' ' + this.pick(voc.E);
    let text = this.finish(body, tags, voc.F);
    let replyTo: string | null = null;
    let replyToAuthor: string | null = null;
    if (r() < 0.08 && this.seq > 0) {
      replyToAuthor = this.anyAuthor().a.handle;
      replyTo = this.o.prefix + String(Math.floor(r() * this.seq));
      text = `${replyToAuthor} ${text}`;
    }
    return this.mk(t, author, text, lang, replyTo, replyToAuthor, 1);
  }

  private watchContext(w: Watch, i: number): WatchCtx {
    const keywords: string[] = [];
    for (const k of w.keywords) {
      // Keep the keyword intact for matching; show the brand name where it is the keyword.
      if (fold(w.name) === fold(k)) keywords.push(w.name, w.name, k);
      else keywords.push(k, k.split(/(\s+)/).map((x) => (x.length <= 3 ? x.toUpperCase() : x[0]!.toUpperCase() + x.slice(1))).join(''));
    }
    const tags: string[][] = [];
    for (const h of w.hashtags) {
      const v = tagVariants(h.replace(/^#+/, ''));
      if (v) tags.push(v);
    }
    return { w, handles: w.handles.map((h) => (h.startsWith('@') ? h : '@' + h)), keywords, tags, brandPost: `${this.o.prefix}w${i}-origin` };
  }

  /** Ensures the post matches its watch: adds a handle or a watch hashtag where the template used neither. */
  private ensureMatch(body: string, c: Ctx, tags: string[]): string {
    const w = c.watch;
    if (c.matched || !w) return body;
    if (w.handles.length) return `${this.pick(w.handles)} ${body}`;
    if (w.tags.length) tags.push(this.variant(this.pick(w.tags)));
    return body;
  }

  /** Everyday talk about a watched brand: mostly neutral, some mild complaints and praise. */
  private chatter(w: WatchCtx): Source {
    const o = this.o;
    const base = Math.max(0.2, o.ppm * 0.0015);
    return {
      plan: (a, b, out) => {
        const rate = base * (o.rhythm ? rhythmFactor((a + b) / 2) : 1);
        this.uniformTimes(poisson(rate * ((b - a) / MIN), this.r), a, b, out);
      },
      make: (t) => {
        const r = this.r;
        const lang = this.deEn();
        const voc = VOCAB[lang];
        const c: Ctx = { voc, tag: '', watch: w, matched: false };
        const u = r();
        const tplList = u < 0.65 ? voc.chat : u < 0.85 ? voc.compl : voc.praise;
        const tags: string[] = [];
        if (w.tags.length && r() < 0.1) tags.push(this.variant(this.pick(w.tags)));
        let body = this.ensureMatch(this.fill(this.pick(tplList), c), c, tags);
        if (r() < 0.2) body += ' ' + this.pick(voc.E);
        return this.mk(t, this.activeAuthor(), this.finish(body, tags, voc.F), lang, null, null, 1);
      },
    };
  }

  private event(e: GeneratorEvent, i: number): Source {
    switch (e.kind) {
      case 'burst': return this.burst(e, i);
      case 'campaign': return this.campaign(e, i);
      case 'firestorm': return this.firestorm(e, i);
      case 'complaints': return this.complaints(e);
      case 'praise': return this.praise(e, i);
      case 'rhythmic': return this.rhythmic(e);
      case 'surge': return this.surge(e);
      case 'impersonation': return this.impersonation(e, i);
    }
  }

  /** Every cast member's posts at fixed random times in the window; each post by the member planned for its time. */
  private impersonation(e: Extract<GeneratorEvent, { kind: 'impersonation' }>, i: number): Source {
    const w = this.watchCtx.get(e.watch)!.w;
    const r = mulberry32(mix(this.o.seed, 0x1a7f, i));
    const at = new Map<number, CastMember[]>();
    for (const m of castOf(this.o.seed, e, w, i)) {
      for (let k = 0; k < m.posts; k++) {
        const t = e.at + Math.floor(r() * e.durationMinutes * MIN);
        at.set(t, [...(at.get(t) ?? []), m]);
      }
    }
    const times = [...at.keys()].sort((a, b) => a - b);
    return {
      plan: (a, b, out) => { for (const t of times) if (t >= a && t < b) for (let k = at.get(t)!.length; k > 0; k--) out.push(t); },
      make: (t) => {
        const m = at.get(t)!.shift()!;
        const text = castText(m, w, r);
        return this.mk(t, { a: m.author, platform: m.platform, reach: 1 }, text, /[äöüß]|Wir |Unser |Heute |ich /.test(text) ? 'de' : 'en', null, null, 0.5);
      },
    };
  }

  /** Poisson times for a rate that is `peak * shape(...)` over the event window. */
  private rampPlan(at: number, peak: number, ramp: number, dur: number) {
    return (a: number, b: number, out: number[]) => {
      const lo = Math.max(a, at);
      const hi = Math.min(b, at + dur * MIN);
      if (hi <= lo) return;
      const rate = peak * shape(((lo + hi) / 2 - at) / MIN, ramp, dur);
      this.uniformTimes(poisson(rate * ((hi - lo) / MIN), this.r), lo, hi, out);
    };
  }

  private constPlan(at: number, perMinute: number, dur: number) {
    return (a: number, b: number, out: number[]) => {
      const lo = Math.max(a, at);
      const hi = Math.min(b, at + dur * MIN);
      if (hi <= lo) return;
      this.uniformTimes(poisson(perMinute * ((hi - lo) / MIN), this.r), lo, hi, out);
    };
  }

  private burst(e: Extract<GeneratorEvent, { kind: 'burst' }>, i: number): Source {
    const v = tagVariants(e.tag.replace(/^#+/, ''))!;
    const pool: GenAuthor[] = [];
    const idBase = `${this.o.prefix}e${i}u`;
    return {
      plan: this.rampPlan(e.at, e.peakPerMinute, e.rampMinutes, e.durationMinutes),
      make: (t) => {
        const r = this.r;
        const lang = e.lang ?? this.deEn();
        const voc = VOCAB[lang];
        if (e.established) return this.ordinaryPost(t, this.variant(v), lang);
        const c: Ctx = { voc, tag: this.variant(v), watch: null, matched: false };
        let body = this.fill(this.pick(r() < 0.6 ? voc.burst : voc.inline), c);
        const tags: string[] = [];
        if (r() < 0.2) tags.push(this.variant(this.tags.variants[this.zipf()]!));
        if (r() < 0.3) body += ' ' + this.pick(voc.E);
        const author = this.crowd(pool, idBase, i, 0.45, 0.5, e.at);
        return this.mk(t, author, this.finish(body, tags, voc.F), lang, null, null, 2);
      },
    };
  }

  private campaign(e: Extract<GeneratorEvent, { kind: 'campaign' }>, i: number): Source {
    const v = tagVariants(e.tag.replace(/^#+/, ''))!;
    const bots: (GenAuthor | undefined)[] = [];
    const accounts = Math.max(1, Math.floor(e.accounts));
    const idBase = `${this.o.prefix}e${i}b`;
    const r0 = mulberry32(mix(this.o.seed, 0xca4, i));
    const lang: Lang = r0() < 0.6 ? 'de' : 'en';
    const voc = VOCAB[lang];
    // Two or three scripted texts per campaign, varied only in emoji, case and a link.
    const bases = shuffle([...voc.camp], r0).slice(0, 2 + Math.floor(r0() * 2));
    const link = `https://${DOMAINS[Math.floor(r0() * DOMAINS.length)]!}/p/${Math.floor(r0() * 2 ** 31).toString(36)}`;
    const end = e.at + e.durationMinutes * MIN;
    return {
      plan: (a, b, out) => {
        const lo = Math.max(a, e.at);
        const hi = Math.min(b, end);
        if (hi <= lo) return;
        const n = poisson(e.perMinute * ((hi - lo) / MIN), this.r);
        // The farm fires in waves: most posts of a minute share a handful of seconds.
        const waves: number[] = [];
        const nw = 2 + Math.floor(this.r() * 4);
        for (let k = 0; k < nw; k++) waves.push(Math.floor((lo + this.r() * (hi - lo)) / 1000) * 1000);
        for (let k = 0; k < n; k++) {
          let t = -1;
          if (this.r() < 0.9) t = this.pick(waves) + Math.floor(this.r() * 1000);
          if (t < lo || t >= hi) t = lo + Math.floor(this.r() * (hi - lo));
          out.push(t);
        }
      },
      make: (t) => {
        const r = this.r;
        const c: Ctx = { voc, tag: this.variant(v), watch: null, matched: false };
        let text = this.fill(this.pick(bases), c);
        const ne = Math.floor(r() * 4);
        for (let k = 0; k < ne; k++) text += ' ' + this.pick(CAMP_EMOJI);
        if (r() < 0.3) text += ' ' + link;
        const author = this.bot(bots, accounts, idBase, e.at, i);
        return this.mk(t, author, text, lang, null, null, 0.3);
      },
    };
  }

  private firestorm(e: Extract<GeneratorEvent, { kind: 'firestorm' }>, i: number): Source {
    const w = this.watchCtx.get(e.watch)!;
    const v = e.tag ? tagVariants(e.tag.replace(/^#+/, '')) : null;
    const pool: GenAuthor[] = [];
    const bots: (GenAuthor | undefined)[] = [];
    const nBots = Math.max(8, Math.round(e.peakPerMinute / 6));
    const idBase = `${this.o.prefix}e${i}`;
    const scripted = new Map<Lang, string[]>();
    let realText = 0;
    return {
      plan: this.rampPlan(e.at, e.peakPerMinute, e.rampMinutes, e.durationMinutes),
      make: (t) => {
        const r = this.r;
        const lang = this.deEn();
        const voc = VOCAB[lang];
        const tags: string[] = [];
        if (v && r() < 0.7) tags.push(this.variant(v));
        if (w.tags.length && r() < 0.25) tags.push(this.variant(this.pick(w.tags)));
        let body: string;
        let author: GenAuthor;
        if (e.texts) {
          // Real texts: the i-th post takes the i-th text, addressed to the watch.
          const raw = e.texts[realText++ % e.texts.length]!;
          const handle = w.handles.length ? this.pick(w.handles) : w.w.name;
          const text = `${handle} ${raw.replace(/(^|\s)RT\s+@\w+:?/gu, ' ').replace(/(^|[^\w])@\w+:?/gu, '$1').replace(/\s+/gu, ' ').trim()}`;
          author = this.crowd(pool, `${idBase}u`, i, 0.78, 0.12, e.at);
          return this.mk(t, author, text, 'en', null, null, 3);
        }
        if (e.inauthentic) {
          // A bot swarm repeats a few scripted outrage texts.
          let s = scripted.get(lang);
          if (!s) {
            s = [];
            for (let k = 0; k < 3; k++) {
              const c: Ctx = { voc, tag: '', watch: w, matched: false };
              s.push(this.ensureMatch(this.fill(this.pick(voc.fs), c), c, []));
            }
            scripted.set(lang, s);
          }
          body = this.pick(s) + ' ' + this.pick(NEG_EMOJI);
          author = this.bot(bots, nBots, `${idBase}b`, e.at, i);
        } else {
          const c: Ctx = { voc, tag: '', watch: w, matched: false };
          body = this.ensureMatch(this.fill(this.pick(voc.fs), c), c, tags);
          if (r() < 0.45) body += ' ' + this.pick(NEG_EMOJI);
          author = this.crowd(pool, `${idBase}u`, i, 0.78, 0.12, e.at);
        }
        let text = this.finish(body, tags, voc.fsF);
        let replyTo: string | null = null;
        let replyToAuthor: string | null = null;
        if (w.handles.length && r() < 0.35) {
          replyToAuthor = this.pick(w.handles);
          replyTo = w.brandPost;
          if (!text.includes(replyToAuthor)) text = `${replyToAuthor} ${text}`;
        }
        return this.mk(t, author, text, lang, replyTo, replyToAuthor, 3);
      },
    };
  }

  private complaints(e: Extract<GeneratorEvent, { kind: 'complaints' }>): Source {
    const w = this.watchCtx.get(e.watch)!;
    return {
      plan: this.constPlan(e.at, e.perMinute, e.durationMinutes),
      make: (t) => {
        const r = this.r;
        const lang = this.deEn();
        const voc = VOCAB[lang];
        const c: Ctx = { voc, tag: '', watch: w, matched: false };
        const tags: string[] = [];
        if (w.tags.length && r() < 0.1) tags.push(this.variant(this.pick(w.tags)));
        let body = this.ensureMatch(this.fill(this.pick(voc.compl), c), c, tags);
        if (r() < 0.15) body += ' ' + this.pick(['🙄', '😕', '😒']);
        return this.mk(t, this.anyAuthor(), this.finish(body, tags, voc.F), lang, null, null, 0.7);
      },
    };
  }

  private praise(e: Extract<GeneratorEvent, { kind: 'praise' }>, i: number): Source {
    const w = this.watchCtx.get(e.watch)!;
    const v = e.tag ? tagVariants(e.tag.replace(/^#+/, '')) : null;
    const pool: GenAuthor[] = [];
    const idBase = `${this.o.prefix}e${i}u`;
    return {
      plan: this.rampPlan(e.at, e.peakPerMinute, e.rampMinutes, e.durationMinutes),
      make: (t) => {
        const r = this.r;
        const lang = this.deEn();
        const voc = VOCAB[lang];
        const c: Ctx = { voc, tag: '', watch: w, matched: false };
        const tags: string[] = [];
        if (v && r() < 0.7) tags.push(this.variant(v));
        if (w.tags.length && r() < 0.15) tags.push(this.variant(this.pick(w.tags)));
        let body = this.ensureMatch(this.fill(this.pick(voc.praise), c), c, tags);
        if (r() < 0.5) body += ' ' + this.pick(POS_EMOJI);
        const author = this.crowd(pool, idBase, i, 0.5, 0.45, e.at);
        return this.mk(t, author, this.finish(body, tags, voc.posF), lang, null, null, 3);
      },
    };
  }

  /** Extra posts on a busy background tag at (factor − 1) × its background rate: the tag then runs at factor × its usual rate. */
  private surge(e: Extract<GeneratorEvent, { kind: 'surge' }>): Source {
    const o = this.o;
    const rank = Math.min(e.rank, this.tags.keys.length - 1);
    const cdf = this.tags.cdf;
    // A background post carries 1.09 hashtags on average (see backgroundPost), each drawn from the Zipf law.
    const share = 1.09 * (cdf[rank]! - (rank > 0 ? cdf[rank - 1]! : 0));
    const v = this.tags.variants[rank]!;
    return {
      plan: (a, b, out) => {
        const lo = Math.max(a, e.at);
        const hi = Math.min(b, e.at + e.durationMinutes * MIN);
        if (hi <= lo) return;
        const base = o.ppm * (o.rhythm ? rhythmFactor((lo + hi) / 2) : 1) * share;
        const rate = (e.factor - 1) * base * shape(((lo + hi) / 2 - e.at) / MIN, e.rampMinutes, e.durationMinutes);
        this.uniformTimes(poisson(rate * ((hi - lo) / MIN), this.r), lo, hi, out);
      },
      make: (t) => this.ordinaryPost(t, this.variant(v), this.deEn()),
    };
  }

  /** An everyday post about `tag` by an established account: the ordinary templates, nothing excited. */
  private ordinaryPost(t: number, tag: string, lang: 'de' | 'en'): Post {
    const r = this.r;
    const voc = VOCAB[lang];
    const c: Ctx = { voc, tag, watch: null, matched: false };
    const tags: string[] = [];
    let body: string;
    if (r() < 0.6) body = this.fill(this.pick(voc.inline), c);
    else { body = this.fill(this.pick(voc.plain), c); tags.push(tag); }
    if (r() < 0.25) tags.push(this.variant(this.tags.variants[this.zipf()]!));
    if (r() < 0.2) body += ' ' + this.pick(voc.E);
    return this.mk(t, r() < 0.7 ? this.activeAuthor() : this.anyAuthor(), this.finish(body, tags, voc.F), lang, null, null, 1);
  }

  private rhythmic(e: Extract<GeneratorEvent, { kind: 'rhythmic' }>): Source {
    const v = tagVariants(e.tag.replace(/^#+/, ''))!;
    return {
      plan: (a, b, out) => {
        for (const [ws, we] of occurrences(e, a, b)) {
          const lo = Math.max(a, ws);
          const hi = Math.min(b, we);
          if (hi > lo) this.uniformTimes(poisson(e.perMinute * ((hi - lo) / MIN), this.r), lo, hi, out);
        }
      },
      make: (t) => {
        const r = this.r;
        const lang = this.deEn();
        const voc = VOCAB[lang];
        const c: Ctx = { voc, tag: this.variant(v), watch: null, matched: false };
        let body = this.fill(this.pick(r() < 0.5 ? voc.rhythm : voc.inline), c);
        if (r() < 0.25) body += ' ' + this.pick(voc.E);
        return this.mk(t, this.activeAuthor(), this.finish(body, [], voc.F), lang, null, null, 1);
      },
    };
  }
}

/** Windows [start, end) of a rhythmic event that overlap [a, b). */
function occurrences(e: Extract<GeneratorEvent, { kind: 'rhythmic' }>, a: number, b: number): [number, number][] {
  const dur = e.durationMinutes * MIN;
  const out: [number, number][] = [];
  const first = Math.floor((a - dur - e.hourUtc * HOUR) / DAY);
  const last = Math.floor(b / DAY);
  for (let d = first; d <= last; d++) {
    if (e.weekday !== undefined && (((d + 4) % 7) + 7) % 7 !== e.weekday) continue;
    const ws = d * DAY + Math.round(e.hourUtc * HOUR);
    if (ws < b && ws + dur > a) out.push([ws, ws + dur]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Public API

/** Posts with their arrival times, in arrival order; lazy and deterministic. */
export function generateTimed(opts: GeneratorOptions): Iterable<TimedPost> {
  const o = resolve(opts);
  return {
    [Symbol.iterator](): Iterator<TimedPost> {
      const g = new Generator(o);
      return {
        next(): IteratorResult<TimedPost> {
          const post = g.next();
          return post ? { value: { post, arrival: g.arrival }, done: false } : { value: undefined, done: true };
        },
      };
    },
  };
}

/**
 * The posts of a scenario in arrival order: lazy (holds about a minute of event time, plus
 * posts delayed by disorder) and deterministic (same options, same posts). Each iteration
 * starts afresh.
 */
export function generate(opts: GeneratorOptions): Iterable<Post> {
  const o = resolve(opts);
  return {
    [Symbol.iterator](): Iterator<Post> {
      const g = new Generator(o);
      return {
        next(): IteratorResult<Post> {
          const post = g.next();
          return post ? { value: post, done: false } : { value: undefined, done: true };
        },
      };
    },
  };
}

/** The ground truth of `generate(opts)` (CONTRACTS §5). Events outside the stream are not labelled. */
export function labelsFor(opts: GeneratorOptions): Labels {
  const o = resolve(opts);
  const trends = new Map<string, { at: number; inauthentic: boolean }>();
  const firestorms = new Map<string, number>();
  const optional = new Set<string>();
  const addTrend = (tag: string, at: number, inauthentic: boolean) => {
    const key = normaliseHashtag(tag);
    const prev = trends.get(key);
    if (!prev || at < prev.at) trends.set(key, { at, inauthentic });
  };
  const watch = (id: string) => o.watches.find((w) => w.id === id)!;
  let bgTags: string[] | null = null;
  const impersonators: { watch: string; account: string }[] = [];
  for (const e of o.events) {
    if (e.kind === 'rhythmic') {
      const n = Number.isFinite(o.end) ? occurrences(e, o.start, o.end).length : Infinity;
      if (n === 1) optional.add(normaliseHashtag(e.tag));
      continue;
    }
    if (!(e.at < o.end && e.at + e.durationMinutes * MIN > o.start)) continue;
    switch (e.kind) {
      case 'burst': addTrend(e.tag, e.at, false); break;
      case 'campaign': addTrend(e.tag, e.at, true); break;
      case 'firestorm':
        if (e.tag) addTrend(e.tag, e.at, e.inauthentic ?? false);
        if (!((firestorms.get(e.watch) ?? Infinity) <= e.at)) firestorms.set(e.watch, e.at);
        // The watch's own hashtags ride along in the outrage and may trend with it.
        for (const t of watch(e.watch).hashtags) optional.add(normaliseHashtag(t));
        break;
      case 'praise':
        if (e.tag) addTrend(e.tag, e.at, false);
        for (const t of watch(e.watch).hashtags) optional.add(normaliseHashtag(t));
        break;
      case 'complaints': break;
      case 'impersonation':
        for (const m of castOf(o.seed, e, watch(e.watch), o.events.indexOf(e))) if (m.role === 'impersonator') impersonators.push({ watch: e.watch, account: `${m.platform}:${m.author.id}` });
        break;
      case 'surge': {
        bgTags ??= buildTags(o).keys;
        addTrend(bgTags[Math.min(e.rank, bgTags.length - 1)]!, e.at, false);
        break;
      }
    }
  }
  for (const k of trends.keys()) optional.delete(k);
  optional.delete('');
  return {
    trends: [...trends].sort((a, b) => a[1].at - b[1].at || (a[0] < b[0] ? -1 : 1))
      .map(([hashtag, t]) => ({ hashtag, onset: iso(t.at), inauthentic: t.inauthentic })),
    optional_trends: [...optional].sort(),
    firestorms: [...firestorms].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1))
      .map(([w, at]) => ({ watch: w, onset: iso(at) })),
    ignore_trends: false,
    ...(impersonators.length ? { impersonators } : {}),
  };
}

/** The accounts of an impersonation event (the same for posts and labels). */
function castOf(seed: number, e: Extract<GeneratorEvent, { kind: 'impersonation' }>, w: Watch, i: number): CastMember[] {
  return impersonationCast({ watch: w, at: e.at, impersonators: e.impersonators, fans: e.fans ?? 0, parodies: e.parodies ?? 0, unrelated: e.unrelated ?? 0 }, mulberry32(mix(seed, 0x1a7e, i)));
}

/** Writes a scenario folder (CONTRACTS §5): posts.ndjson, watches.json, labels.json. */
export function writeScenario(dir: string, opts: GeneratorOptions): { posts: number } {
  if (!Number.isFinite(opts.minutes)) throw new RangeError('writeScenario: minutes must be finite');
  mkdirSync(dir, { recursive: true });
  const fd = openSync(join(dir, 'posts.ndjson'), 'w');
  let n = 0;
  try {
    let buf = '';
    for (const p of generate(opts)) {
      buf += JSON.stringify(postToJson(p)) + '\n';
      n++;
      if (buf.length > 1 << 20) { writeSync(fd, buf); buf = ''; }
    }
    if (buf) writeSync(fd, buf);
  } finally {
    closeSync(fd);
  }
  writeFileSync(join(dir, 'watches.json'), JSON.stringify(opts.watches ?? [], null, 2) + '\n');
  writeFileSync(join(dir, 'labels.json'), JSON.stringify(labelsFor(opts), null, 2) + '\n');
  return { posts: n };
}
