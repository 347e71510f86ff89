// Verified role badges in the live room (communities.badges on the server): the reducer keeps
// the badges the server sends with each person, and the page words only codes it knows.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { initialState, reduce } from "../../static/js/live/room-state.js";
import { createStrings } from "../../static/js/live/strings.js";

const NOW = Date.parse("2026-03-01T10:00:00Z");
const STRINGS = createStrings({
  "badge_party_committee.secretary": "党委书记",
  "badge_council.member": "议事会成员",
  person_badged: "%(name)s（已核实职务：%(badges)s）",
  badge_separator: "、",
});

function loaded() {
  const snapshot = {
    type: "snapshot",
    seq: 1,
    meeting: { id: 1, title: "议事会", status: "live", current_item: 1, chair: 5, chair_badges: ["party_committee.secretary"] },
    rules: { alternate: false },
    agenda: [{ id: 1, title: "加装电梯", position: 1, acting_chair: null }],
    speaker: null,
    queue: [{ user: 8, name: "陈建国", badges: ["party_committee.secretary"], side: "neutral" }],
    polls: [],
    chat: [],
    presence: { total: 2, by_role: {}, quorum: null },
    you: { id: 9, is_chair: false, may_take_part: true },
  };
  return reduce(initialState(), snapshot, NOW).state;
}

const event = (seq, kind, data) => ({ type: "event", seq, kind, data });

describe("badges", () => {
  it("keeps the badges of a raised hand in the queue, and none where the server sent none", () => {
    let { state } = reduce(loaded(), event(2, "hand.raised", { user: 9, name: "党委书记 王书记", badges: [], side: "neutral" }), NOW);
    ({ state } = reduce(state, event(3, "hand.raised", { user: 10, name: "林秀英", badges: ["council.member"], side: "neutral" }), NOW));
    ({ state } = reduce(state, event(4, "hand.raised", { user: 11, name: "旧客户端" }), NOW));
    const queue = state.room.queue.map((hand) => [hand.name, STRINGS.badgeLabels(hand.badges)]);
    assert.deepEqual(queue, [
      ["陈建国", ["党委书记"]],
      ["党委书记 王书记", []], // a name that says 党委书记 is only a name
      ["林秀英", ["议事会成员"]],
      ["旧客户端", []],
    ]);
  });

  it("keeps the speaker's and the chat line's badges as the event sent them", () => {
    let { state, effects } = reduce(loaded(), event(2, "chat.message", { id: 1, user: 8, name: "陈建国", badges: ["party_committee.secretary"], html: "<p>好</p>", at: "2026-03-01T10:00:00Z" }), NOW);
    assert.deepEqual(effects[0].line.badges, ["party_committee.secretary"]);
    ({ state } = reduce(state, event(3, "floor.granted", { user: 8, name: "陈建国", badges: ["party_committee.secretary"], side: "neutral", started_at: "2026-03-01T10:00:00Z", ends_at: "2026-03-01T10:02:00Z", seconds: 120, item: 1 }), NOW));
    assert.deepEqual(STRINGS.badgeLabels(state.room.speaker.badges), ["党委书记"]);
  });

  it("names a person with their verified roles for those who hear the page", () => {
    assert.equal(STRINGS.personLabel({ name: "王书记", badges: ["party_committee.secretary", "council.member"] }), "王书记（已核实职务：党委书记、议事会成员）");
    assert.equal(STRINGS.personLabel({ name: "党委书记 王书记", badges: [] }), "党委书记 王书记");
  });

  it("words only the codes it knows, and nothing that is not a code", () => {
    assert.deepEqual(STRINGS.badgeLabels(["party_committee.secretary", "made.up", 7, null]), ["党委书记"]);
    assert.deepEqual(STRINGS.badgeLabels(undefined), []);
    assert.deepEqual(STRINGS.badgeLabels("party_committee.secretary"), []);
  });
});
