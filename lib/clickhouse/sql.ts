// SQL text for servers without query parameters (ClickHouse 18.16): the one place an identifier,
// a string literal or a DateTime enters a query or a row.
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The one place an identifier enters SQL: validated, never quoted-and-hoped. */
export function ident(name: string): string {
  if (!IDENT.test(name)) throw new Error(`invalid SQL identifier: ${JSON.stringify(name)}`);
  return name;
}

/** Escapes a value as a ClickHouse string literal (servers without query parameters: 18.16). */
export function quote(value: string): string {
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
