// Loaders for the labelled text corpora in data/ (GermEval 2018, Davidson et al. 2017) and the
// project's hand-labelled sentiment fixtures, shared by the training and measuring scripts.
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

export interface Labelled { text: string; lang: 'de' | 'en'; offensive: boolean }

/** GermEval 2018 training split: text TAB coarse TAB fine; `|LBR|` is a line break. */
export function loadGermEval(): Labelled[] {
  const src = readFileSync(path.join(ROOT, 'data/germeval2018/germeval2018.training.txt'), 'utf8');
  const out: Labelled[] = [];
  for (const line of src.split('\n')) {
    if (!line.trim()) continue;
    const [text, coarse] = line.split('\t');
    if (text === undefined || (coarse !== 'OFFENSE' && coarse !== 'OTHER')) throw new Error(`germeval: bad line ${line.slice(0, 80)}`);
    out.push({ text: text.replace(/\|LBR\|/g, '\n'), lang: 'de', offensive: coarse === 'OFFENSE' });
  }
  return out;
}

/** RFC 4180 CSV rows (quoted fields may hold commas, quotes as "" and line breaks). */
export function parseCsv(src: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (quoted) {
      if (c === '"') {
        if (src[i + 1] === '"') { field += '"'; i++; } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && src[i + 1] === '\n') i++;
      row.push(field); field = '';
      rows.push(row); row = [];
    } else field += c;
  }
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  return rows;
}

/** Davidson et al. 2017 (every other row): class 0 hate, 1 offensive, 2 neither. HTML entities as in the source. */
export function loadDavidson(): Labelled[] {
  const rows = parseCsv(readFileSync(path.join(ROOT, 'data/davidson/labeled_data.train.csv'), 'utf8'));
  const head = rows.shift()!;
  const ci = head.indexOf('class'), ti = head.indexOf('tweet');
  return rows.filter((r) => r.length === head.length).map((r) => {
    const cls = Number(r[ci]);
    if (![0, 1, 2].includes(cls)) throw new Error(`davidson: bad class ${r[ci]}`);
    return { text: r[ti]!, lang: 'en' as const, offensive: cls !== 2 };
  });
}

export type Sentiment = 'negative' | 'neutral' | 'positive';
export interface FixtureRow { text: string; label: Sentiment; toxic: boolean }

export function loadFixture(lang: 'de' | 'en'): FixtureRow[] {
  const src = readFileSync(path.join(ROOT, `test/fixtures/sentiment-${lang}.ndjson`), 'utf8');
  return src.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as FixtureRow);
}

/** Macro-averaged F1 of a binary prediction over both classes. */
export function macroF1(pred: ArrayLike<boolean>, gold: ArrayLike<boolean>): number {
  let tp = 0, fp = 0, fn = 0, tn = 0;
  for (let i = 0; i < gold.length; i++) {
    if (pred[i] && gold[i]) tp++;
    else if (pred[i]) fp++;
    else if (gold[i]) fn++;
    else tn++;
  }
  const f = (a: number, b: number, c: number) => (a === 0 ? 0 : (2 * a) / (2 * a + b + c));
  return (f(tp, fp, fn) + f(tn, fn, fp)) / 2;
}
