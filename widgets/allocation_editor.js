// portlab allocation editor: one bar per instrument, grouped by sector; drag a bar to set its
// target weight. Plain ES module, no dependencies, no build step.
//
// It follows anywidget's contract (`export default { render({ model, el }) }`), so the same
// file runs in Jupyter through anywidget and in Panel through `panel.custom.AnyWidgetComponent`.
//
// What it reads from the model (all set by Python, see portlab.widgets.allocation_editor):
//   instruments     [{id, sector, current}]   current weights, fractions of NAV
//   target_weights  {id: weight}              the targets, fractions of NAV
//   limits          {position|sector|leverage: {limit, hard}, allow_short, near}
//   colors          {neutral, amber, red, current, buy, sell}
//   decisions       [{instrument, action, shares, amount, reasoning}]   display strings
//   rejections      [{instrument, reason}]
//   summary, error  strings;  busy  bool
// What it writes: `target_weights`, once per release of a bar (model.set + save_changes).
// While a bar moves, only the page changes: the breach colours are recomputed here (a weight,
// a sector's sum of |weight| and the sum of all |weight| against the limits), no engine call.

const SVG = "http://www.w3.org/2000/svg";
const ROW = 24; // px per instrument row
const HEAD = 30; // px per sector header row
const AXIS = 52; // px above the first row (the cap's label, then the axis)
const LABEL = 72; // px for the tickers on the left
const VALUE = 104; // px for the weight text on the right
const WIDTH = 640; // px of the chart
const STEP = 1e-4; // weights move in steps of 1 bp
const TOL = 1e-12; // the engine's size tolerance (portlab.engine.tolerances.SIZE_TOL)

function svg(tag, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (parent) parent.appendChild(node);
  return node;
}

function html(tag, cls = "", parent = null, text = null) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== null) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

function pct(w) {
  return `${(100 * w).toFixed(1)}%`;
}

// where a measure stands against its limit (portlab.plots.palette.limit_status)
function status(value, rule, near) {
  if (!rule) return "within";
  if (value > rule.limit + TOL) return rule.hard ? "over-hard" : "over-soft";
  if (value >= near * rule.limit - TOL) return "near";
  return "within";
}

function statusColor(s, colors) {
  if (s === "over-hard") return colors.red;
  if (s === "near" || s === "over-soft") return colors.amber;
  return colors.neutral;
}

function niceStep(span) {
  const raw = span / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

function render({ model, el }) {
  el.classList.add("portlab-alloc");
  el.replaceChildren();
  const main = html("div", "pa-main", el);
  const left = html("div", "pa-chart-col", main);
  const side = html("div", "pa-side", main);

  html("div", "pa-title", left, "Target weights by sector (% of NAV) — drag a bar");
  const lev = html("div", "pa-leverage", left);
  const levLabel = html("span", "pa-lev-label", lev, "Gross leverage");
  const levTrack = html("span", "pa-lev-track", lev);
  const levFill = html("span", "pa-lev-fill", levTrack);
  const levText = html("span", "pa-lev-text", lev);
  levLabel.title = "Sum of |weight| over all instruments against the leverage limit";
  const scroll = html("div", "pa-scroll", left);
  const chart = svg("svg", { class: "pa-chart", width: WIDTH }, scroll);
  const legend = html("div", "pa-legend", left);

  const status_ = html("div", "pa-status", side);
  html("div", "pa-side-title", side, "Decisions from the engine");
  const summary = html("div", "pa-summary", side);
  const table = html("table", "pa-decisions", side);
  const rejected = html("div", "pa-rejections", side);
  const reset = html("button", "pa-reset", side, "Reset targets to current weights");

  // ---- state of this view ----
  let rows = []; // [{id, sector, current, target, node refs}]
  let groups = new Map(); // sector -> {ids, refs}
  let limits = {};
  let colors = {};
  let x = (w) => w;
  let inv = (px) => px;
  let lo = 0;
  let hi = 0.1;
  let frame = 0;
  const dirty = new Set();

  function readTargets() {
    const t = model.get("target_weights") || {};
    for (const r of rows) r.target = t[r.id] !== undefined ? Number(t[r.id]) : r.current;
  }

  function build() {
    limits = model.get("limits") || {};
    colors = model.get("colors") || {};
    const near = limits.near ?? 0.9;
    const instruments = model.get("instruments") || [];
    rows = instruments.map((d) => ({ id: d.id, sector: d.sector, current: Number(d.current) }));
    readTargets();
    groups = new Map();
    for (const r of rows) {
      if (!groups.has(r.sector)) groups.set(r.sector, { ids: [], refs: null });
      groups.get(r.sector).ids.push(r);
    }
    const cap = limits.position ? limits.position.limit : 0.05;
    const biggest = Math.max(cap, ...rows.map((r) => Math.abs(r.current)), ...rows.map((r) => Math.abs(r.target)));
    hi = Math.max(2 * cap, 1.15 * biggest);
    lo = limits.allow_short ? -hi : 0;
    const x0 = LABEL;
    const x1 = WIDTH - VALUE;
    x = (w) => x0 + ((w - lo) / (hi - lo)) * (x1 - x0);
    inv = (px) => lo + ((px - x0) / (x1 - x0)) * (hi - lo);

    chart.replaceChildren();
    const height = AXIS + groups.size * HEAD + rows.length * ROW + 8;
    chart.setAttribute("height", height);
    chart.setAttribute("viewBox", `0 0 ${WIDTH} ${height}`);

    // axis: ticks on top, light grid lines
    const step = niceStep(hi - lo);
    const axis = svg("g", { class: "pa-axis" }, chart);
    for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-12; t += step) {
      svg("line", { x1: x(t), x2: x(t), y1: AXIS - 4, y2: height - 4, class: "pa-grid" }, axis);
      svg("text", { x: x(t), y: AXIS - 8, "text-anchor": "middle" }, axis).textContent = pct(t);
    }
    svg("line", { x1: x(0), x2: x(0), y1: AXIS - 4, y2: height - 4, class: "pa-zero" }, axis);

    let y = AXIS;
    for (const [sector, g] of groups) {
      const head = svg("g", { class: "pa-sector" }, chart);
      svg("rect", { x: 0, y, width: WIDTH, height: HEAD - 4, class: "pa-sector-band" }, head);
      svg("text", { x: 6, y: y + 17, class: "pa-sector-name" }, head).textContent = sector;
      const mx = WIDTH - VALUE - 150;
      const track = svg("rect", { x: mx, y: y + 8, width: 110, height: 10, class: "pa-meter-track" }, head);
      track.appendChild(document.createElementNS(SVG, "title")).textContent =
        `Sector gross exposure (sum of |weight|) against the ${pct(limits.sector?.limit ?? 0)} sector cap`;
      const fill = svg("rect", { x: mx, y: y + 8, width: 0, height: 10, class: "pa-meter-fill" }, head);
      // the sector cap sits at 4/5 of the meter, so an excess up to 25% stays visible
      svg("line", { x1: mx + 88, x2: mx + 88, y1: y + 5, y2: y + 21, class: "pa-cap-tick" }, head);
      const text = svg("text", { x: WIDTH - 4, y: y + 17, "text-anchor": "end", class: "pa-sector-value" }, head);
      g.refs = { fill, text, mx };
      y += HEAD;
      for (const r of g.ids) {
        const row = svg("g", { class: "pa-row", "data-id": r.id }, chart);
        svg("rect", { x: 0, y, width: WIDTH, height: ROW, class: "pa-hit" }, row);
        svg("text", { x: LABEL - 8, y: y + 16, "text-anchor": "end", class: "pa-ticker" }, row).textContent = r.id;
        const cur = svg("rect", { y: y + 4, height: ROW - 8, class: "pa-current" }, row);
        const bar = svg("rect", { y: y + 7, height: ROW - 14, class: "pa-bar", "data-id": r.id }, row);
        const value = svg("text", { x: WIDTH - 4, y: y + 16, "text-anchor": "end", class: "pa-value" }, row);
        const tip = row.appendChild(document.createElementNS(SVG, "title"));
        const [a, b] = [Math.min(x(0), x(r.current)), Math.max(x(0), x(r.current))];
        cur.setAttribute("x", a);
        cur.setAttribute("width", Math.max(b - a, 1));
        Object.assign(r, { row, bar, value, tip });
        row.addEventListener("pointerdown", (ev) => startDrag(ev, r));
        y += ROW;
      }
    }
    // the position cap (and its mirror when shorts are allowed)
    const capG = svg("g", { class: "pa-caps" }, chart);
    for (const c of limits.allow_short ? [cap, -cap] : [cap]) {
      svg("line", { x1: x(c), x2: x(c), y1: 20, y2: height - 4, class: "pa-cap" }, capG);
    }
    const capLabel = svg("text", { x: x(cap), y: 14, "text-anchor": "middle", class: "pa-cap-label" }, capG);
    capLabel.textContent = `position cap ${pct(cap)}${limits.position?.hard ? "" : " (soft)"}`;

    legend.replaceChildren();
    const item = (cls, text) => {
      const s = html("span", "pa-legend-item", legend);
      html("span", `pa-swatch ${cls}`, s);
      s.appendChild(document.createTextNode(text));
    };
    item("pa-sw-target", "target weight");
    item("pa-sw-current", "current weight");
    item("pa-sw-cap", `position cap ${pct(cap)}`);
    item("pa-sw-near", `near a limit (≥ ${Math.round(near * 100)}%)`);
    item("pa-sw-over", "over a hard limit");
    item("pa-sw-tick", `limit tick on the meters: sector cap ${pct(limits.sector?.limit ?? 0)}, leverage ${(limits.leverage?.limit ?? 0).toFixed(2)}x`);
    for (const r of rows) dirty.add(r);
    draw();
  }

  function draw() {
    frame = 0;
    const near = limits.near ?? 0.9;
    for (const r of dirty) {
      const [a, b] = [Math.min(x(0), x(r.target)), Math.max(x(0), x(r.target))];
      r.bar.setAttribute("x", a);
      r.bar.setAttribute("width", Math.max(b - a, 1));
      const s = status(Math.abs(r.target), limits.position, near);
      r.bar.setAttribute("fill", statusColor(s, colors));
      r.bar.dataset.status = s;
      r.row.dataset.status = s;
      r.value.textContent = Math.abs(r.target - r.current) > 5e-5 ? `${pct(r.current)} → ${pct(r.target)}` : pct(r.target);
      r.value.setAttribute("fill", s === "over-hard" ? colors.red : "currentColor");
      r.tip.textContent = `${r.id} (${r.sector}): current ${pct(r.current)}, target ${pct(r.target)}`;
    }
    dirty.clear();
    let gross = 0;
    for (const [, g] of groups) {
      const total = g.ids.reduce((acc, r) => acc + Math.abs(r.target), 0);
      gross += total;
      const cap = limits.sector?.limit ?? 1;
      const s = status(total, limits.sector, near);
      g.refs.fill.setAttribute("width", Math.min(total / cap, 1.25) * 88);
      g.refs.fill.setAttribute("fill", statusColor(s, colors));
      g.refs.fill.dataset.status = s;
      g.refs.text.textContent = `${pct(total)} / ${pct(cap)}`;
      g.refs.text.setAttribute("fill", s === "over-hard" ? colors.red : "currentColor");
    }
    const lcap = limits.leverage?.limit ?? 1;
    const ls = status(gross, limits.leverage, near);
    levFill.style.width = `${Math.min(gross / lcap, 1.25) * 80}%`;
    levFill.style.background = statusColor(ls, colors);
    levFill.dataset.status = ls;
    levText.textContent = `${gross.toFixed(2)}x of ${lcap.toFixed(2)}x`;
  }

  function schedule(r) {
    if (r) dirty.add(r);
    if (!frame) frame = requestAnimationFrame(draw);
  }

  function weightAt(ev) {
    const box = chart.getBoundingClientRect();
    const px = ((ev.clientX - box.left) / box.width) * WIDTH;
    const w = Math.min(hi, Math.max(lo, inv(px)));
    return Math.round(w / STEP) * STEP;
  }

  function startDrag(ev, r) {
    if (ev.button !== 0) return;
    ev.preventDefault();
    const target = ev.currentTarget;
    target.setPointerCapture?.(ev.pointerId);
    el.classList.add("pa-dragging");
    r.target = weightAt(ev);
    schedule(r);
    const move = (e) => {
      r.target = weightAt(e);
      schedule(r);
    };
    const up = (e) => {
      r.target = weightAt(e);
      target.removeEventListener("pointermove", move);
      target.removeEventListener("pointerup", up);
      target.removeEventListener("pointercancel", up);
      el.classList.remove("pa-dragging");
      if (frame) cancelAnimationFrame(frame);
      dirty.add(r);
      draw();
      commit();
    };
    target.addEventListener("pointermove", move);
    target.addEventListener("pointerup", up);
    target.addEventListener("pointercancel", up);
  }

  function commit() {
    const t = {};
    for (const r of rows) t[r.id] = r.target;
    model.set("target_weights", t);
    model.save_changes();
  }

  reset.addEventListener("click", () => {
    for (const r of rows) {
      r.target = r.current;
      dirty.add(r);
    }
    draw();
    commit();
  });

  function showResults() {
    const busy = Boolean(model.get("busy"));
    const error = model.get("error") || "";
    status_.replaceChildren();
    status_.className = "pa-status";
    if (busy) {
      status_.classList.add("pa-busy");
      status_.textContent = "Computing decisions…";
    } else if (error) {
      status_.classList.add("pa-error");
      status_.textContent = error;
    }
    summary.textContent = model.get("summary") || "";
    table.replaceChildren();
    const decisions = model.get("decisions") || [];
    if (decisions.length) {
      const head = html("tr", "", html("thead", "", table));
      for (const h of ["Instrument", "Action", "Shares", "Amount"]) html("th", "", head, h);
      const body = html("tbody", "", table);
      for (const d of decisions) {
        const tr = html("tr", "", body);
        html("td", "", tr, d.instrument);
        const act = html("td", "pa-action", tr, d.action);
        act.style.color = d.action === "BUY" ? colors.buy : d.action === "SELL" ? colors.sell : "";
        html("td", "pa-num", tr, d.shares);
        html("td", "pa-num", tr, d.amount);
        if (d.reasoning) {
          const why = html("td", "pa-why", html("tr", "pa-why-row", body), d.reasoning);
          why.colSpan = 4;
        }
      }
    }
    rejected.replaceChildren();
    for (const r of model.get("rejections") || []) {
      html("div", "pa-rejection", rejected, `✕ ${r.instrument}: ${r.reason}`);
    }
  }

  const onTargets = () => {
    readTargets();
    for (const r of rows) dirty.add(r);
    schedule(null);
  };
  const handlers = [
    ["change:instruments", build],
    ["change:limits", build],
    ["change:colors", build],
    ["change:target_weights", onTargets],
    ["change:decisions", showResults],
    ["change:rejections", showResults],
    ["change:summary", showResults],
    ["change:error", showResults],
    ["change:busy", showResults],
  ];
  for (const [name, fn] of handlers) model.on(name, fn);
  build();
  showResults();
  return () => {
    if (frame) cancelAnimationFrame(frame);
    if (typeof model.off === "function") for (const [name, fn] of handlers) model.off(name, fn);
  };
}

export default { render };
