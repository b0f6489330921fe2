// trendstream dashboard: reads the query API (/v1/*) every 5 s and renders trends, alerts,
// history, watches and a uPlot chart. No framework; every text from the API goes in through
// textContent (never innerHTML). The token comes from ?token= and is kept in sessionStorage.
(function () {
  'use strict';

  const REFRESH_MS = 5000;
  const TOKEN_KEY = 'trendstream.token';
  const LANG_KEY = 'trendstream.lang';

  // ---------------------------------------------------------------------------------------
  // Texts (German and English); alert reasons are rendered from their codes.

  const T = {
    en: {
      window: 'Window', openAlerts: 'Open alerts', trendingNow: 'Trending now', overTime: 'Over time', alertHistory: 'Alert history',
      watches: 'Watches', watch: 'Watch', severity: 'Severity', opened: 'Opened', state: 'State', feedback: 'Feedback',
      tokenPrompt: 'This dashboard needs an access token.', useToken: 'Use token', noAlerts: 'No open alerts.', noTrends: 'Nothing is trending right now.',
      noHistory: 'No alerts yet.', noWatches: 'No watches configured.', noData: 'No data yet.', loading: 'Loading…',
      updated: 'Updated', streamTime: 'stream time', time: 'Time', asOf: 'up to', failed: 'Could not load', unauthorized: 'Token missing or not accepted.',
      posts: 'posts', authors: 'authors/min', negative: 'negative', pressure: 'addressing the handles', velocity: 'velocity',
      inauthentic: 'inauthentic', inauthenticTitle: 'Driven by bots, fake profiles or a coordinated campaign rather than many independent people',
      since: 'since', open: 'open', resolved: 'resolved', acknowledged: 'acknowledged', ack: 'Acknowledge', useful: 'Useful', falseAlarm: 'False alarm',
      needsAdmin: 'This needs an admin token.', saved: 'Saved.', samples: 'Sample posts', reasons: 'Why',
      hashtag: 'Hashtag', sparkTitle: 'Posts per minute over the last hour (dots: velocity at each trend update)',
      sev: ['', 'a few critical voices', 'growing criticism', 'firestorm building', 'firestorm', 'severe firestorm', 'out of control, everywhere'],
      reason: {
        volume: (v, b) => `Volume ${x(v)}× the usual level` + (b && b !== 1 ? ` (baseline ${x(b)})` : ''),
        negative_share: (v, b) => `${pct(v)} negative (usually ${pct(b)})`,
        toxic_share: (v, b) => `${pct(v)} insulting or toxic (usually ${pct(b)})`,
        new_authors_share: (v) => `${pct(v)} of the authors never wrote about this before`,
        pressure_share: (v, b) => `${pct(v)} address the brand's accounts directly (usually ${pct(b)})`,
      },
      verdict: { useful: 'useful', false_alarm: 'false alarm' },
    },
    de: {
      window: 'Zeitraum', openAlerts: 'Offene Alarme', trendingNow: 'Jetzt im Trend', overTime: 'Verlauf', alertHistory: 'Alarmverlauf',
      watches: 'Beobachtet', watch: 'Beobachtung', severity: 'Stufe', opened: 'Ausgelöst', state: 'Status', feedback: 'Bewertung',
      tokenPrompt: 'Dieses Dashboard braucht einen Zugangs-Token.', useToken: 'Token verwenden', noAlerts: 'Keine offenen Alarme.', noTrends: 'Gerade trendet nichts.',
      noHistory: 'Noch keine Alarme.', noWatches: 'Keine Beobachtungen eingerichtet.', noData: 'Noch keine Daten.', loading: 'Lädt…',
      updated: 'Aktualisiert', streamTime: 'Datenstand', time: 'Zeit', asOf: 'bis', failed: 'Laden fehlgeschlagen', unauthorized: 'Token fehlt oder wurde nicht akzeptiert.',
      posts: 'Beiträge', authors: 'Autor:innen/Min.', negative: 'negativ', pressure: 'an die Accounts gerichtet', velocity: 'Tempo',
      inauthentic: 'nicht authentisch', inauthenticTitle: 'Getrieben von Bots, Fake-Profilen oder einer koordinierten Kampagne statt von vielen unabhängigen Menschen',
      since: 'seit', open: 'offen', resolved: 'beendet', acknowledged: 'bestätigt', ack: 'Bestätigen', useful: 'Hilfreich', falseAlarm: 'Fehlalarm',
      needsAdmin: 'Dafür braucht es einen Admin-Token.', saved: 'Gespeichert.', samples: 'Beispielbeiträge', reasons: 'Warum',
      hashtag: 'Hashtag', sparkTitle: 'Beiträge pro Minute in der letzten Stunde (Punkte: Tempo bei jedem Trend-Update)',
      sev: ['', 'einzelne kritische Stimmen', 'wachsende Kritik', 'Shitstorm baut sich auf', 'Shitstorm', 'schwerer Shitstorm', 'außer Kontrolle, überall'],
      reason: {
        volume: (v, b) => `Volumen ${x(v)}-fach über dem Üblichen` + (b && b !== 1 ? ` (Basis ${x(b)})` : ''),
        negative_share: (v, b) => `${pct(v)} negativ (sonst ${pct(b)})`,
        toxic_share: (v, b) => `${pct(v)} beleidigend oder toxisch (sonst ${pct(b)})`,
        new_authors_share: (v) => `${pct(v)} der Autor:innen haben sich vorher nie dazu geäußert`,
        pressure_share: (v, b) => `${pct(v)} richten sich direkt an die Accounts der Marke (sonst ${pct(b)})`,
      },
      verdict: { useful: 'hilfreich', false_alarm: 'Fehlalarm' },
    },
  };

  const state = {
    lang: pickLang(),
    token: pickToken(),
    window: '15m',
    selected: null, // { kind: 'hashtag' | 'watch', id }
    trends: null, alerts: null, watches: null,
    chart: null, chartKey: '',
    status: null, // { at, asOf } or { error, message }
    timer: 0,
    busy: false,
  };

  function pickLang() {
    const saved = safe(() => localStorage.getItem(LANG_KEY));
    if (saved === 'de' || saved === 'en') return saved;
    return (navigator.language || 'en').toLowerCase().startsWith('de') ? 'de' : 'en';
  }

  function pickToken() {
    const url = new URL(location.href);
    const fromUrl = url.searchParams.get('token');
    if (fromUrl) {
      safe(() => sessionStorage.setItem(TOKEN_KEY, fromUrl));
      // Keep the token out of the address bar, history and screenshots.
      url.searchParams.delete('token');
      history.replaceState(null, '', url.pathname + url.search + url.hash);
      return fromUrl;
    }
    return safe(() => sessionStorage.getItem(TOKEN_KEY)) || '';
  }

  function safe(fn) { try { return fn(); } catch { return null; } }
  const t = (k) => T[state.lang][k] ?? T.en[k] ?? k;
  const nf = (opts) => new Intl.NumberFormat(state.lang === 'de' ? 'de-DE' : 'en-GB', opts);
  function x(v) { return nf({ maximumFractionDigits: 1 }).format(v); }
  function pct(v) { return nf({ style: 'percent', maximumFractionDigits: 0 }).format(v || 0); }
  const int = (v) => nf({ maximumFractionDigits: 0 }).format(v);
  const time = (iso) => (iso ? new Date(iso).toLocaleTimeString(state.lang === 'de' ? 'de-DE' : 'en-GB', { hour: '2-digit', minute: '2-digit' }) : '–');
  const dateTime = (iso) => (iso ? new Date(iso).toLocaleString(state.lang === 'de' ? 'de-DE' : 'en-GB', { day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit' }) : '–');

  /** Renders one alert reason from its code, in the UI language. */
  function reasonText(r) {
    const f = T[state.lang].reason[r.code];
    return f ? f(r.value, r.baseline) : `${r.code}: ${x(r.value)} (${x(r.baseline)})`;
  }

  // ---------------------------------------------------------------------------------------
  // DOM helpers

  const $ = (id) => document.getElementById(id);
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k === 'dataset') Object.assign(e.dataset, v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return e;
  }
  const svg = (tag, attrs) => {
    const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    return e;
  };

  // ---------------------------------------------------------------------------------------
  // API

  class HttpError extends Error { constructor(status, message) { super(message); this.status = status; } }

  async function api(path, init) {
    const headers = Object.assign({}, init && init.body ? { 'content-type': 'application/json' } : {}, state.token ? { authorization: `Bearer ${state.token}` } : {});
    const res = await fetch(path, Object.assign({}, init, { headers, cache: 'no-store' }));
    const body = await res.json().catch(() => null);
    if (!res.ok) throw new HttpError(res.status, (body && body.message) || res.statusText);
    return body;
  }

  // ---------------------------------------------------------------------------------------
  // Rendering

  function applyTexts() {
    document.documentElement.lang = state.lang;
    for (const n of document.querySelectorAll('[data-i18n]')) n.textContent = t(n.dataset.i18n);
    $('lang-toggle').textContent = state.lang === 'de' ? 'EN' : 'DE';
  }

  function sparkline(spark) {
    const w = 100, h = 28, pad = 2;
    const posts = spark.posts || [];
    const max = Math.max(1, ...posts);
    const s = svg('svg', { width: w, height: h, viewBox: `0 0 ${w} ${h}`, class: 'spark', 'data-testid': 'sparkline', role: 'img' });
    s.append(Object.assign(svg('title', {}), { textContent: t('sparkTitle') }));
    const step = (w - 2 * pad) / Math.max(1, posts.length - 1);
    const pts = posts.map((v, i) => `${(pad + i * step).toFixed(1)},${(h - pad - (v / max) * (h - 2 * pad)).toFixed(1)}`).join(' ');
    s.append(svg('polyline', { points: pts, class: 'spark-posts', fill: 'none' }));
    const vel = spark.velocity || [];
    const vmax = Math.max(1, ...vel.filter((v) => v !== null));
    vel.forEach((v, i) => { if (v !== null) s.append(svg('circle', { cx: (pad + i * step).toFixed(1), cy: (h - pad - (v / vmax) * (h - 2 * pad)).toFixed(1), r: 1.8, class: 'spark-velocity' })); });
    return s;
  }

  function renderTrends() {
    const list = $('trending');
    const d = state.trends;
    $('trending-asof').textContent = d && d.as_of ? `${t('asOf')} ${time(d.as_of)}` : '';
    if (!d) return;
    list.replaceChildren(...(d.trends.length ? d.trends.map((tr) => el('li', {
      class: 'trend' + (tr.inauthentic ? ' inauthentic' : '') + (isSelected('hashtag', tr.hashtag) ? ' selected' : ''),
      dataset: { testid: 'trend-item', tag: tr.hashtag },
    },
    el('span', { class: 'tagcell' },
      el('button', { class: 'tag', type: 'button', title: t('overTime'), onclick: () => select('hashtag', tr.hashtag) }, `#${tr.hashtag}`),
      tr.inauthentic ? el('span', { class: 'badge bot', 'data-testid': 'inauthentic', title: t('inauthenticTitle'), text: `⚠ ${t('inauthentic')}` }) : null,
      el('span', { class: 'dim since' }, `${t('since')} ${time(tr.started_at)}`)),
    el('span', { class: 'num', title: t('posts') }, `${int(tr.window.posts)} ${t('posts')}`),
    el('span', { class: 'num dim', title: t('velocity') }, `${x(tr.velocity)}×`),
    sparkline(tr.spark),
    )) : [el('li', { class: 'empty', text: t('noTrends') })]));
  }

  function watchName(id) {
    const w = (state.watches || []).find((x) => x.id === id);
    return w ? w.name : id;
  }

  async function act(button, alertId, action, body) {
    const msg = button.closest('.alert').querySelector('.act-msg');
    button.disabled = true;
    try {
      await api(`/v1/alerts/${encodeURIComponent(alertId)}/${action}`, { method: 'POST', body: JSON.stringify(body || {}) });
      msg.textContent = t('saved');
      refresh();
    } catch (e) {
      msg.textContent = e.status === 403 || e.status === 401 ? t('needsAdmin') : `${t('failed')}: ${e.message}`;
      button.disabled = false;
    }
  }

  function renderAlerts() {
    const box = $('alerts');
    if (!state.alerts) return;
    const open = state.alerts.alerts.filter((a) => a.state === 'open');
    box.replaceChildren(...(open.length ? open.map((a) => el('article', {
      class: `alert sev-${a.severity}` + (isSelected('watch', a.watch) ? ' selected' : ''),
      dataset: { testid: 'alert-card', alertId: a.id, watch: a.watch },
    },
    el('header', {},
      el('span', { class: `sev sev-${a.severity}`, 'data-testid': 'alert-severity', title: t('severity') }, String(a.severity)),
      el('button', { class: 'watch-name', type: 'button', onclick: () => select('watch', a.watch) }, a.watch_name || watchName(a.watch)),
      el('span', { class: 'sev-text' }, T[state.lang].sev[a.severity] || ''),
      a.inauthentic ? el('span', { class: 'badge bot', title: t('inauthenticTitle'), text: `⚠ ${t('inauthentic')}` }) : null,
      el('span', { class: 'dim' }, `${t('since')} ${time(a.opened_at)}`),
      a.acknowledged ? el('span', { class: 'badge ok', 'data-testid': 'alert-acknowledged' }, `✓ ${t('acknowledged')}`) : null,
    ),
    el('h3', { class: 'reasons-title', text: t('reasons') }),
    el('ul', { class: 'reasons', 'data-testid': 'alert-reasons', title: a.summary },
      a.reasons.map((r) => el('li', { dataset: { code: r.code } }, reasonText(r)))),
    a.samples.length ? el('details', { class: 'samples', open: true },
      el('summary', {}, t('samples')),
      a.samples.map((s) => el('blockquote', { 'data-testid': 'alert-sample' },
        el('p', {}, s.text || `${s.platform}:${s.id}`),
        s.author_handle ? el('cite', {}, s.author_handle) : null))) : null,
    el('footer', {},
      el('button', { type: 'button', 'data-testid': 'alert-ack', disabled: !!a.acknowledged, onclick: (ev) => act(ev.currentTarget, a.id, 'ack') }, t('ack')),
      el('button', { type: 'button', 'data-testid': 'alert-useful', onclick: (ev) => act(ev.currentTarget, a.id, 'feedback', { verdict: 'useful' }) }, t('useful')),
      el('button', { type: 'button', 'data-testid': 'alert-false-alarm', onclick: (ev) => act(ev.currentTarget, a.id, 'feedback', { verdict: 'false_alarm' }) }, t('falseAlarm')),
      el('span', { class: 'act-msg', role: 'status' }),
    ),
    )) : [el('p', { class: 'empty', text: t('noAlerts') })]));
  }

  function renderHistory() {
    const body = $('alert-history').tBodies[0];
    if (!state.alerts) return;
    const rows = state.alerts.alerts;
    body.replaceChildren(...(rows.length ? rows.map((a) => el('tr', { dataset: { testid: 'history-row', alertId: a.id }, class: a.state },
      el('td', {}, el('button', { type: 'button', class: 'link', onclick: () => select('watch', a.watch) }, a.watch_name || watchName(a.watch))),
      el('td', {}, el('span', { class: `sev sev-${a.max_severity}` }, String(a.max_severity))),
      el('td', {}, dateTime(a.opened_at)),
      el('td', {}, a.state === 'open' ? t('open') : `${t('resolved')} ${time(a.resolved_at)}`),
      el('td', {}, [a.acknowledged ? `✓ ${t('acknowledged')}` : '', ...a.feedback.slice(-1).map((f) => T[state.lang].verdict[f.verdict] || f.verdict)].filter(Boolean).join(' · ')),
    )) : [el('tr', {}, el('td', { colspan: 5, class: 'empty', text: t('noHistory') }))]));
  }

  function renderWatches() {
    const list = $('watches');
    if (!state.watches) return;
    list.replaceChildren(...(state.watches.length ? state.watches.map((w) => el('li', { dataset: { testid: 'watch-item', watch: w.id }, class: isSelected('watch', w.id) ? 'selected' : '' },
      el('button', { type: 'button', class: 'link', onclick: () => select('watch', w.id) }, w.name),
      el('span', { class: 'dim' }, [...w.handles, ...w.hashtags.map((h) => `#${h}`), ...w.keywords.map((k) => `“${k}”`)].join(' · ')),
    )) : [el('li', { class: 'empty', text: t('noWatches') })]));
  }

  function renderChartSelect() {
    const sel = $('chart-select');
    const opts = [];
    const seen = new Set();
    const add = (kind, id, label) => { const key = `${kind}:${id}`; if (!seen.has(key)) { seen.add(key); opts.push({ key, label }); } };
    for (const tr of (state.trends && state.trends.trends) || []) add('hashtag', tr.hashtag, `#${tr.hashtag}`);
    for (const w of state.watches || []) add('watch', w.id, `${t('watch')}: ${w.name}`);
    if (state.selected) add(state.selected.kind, state.selected.id, state.selected.kind === 'hashtag' ? `#${state.selected.id}` : `${t('watch')}: ${watchName(state.selected.id)}`);
    const cur = state.selected ? `${state.selected.kind}:${state.selected.id}` : '';
    const same = sel.options.length === opts.length && opts.every((o, i) => sel.options[i].value === o.key && sel.options[i].textContent === o.label);
    if (!same) sel.replaceChildren(...opts.map((o) => el('option', { value: o.key }, o.label)));
    sel.value = cur;
  }

  const isSelected = (kind, id) => !!state.selected && state.selected.kind === kind && state.selected.id === id;

  function select(kind, id) {
    state.selected = { kind, id };
    renderAll();
    loadChart();
  }

  /** The default chart: the first open alert's watch, else the top trend, else the first watch. */
  function defaultSelection() {
    const open = state.alerts && state.alerts.alerts.find((a) => a.state === 'open');
    if (open) return { kind: 'watch', id: open.watch };
    const top = state.trends && state.trends.trends[0];
    if (top) return { kind: 'hashtag', id: top.hashtag };
    const w = state.watches && state.watches[0];
    return w ? { kind: 'watch', id: w.id } : null;
  }

  async function loadChart() {
    const sel = state.selected;
    const box = $('chart');
    if (!sel) { box.replaceChildren(el('p', { class: 'empty', text: t('noData') })); return; }
    const path = sel.kind === 'hashtag' ? `/v1/hashtags/${encodeURIComponent(sel.id)}/series` : `/v1/watches/${encodeURIComponent(sel.id)}/series`;
    let d;
    try { d = await api(path); } catch (e) { box.replaceChildren(el('p', { class: 'error', text: `${t('failed')}: ${e.message}` })); state.chart = null; state.chartKey = ''; return; }
    if (!state.selected || state.selected !== sel) return; // the user picked something else meanwhile
    const xs = d.points.map((p) => Date.parse(p.minute) / 1000);
    const series = [{ label: t('posts'), key: 'posts', stroke: '#2563eb', fill: 'rgba(37,99,235,0.08)' }, { label: t('authors'), key: 'authors', stroke: '#16a34a' }, { label: t('negative'), key: 'negative', stroke: '#dc2626' }];
    if (sel.kind === 'watch') series.push({ label: t('pressure'), key: 'pressure', stroke: '#9333ea' });
    const data = [xs, ...series.map((s) => d.points.map((p) => p[s.key]))];
    const key = `${sel.kind}:${sel.id}:${state.lang}`;
    if (!window.uPlot) { box.replaceChildren(el('p', { class: 'error', text: 'uPlot did not load' })); return; }
    if (state.chart && state.chartKey === key) { state.chart.setData(data); return; }
    if (state.chart) state.chart.destroy();
    box.replaceChildren();
    const width = Math.max(300, box.clientWidth || 800);
    state.chart = new window.uPlot({
      width, height: 260,
      title: sel.kind === 'hashtag' ? `#${sel.id}` : watchName(sel.id),
      scales: { x: { time: true } },
      axes: [{ values: (u, splits) => splits.map((v) => time(new Date(v * 1000).toISOString())) }, { size: 50 }],
      series: [{ label: t('time'), value: (u, v) => (v === null || v === undefined ? '--' : dateTime(new Date(v * 1000).toISOString())) }, ...series.map((s) => ({ label: s.label, stroke: s.stroke, fill: s.fill, width: 1.5 }))],
      hooks: { draw: [(u) => markEvents(u, d.events || [])] },
    }, data, box);
    state.chartKey = key;
  }

  /** Vertical marks where a trend started or an alert opened/escalated. */
  function markEvents(u, events) {
    const ctx = u.ctx;
    ctx.save();
    for (const e of events) {
      if (!['started', 'opened', 'escalated'].includes(e.state)) continue;
      const at = Date.parse(e.window_end || e.detected_at) / 1000;
      const px = u.valToPos(at, 'x', true);
      if (px < u.bbox.left || px > u.bbox.left + u.bbox.width) continue;
      ctx.strokeStyle = e.state === 'started' ? '#f59e0b' : '#dc2626';
      ctx.setLineDash([4, 3]);
      ctx.beginPath(); ctx.moveTo(px, u.bbox.top); ctx.lineTo(px, u.bbox.top + u.bbox.height); ctx.stroke();
    }
    ctx.restore();
  }

  function renderAll() {
    applyTexts();
    renderStatus();
    renderAlerts();
    renderTrends();
    renderHistory();
    renderWatches();
    renderChartSelect();
  }

  /** The status line: last successful refresh and stream time, or why the last one failed. */
  function renderStatus() {
    const s = $('status');
    const st = state.status;
    if (!st) { s.textContent = t('loading'); return; }
    s.classList.toggle('error', !!st.error);
    if (st.error) s.textContent = st.error === 401 ? t('unauthorized') : `${t('failed')}: ${st.message}`;
    else s.textContent = `${t('updated')} ${st.at.toLocaleTimeString(state.lang === 'de' ? 'de-DE' : 'en-GB')}` + (st.asOf ? ` · ${t('streamTime')} ${time(st.asOf)}` : '');
  }

  async function refresh() {
    if (state.busy) return;
    state.busy = true;
    clearTimeout(state.timer);
    try {
      const [trends, alerts, watches] = await Promise.all([
        api(`/v1/trends?window=${state.window}&limit=20`),
        api('/v1/alerts?state=all&limit=50'),
        api('/v1/watches'),
      ]);
      Object.assign(state, { trends, alerts, watches: watches.watches });
      $('auth').hidden = true;
      if (!state.selected) state.selected = defaultSelection();
      renderAll();
      await loadChart();
      state.status = { at: new Date(), asOf: trends.as_of };
      renderStatus();
      document.body.dataset.loaded = 'true';
    } catch (e) {
      if (e.status === 401) $('auth').hidden = false;
      state.status = { error: e.status === 401 ? 401 : 'other', message: e.message };
      renderStatus();
    } finally {
      state.busy = false;
      state.timer = setTimeout(refresh, REFRESH_MS);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Wiring

  $('lang-toggle').addEventListener('click', () => {
    state.lang = state.lang === 'de' ? 'en' : 'de';
    safe(() => localStorage.setItem(LANG_KEY, state.lang));
    renderAll();
    loadChart();
  });
  $('window').addEventListener('change', (e) => { state.window = e.target.value; refresh(); });
  $('chart-select').addEventListener('change', (e) => {
    const [kind, ...rest] = e.target.value.split(':');
    if (kind) select(kind, rest.join(':'));
  });
  $('auth').addEventListener('submit', (e) => {
    e.preventDefault();
    state.token = $('token-input').value.trim();
    safe(() => sessionStorage.setItem(TOKEN_KEY, state.token));
    refresh();
  });
  window.addEventListener('resize', () => { if (state.chart) state.chart.setSize({ width: Math.max(300, $('chart').clientWidth), height: 260 }); });

  applyTexts();
  renderStatus();
  refresh();
})();
