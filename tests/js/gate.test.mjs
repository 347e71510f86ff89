// The legal gate as the live room words it (static/js/live/gate.js), and the reducer carrying
// it from `state tally` and `poll.closed`: `node --test tests/js/`.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { gateView, groupThousands, shareText, shortfallText } from "../../static/js/live/gate.js";
import { initialState, reduce } from "../../static/js/live/room-state.js";

// The words, as deliberation/turnout.py's GATE_STRINGS give them in Chinese.
const TABLE = {
  gate_title_participation: "参与情况对照法定参与比例",
  gate_title_quorum: "出席情况对照法定人数",
  gate_heads: "参与业主，共 %(total)s 户（需 %(share)s）",
  gate_area: "参与面积，共 %(total)s m²（需 %(share)s）",
  gate_attending: "出席，共 %(total)s 人（法定人数 %(share)s）",
  gate_short_both: "还差 %(heads)s 户、%(area)s m² 才达到法定参与比例",
  gate_short_heads: "还差 %(heads)s 户才达到法定参与比例",
  gate_short_area: "还差 %(area)s m² 才达到法定参与比例",
  gate_short_quorum: "还差 %(n)s 人才达到法定人数",
  gate_met_participation: "已达到法定参与比例。",
  gate_met_quorum: "已达到法定人数。",
  gate_unreachable: "无法达到：表决范围为空。",
};
const t = (key, values = {}) => (TABLE[key] ?? key).replace(/%\((\w+)\)s/g, (_m, name) => String(values[name]));

function owners({ heads = [9, 118, 70], area = ["850.00", "10000.00", "5816.67"] } = {}) {
  const measure = (key, [value, total, short]) => ({
    key,
    value,
    total,
    threshold: ">=2/3",
    line: [2, 3],
    met: short === 0 || short === "0.00",
    short,
  });
  const measures = [measure("heads", heads), measure("area", area)];
  return { kind: "participation", met: measures.every((m) => m.met), measures };
}

describe("the gate's words", () => {
  it("groups thousands and keeps the decimals as sent", () => {
    assert.equal(groupThousands("1350.20"), "1,350.20");
    assert.equal(groupThousands("1234567.05"), "1,234,567.05");
    assert.equal(groupThousands("118"), "118");
    assert.equal(groupThousands("0.00"), "0.00");
  });

  it("writes thresholds as symbols", () => {
    assert.equal(shareText(">=2/3"), "≥ 2/3");
    assert.equal(shareText(">1/2"), "> 1/2");
  });

  it("says both shortfalls of an owners' vote", () => {
    assert.equal(shortfallText(owners({ heads: [9, 118, 12], area: ["850.00", "10000.00", "1350.20"] }), t), "还差 12 户、1,350.20 m² 才达到法定参与比例");
  });

  it("says only the measure still short", () => {
    assert.equal(shortfallText(owners({ heads: [79, 118, 0] }), t), "还差 5,816.67 m² 才达到法定参与比例");
    assert.equal(shortfallText(owners({ area: ["9000.00", "10000.00", "0.00"] }), t), "还差 70 户才达到法定参与比例");
    assert.equal(shortfallText(owners({ heads: [79, 118, 0], area: ["9000.00", "10000.00", "0.00"] }), t), "已达到法定参与比例。");
  });

  it("says a residents' meeting's quorum in people", () => {
    const gate = { kind: "quorum", met: false, measures: [{ key: "heads", value: 50, total: 100, threshold: ">1/2", line: [1, 2], met: false, short: 1 }] };
    assert.equal(shortfallText(gate, t), "还差 1 人才达到法定人数");
    const view = gateView(gate, t);
    assert.equal(view.bars.length, 1);
    assert.equal(view.bars[0].label, "出席，共 100 人（法定人数 > 1/2）");
    assert.equal(view.bars[0].line, 0.5);
  });

  it("says an empty electorate cannot reach the gate", () => {
    const gate = owners({ heads: [0, 0, null], area: ["0.00", "0.00", null] });
    assert.equal(shortfallText(gate, t), "无法达到：表决范围为空。");
    assert.equal(gateView(gate, t).bars[0].share, 0);
  });

  it("draws two bars with the 2/3 line for owners", () => {
    const view = gateView(owners(), t);
    assert.deepEqual(view.bars.map((b) => b.key), ["gate-heads", "gate-area"]);
    assert.equal(view.bars[0].label, "参与业主，共 118 户（需 ≥ 2/3）");
    assert.equal(view.bars[1].label, "参与面积，共 10,000.00 m²（需 ≥ 2/3）");
    assert.equal(view.bars[1].valueText, "850.00 m²");
    assert.equal(view.bars[0].percent, "7.6%");
    assert.equal(view.bars[0].line, 2 / 3);
    assert.equal(view.title, "参与情况对照法定参与比例");
  });

  it("has nothing to draw without a gate", () => {
    assert.equal(gateView(null, t), null);
    assert.equal(gateView({ kind: "quorum", measures: [] }, t), null);
  });
});

describe("the reducer carries the gate", () => {
  const snap = {
    type: "snapshot",
    seq: 10,
    meeting: { id: 1, status: "live", current_item: 1, chair: 5 },
    rules: {},
    agenda: [{ id: 1, title: "业主大会", position: 1 }],
    speaker: null,
    queue: [],
    polls: [{ id: 9, status: "open", question: "续聘物业？", choices: [], tally: { poll: 9, turnout: 0, electorate: 118 } }],
    chat: [],
    presence: { total: 0, by_role: {} },
    you: { id: 17 },
  };

  it("takes a live tally's gate in place of the last", () => {
    let { state } = reduce(initialState(), snap, 0);
    const gate = owners();
    ({ state } = reduce(state, { type: "state", kind: "tally", data: { poll: 9, turnout: 9, electorate: 118, status: "open", gate } }, 0));
    assert.deepEqual(state.room.polls[0].tally.gate, gate);
  });

  it("keeps the gate the closing event sends with the result", () => {
    let { state } = reduce(initialState(), snap, 0);
    const gate = owners();
    const result = { participation: { heads: 9, area: "850.00" }, electorate: { heads: 118, area: "10000.00" }, quorum_met: false, passed: false, counts: {} };
    ({ state } = reduce(state, { type: "event", seq: 11, kind: "poll.closed", data: { id: 9, status: "closed", result, gate } }, 0));
    assert.deepEqual(state.room.polls[0].tally.gate, gate);
    assert.equal(state.room.polls[0].tally.turnout, 9);
  });
});
