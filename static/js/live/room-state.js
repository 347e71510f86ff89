// The live room's state, as a pure reducer: reduce(state, frame, now) -> {state, effects}.
//
// No DOM, no globals, no timers, no clock: `now` (the client's clock, in ms) is passed in, and
// the given state is never changed (a new one is returned, sharing what did not change). What
// the page must do about a frame comes back as plain data in `effects`, in order:
//
//   {type: "chat", line}            append one new chat line to the log
//   {type: "render", parts: [...]}  redraw these parts (names in PARTS, plus "chat": the whole log)
//   {type: "seq", seq}              the page is now current to this seq
//   {type: "resume", since}         ask the server for the events after `since`, then send
//                                   back {type: "resumed", seq} (its ack) or {type: "resume-failed"}
//   {type: "reconnect"}             take a fresh snapshot (who chairs may have changed)
//
// Frames from the server (docs/protocol.md): `snapshot`, `event`, `events` and `state`. Frames
// from the page itself: `resumed`, `resume-failed`, `closed` (the socket dropped), `voted` and
// `vote-refused` (the answer to this person's ballot).

export const CHAT_KEEP = 200; // chat lines kept (the page shows as many)

/** The parts of the page a full render draws, in the order it draws them. */
export const PARTS = ["header", "agenda", "floor", "queue", "hand", "polls", "chat-form", "presence", "chair"];

export function initialState() {
  return {
    room: null, // the room as the last snapshot and the events since make it; null before one
    seq: 0, // the last numbered event applied
    early: [], // events that arrived ahead of a gap, in seq order, held until it is filled
    resuming: false, // a `resume` is on its way and not answered yet
    clockOffset: null, // server clock minus client clock (ms), estimated from fresh events
  };
}

export function reduce(state, frame, now) {
  const step = REDUCERS[frame?.type];
  return step ? step(state, frame, now) : { state, effects: [] };
}

const REDUCERS = {
  snapshot: onSnapshot,
  event: (state, frame, now) => onEvents(state, [frame], now),
  events: (state, frame, now) => onEvents(state, frame.events ?? [], now),
  state: onState,
  resumed: onResumed,
  "resume-failed": (state) => ({ state: { ...state, resuming: false }, effects: [] }),
  closed: (state) => ({
    state: { ...state, resuming: false },
    effects: state.room ? [{ type: "render", parts: [...PARTS] }] : [],
  }),
  voted: (state, frame) => changePoll(state, frame.poll, (poll) => ({ ...poll, voted: true, eligible: true })),
  "vote-refused": (state, frame) => changePoll(state, frame.poll, (poll) => ({ ...poll, eligible: false })),
};

// ---------------------------------------------------------------------------------------------
// Snapshot: the whole room, current to its seq

function loadRoom(frame) {
  return {
    meeting: frame.meeting,
    rules: frame.rules,
    agenda: [...frame.agenda],
    speaker: frame.speaker,
    queue: [...frame.queue],
    polls: [...frame.polls],
    chat: [...frame.chat],
    presence: frame.presence,
    present: frame.present ?? null,
    you: frame.you,
    next_speaker: frame.next_speaker ?? null, // decided by the server (docs/protocol.md)
  };
}

function onSnapshot(state, frame) {
  const reconnecting = state.room !== null;
  // The snapshot is authoritative: it is current to its seq, so nothing before it is missing.
  const early = state.early.filter((held) => held.seq > frame.seq);
  const next = { ...state, room: loadRoom(frame), seq: frame.seq, early, resuming: false };
  const effects = [
    { type: "seq", seq: frame.seq },
    { type: "render", parts: [...PARTS, "chat"] },
  ];
  // Events held back from before a reconnect that lie beyond the snapshot: replay the gap.
  if (reconnecting && early.length) {
    next.resuming = true;
    effects.push({ type: "resume", since: frame.seq });
  }
  return { state: next, effects };
}

// ---------------------------------------------------------------------------------------------
// Numbered events, strictly in seq order

/** Apply `frames` (each {seq, kind, data}) one by one, as `event` frames would be. */
function onEvents(state, frames, now) {
  let next = state;
  const chat = [];
  let render = false;
  let refresh = false;
  let advanced = false;
  let resume = null;
  for (const frame of frames) {
    if (!next.room || frame.seq <= next.seq) continue; // before the snapshot, or already applied
    if (frame.seq > next.seq + 1) {
      next = { ...next, early: holdBack(next.early, frame) }; // the replay fills the gap before it
      if (!next.resuming) {
        next = { ...next, resuming: true };
        resume = { type: "resume", since: next.seq };
      }
      continue;
    }
    const batch = [{ frame, fresh: !next.resuming }];
    let seq = frame.seq;
    let early = next.early;
    while (early.length && early[0].seq <= seq + 1) {
      if (early[0].seq === seq + 1) {
        batch.push({ frame: early[0], fresh: false });
        seq += 1;
      }
      early = early.slice(1);
    }
    next = { ...next, early };
    for (const { frame: event, fresh } of batch) {
      const applied = applyEvent(next, event, fresh, now);
      next = { ...applied.state, seq: event.seq };
      refresh = applied.refresh || refresh;
      if (applied.line) chat.push(applied.line);
      if (event.kind !== "chat.message") render = true; // a chat line is appended, not redrawn
    }
    advanced = true;
  }
  const effects = chat.map((line) => ({ type: "chat", line }));
  if (advanced) effects.push({ type: "seq", seq: next.seq });
  if (render) effects.push({ type: "render", parts: [...PARTS] });
  if (resume) effects.push(resume);
  if (refresh) effects.push({ type: "reconnect" });
  return { state: next, effects };
}

function holdBack(early, frame) {
  return [...early.filter((held) => held.seq !== frame.seq), frame].sort((a, b) => a.seq - b.seq);
}

/** The resume's ack: whatever is still held back lies beyond events not meant for this user. */
function onResumed(state, frame, now) {
  let next = { ...state, resuming: false, early: [] };
  if (!state.room) return { state: next, effects: [] };
  const chat = [];
  let refresh = false;
  for (const event of state.early) {
    if (event.seq <= next.seq) continue;
    const applied = applyEvent(next, event, false, now);
    next = { ...applied.state, seq: event.seq };
    refresh = applied.refresh || refresh;
    if (applied.line) chat.push(applied.line);
  }
  if (typeof frame.seq === "number") next = { ...next, seq: Math.max(next.seq, frame.seq) };
  const effects = chat.map((line) => ({ type: "chat", line }));
  effects.push({ type: "seq", seq: next.seq }, { type: "render", parts: [...PARTS] });
  if (refresh) effects.push({ type: "reconnect" });
  return { state: next, effects };
}

/** A fresh event's timestamp is the server's clock minus the delivery latency; the largest
 * sample is the best estimate of the offset. */
function noteServerTime(state, iso, fresh, now) {
  if (!fresh) return state;
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return state;
  const sample = at - now;
  const clockOffset = state.clockOffset === null ? sample : Math.max(state.clockOffset, sample);
  return { ...state, clockOffset };
}

const withRoom = (state, changes) => ({ ...state, room: { ...state.room, ...changes } });
const pollById = (room, id) => room.polls.find((poll) => poll.id === id);

/** Put `poll` in place of the one with its id, or after the others if it is new. */
function setPoll(polls, poll) {
  const at = polls.findIndex((known) => known.id === poll.id);
  if (at === -1) return [...polls, poll];
  const next = [...polls];
  next[at] = poll;
  return next;
}

/**
 * Apply one event. Returns the new state; `refresh` when the page must take a fresh snapshot;
 * `line` when a chat line is new to the page.
 */
function applyEvent(state, { kind, data }, fresh, now) {
  const result = applyKind(state, kind, data ?? {}, fresh, now);
  // Who speaks next is decided on the server; the events that can change it carry it.
  if (data && Object.hasOwn(data, "next_speaker")) {
    return { ...result, state: withRoom(result.state, { next_speaker: data.next_speaker ?? null }) };
  }
  return result;
}

function applyKind(state, kind, data, fresh, now) {
  const room = state.room;
  const m = room.meeting;
  const itemById = (id) => room.agenda.find((item) => item.id === id) ?? null;
  const same = { state, refresh: false, line: null };
  switch (kind) {
    case "meeting.status": {
      const meeting = { ...m, status: data.status };
      if ("item" in data) meeting.current_item = data.item;
      return { ...same, state: withRoom(state, { meeting }) };
    }
    case "agenda.current": {
      const before = itemById(m.current_item);
      const after = itemById(data.item);
      const agenda = room.agenda.map((item) => (before && item === before && before.id !== data.item ? { ...item, done: true } : item));
      // Moving on lowers every waiting hand.
      const next = withRoom(state, { agenda, meeting: { ...m, current_item: data.item }, queue: [] });
      // Who chairs can change with the item (an acting chair): ask for a fresh snapshot.
      return { ...same, state: next, refresh: Boolean(before?.acting_chair || after?.acting_chair) };
    }
    case "agenda.added": {
      const agenda = itemById(data.id) ? [...room.agenda] : [...room.agenda, data];
      agenda.sort((a, b) => a.position - b.position || a.id - b.id);
      return { ...same, state: withRoom(state, { agenda }) };
    }
    case "chair.handed": {
      const item = itemById(data.item);
      const acting = data.user === m.chair ? null : data.user;
      const agenda = item ? room.agenda.map((it) => (it === item ? { ...it, acting_chair: acting } : it)) : room.agenda;
      const you = room.you ?? {};
      return { ...same, state: withRoom(state, { agenda }), refresh: Boolean(data.user === you.id || you.is_chair) };
    }
    case "hand.raised": {
      if (room.queue.some((hand) => hand.user === data.user)) return same;
      const queue = [...room.queue, { user: data.user, name: data.name, badges: data.badges ?? [], side: data.side }];
      return { ...same, state: withRoom(state, { queue }) };
    }
    case "hand.lowered":
      return { ...same, state: withRoom(state, { queue: room.queue.filter((hand) => hand.user !== data.user) }) };
    case "floor.granted": {
      const next = withRoom(state, {
        queue: room.queue.filter((hand) => hand.user !== data.user),
        speaker: { ...data },
      });
      return { ...same, state: noteServerTime(next, data.started_at, fresh, now) };
    }
    case "floor.ended":
      if (room.speaker && room.speaker.user === data.user) return { ...same, state: withRoom(state, { speaker: null }) };
      return same;
    case "chat.message": {
      let next = state;
      let line = null;
      if (!room.chat.some((known) => known.id === data.id)) {
        const chat = [...room.chat, data];
        if (chat.length > CHAT_KEEP) chat.splice(0, chat.length - CHAT_KEEP);
        next = withRoom(state, { chat });
        line = data;
      }
      return { ...same, state: noteServerTime(next, data.at, fresh, now), line };
    }
    case "poll.opened": {
      const known = pollById(room, data.id);
      const poll = {
        ...data,
        tally: known?.tally ?? { poll: data.id, turnout: 0, electorate: null, status: data.status },
        voted: known?.voted ?? false,
        eligible: known?.eligible ?? null, // not known until the server says (state `eligible`)
      };
      return { ...same, state: withRoom(state, { polls: setPoll(room.polls, poll) }) };
    }
    case "poll.closed": {
      const known = pollById(room, data.id) ?? {};
      const result = data.result;
      const poll = {
        ...known,
        ...data,
        tally: {
          poll: data.id,
          status: "closed",
          turnout: result.participation.heads,
          electorate: result.electorate.heads,
          // The legal gate at close (owners' and residents' meeting polls), as the server says it.
          ...(data.gate ? { gate: data.gate } : {}),
        },
      };
      return { ...same, state: withRoom(state, { polls: setPoll(room.polls, poll) }) };
    }
    default:
      return same; // a kind this page does not know yet: the next snapshot will show it
  }
}

// ---------------------------------------------------------------------------------------------
// Coalesced, unnumbered `state` frames, and the page's own news of a ballot

function onState(state, frame) {
  const room = state.room;
  if (!room) return { state, effects: [] };
  const data = frame.data;
  switch (frame.kind) {
    case "presence":
      return { state: withRoom(state, { presence: data }), effects: [{ type: "render", parts: ["presence"] }] };
    case "present":
      return { state: withRoom(state, { present: data }), effects: [{ type: "render", parts: ["presence"] }] };
    case "eligible": {
      // Whether you may vote in a poll that opened after your snapshot.
      const poll = pollById(room, data.poll);
      if (!poll || poll.voted) return { state, effects: [] };
      return changePoll(state, poll.id, (known) => ({ ...known, eligible: data.eligible }));
    }
    case "tally":
      return changePoll(state, data.poll, (known) => ({ ...known, tally: data }));
    default:
      return { state, effects: [] };
  }
}

function changePoll(state, id, change) {
  const poll = state.room && pollById(state.room, id);
  if (!poll) return { state, effects: [] };
  return {
    state: withRoom(state, { polls: setPoll(state.room.polls, change(poll)) }),
    effects: [{ type: "render", parts: ["polls"] }],
  };
}

// ---------------------------------------------------------------------------------------------
// Reading the room (pure; the panels use these)

export const isLive = (room) => room?.meeting.status === "live";
export const you = (room) => room?.you ?? {};
export const alternating = (room) => Boolean(room?.rules?.alternate);
export const findItem = (room, id) => room?.agenda.find((item) => item.id === id) ?? null;

/** The waiting hand the server suggests the chair call next (`next_speaker`), or null. */
export function nextSpeakerHand(room) {
  const next = room?.next_speaker;
  if (next === null || next === undefined) return null;
  return room.queue.find((hand) => hand.user === next) ?? null;
}
