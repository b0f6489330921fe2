// SQL text for servers without query parameters (ClickHouse 18.16): the one place an identifier,
// a string literal or a DateTime enters a query or a row.
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The one place an identifier enters SQL: validated, never quoted-and-hoped. */
export function ident(name: string): string {
  if (!IDENT.test(name)) throw new Error(`invalid SQL identifier: ${JSON.stringify(name)}`);
  return name;
}

const QUOTE_SPECIAL = /[\\'\0\n\r\t]/;
/** Escapes a value as a ClickHouse string literal (servers without query parameters: 18.16). */
export function quote(value: string): string {
  if (!QUOTE_SPECIAL.test(value)) return `'${value}'`;
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\0/g, '\\0').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')}'`;
}

const TWO = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
/** `YYYY-MM-DD ` by day number; bounded (posts, their authors' sign-ups and ingest times span a few thousand days). */
const days = new Map<number, string>();
/**
 * `YYYY-MM-DD hh:mm:ss` in UTC: the DateTime text every ClickHouse version parses. The date part
 * is formatted once per day, not per call (three calls per post were 10 % of the sink's CPU).
 */
export function chTime(ms: number): string {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86_400);
  let date = days.get(d);
  if (date === undefined) {
    date = new Date(d * 86_400_000).toISOString().slice(0, 11).replace('T', ' ');
    if (days.size >= 8192) days.clear();
    days.set(d, date);
  }
  const r = s - d * 86_400;
  return `${date}${TWO[Math.floor(r / 3600)]}:${TWO[Math.floor(r / 60) % 60]}:${TWO[r % 60]}`;
}

const TSV_SPECIAL = /[\\\t\n\r\0]/;
const TSV_SPECIAL_ALL = new RegExp(TSV_SPECIAL.source, 'g');
const TSV_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' };
/** A string as a TabSeparated field: backslash, tab, line breaks and NUL escaped. */
function tsvString(s: string): string {
  return TSV_SPECIAL.test(s) ? s.replace(TSV_SPECIAL_ALL, (c) => TSV_ESCAPES[c]!) : s;
}

/** One value as a TabSeparated field: arrays as `['a','b']`, booleans as 1/0, null as `\N`. */
function tsvField(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return tsvString(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
    case 'boolean':
      return v ? '1' : '0';
    case 'bigint':
      return String(v);
    default:
      if (v == null) return '\\N';
      // Elements are quoted literals, read by the server as they stand (quote() leaves no raw tab or line break).
      if (Array.isArray(v)) return `[${v.map((x) => (typeof x === 'string' ? quote(x) : String(x))).join(',')}]`;
      return tsvString(JSON.stringify(v));
  }
}

/**
 * Rows as the body of `INSERT INTO t (columns) FORMAT TabSeparated`: the columns are the first
 * row's keys, which every row of a table's mapper has in the same order. Cheaper to write than
 * JSONEachRow, and for the server to read. Each line is joined flat and written into one
 * buffer, so a flush of many rows leaves no chain of string pieces for the collector.
 */
export function tabSeparated(rows: readonly Record<string, unknown>[]): { columns: [string, ...string[]]; body: Buffer } {
  const [first, ...others] = Object.keys(rows[0] ?? {});
  if (first === undefined) throw new Error('tabSeparated needs at least one row with at least one column');
  const columns: [string, ...string[]] = [first, ...others];
  const fields: string[] = new Array(columns.length);
  let body = Buffer.allocUnsafe(Math.max(4096, rows.length * 512));
  let pos = 0;
  for (const r of rows) {
    for (let i = 0; i < columns.length; i++) fields[i] = tsvField(r[columns[i]!]);
    const line = fields.join('\t');
    const most = pos + line.length * 3 + 1;
    if (most > body.length) {
      const grown = Buffer.allocUnsafe(Math.max(most, body.length * 2));
      body.copy(grown, 0, 0, pos);
      body = grown;
    }
    pos += body.write(line, pos);
    body[pos++] = 10;
  }
  return { columns, body: body.subarray(0, pos) };
}
