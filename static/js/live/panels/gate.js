// The gate's bars in a poll card: an SVG built once, as deliberation/charts.py draws it on the
// matter page (a track, a fill, the line at the share to reach), then updated in place.

import { h } from "../dom.js";
import { gateView } from "../gate.js";

const NS = "http://www.w3.org/2000/svg";
const WIDTH = 480;
const TRACK = 320; // WIDTH minus the value column
const ROW = 44;
const HEADER = 24;

function svg(tag, attrs = {}, text = null) {
  const el = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  if (text !== null) el.textContent = text;
  return el;
}

export function createGate(t) {
  const chart = svg("svg", { class: "bar-chart", role: "img", width: WIDTH, viewBox: `0 0 ${WIDTH} ${HEADER}` });
  const title = svg("title");
  const caption = svg("text", { class: "bar-total", x: 0, y: 14 });
  chart.append(title, caption);
  const text = h("figcaption", { class: "gate__text" });
  const root = h("figure", { class: "chart gate", hidden: true }, chart, text);
  const rows = new Map();

  function row(key, index) {
    const top = HEADER + ROW * index;
    const track = top + 20;
    const parts = {
      label: svg("text", { class: "bar-label", x: 0, y: top + 14 }),
      fill: svg("rect", { class: "bar-fill", x: 0, y: track, width: 0, height: 14 }),
      line: svg("line", { class: "bar-threshold", y1: track - 3, y2: track + 17 }),
      value: svg("text", { class: "bar-value", x: TRACK + 8, y: track + 11 }),
    };
    const group = svg("g", { class: "bar", "data-key": key });
    group.append(parts.label, svg("rect", { class: "bar-track", x: 0, y: track, width: TRACK, height: 14 }), parts.fill, parts.line, parts.value);
    chart.append(group);
    return parts;
  }

  /** Show `gate` (the server's JSON), or hide the figure when there is none. */
  function update(gate) {
    const view = gateView(gate, t);
    root.hidden = view === null;
    if (view === null) return;
    root.classList.toggle("gate--met", view.met);
    title.textContent = view.title;
    caption.textContent = view.title;
    chart.setAttribute("aria-label", [view.title, ...view.bars.map((b) => `${b.label}: ${b.valueText} (${b.percent})`), view.text].join("; "));
    view.bars.forEach((bar, index) => {
      if (!rows.has(bar.key)) rows.set(bar.key, row(bar.key, index));
      const parts = rows.get(bar.key);
      parts.label.textContent = bar.label;
      parts.fill.setAttribute("width", (TRACK * bar.share).toFixed(2));
      parts.fill.setAttribute("class", bar.met ? "bar-fill bar-fill--highlight" : "bar-fill");
      const x = (TRACK * bar.line).toFixed(2);
      parts.line.setAttribute("x1", x);
      parts.line.setAttribute("x2", x);
      parts.value.textContent = `${bar.valueText} · ${bar.percent}`;
    });
    const height = HEADER + ROW * rows.size + 4;
    chart.setAttribute("height", height);
    chart.setAttribute("viewBox", `0 0 ${WIDTH} ${height}`);
    text.textContent = view.text;
  }

  return { root, update };
}
