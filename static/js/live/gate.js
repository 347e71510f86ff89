// The legal gate as the live room words it: pure (no DOM), from the `gate` the server sends in
// `state tally` and `poll.closed` (deliberation/turnout.py says the same on the matter page).
// The numbers shown are the server's own strings; floats only place the bars.

/** "1350.20" -> "1,350.20", "118" -> "118": digits grouped by three, the decimals kept as sent. */
export function groupThousands(text) {
  const [whole, decimals] = String(text).split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return decimals === undefined ? grouped : `${grouped}.${decimals}`;
}

/** ">=2/3" -> "≥ 2/3", ">1/2" -> "> 1/2". */
export function shareText(threshold) {
  const text = String(threshold ?? "");
  return text.startsWith(">=") ? `≥ ${text.slice(2)}` : `> ${text.replace(/^>/, "")}`;
}

const LABELS = { heads: "gate_heads", area: "gate_area" };

/** The gate's title, bars and shortfall sentence, in the page's words; null without a gate. */
export function gateView(gate, t) {
  if (!gate || !Array.isArray(gate.measures) || gate.measures.length === 0) return null;
  const bars = gate.measures.map((m) => {
    const area = m.key === "area";
    const value = Number(m.value);
    const total = Number(m.total);
    const share = total > 0 ? Math.min(1, value / total) : 0;
    const [num, den] = Array.isArray(m.line) ? m.line : [0, 1];
    const label = t(gate.kind === "quorum" ? "gate_attending" : LABELS[m.key] ?? m.key, {
      total: area ? groupThousands(m.total) : String(m.total),
      share: shareText(m.threshold),
    });
    const valueText = area ? `${groupThousands(m.value)} m²` : String(m.value);
    return {
      key: `gate-${m.key}`,
      label,
      valueText,
      percent: `${(Math.round(share * 1000) / 10).toFixed(1)}%`,
      share,
      line: den > 0 ? Math.min(1, num / den) : 0,
      met: Boolean(m.met),
    };
  });
  return { title: t(`gate_title_${gate.kind}`), bars, text: shortfallText(gate, t), met: Boolean(gate.met) };
}

/** How far turnout is from the gate, in one sentence (as turnout.shortfall_text says it). */
export function shortfallText(gate, t) {
  const find = (key) => gate.measures.find((m) => m.key === key) ?? null;
  const heads = find("heads");
  const area = find("area");
  if (gate.met) return t(`gate_met_${gate.kind}`);
  if (gate.measures.some((m) => m.short === null || m.short === undefined)) return t("gate_unreachable");
  if (gate.kind === "quorum") return t("gate_short_quorum", { n: heads.short });
  const areaShort = area && Number(area.short) > 0;
  if (heads.short > 0 && areaShort) return t("gate_short_both", { heads: heads.short, area: groupThousands(area.short) });
  if (heads.short > 0) return t("gate_short_heads", { heads: heads.short });
  return t("gate_short_area", { area: groupThousands(area.short) });
}
