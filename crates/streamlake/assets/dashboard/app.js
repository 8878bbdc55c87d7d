// StreamLake dashboard: vanilla ES2020, no dependencies. Every panel fetches its own
// endpoint and renders inline SVG; <body> data attributes report progress (see README.md).
'use strict';
(() => {
  const ALL_PANELS = ['summary', 'rows_per_date', 'event_types', 'top_titles', 'hours_by_date', 'countries',
    'devices', 'playback_quality', 'rejections', 'data_quality', 'health'];
  const NS = 'http://www.w3.org/2000/svg';
  const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
  const params = new URLSearchParams(location.search);
  const VIEW = params.get('view');
  const PANELS = VIEW === 'health' ? ['health'] : ALL_PANELS;
  const body = document.body;
  const $ = (sel) => document.querySelector(sel);

  const C = { indigo: '#4f46e5', teal: '#0f9f8f', amber: '#d97706', red: '#dc2626', slate: '#64748b', p95: '#a5b4fc' };
  const DEVICE_COLOR = { TV: '#4f46e5', MOBILE: '#0f9f8f', WEB: '#d97706', TABLET: '#db2777', CONSOLE: '#0284c7' };
  const deviceColor = (d) => DEVICE_COLOR[d] || C.slate;

  // ---------- formatting ----------
  const nf = (min, max) => new Intl.NumberFormat('en-US', { minimumFractionDigits: min, maximumFractionDigits: max });
  const NF0 = nf(0, 0), NF1 = nf(1, 1), NF2 = nf(2, 2);
  const NFC = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
  const isNum = (v) => typeof v === 'number' && Number.isFinite(v);
  const fmt = {
    int: (v) => (isNum(v) ? NF0.format(v) : '—'),
    dec: (v, d = 1) => (isNum(v) ? (d === 2 ? NF2 : NF1).format(v) : '—'),
    hours: (v) => (isNum(v) ? `${NF1.format(v)} h` : '—'),
    pct: (r, d = 2) => (isNum(r) ? `${nf(d, d).format(r * 100)}%` : '—'),
    compact: (v) => (isNum(v) ? NFC.format(v) : '—'),
    secs: (v) => (isNum(v) ? `${NF0.format(v)} s` : 'n/a'),
  };
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const parseDate = (s) => { const [y, m, d] = s.split('-').map(Number); return new Date(Date.UTC(y, m - 1, d)); };
  const isoDate = (d) => d.toISOString().slice(0, 10);
  const addDays = (s, n) => { const d = parseDate(s); d.setUTCDate(d.getUTCDate() + n); return isoDate(d); };
  const dayDiff = (a, b) => Math.round((parseDate(b) - parseDate(a)) / 86400000);
  const shortDate = (s) => { if (!DATE_RE.test(s)) return String(s); const d = parseDate(s); return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`; };
  const longDate = (s) => { const d = parseDate(s); return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`; };
  const rangeText = (from, to) => {
    if (!from || !to) return 'No data yet';
    const n = dayDiff(from, to) + 1;
    return from === to ? `${longDate(from)} · 1 day` : `${longDate(from)} – ${longDate(to)} · ${n} days`;
  };
  const timeText = (iso) => {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return String(iso);
    return `${longDate(isoDate(d))}, ${d.toISOString().slice(11, 16)} UTC`;
  };
  let regionNames = null;
  try { regionNames = new Intl.DisplayNames(['en'], { type: 'region' }); } catch (e) { /* optional */ }
  const countryName = (code) => { try { return (regionNames && regionNames.of(code)) || code; } catch (e) { return code; } };

  // ---------- DOM helpers ----------
  function setAttrs(el, attrs) {
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') el.textContent = v;
      else if (k === 'style') el.style.cssText = v; // CSSOM: allowed under a strict style-src CSP
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    return el;
  }
  function add(el, kids) {
    for (const k of kids.flat(Infinity)) if (k !== null && k !== undefined && k !== false) el.append(k instanceof Node ? k : String(k));
    return el;
  }
  const h = (tag, attrs, ...kids) => add(setAttrs(document.createElement(tag), attrs), kids);
  const s = (tag, attrs, ...kids) => add(setAttrs(document.createElementNS(NS, tag), attrs), kids);
  const tip = (text) => s('title', null, text);
  const r1 = (v) => Math.round(v * 10) / 10;

  const ctx = document.createElement('canvas').getContext('2d');
  const measure = (text, size = 12, weight = 400) => {
    if (!ctx) return String(text).length * size * 0.56;
    ctx.font = `${weight} ${size}px ${getComputedStyle(body).fontFamily}`;
    return ctx.measureText(String(text)).width;
  };
  const truncate = (text, max, size, weight) => {
    text = String(text);
    if (measure(text, size, weight) <= max) return text;
    let lo = 0, hi = text.length;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (measure(text.slice(0, mid) + '…', size, weight) <= max) lo = mid; else hi = mid - 1; }
    return text.slice(0, lo).trimEnd() + '…';
  };
  const widthOf = (el) => Math.max(260, Math.floor(el.clientWidth || 560));
  const fillH = (el) => (el.classList.contains('fill') ? Math.floor(el.clientHeight) : 0);
  // Draw a chart into host now and again whenever the host's size changes.
  const ro = typeof ResizeObserver === 'function' ? new ResizeObserver((entries) => {
    for (const { target: el } of entries) {
      const size = `${el.clientWidth}x${fillH(el)}`;
      if (el.isConnected && el.drawChart && el.drawnSize !== size) { el.drawnSize = size; el.drawChart(); }
    }
  }) : null;
  function plot(host, chart, rows, o) {
    host.drawChart = () => chart(host, rows, o);
    host.drawChart();
    host.drawnSize = `${host.clientWidth}x${fillH(host)}`;
    if (ro) ro.observe(host);
  }

  function niceTicks(max, n = 4) {
    if (!(max > 0)) return [0, 1];
    const raw = max / n, p = 10 ** Math.floor(Math.log10(raw)), f = raw / p;
    const step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * p;
    const out = [];
    for (let i = 0; i * step < max + step * 0.999; i++) out.push(+(i * step).toPrecision(12));
    if (out.length < 2) out.push(step);
    return out;
  }
  let uid = 0;
  const svgRoot = (W, H, label, cls = 'chart') =>
    s('svg', { class: cls, width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label });

  // ---------- charts ----------
  // Vertical bars over categories (dates). o: key, value, label(k), fmt(v), color, aria, height
  function vbarChart(host, rows, o) {
    const W = widthOf(host), H = Math.max(o.height || 210, fillH(host)), m = { t: 24, r: 8, b: 28, l: 48 };
    const iw = W - m.l - m.r, ih = H - m.t - m.b;
    const tk = niceTicks(Math.max(0, ...rows.map((r) => r[o.value]))), top = tk[tk.length - 1];
    const y = (v) => m.t + ih - (Math.max(0, v) / top) * ih;
    const band = iw / rows.length, bw = Math.min(72, band * 0.62);
    const svg = svgRoot(W, H, o.aria);
    for (const t of tk) {
      svg.append(s('line', { class: 'grid', x1: m.l, x2: W - m.r, y1: r1(y(t)), y2: r1(y(t)) }),
        s('text', { class: 'tick', x: m.l - 8, y: r1(y(t)) + 4, 'text-anchor': 'end' }, fmt.compact(t)));
    }
    const labelEvery = Math.max(1, Math.ceil(52 / band));
    const showValues = rows.every((r) => measure(fmt.compact(r[o.value]), 11) < band - 4);
    rows.forEach((r, i) => {
      const v = r[o.value], k = r[o.key], cx = m.l + band * (i + 0.5), yy = y(v);
      svg.append(s('rect', { class: 'bar', x: r1(cx - bw / 2), y: r1(yy), width: r1(bw), height: r1(m.t + ih - yy), rx: 3,
        fill: o.color, 'data-key': k, 'data-value': String(v) }, tip(`${o.label(k)}: ${o.fmt(v)}`)));
      if (showValues) svg.append(s('text', { class: 'vlabel', x: r1(cx), y: r1(yy) - 6, 'text-anchor': 'middle' }, band > 90 ? o.fmt(v) : fmt.compact(v)));
      if (i % labelEvery === 0) svg.append(s('text', { class: 'tick', x: r1(cx), y: H - 8, 'text-anchor': 'middle' }, o.label(k)));
    });
    svg.append(s('line', { class: 'axis', x1: m.l, x2: W - m.r, y1: m.t + ih, y2: m.t + ih }));
    host.replaceChildren(svg);
  }

  // Horizontal bars, one row per category.
  // o: key, value, label(r), valueText(r), color(r,i), attrs(r), aria, rowH, maxLabel (fraction of width), rank
  function hbarChart(host, rows, o) {
    const W = widthOf(host), top = o.top || 0;
    const rh = fillH(host) ? Math.max(o.rowH || 26, Math.min(o.maxRowH || 34, Math.floor((fillH(host) - top) / rows.length))) : o.rowH || 26;
    const bh = Math.min(16, rh - 8);
    const rankW = o.rank ? measure(String(rows.length), 11, 600) + 12 : 0;
    const labels = rows.map(o.label), vals = rows.map(o.valueText);
    const lw = Math.min(Math.max(40, ...labels.map((t) => measure(t))) + 14, W * (o.maxLabel || 0.36));
    const vw = Math.max(...vals.map((t) => measure(t, 11.5, 600))) + 12;
    const x0 = rankW + lw, x1 = W - vw, H = top + rows.length * rh + 2;
    const max = Math.max(0, ...rows.map((r) => (isNum(r[o.value]) ? r[o.value] : 0))) || 1;
    const svg = svgRoot(W, H, o.aria);
    rows.forEach((r, i) => {
      const v = r[o.value], k = r[o.key], y = top + i * rh + (rh - bh) / 2;
      const w = isNum(v) && v > 0 ? Math.max(2, ((x1 - x0) * v) / max) : 0;
      const full = `${labels[i]}: ${vals[i]}`;
      if (o.rank) svg.append(s('text', { class: 'rank', x: rankW - 10, y: y + bh / 2 + 4, 'text-anchor': 'end' }, String(i + 1)));
      svg.append(s('text', { class: 'label', x: x0 - 10, y: y + bh / 2 + 4, 'text-anchor': 'end' },
        truncate(labels[i], lw - 14), tip(full)));
      svg.append(s('rect', { class: 'track', x: x0, y, width: r1(x1 - x0), height: bh, rx: 3 }));
      svg.append(s('rect', { class: 'bar', x: x0, y, width: r1(w), height: bh, rx: 3, fill: o.color(r, i),
        'data-key': k, 'data-value': String(v), ...(o.attrs ? o.attrs(r) : {}) }, tip(o.tip ? o.tip(r) : full)));
      svg.append(s('text', { class: 'vlabel', x: r1(x0 + w + 6), y: y + bh / 2 + 4 }, vals[i]));
    });
    host.replaceChildren(svg);
  }

  // Horizontal grouped bars: several series per category. o: key, series [{field,label,color,fmt}], aria
  function groupedHbar(host, rows, o) {
    const W = widthOf(host), n = o.series.length, bh = 10, gap = 3, rh = o.rowH || n * (bh + gap) + 12;
    const lw = Math.max(...rows.map((r) => measure(r[o.key]))) + 14;
    const vw = 52, x0 = lw, x1 = W - vw, H = rows.length * rh + 26;
    const max = Math.max(0, ...rows.flatMap((r) => o.series.map((se) => (isNum(r[se.field]) ? r[se.field] : 0)))) || 1;
    const svg = svgRoot(W, H, o.aria);
    let lx = x0;
    for (const se of o.series) {
      svg.append(s('rect', { x: lx, y: 4, width: 10, height: 10, rx: 2, fill: se.color }),
        s('text', { class: 'legend', x: lx + 15, y: 13 }, se.label));
      lx += measure(se.label, 11) + 34;
    }
    rows.forEach((r, i) => {
      const top = 24 + i * rh, k = r[o.key], y0 = top + (rh - n * (bh + gap) + gap) / 2;
      svg.append(s('text', { class: 'label', x: x0 - 10, y: top + rh / 2 + 4, 'text-anchor': 'end' }, k));
      o.series.forEach((se, j) => {
        const v = r[se.field], y = y0 + j * (bh + gap), w = isNum(v) && v > 0 ? Math.max(2, ((x1 - x0) * v) / max) : 0;
        svg.append(s('rect', { class: 'bar', x: x0, y, width: r1(w), height: bh, rx: 2, fill: se.color,
          'data-key': k, 'data-value': String(v), 'data-metric': se.field }, tip(`${k} ${se.label}: ${se.fmt(v)}`)));
        svg.append(s('text', { class: 'vlabel small', x: r1(x0 + w + 5), y: y + bh - 1 }, se.fmt(v)));
      });
    });
    host.replaceChildren(svg);
  }

  // Horizontal stacked bars: one bar per category, one segment per series. o: key, label(k), series [{field,label,color}], fmt, aria
  function stackedHbar(host, rows, o) {
    const W = widthOf(host), rh = 30, bh = 16, top = 24;
    const labels = rows.map((r) => o.label(r[o.key]));
    const totals = rows.map((r) => o.series.reduce((a, se) => a + (isNum(r[se.field]) ? r[se.field] : 0), 0));
    const lw = Math.max(...labels.map((t) => measure(t))) + 14, vw = Math.max(...totals.map((t) => measure(o.fmt(t), 11.5, 600))) + 12;
    const x0 = lw, x1 = W - vw, max = Math.max(0, ...totals) || 1, H = top + rows.length * rh;
    const svg = svgRoot(W, H, o.aria);
    let lx = x0;
    for (const se of o.series) {
      svg.append(s('rect', { x: lx, y: 4, width: 10, height: 10, rx: 2, fill: se.color }), s('text', { class: 'legend', x: lx + 15, y: 13 }, se.label));
      lx += measure(se.label, 11) + 34;
    }
    rows.forEach((r, i) => {
      const y = top + i * rh + (rh - bh) / 2, k = r[o.key];
      svg.append(s('text', { class: 'label', x: x0 - 10, y: y + bh / 2 + 4, 'text-anchor': 'end' }, labels[i]));
      let x = x0;
      for (const se of o.series) {
        const v = r[se.field], w = isNum(v) && v > 0 ? ((x1 - x0) * v) / max : 0;
        svg.append(s('rect', { class: 'bar', x: r1(x), y, width: r1(w), height: bh, fill: se.color, 'data-key': k, 'data-value': String(v), 'data-metric': se.field },
          tip(`${labels[i]} ${se.label.toLowerCase()}: ${o.fmt(v)}`)));
        x += w;
      }
      svg.append(s('text', { class: 'vlabel', x: r1(x + 6), y: y + bh / 2 + 4 }, o.fmt(totals[i])));
    });
    host.replaceChildren(svg);
  }

  // Line + area over dates. o: key, value, fmt, aria, height, tip(r)
  function areaChart(host, rows, o) {
    const W = widthOf(host), H = Math.max(o.height || 260, fillH(host)), m = { t: 28, r: 16, b: 30, l: 56 }, inset = 28;
    const iw = W - m.l - m.r - 2 * inset, ih = H - m.t - m.b;
    const tk = niceTicks(Math.max(0, ...rows.map((r) => r[o.value]))), top = tk[tk.length - 1];
    const x = (i) => m.l + inset + (rows.length === 1 ? iw / 2 : (iw * i) / (rows.length - 1));
    const y = (v) => m.t + ih - (Math.max(0, v) / top) * ih;
    const svg = svgRoot(W, H, o.aria), gid = `grad${++uid}`;
    svg.append(s('defs', null, s('linearGradient', { id: gid, x1: 0, x2: 0, y1: 0, y2: 1 },
      s('stop', { offset: '0%', 'stop-color': C.indigo, 'stop-opacity': 0.28 }),
      s('stop', { offset: '100%', 'stop-color': C.indigo, 'stop-opacity': 0.02 }))));
    for (const t of tk) {
      svg.append(s('line', { class: 'grid', x1: m.l, x2: W - m.r, y1: r1(y(t)), y2: r1(y(t)) }),
        s('text', { class: 'tick', x: m.l - 8, y: r1(y(t)) + 4, 'text-anchor': 'end' }, fmt.compact(t)));
    }
    const pts = rows.map((r, i) => [r1(x(i)), r1(y(r[o.value]))]);
    const base = m.t + ih;
    if (pts.length > 1) {
      const line = pts.map((p, i) => `${i ? 'L' : 'M'}${p[0]},${p[1]}`).join('');
      svg.append(s('path', { d: `${line}L${pts[pts.length - 1][0]},${base}L${pts[0][0]},${base}Z`, fill: `url(#${gid})` }),
        s('path', { d: line, class: 'line', stroke: C.indigo }));
    } else if (pts.length === 1) {
      svg.append(s('rect', { x: pts[0][0] - 32, y: pts[0][1], width: 64, height: r1(base - pts[0][1]), rx: 4, fill: `url(#${gid})` }),
        s('line', { x1: pts[0][0] - 32, x2: pts[0][0] + 32, y1: pts[0][1], y2: pts[0][1], class: 'line', stroke: C.indigo }));
    }
    const spacing = rows.length > 1 ? iw / (rows.length - 1) : iw;
    const labelEvery = Math.max(1, Math.ceil(60 / spacing));
    const maxLabel = Math.max(...rows.map((r) => measure(o.fmt(r[o.value]), 11.5, 600)));
    rows.forEach((r, i) => {
      const [px, py] = pts[i], k = r[o.key], v = r[o.value];
      svg.append(s('circle', { class: 'point', cx: px, cy: py, r: 5, fill: '#fff', stroke: C.indigo,
        'data-key': k, 'data-value': String(v) }, tip(o.tip(r))));
      const lbl = o.fmt(v), tw = measure(lbl, 11.5, 600);
      if (spacing > maxLabel + 10) svg.append(s('text', { class: 'vlabel', x: r1(Math.min(Math.max(px, m.l + tw / 2 + 4), W - m.r - tw / 2)), y: py - 12, 'text-anchor': 'middle' }, lbl));
      if (i % labelEvery === 0) svg.append(s('text', { class: 'tick', x: px, y: H - 8, 'text-anchor': 'middle' }, shortDate(k)));
    });
    svg.append(s('line', { class: 'axis', x1: m.l, x2: W - m.r, y1: base, y2: base }));
    host.replaceChildren(svg);
  }

  // Table. cols: [{key, label, fmt(v, r), num}], o: key, value, metric, foot (array of cells)
  function table(rows, cols, o) {
    return h('div', { class: 'tbl-wrap' }, h('table', { class: `tbl ${o.cls || ''}`, 'aria-label': o.aria },
      h('thead', null, h('tr', null, cols.map((c) => h('th', { class: c.num ? 'num' : null, scope: 'col' }, c.label)))),
      h('tbody', null, rows.map((r) => h('tr', { 'data-key': r[o.key], 'data-value': String(r[o.value]), 'data-metric': o.metric },
        cols.map((c) => h('td', { class: c.num ? 'num' : null, 'data-col': c.key }, c.fmt ? c.fmt(r[c.key], r) : r[c.key]))))),
      o.foot ? h('tfoot', null, h('tr', null, o.foot.map((t, i) => h('td', { class: cols[i].num ? 'num' : null }, t)))) : null));
  }

  const empty = (el, text = 'No data for the selected range.') => el.replaceChildren(h('div', { class: 'empty' }, text));
  const note = (text) => h('p', { class: 'note' }, text);
  const holder = (minH) => h('div', { class: minH ? 'chart-host fill' : 'chart-host', style: minH ? `min-height:${minH}px` : null });
  const sum = (rows, f) => rows.reduce((a, r) => a + (isNum(r[f]) ? r[f] : 0), 0);

  // ---------- panels ----------
  const KPIS = [
    ['events', 'Events', fmt.int, () => 'silver playback events', C.indigo],
    ['plays', 'Plays', fmt.int, (d) => (d.sessions ? `${fmt.dec(d.plays / d.sessions, 2)} per session` : 'title plays'), C.indigo],
    ['sessions', 'Sessions', fmt.int, () => 'playback sessions', C.indigo],
    ['hours_viewed', 'Hours viewed', (v) => fmt.dec(v, 1), (d) => (d.sessions ? `${fmt.dec((d.hours_viewed * 60) / d.sessions, 1)} min per session` : 'playing time'), C.teal],
    ['views', 'Views', (v) => fmt.dec(v, 1), () => 'playing time ÷ runtime', C.teal],
    ['quarantined', 'Quarantined', fmt.int, (d) => [h('span', { 'data-kpi': 'records_in', 'data-value': String(d.records_in) }, `of ${fmt.int(d.records_in)}`), ' records in'], C.amber],
    ['rejection_rate', 'Rejection rate', (v) => fmt.pct(v, 2), (d) => [h('span', { 'data-kpi': 'duplicates_dropped', 'data-value': String(d.duplicates_dropped) }, fmt.int(d.duplicates_dropped)), ' duplicates'], C.red],
  ];

  const RENDER = {
    summary(el, d) {
      el.replaceChildren(...KPIS.map(([k, label, f, sub, color]) => h('div', { class: 'kpi', 'data-kpi': k, 'data-value': String(d[k]), style: `--accent:${color}` },
        h('div', { class: 'kpi-label' }, label),
        h('div', { class: 'kpi-value' }, f(d[k]), k === 'hours_viewed' ? h('span', { class: 'unit' }, ' h') : null),
        h('div', { class: 'kpi-sub' }, sub(d)))));
    },
    rows_per_date(el, d) {
      if (!d.rows.length) return empty(el);
      const c = holder(); el.replaceChildren(c, note(`${fmt.int(sum(d.rows, 'rows'))} rows over ${d.rows.length} ${d.rows.length === 1 ? 'date' : 'dates'}`));
      plot(c, vbarChart, d.rows, { key: 'event_date', value: 'rows', label: shortDate, fmt: fmt.int, color: C.teal, height: 190, aria: 'Bar chart: silver rows per event date' });
    },
    event_types(el, d) {
      if (!d.rows.length) return empty(el);
      const c = holder(); el.replaceChildren(c);
      const color = (r) => (r.event_type === 'PLAYBACK_ERROR' ? C.red : r.event_type.startsWith('REBUFFER') ? C.amber : C.indigo);
      plot(c, hbarChart, d.rows, { key: 'event_type', value: 'events', label: (r) => r.event_type, color, rowH: 30,
        valueText: (r) => `${fmt.int(r.events)} · ${fmt.pct(r.share, 1)}`, aria: 'Horizontal bar chart: events by event type' });
    },
    top_titles(el, d) {
      if (!d.rows.length) return empty(el);
      const c = holder(); el.replaceChildren(c);
      plot(c, hbarChart, d.rows, { key: 'title_id', value: 'views', label: (r) => r.title_name, color: () => C.indigo, rank: true, maxLabel: 0.5, rowH: 28,
        attrs: (r) => ({ 'data-label': r.title_name }), valueText: (r) => fmt.dec(r.views, 1),
        tip: (r) => `${r.title_name} (${r.title_id}): ${fmt.dec(r.views, 1)} views, ${fmt.hours(r.hours_viewed)}, ${fmt.int(r.plays)} plays`,
        aria: `Horizontal bar chart: top ${d.rows.length} titles by views` });
    },
    hours_by_date(el, d) {
      if (!d.rows.length) return empty(el);
      const c = holder(240);
      const stats = h('div', { class: 'minis' },
        h('div', null, h('span', null, 'Hours viewed'), h('strong', null, fmt.hours(sum(d.rows, 'hours_viewed')))),
        h('div', null, h('span', null, 'Daily average'), h('strong', null, fmt.hours(sum(d.rows, 'hours_viewed') / d.rows.length))),
        h('div', null, h('span', null, 'Plays'), h('strong', null, fmt.int(sum(d.rows, 'plays')))),
        h('div', null, h('span', null, 'Sessions'), h('strong', null, fmt.int(sum(d.rows, 'sessions')))),
        h('div', null, h('span', null, 'Peak day'), h('strong', null, shortDate(d.rows.reduce((a, r) => (r.hours_viewed > a.hours_viewed ? r : a)).event_date))));
      el.replaceChildren(stats, c);
      plot(c, areaChart, d.rows, { key: 'event_date', value: 'hours_viewed', fmt: fmt.hours, height: 250, aria: 'Area chart: hours viewed per event date',
        tip: (r) => `${longDate(r.event_date)}: ${fmt.hours(r.hours_viewed)}, ${fmt.int(r.plays)} plays, ${fmt.int(r.sessions)} sessions` });
    },
    countries(el, d) {
      if (!d.rows.length) return empty(el);
      const rows = d.rows.slice(0, 15), total = sum(d.rows, 'hours_viewed'), shown = sum(rows, 'hours_viewed');
      const c = holder(rows.length * 24);
      el.replaceChildren(c, note(`Showing ${rows.length} of ${fmt.int(d.rows.length)} countries · ${fmt.pct(total ? shown / total : 0, 1)} of all hours viewed`));
      plot(c, hbarChart, rows, { key: 'country', value: 'hours_viewed', label: (r) => `${r.country} · ${countryName(r.country)}`, color: () => C.indigo, rowH: 24, maxRowH: 32,
        valueText: (r) => fmt.hours(r.hours_viewed), tip: (r) => `${countryName(r.country)} (${r.country}): ${fmt.hours(r.hours_viewed)}, ${fmt.int(r.plays)} plays, ${fmt.int(r.sessions)} sessions`,
        aria: 'Horizontal bar chart: top 15 countries by hours viewed' });
    },
    devices(el, d) {
      if (!d.rows.length) return empty(el);
      const total = sum(d.rows, 'hours_viewed'), c = holder(); el.replaceChildren(c);
      plot(c, hbarChart, d.rows, { key: 'device_type', value: 'hours_viewed', label: (r) => r.device_type, color: (r) => deviceColor(r.device_type), rowH: 30,
        valueText: (r) => `${fmt.hours(r.hours_viewed)} · ${fmt.pct(total ? r.hours_viewed / total : 0, 1)}`,
        tip: (r) => `${r.device_type}: ${fmt.hours(r.hours_viewed)}, ${fmt.int(r.plays)} plays, ${fmt.int(r.sessions)} sessions`,
        aria: 'Horizontal bar chart: hours viewed by device type' });
    },
    playback_quality(el, d) {
      if (!d.rows.length) return empty(el);
      const a = holder(), b = holder(), t = holder();
      const cell = (title, sub, host) => h('div', { class: 'pq-cell' }, h('h3', null, title, h('span', null, sub)), host);
      const rows = d.rows;
      el.replaceChildren(h('div', { class: 'pq-grid' },
        cell('Rebuffer ratio', 'rebuffer ÷ playing time', a),
        cell('Error sessions per 1,000', 'sessions with a PLAYBACK_ERROR', b),
        cell('Time to first heartbeat', 'median and p95, seconds', t)),
      table(rows, [
        { key: 'device_type', label: 'Device', fmt: (v) => h('span', { class: 'dev' }, h('i', { style: `background:${deviceColor(v)}` }), v) },
        { key: 'sessions', label: 'Sessions', num: true, fmt: fmt.int },
        { key: 'playing_hours', label: 'Playing', num: true, fmt: fmt.hours },
        { key: 'rebuffer_hours', label: 'Rebuffering', num: true, fmt: fmt.hours },
        { key: 'rebuffer_ratio', label: 'Rebuffer ratio', num: true, fmt: (v) => (isNum(v) ? fmt.pct(v, 2) : 'n/a') },
        { key: 'error_sessions', label: 'Error sessions', num: true, fmt: fmt.int },
        { key: 'error_sessions_per_1000', label: 'Errors / 1,000', num: true, fmt: (v) => fmt.dec(v, 2) },
        { key: 'ttfh_median_s', label: 'TTFH median', num: true, fmt: fmt.secs },
        { key: 'ttfh_p95_s', label: 'TTFH p95', num: true, fmt: fmt.secs },
      ], { key: 'device_type', value: 'sessions', metric: 'sessions', aria: 'Playback quality per device', cls: 'compact' }));
      const dev = (r) => deviceColor(r.device_type);
      plot(a, hbarChart, rows, { key: 'device_type', value: 'rebuffer_ratio', label: (r) => r.device_type, color: dev, rowH: 38, top: 24,
        attrs: () => ({ 'data-metric': 'rebuffer_ratio' }), valueText: (r) => (isNum(r.rebuffer_ratio) ? fmt.pct(r.rebuffer_ratio, 2) : 'n/a'),
        aria: 'Horizontal bar chart: rebuffer ratio by device' });
      plot(b, hbarChart, rows, { key: 'device_type', value: 'error_sessions_per_1000', label: (r) => r.device_type, color: dev, rowH: 38, top: 24,
        attrs: () => ({ 'data-metric': 'error_sessions_per_1000' }), valueText: (r) => fmt.dec(r.error_sessions_per_1000, 2),
        aria: 'Horizontal bar chart: error sessions per 1,000 sessions by device' });
      plot(t, groupedHbar, rows, { key: 'device_type', rowH: 38, aria: 'Grouped bar chart: time to first heartbeat, median and p95, by device', series: [
        { field: 'ttfh_median_s', label: 'Median', color: C.indigo, fmt: fmt.secs },
        { field: 'ttfh_p95_s', label: 'p95', color: C.p95, fmt: fmt.secs }] });
    },
    rejections(el, d) {
      if (!d.rows.length) return empty(el, 'No records were quarantined in this range.');
      const total = sum(d.rows, 'quarantined'), c = holder(d.rows.length * 26);
      el.replaceChildren(c, note(`${fmt.int(total)} records quarantined in total`));
      plot(c, hbarChart, d.rows, { key: 'reason_code', value: 'quarantined', label: (r) => r.reason_code, color: () => C.red, rowH: 26, maxRowH: 34,
        valueText: (r) => `${fmt.int(r.quarantined)} · ${fmt.pct(total ? r.quarantined / total : 0, 1)}`,
        aria: 'Horizontal bar chart: quarantined records by reason code' });
    },
    data_quality(el, d) {
      if (!d.rows.length) return empty(el);
      const tot = (f) => sum(d.rows, f), rin = tot('records_in'), c = holder();
      const balanced = (r) => {
        const diff = r.records_in - r.written - r.quarantined - r.duplicates_dropped;
        return h('span', { class: `bal ${diff === 0 ? 'ok' : 'bad'}` }, diff === 0 ? '✓ balanced' : `✕ off by ${fmt.int(diff)}`);
      };
      el.replaceChildren(h('h3', { class: 'sub' }, 'Records not written, by cause'), c, table(d.rows, [
        { key: 'ingest_date', label: 'Ingest date', fmt: (v) => (DATE_RE.test(v) ? longDate(v) : v) },
        { key: 'raw_objects', label: 'Objects', num: true, fmt: fmt.int },
        { key: 'records_in', label: 'Records in', num: true, fmt: fmt.int },
        { key: 'written', label: 'Written', num: true, fmt: fmt.int },
        { key: 'quarantined', label: 'Quarantined', num: true, fmt: fmt.int },
        { key: 'duplicates_dropped', label: 'Duplicates', num: true, fmt: fmt.int },
        { key: 'rejection_rate', label: 'Rejected', num: true, fmt: (v) => fmt.pct(v, 3) },
        { key: 'ledger', label: 'Ledger', fmt: (v, r) => balanced(r) },
      ], { key: 'ingest_date', value: 'rejection_rate', metric: 'rejection_rate', aria: 'Data quality per ingest date', cls: 'compact',
        foot: ['Total', fmt.int(tot('raw_objects')), fmt.int(rin), fmt.int(tot('written')), fmt.int(tot('quarantined')), fmt.int(tot('duplicates_dropped')), fmt.pct(rin ? tot('quarantined') / rin : 0, 3), ''] }),
      note('Every ledger must balance: records in = written + quarantined + duplicates dropped.'));
      plot(c, stackedHbar, d.rows, { key: 'ingest_date', label: (k) => (DATE_RE.test(k) ? longDate(k) : k), fmt: fmt.int,
        aria: 'Stacked bar chart: quarantined and duplicate records per ingest date', series: [
          { field: 'quarantined', label: 'Quarantined', color: C.red }, { field: 'duplicates_dropped', label: 'Duplicates dropped', color: C.amber }] });
    },
    health(el, d) {
      const checks = d.checks || [], bad = checks.filter((c) => !c.ok).length, ok = d.ok === true;
      const asof = $('#health-asof'); if (asof) asof.textContent = `As of ${timeText(d.as_of)}`;
      el.replaceChildren(h('div', { id: 'health', class: `health ${ok ? 'ok' : 'bad'}`, 'data-ok': String(ok) },
        h('div', { class: 'health-banner' }, h('span', { class: 'ind', role: 'img', 'aria-label': ok ? 'healthy' : 'unhealthy' }),
          h('div', null, h('strong', null, ok ? 'All systems operational' : bad ? `${bad} of ${checks.length} checks failing` : 'Pipeline unhealthy'),
            h('span', null, `${checks.length - bad} of ${checks.length} checks passing`))),
        h('ul', { class: 'checks' }, checks.map((c) => h('li', { class: `check ${c.ok ? 'ok' : 'bad'}`, 'data-check': c.id, 'data-ok': String(c.ok === true) },
          h('span', { class: 'ind', role: 'img', 'aria-label': c.ok ? 'passing' : 'failing' }),
          h('div', { class: 'check-main' },
            h('div', { class: 'check-top' }, h('span', { class: 'check-label' }, c.label), h('span', { class: 'check-value' }, c.value)),
            h('div', { class: 'check-detail' }, c.detail)))))));
    },
  };

  // ---------- data loading & state ----------
  const state = { from: '', to: '', dates: null, gen: 0, ready: 0, errors: 0, cache: {} };
  const qs = (from, to) => { const p = new URLSearchParams(); if (from) p.set('from', from); if (to) p.set('to', to); return p; };
  const endpoint = (name) => {
    if (name === 'health') return '/api/health';
    const p = qs(state.from, state.to);
    if (name === 'top_titles') p.set('limit', '10');
    const q = p.toString();
    return `/api/${name}${q ? `?${q}` : ''}`;
  };

  async function getJSON(url) {
    const ctl = new AbortController(), timer = setTimeout(() => ctl.abort(), 30000);
    let res, text;
    try {
      res = await fetch(url, { headers: { Accept: 'application/json' }, cache: 'no-store', signal: ctl.signal });
      text = await res.text();
    } catch (e) {
      throw new Error(e.name === 'AbortError' ? 'the request timed out after 30 s' : `network error: ${e.message}`);
    } finally { clearTimeout(timer); }
    let data = null;
    try { data = JSON.parse(text); } catch (e) { /* handled below */ }
    if (!res.ok) throw new Error(`HTTP ${res.status}${data && data.error ? `: ${data.error}` : ''}`);
    if (data === null || typeof data !== 'object') throw new Error('the response is not a JSON object');
    return data;
  }

  function publish() {
    body.dataset.panels = String(PANELS.length);
    body.dataset.ready = String(state.ready);
    body.dataset.errors = String(state.errors);
    const done = state.ready >= PANELS.length;
    body.dataset.state = done ? 'ready' : 'loading';
    const st = $('#status');
    st.className = `status ${done ? (state.errors ? 'bad' : 'ok') : 'busy'}`;
    st.textContent = !done ? `Loading ${state.ready}/${PANELS.length}`
      : state.errors ? `${state.errors} of ${PANELS.length} panels failed` : `${PANELS.length} ${PANELS.length === 1 ? 'panel' : 'panels'} up to date`;
  }

  function renderPanel(name) {
    const sec = document.getElementById(`panel-${name}`), data = state.cache[name];
    if (!sec || !data) return;
    const el = sec.querySelector('.panel-body');
    if (name !== 'summary' && name !== 'health' && !Array.isArray(data.rows)) throw new Error('the response has no "rows" array');
    if (name === 'health' && !Array.isArray(data.checks)) throw new Error('the response has no "checks" array');
    RENDER[name](el, data);
  }

  async function loadPanel(name, gen) {
    const sec = document.getElementById(`panel-${name}`), el = sec.querySelector('.panel-body'), url = endpoint(name);
    sec.dataset.status = 'loading';
    sec.setAttribute('aria-busy', 'true');
    let error = null;
    try {
      const data = await getJSON(url);
      if (gen !== state.gen) return;
      state.cache[name] = data;
      renderPanel(name);
    } catch (e) {
      if (gen !== state.gen) return;
      error = e;
      delete state.cache[name];
    }
    if (error) {
      el.replaceChildren(h('div', { class: 'panel-error', role: 'alert' },
        h('strong', null, 'This panel could not be loaded'), h('code', null, `GET ${url}`), h('span', null, error.message || String(error))));
    }
    sec.dataset.status = error ? 'error' : 'ready';
    sec.removeAttribute('aria-busy');
    state.ready += 1;
    if (error) state.errors += 1;
    publish();
  }

  function apply(from, to, updateUrl) {
    const msg = $('#filter-msg');
    msg.textContent = '';
    const d = state.dates;
    from = from || (d && d.min) || '';
    to = to || (d && d.max) || '';
    if (from && to && from > to) { msg.textContent = '“From” must not be after “To”.'; return false; }
    state.gen += 1;
    state.from = from;
    state.to = to;
    state.ready = 0;
    state.errors = 0;
    body.dataset.from = from;
    body.dataset.to = to;
    $('#from').value = from;
    $('#to').value = to;
    $('#range-text').textContent = rangeText(from, to);
    if (updateUrl) {
      const p = new URLSearchParams(location.search);
      for (const [k, v] of [['from', from], ['to', to]]) { if (v) p.set(k, v); else p.delete(k); }
      history.replaceState(null, '', `${location.pathname}?${p}`);
    }
    publish();
    for (const name of PANELS) loadPanel(name, state.gen);
    return true;
  }

  function quick(kind) {
    const d = state.dates;
    if (!d || !d.min) return apply('', '', true);
    if (kind === 'all') return apply(d.min, d.max, true);
    if (kind === 'last') return apply(d.max, d.max, true);
    if (kind === 'first') return apply(d.min, d.min, true);
    if (kind === 'week') { const f = addDays(d.max, -6); return apply(f < d.min ? d.min : f, d.max, true); }
  }

  async function init() {
    if (VIEW === 'health') {
      body.classList.add('view-health');
      for (const sec of document.querySelectorAll('section.panel')) if (sec.id !== 'panel-health') sec.remove();
      for (const st of document.querySelectorAll('.stack')) if (!st.children.length) st.remove();
    }
    publish();
    $('#filters').addEventListener('submit', (e) => { e.preventDefault(); apply($('#from').value, $('#to').value, true); });
    for (const b of document.querySelectorAll('[data-quick]')) b.addEventListener('click', () => quick(b.dataset.quick));
    try {
      const d = await getJSON('/api/dates');
      state.dates = { dates: d.dates || [], min: d.min || null, max: d.max || null };
      for (const id of ['from', 'to']) { if (d.min) $(`#${id}`).min = d.min; if (d.max) $(`#${id}`).max = d.max; }
    } catch (e) {
      $('#filter-msg').textContent = `Could not load the available dates (${e.message}); showing every date.`;
    }
    const pick = (k) => { const v = params.get(k); return v && DATE_RE.test(v) ? v : ''; };
    if (!apply(pick('from'), pick('to'), false)) {
      apply('', '', false);
      $('#filter-msg').textContent = 'The ?from date is after ?to; showing every date instead.';
    }
  }

  init();
})();
