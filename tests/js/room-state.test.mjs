// The live room's reducer (static/js/live/room-state.js), frame by frame: `node --test tests/js/`.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  CHAT_KEEP,
  PARTS,
  initialState,
  nextSpeakerHand,
  reduce,
} from "../../static/js/live/room-state.js";

const NOW = Date.parse("2026-03-01T10:00:00Z");
const ALL = [...PARTS];

function snapshot(overrides = {}) {
  return {
    type: "snapshot",
    seq: 10,
    meeting: { id: 1, title: "居民议事会", status: "live", current_item: 1, chair: 5 },
    rules: { speech_seconds: 120, max_speeches: 2, alternate: true },
    agenda: [
      { id: 1, title: "加装电梯", position: 1, acting_chair: null },
      { id: 2, title: "垃圾分类", position: 2, acting_chair: null },
    ],
    speaker: null,
    queue: [],
    polls: [],
    chat: [],
    presence: { total: 3, by_role: {}, quorum: null },
    you: { id: 17, is_chair: false, may_take_part: true },
    ...overrides,
  };
}

const event = (seq, kind, data) => ({ type: "event", seq, kind, data });
const hand = (seq, user, side = "neutral", extra = {}) => event(seq, "hand.raised", { user, name: `u${user}`, side, ...extra });
const chat = (seq, id, extra = {}) => event(seq, "chat.message", { id, user: 3, name: "李娜", html: `<p>${id}</p>`, at: "2026-03-01T10:00:00Z", ...extra });

/** Feed frames one after the other; returns the last state and every effect, in order. */
function run(frames, state = initialState(), now = NOW) {
  const effects = [];
  for (const frame of frames) {
    const result = reduce(state, frame, now);
    state = result.state;
    effects.push(...result.effects);
  }
  return { state, effects };
}

const loaded = (overrides) => run([snapshot(overrides)]).state;
const types = (effects) => effects.map((e) => e.type);

function deepFreeze(value) {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

describe("snapshot", () => {
  it("loads the room, current to its seq, and draws every part and the chat", () => {
    const { state, effects } = run([snapshot({ chat: [{ id: 1, html: "x" }], present: undefined })]);
    assert.equal(state.seq, 10);
    assert.equal(state.room.meeting.status, "live");
    assert.equal(state.room.agenda.length, 2);
    assert.equal(state.room.present, null);
    assert.equal(state.room.next_speaker, null);
    assert.deepEqual(effects, [
      { type: "seq", seq: 10 },
      { type: "render", parts: [...ALL, "chat"] },
    ]);
  });

  it("ignores numbered events that come before it", () => {
    const { state, effects } = run([hand(1, 21)]);
    assert.equal(state.room, null);
    assert.deepEqual(effects, []);
  });

  it("keeps only held events beyond a new snapshot, and asks to resume when some are left", () => {
    let state = loaded();
    state = run([hand(12, 21), hand(15, 22)], state).state; // a gap: both held
    const { state: after, effects } = run([snapshot({ seq: 13 })], state);
    assert.deepEqual(after.early.map((e) => e.seq), [15]);
    assert.equal(after.resuming, true);
    assert.deepEqual(effects.at(-1), { type: "resume", since: 13 });
  });

  it("does not ask to resume on the first snapshot", () => {
    const { effects } = run([snapshot()]);
    assert.ok(!types(effects).includes("resume"));
  });
});

describe("numbered events", () => {
  it("applies the next event, advances the seq and redraws", () => {
    const { state, effects } = run([hand(11, 21, "pro")], loaded());
    assert.deepEqual(state.room.queue, [{ user: 21, name: "u21", badges: [], side: "pro" }]);
    assert.equal(state.seq, 11);
    assert.deepEqual(effects, [
      { type: "seq", seq: 11 },
      { type: "render", parts: ALL },
    ]);
  });

  it("appends a new chat line without redrawing the room", () => {
    const { state, effects } = run([chat(11, 100)], loaded());
    assert.equal(state.room.chat.length, 1);
    assert.deepEqual(types(effects), ["chat", "seq"]);
    assert.equal(effects[0].line.id, 100);
  });

  it("does not append a chat line it already has (same id, a later seq)", () => {
    const { state, effects } = run([chat(11, 100), chat(12, 100)], loaded());
    assert.equal(state.room.chat.length, 1);
    assert.equal(state.seq, 12);
    assert.equal(effects.filter((e) => e.type === "chat").length, 1);
  });

  it(`keeps the last ${CHAT_KEEP} chat lines`, () => {
    const frames = Array.from({ length: CHAT_KEEP + 5 }, (_, i) => chat(11 + i, 1000 + i));
    const { state } = run(frames, loaded());
    assert.equal(state.room.chat.length, CHAT_KEEP);
    assert.equal(state.room.chat[0].id, 1005);
  });

  it("gives the floor: the hand leaves the queue and the speaker is set", () => {
    const granted = event(13, "floor.granted", { user: 21, name: "u21", side: "pro", started_at: "2026-03-01T10:00:02Z", ends_at: "2026-03-01T10:02:02Z", seconds: 120 });
    const { state } = run([hand(11, 21), hand(12, 22), granted], loaded());
    assert.deepEqual(state.room.queue.map((h) => h.user), [22]);
    assert.equal(state.room.speaker.user, 21);
    // A fresh event tells the server's clock: 2 s ahead of this one.
    assert.equal(state.clockOffset, 2000);
    const ended = run([event(14, "floor.ended", { user: 21, seconds: 30, reason: "ended" })], state).state;
    assert.equal(ended.room.speaker, null);
  });

  it("moving on marks the item done and lowers every hand; an acting chair asks for a fresh snapshot", () => {
    const { state, effects } = run([hand(11, 21), event(12, "agenda.current", { item: 2 })], loaded());
    assert.equal(state.room.meeting.current_item, 2);
    assert.equal(state.room.agenda[0].done, true);
    assert.deepEqual(state.room.queue, []);
    assert.ok(!types(effects).includes("reconnect"));
    const acting = loaded({ agenda: [{ id: 1, title: "a", position: 1, acting_chair: 9 }, { id: 2, title: "b", position: 2 }] });
    assert.deepEqual(run([event(11, "agenda.current", { item: 2 })], acting).effects.at(-1), { type: "reconnect" });
  });

  it("asks for a fresh snapshot when the chair is handed to this person", () => {
    const { state, effects } = run([event(11, "chair.handed", { item: 1, user: 17, name: "me" })], loaded());
    assert.equal(state.room.agenda[0].acting_chair, 17);
    assert.deepEqual(effects.at(-1), { type: "reconnect" });
    const other = run([event(11, "chair.handed", { item: 1, user: 30, name: "x" })], loaded());
    assert.ok(!types(other.effects).includes("reconnect"));
  });

  it("keeps a poll's tally and vote when it opens again, and takes the frozen result when it closes", () => {
    const opened = event(11, "poll.opened", { id: 9, question: "是否同意？", kind: "yes_no_abstain", status: "open", choices: [] });
    let { state } = run([opened], loaded());
    assert.deepEqual(state.room.polls[0].tally, { poll: 9, turnout: 0, electorate: null, status: "open" });
    assert.equal(state.room.polls[0].eligible, null);
    state = run([{ type: "state", kind: "tally", data: { poll: 9, turnout: 2, electorate: 5, status: "open" } }], state).state;
    state = run([{ type: "voted", poll: 9 }], state).state;
    const result = { participation: { heads: 3 }, electorate: { heads: 5 }, passed: true };
    state = run([event(12, "poll.closed", { id: 9, status: "closed", result })], state).state;
    const poll = state.room.polls[0];
    assert.equal(poll.voted, true);
    assert.equal(poll.question, "是否同意？");
    assert.deepEqual(poll.tally, { poll: 9, status: "closed", turnout: 3, electorate: 5 });
  });

  it("ignores kinds it does not know, but still counts their seq", () => {
    const { state, effects } = run([event(11, "something.new", { x: 1 })], loaded());
    assert.equal(state.seq, 11);
    assert.deepEqual(types(effects), ["seq", "render"]);
  });
});

describe("duplicates", () => {
  it("ignores an event at or below the last seq applied: same state, no effects", () => {
    const before = run([hand(11, 21)], loaded()).state;
    for (const seq of [11, 10, 3]) {
      const { state, effects } = reduce(before, hand(seq, 99), NOW);
      assert.equal(state, before);
      assert.deepEqual(effects, []);
    }
  });

  it("applies an event once when it arrives both held back and again in order", () => {
    let state = run([hand(12, 22)], loaded()).state; // held
    state = run([hand(11, 21), hand(12, 22)], state).state; // 11 releases 12; 12 again is old
    assert.deepEqual(state.room.queue.map((h) => h.user), [21, 22]);
    assert.equal(state.seq, 12);
    assert.deepEqual(state.early, []);
  });
});

describe("gaps and resume", () => {
  it("holds an event that comes early and asks once to resume from the last seq applied", () => {
    const { state, effects } = run([hand(12, 22), hand(14, 24)], loaded());
    assert.equal(state.seq, 10);
    assert.deepEqual(state.early.map((e) => e.seq), [12, 14]);
    assert.deepEqual(state.room.queue, []);
    assert.deepEqual(effects, [{ type: "resume", since: 10 }]); // once, not per held event
  });

  it("fills the gap from the replay, then applies the held events in order", () => {
    let state = run([hand(12, 22), hand(13, 23)], loaded()).state;
    const { state: after, effects } = run([hand(11, 21)], state);
    assert.deepEqual(after.room.queue.map((h) => h.user), [21, 22, 23]);
    assert.equal(after.seq, 13);
    assert.deepEqual(after.early, []);
    assert.deepEqual(effects, [
      { type: "seq", seq: 13 },
      { type: "render", parts: ALL },
    ]);
    assert.equal(after.resuming, true); // until the resume's ack
  });

  it("on the resume's ack applies what is still held, beyond events not meant for this user", () => {
    // 11 and 13 were for someone else (the chair): the replay skips them.
    let state = run([hand(12, 22), chat(14, 500)], loaded()).state;
    const { state: after, effects } = run([{ type: "resumed", seq: 15 }], state);
    assert.equal(after.resuming, false);
    assert.deepEqual(after.early, []);
    assert.equal(after.seq, 15); // the ack's seq, beyond the last held
    assert.deepEqual(after.room.queue.map((h) => h.user), [22]);
    assert.deepEqual(types(effects), ["chat", "seq", "render"]);
    assert.deepEqual(effects.at(-1), { type: "render", parts: ALL });
  });

  it("does not take the server's time from events applied during a resume", () => {
    const granted = (seq, at) => event(seq, "floor.granted", { user: 21, name: "u21", side: "pro", started_at: at, ends_at: at, seconds: 60 });
    let state = run([granted(12, "2026-03-01T10:00:09Z")], loaded()).state; // held: not fresh
    state = run([granted(11, "2026-03-01T10:00:03Z")], state).state; // in order, but resuming
    assert.equal(state.clockOffset, null);
    state = run([{ type: "resumed", seq: 12 }, granted(13, "2026-03-01T10:00:04Z")], state).state;
    assert.equal(state.clockOffset, 4000);
  });

  it("asks again after a failed resume, and after the socket closed", () => {
    let { state } = run([hand(12, 22), { type: "resume-failed" }], loaded());
    assert.equal(state.resuming, false);
    let again = run([hand(13, 23)], state);
    assert.deepEqual(again.effects, [{ type: "resume", since: 10 }]);
    const closed = run([{ type: "closed" }], again.state);
    assert.equal(closed.state.resuming, false);
    assert.deepEqual(closed.effects, [{ type: "render", parts: ALL }]);
  });

  it("asks for a fresh snapshot when a held event needs one", () => {
    const acting = loaded({ agenda: [{ id: 1, title: "a", position: 1, acting_chair: 9 }, { id: 2, title: "b", position: 2 }] });
    const state = run([event(12, "agenda.current", { item: 2 })], acting).state;
    const { effects } = run([{ type: "resumed", seq: 12 }], state);
    assert.deepEqual(effects.at(-1), { type: "reconnect" });
  });
});

describe("batched events frames", () => {
  const batch = (...frames) => ({ type: "events", events: frames.map(({ seq, kind, data }) => ({ seq, kind, data })) });

  it("applies each event as its own frame would, with one redraw", () => {
    const frames = [hand(11, 21), chat(12, 100), hand(13, 23), event(14, "hand.lowered", { user: 21 })];
    const one = run(frames, loaded()).state;
    const { state, effects } = run([batch(...frames)], loaded());
    assert.deepEqual(state, one);
    assert.deepEqual(effects, [
      { type: "chat", line: frames[1].data },
      { type: "seq", seq: 14 },
      { type: "render", parts: ALL },
    ]);
  });

  it("skips duplicates and holds what lies beyond a gap inside a batch", () => {
    const { state, effects } = run([batch(hand(9, 1), hand(10, 2), hand(11, 21), hand(13, 23))], loaded());
    assert.equal(state.seq, 11);
    assert.deepEqual(state.room.queue.map((h) => h.user), [21]);
    assert.deepEqual(state.early.map((e) => e.seq), [13]);
    assert.deepEqual(effects, [
      { type: "seq", seq: 11 },
      { type: "render", parts: ALL },
      { type: "resume", since: 11 },
    ]);
  });

  it("draws nothing for a batch of chat lines but appends each", () => {
    const { effects } = run([batch(chat(11, 1), chat(12, 2))], loaded());
    assert.deepEqual(types(effects), ["chat", "chat", "seq"]);
  });
});

describe("state frames", () => {
  const open = (extra = {}) => loaded({ polls: [{ id: 9, status: "open", voted: false, eligible: null, tally: { poll: 9, turnout: 0 }, ...extra }] });

  it("takes presence and the chair's list of names, and redraws presence only", () => {
    const presence = { total: 7, by_role: { resident: 7 }, quorum: { present: 7, needed: 5, met: true } };
    const { state, effects } = run([{ type: "state", kind: "presence", data: presence }], loaded());
    assert.deepEqual(state.room.presence, presence);
    assert.deepEqual(effects, [{ type: "render", parts: ["presence"] }]);
    const named = run([{ type: "state", kind: "present", data: [{ id: 1, name: "王芳" }] }], state);
    assert.deepEqual(named.state.room.present, [{ id: 1, name: "王芳" }]);
    assert.deepEqual(named.effects, [{ type: "render", parts: ["presence"] }]);
  });

  it("takes a live tally for a known poll, and ignores one for a poll it does not know", () => {
    const tally = { poll: 9, turnout: 4, electorate: 6, status: "open", counts: { yes: 3, no: 1 } };
    const { state, effects } = run([{ type: "state", kind: "tally", data: tally }], open());
    assert.deepEqual(state.room.polls[0].tally, tally);
    assert.deepEqual(effects, [{ type: "render", parts: ["polls"] }]);
    const before = open();
    const unknown = reduce(before, { type: "state", kind: "tally", data: { ...tally, poll: 77 } }, NOW);
    assert.equal(unknown.state, before);
    assert.deepEqual(unknown.effects, []);
  });

  it("takes eligibility unless this person has voted already", () => {
    const { state } = run([{ type: "state", kind: "eligible", data: { poll: 9, eligible: false } }], open());
    assert.equal(state.room.polls[0].eligible, false);
    const voted = open({ voted: true, eligible: true });
    const after = reduce(voted, { type: "state", kind: "eligible", data: { poll: 9, eligible: false } }, NOW);
    assert.equal(after.state.room.polls[0].eligible, true);
    assert.deepEqual(after.effects, []);
  });

  it("does not move the seq, and is ignored before a snapshot", () => {
    const { state } = run([{ type: "state", kind: "presence", data: { total: 1 } }], loaded());
    assert.equal(state.seq, 10);
    const early = reduce(initialState(), { type: "state", kind: "presence", data: { total: 1 } }, NOW);
    assert.equal(early.state.room, null);
    assert.deepEqual(early.effects, []);
  });

  it("records this person's ballot, and a refusal", () => {
    const { state } = run([{ type: "voted", poll: 9 }], open());
    assert.equal(state.room.polls[0].voted, true);
    assert.equal(state.room.polls[0].eligible, true);
    const refused = run([{ type: "vote-refused", poll: 9 }], open()).state;
    assert.equal(refused.room.polls[0].eligible, false);
    assert.equal(refused.room.polls[0].voted, false);
  });
});

describe("next speaker, as the server decides it", () => {
  // The rules alternate, the last speaker was pro and a con hand waits: the browser used to
  // pick the con itself. Now only the server's `next_speaker` counts.
  const room = (next) =>
    loaded({
      speaker: { user: 30, name: "u30", side: "pro" },
      queue: [
        { user: 21, name: "u21", side: "pro" },
        { user: 22, name: "u22", side: "con" },
      ],
      next_speaker: next,
    });

  it("comes from the snapshot", () => {
    const state = room(21);
    assert.equal(state.room.next_speaker, 21);
    assert.equal(nextSpeakerHand(state.room).user, 21);
  });

  it("marks no hand when the server suggests none, whatever the sides", () => {
    assert.equal(room(null).room.next_speaker, null);
    assert.equal(nextSpeakerHand(room(null).room), null);
    assert.equal(nextSpeakerHand(room(undefined).room), null); // a server that does not send it yet
  });

  it("follows every event that carries it, and only those", () => {
    let state = room(21);
    const steps = [
      [hand(11, 23, "con", { next_speaker: 23 }), 23],
      [event(12, "hand.lowered", { user: 23, next_speaker: 22 }), 22],
      [chat(13, 1), 22], // no next_speaker key: unchanged
      [event(14, "floor.granted", { user: 22, name: "u22", side: "con", started_at: "x", ends_at: "x", seconds: 60, next_speaker: 21 }), 21],
      [event(15, "floor.ended", { user: 22, seconds: 60, reason: "ended", next_speaker: null }), null],
      [event(16, "agenda.current", { item: 2, next_speaker: null }), null],
      [hand(17, 24, "neutral", { next_speaker: 24 }), 24],
    ];
    for (const [frame, expected] of steps) {
      state = run([frame], state).state;
      assert.equal(state.room.next_speaker, expected, `after ${frame.kind} at ${frame.seq}`);
    }
    assert.equal(nextSpeakerHand(state.room).user, 24);
  });

  it("names no hand when the suggested person is not waiting", () => {
    assert.equal(nextSpeakerHand(room(99).room), null);
  });
});

describe("purity", () => {
  it("never changes the state or the frame it is given", () => {
    const frames = [
      snapshot({ polls: [{ id: 9, status: "open", voted: false, eligible: null, tally: { poll: 9 } }], next_speaker: 21 }),
      hand(11, 21, "pro", { next_speaker: 21 }),
      hand(13, 23), // a gap
      chat(12, 5),
      { type: "events", events: [{ seq: 14, kind: "agenda.added", data: { id: 3, title: "c", position: 0 } }, { seq: 15, kind: "chair.handed", data: { item: 1, user: 8 } }] },
      event(16, "agenda.current", { item: 2 }),
      event(17, "poll.opened", { id: 10, status: "open", choices: [] }),
      { type: "state", kind: "tally", data: { poll: 9, turnout: 1 } },
      { type: "state", kind: "eligible", data: { poll: 10, eligible: true } },
      { type: "voted", poll: 9 },
      event(19, "meeting.status", { status: "adjourned", item: null }),
      { type: "resumed", seq: 19 },
      { type: "closed" },
      snapshot({ seq: 30 }),
    ];
    let state = deepFreeze(initialState());
    for (const frame of frames) {
      deepFreeze(frame);
      const copy = JSON.stringify(state);
      const result = reduce(state, frame, NOW); // a frozen object throws if written to
      assert.equal(JSON.stringify(state), copy);
      state = deepFreeze(result.state);
    }
    assert.equal(state.seq, 30);
  });

  it("gives the same answer for the same input", () => {
    const state = loaded();
    const frame = hand(11, 21);
    assert.deepEqual(reduce(state, frame, NOW), reduce(state, frame, NOW));
  });
});
