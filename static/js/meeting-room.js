// The live meeting room and its projector view: one ES module, no framework, no build step.
//
// The server is the source of truth. On every connect it sends a `snapshot` of the whole room;
// after that, numbered `event` frames are applied strictly in `seq` order (a gap makes the client
// ask for `resume {since}`), and coalesced `state` frames bring presence and live tallies. Every
// button sends one message with an id; the room changes only when the resulting event comes
// back, and a refusal (`error`) is shown next to the control that sent it.
//
// Mode comes from `data-mode` on #room ("room" or "projector"), the socket path from
// `data-socket`. All user-facing text comes from the translated strings in #room-strings.
// Nothing from a user is inserted as HTML except the chat `html` the server has sanitised.

const root = document.getElementById("room");
const stringsNode = document.getElementById("room-strings");
const STR = stringsNode ? JSON.parse(stringsNode.textContent) : {};
const PROJECTOR = root?.dataset.mode === "projector";
const LANG = document.documentElement.lang || undefined;
const SIDES = ["pro", "con", "neutral"];
const OPPOSITE = { pro: "con", con: "pro" };
const CHAT_MAX = 2000;
const CHAT_KEEP = 200; // messages kept on the page
const PING_EVERY = 25000;
const PING_TIMEOUT = 10000;

// ---------------------------------------------------------------------------------------------
// Small helpers

/** The translated string for `key`, with %(name)s placeholders filled in. */
function t(key, values) {
  let text = STR[key] ?? key;
  if (values) {
    text = text.replace(/%\((\w+)\)s/g, (match, name) => (name in values ? String(values[name]) : match));
  }
  return text;
}

/** Build an element. Text is always inserted as text; props set attributes or properties. */
function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") el.className = value;
    else if (name === "text") el.textContent = value;
    else if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (typeof value !== "string" && name in el) el[name] = value;
    else el.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const part = (name) => root?.querySelector(`[data-part="${name}"]`) ?? null;

/** Replace a container's content, keeping keyboard focus on the element with the same data-key. */
function rerender(container, build) {
  if (!container) return;
  const active = document.activeElement;
  const key = active && container.contains(active) ? active.dataset.key : null;
  container.replaceChildren(...[build()].flat().filter(Boolean));
  if (key) container.querySelector(`[data-key="${CSS.escape(key)}"]`)?.focus();
}

// A control waiting for its answer is marked aria-disabled rather than disabled, so that it
// keeps the keyboard focus; a click on it meanwhile does nothing.
const busy = (el) => el?.getAttribute("aria-disabled") === "true";
function hold(el, on) {
  if (!el) return;
  if (on) el.setAttribute("aria-disabled", "true");
  else el.removeAttribute("aria-disabled");
}

/** Show a message in a live region; errors are marked for styling. */
function say(region, text, isError = false) {
  if (!region) return;
  region.textContent = text || "";
  region.classList.toggle("is-error", Boolean(text) && isError);
}

const feedback = (extra = "") => h("p", { class: `room-feedback ${extra}`.trim(), role: "status", "aria-live": "polite" });

function percent(part, whole) {
  return whole > 0 ? Math.round((part / whole) * 100) : 0;
}

function clock(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function timeOfDay(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleTimeString(LANG, { hour: "2-digit", minute: "2-digit" });
}

// Event data is worded in the language of whoever caused the event; words the page can name
// itself (yes / no / abstain, the rule) are shown in the reader's language instead.
const YES_NO = ["yes", "no", "abstain"];
const choiceLabel = (choice) => (YES_NO.includes(choice.code) ? t(`choice_${choice.code}`) : choice.label);
const ruleLabel = (poll) => (STR[`rule_${poll.rule}`] ? t(`rule_${poll.rule}`) : poll.rule_label);
const lawLabel = (poll, law) => (law && STR[`law_${poll.rule}`] ? t(`law_${poll.rule}`) : law);

const sideLabel = (side) => t(`side_${SIDES.includes(side) ? side : "neutral"}`);
const sideBadge = (side) => h("span", { class: `side side--${SIDES.includes(side) ? side : "neutral"}`, text: sideLabel(side) });

// ---------------------------------------------------------------------------------------------
// Room state (what the last snapshot said, plus the events since)

let state = null; // set by the first snapshot
let lastSeq = 0;
const early = new Map(); // events that arrived ahead of a gap, by seq
let resumePending = false;
let lastSide = null; // side of the last speaker on the current item (for the suggestion)
let clockOffset = null; // server clock minus client clock, estimated from live events
let chosenSide = "neutral";

const live = () => state?.meeting.status === "live";
const me = () => state?.you ?? {};
const itemById = (id) => state?.agenda.find((item) => item.id === id) ?? null;
const pollList = () => [...state.polls.values()];
const now = () => Date.now() + (clockOffset ?? 0);

function noteServerTime(iso) {
  // A fresh event's timestamp is the server's clock minus the delivery latency; the largest
  // sample is the best estimate of the offset.
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return;
  const sample = at - Date.now();
  clockOffset = clockOffset === null ? sample : Math.max(clockOffset, sample);
}

function loadSnapshot(frame) {
  const polls = new Map();
  for (const poll of frame.polls) polls.set(poll.id, poll);
  state = {
    meeting: frame.meeting,
    rules: frame.rules,
    agenda: [...frame.agenda],
    speaker: frame.speaker,
    queue: [...frame.queue],
    polls,
    chat: [...frame.chat],
    presence: frame.presence,
    present: frame.present ?? null,
    you: frame.you,
  };
  if (frame.speaker) lastSide = frame.speaker.side;
}

// ---------------------------------------------------------------------------------------------
// Applying events

/** Apply one event to the state; returns true if the page must fetch a fresh snapshot. */
function applyEvent(kind, data, fresh) {
  const m = state.meeting;
  switch (kind) {
    case "meeting.status":
      m.status = data.status;
      if ("item" in data) m.current_item = data.item;
      return false;
    case "agenda.current": {
      const before = itemById(m.current_item);
      const after = itemById(data.item);
      if (before && before.id !== data.item) before.done = true;
      m.current_item = data.item;
      state.queue = []; // moving on lowers every waiting hand
      lastSide = null;
      // Who chairs can change with the item (an acting chair): ask for a fresh snapshot.
      return Boolean(before?.acting_chair || after?.acting_chair);
    }
    case "agenda.added":
      if (!itemById(data.id)) state.agenda.push(data);
      state.agenda.sort((a, b) => a.position - b.position || a.id - b.id);
      return false;
    case "chair.handed": {
      const item = itemById(data.item);
      if (item) item.acting_chair = data.user === m.chair ? null : data.user;
      return data.user === me().id || me().is_chair;
    }
    case "hand.raised":
      if (!state.queue.some((hand) => hand.user === data.user)) {
        state.queue.push({ user: data.user, name: data.name, side: data.side });
      }
      return false;
    case "hand.lowered":
      state.queue = state.queue.filter((hand) => hand.user !== data.user);
      return false;
    case "floor.granted":
      state.queue = state.queue.filter((hand) => hand.user !== data.user);
      state.speaker = { ...data };
      lastSide = data.side;
      if (fresh) noteServerTime(data.started_at);
      return false;
    case "floor.ended":
      if (state.speaker && state.speaker.user === data.user) state.speaker = null;
      return false;
    case "chat.message":
      if (!state.chat.some((line) => line.id === data.id)) {
        state.chat.push(data);
        if (state.chat.length > CHAT_KEEP) state.chat.splice(0, state.chat.length - CHAT_KEEP);
        appendChat(data);
      }
      if (fresh) noteServerTime(data.at);
      return false;
    case "poll.opened": {
      const known = state.polls.get(data.id);
      state.polls.set(data.id, {
        ...data,
        tally: known?.tally ?? { poll: data.id, turnout: 0, electorate: null, status: data.status },
        voted: known?.voted ?? false,
        eligible: known?.eligible ?? null, // not known until the server answers a vote
      });
      return false;
    }
    case "poll.closed": {
      const known = state.polls.get(data.id) ?? {};
      const result = data.result;
      state.polls.set(data.id, {
        ...known,
        ...data,
        tally: {
          poll: data.id,
          status: "closed",
          turnout: result.participation.heads,
          electorate: result.electorate.heads,
        },
      });
      return false;
    }
    default:
      return false; // a kind this page does not know yet: the next snapshot will show it
  }
}

function onEvent(frame) {
  if (!state || frame.seq <= lastSeq) return; // before the snapshot, or already applied
  if (frame.seq > lastSeq + 1) {
    early.set(frame.seq, frame); // keep it; the replay fills the gap before it
    requestResume();
    return;
  }
  let refresh = applyEvent(frame.kind, frame.data, !resumePending);
  let onlyChat = frame.kind === "chat.message";
  lastSeq = frame.seq;
  while (early.has(lastSeq + 1)) {
    const next = early.get(lastSeq + 1);
    early.delete(next.seq);
    refresh = applyEvent(next.kind, next.data, false) || refresh;
    onlyChat = onlyChat && next.kind === "chat.message";
    lastSeq = next.seq;
  }
  markSeq();
  if (!onlyChat) renderAll(); // a chat line is appended where it is applied
  if (refresh) reconnectNow();
}

/** How far the page is current (the last seq applied), on #room: for support and the tests. */
function markSeq() {
  root.dataset.seq = String(lastSeq);
}

function requestResume() {
  if (resumePending) return;
  resumePending = true;
  send("resume", { since: lastSeq }, {
    onAck(ack) {
      resumePending = false;
      // Whatever is still held back lies beyond events not meant for this user: apply it.
      let refresh = false;
      for (const seq of [...early.keys()].sort((a, b) => a - b)) {
        const frame = early.get(seq);
        if (seq > lastSeq) {
          refresh = applyEvent(frame.kind, frame.data, false) || refresh;
          lastSeq = seq;
        }
      }
      early.clear();
      if (typeof ack.seq === "number") lastSeq = Math.max(lastSeq, ack.seq);
      markSeq();
      renderAll();
      if (refresh) reconnectNow();
    },
    onError() {
      resumePending = false;
    },
  });
}

function onState(frame) {
  if (!state) return;
  if (frame.kind === "presence") {
    state.presence = frame.data;
    renderPresence();
  } else if (frame.kind === "present") {
    state.present = frame.data;
    renderPresence();
  } else if (frame.kind === "eligible") {
    // Whether you may vote in a poll that opened after your snapshot.
    const poll = state.polls.get(frame.data.poll);
    if (!poll || poll.voted) return;
    poll.eligible = frame.data.eligible;
    renderPolls();
  } else if (frame.kind === "tally") {
    const poll = state.polls.get(frame.data.poll);
    if (!poll) return;
    poll.tally = frame.data;
    renderPolls();
  }
}

// ---------------------------------------------------------------------------------------------
// The connection

let socket = null;
let attempt = 0;
let retryTimer = null;
let pingTimer = null;
let pingDeadline = null;
let stopped = false;
let nextId = 0;
const pending = new Map(); // message id -> {feedback, button, onAck, onError}

function socketUrl(path) {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${window.location.host}${path}`;
}

/** Send one message; its ack or error goes to the callbacks and its error text to `feedback`. */
function send(type, body = {}, { feedback: region, button, onAck, onError } = {}) {
  if (busy(button)) return null;
  if (!socket || socket.readyState !== WebSocket.OPEN || !state) {
    say(region, t("offline_not_sent"), true);
    onError?.({ code: "offline" });
    return null;
  }
  nextId += 1;
  pending.set(nextId, { feedback: region, button, onAck, onError });
  hold(button, true);
  if (region) say(region, "");
  socket.send(JSON.stringify({ id: nextId, type, ...body }));
  return nextId;
}

function settle(id) {
  const entry = pending.get(id);
  if (!entry) return null;
  pending.delete(id);
  hold(entry.button, false);
  return entry;
}

function onAck(frame) {
  if (frame.id === pingDeadline?.id) {
    clearTimeout(pingDeadline.timer);
    pingDeadline = null;
    return;
  }
  settle(frame.id)?.onAck?.(frame);
}

function onError(frame) {
  const entry = frame.id === null || frame.id === undefined ? null : settle(frame.id);
  const text = frame.message || t("error_generic");
  if (entry) {
    say(entry.feedback ?? part("notice"), text, true);
    entry.onError?.(frame);
  } else {
    say(part("notice"), text, true);
  }
}

function showBanner(text, { retry = false, signIn = false } = {}) {
  const banner = part("connection");
  if (!banner) return;
  const children = [h("span", { text })];
  if (retry) {
    children.push(" ", h("button", { type: "button", class: "link-button", text: t("reconnect_now"), onclick: reconnectNow }));
  }
  if (signIn && root.dataset.loginUrl) {
    children.push(" ", h("a", { href: root.dataset.loginUrl, text: t("sign_in") }));
  }
  banner.replaceChildren(...children);
  banner.hidden = false;
  root.classList.add("is-offline");
}

function hideBanner() {
  const banner = part("connection");
  if (banner) {
    banner.hidden = true;
    banner.replaceChildren();
  }
  root.classList.remove("is-offline");
}

function connect() {
  clearTimeout(retryTimer);
  retryTimer = null;
  if (stopped) return;
  const ws = new WebSocket(socketUrl(root.dataset.socket));
  socket = ws;
  ws.addEventListener("message", (message) => {
    if (ws !== socket) return;
    let frame;
    try {
      frame = JSON.parse(message.data);
    } catch {
      return;
    }
    switch (frame.type) {
      case "snapshot":
        onSnapshot(frame);
        break;
      case "event":
        onEvent(frame);
        break;
      case "events": // several numbered events at once, in order (a busy room)
        for (const event of frame.events) onEvent(event);
        break;
      case "state":
        onState(frame);
        break;
      case "ack":
        onAck(frame);
        break;
      case "error":
        onError(frame);
        break;
      default:
        break;
    }
  });
  ws.addEventListener("close", (event) => {
    if (ws !== socket) return;
    onClose(event.code);
  });
}

function onSnapshot(frame) {
  const reconnecting = state !== null;
  loadSnapshot(frame);
  // The snapshot is authoritative: it is current to its seq, so nothing before it is missing.
  lastSeq = frame.seq;
  markSeq();
  resumePending = false;
  for (const seq of [...early.keys()]) if (seq <= lastSeq) early.delete(seq);
  attempt = 0;
  hideBanner();
  renderAll({ chat: true });
  // Events held back from before a reconnect that lie beyond the snapshot: replay the gap.
  if (reconnecting && early.size) requestResume();
  startPing();
}

function startPing() {
  clearInterval(pingTimer);
  pingTimer = setInterval(() => {
    if (!socket || socket.readyState !== WebSocket.OPEN || pingDeadline) return;
    nextId += 1;
    const id = nextId;
    socket.send(JSON.stringify({ id, type: "ping" }));
    // No answer in time: the connection is dead though the browser has not noticed. Reopen.
    pingDeadline = { id, timer: setTimeout(() => { pingDeadline = null; socket?.close(); }, PING_TIMEOUT) };
  }, PING_EVERY);
}

function failPending() {
  for (const [id, entry] of pending) {
    pending.delete(id);
    hold(entry.button, false);
    say(entry.feedback, t("lost"), true);
    entry.onError?.({ code: "lost" });
  }
}

function stopPing() {
  clearInterval(pingTimer);
  if (pingDeadline) clearTimeout(pingDeadline.timer);
  pingDeadline = null;
}

function onClose(code) {
  stopPing();
  socket = null;
  resumePending = false;
  failPending();
  if (code === 4401) {
    stopped = true;
    showBanner(t("closed_signed_out"), { signIn: true });
    renderAll();
    return;
  }
  if (code === 4403) {
    stopped = true;
    showBanner(t("closed_forbidden"));
    renderAll();
    return;
  }
  if (code === 4408) {
    attempt = 0; // too slow to keep up: come straight back and take a fresh snapshot
  } else if (code === 4429) {
    attempt = Math.max(attempt, 3);
  }
  showBanner(code === 4429 ? t("closed_flooding") : t("offline"), { retry: true });
  const delay = Math.min(30000, 1000 * 2 ** attempt) * (0.5 + Math.random() / 2);
  attempt += 1;
  retryTimer = setTimeout(connect, delay);
  renderAll();
}

/** The browser lost the network: say so now rather than at the next ping (up to 35 s away),
 * and drop the socket, which can hang open without closing. `online` reconnects at once. */
function wentOffline() {
  if (stopped || !socket) return; // already closed: the banner is up and a retry is due
  const old = socket;
  socket = null;
  old.close();
  onClose(1006);
}

/** Close and reopen now (a fresh snapshot: after a change of chair, or the user asked). */
function reconnectNow() {
  if (stopped) return;
  if (socket && socket.readyState <= WebSocket.OPEN) {
    const old = socket;
    socket = null;
    stopPing();
    resumePending = false;
    failPending();
    old.close(1000);
    connect();
  } else if (!socket) {
    attempt = 0;
    connect();
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering: header, agenda, floor and queue

function renderAll({ chat = false } = {}) {
  if (!state) return;
  root.classList.add("is-ready");
  root.dataset.status = state.meeting.status;
  renderHeader();
  renderAgenda();
  renderFloor();
  renderQueue();
  renderHand();
  renderPolls();
  if (chat) renderChat();
  renderChatForm();
  renderPresence();
  renderChair();
  tick();
}

function renderHeader() {
  const status = part("status");
  if (status) {
    status.textContent = t(`status_${state.meeting.status}`);
    status.className = `badge badge--${state.meeting.status}`;
  }
  const item = itemById(state.meeting.current_item);
  const itemPart = part("item");
  if (itemPart) {
    itemPart.textContent = item ? item.title : state.meeting.title;
    const line = itemPart.closest(".room__now");
    if (line) line.hidden = state.meeting.status === "ended" || !item;
  }
  const phase = part("phase");
  if (phase) {
    const status = state.meeting.status;
    const minutesUrl = root.dataset.minutesUrl;
    rerender(phase, () =>
      status === "live"
        ? null
        : h(
            "p",
            { class: `room-phase room-phase--${status}` },
            t(`phase_${status}`),
            status === "ended" && minutesUrl ? [" ", h("a", { href: minutesUrl, text: t("minutes_link") })] : null,
          ),
    );
    phase.hidden = status === "live";
  }
}

function renderAgenda() {
  const list = part("agenda");
  if (!list) return;
  const chair = me().is_chair && !PROJECTOR;
  rerender(list, () =>
    state.agenda.length === 0
      ? h("li", { class: "empty", text: t("agenda_empty") })
      : state.agenda.map((item) => {
          const current = item.id === state.meeting.current_item && state.meeting.status !== "ended";
          const title = item.matter_url
            ? h("a", { href: item.matter_url }, item.matter ? `${item.matter} ` : "", item.title)
            : h("span", {}, item.matter ? `${item.matter} ` : "", item.title);
          return h(
            "li",
            {
              class: `agenda__item${current ? " agenda__item--current" : ""}${item.done && !current ? " agenda__item--done" : ""}`,
              "aria-current": current ? "step" : null,
            },
            h("span", { class: "agenda__title" }, title),
            current ? h("span", { class: "badge badge--live", text: t("agenda_now") }) : null,
            item.done && !current ? h("span", { class: "badge", text: t("agenda_done") }) : null,
            chair && live() && !current
              ? h("button", {
                  type: "button",
                  class: "button button--quiet button--small",
                  "data-key": `goto-${item.id}`,
                  "aria-label": t("agenda_goto_label", { title: item.title }),
                  text: t("agenda_goto"),
                  onclick: (event) => send("agenda.goto", { item: item.id }, { feedback: agendaFeedback, button: event.currentTarget }),
                })
              : null,
          );
        }),
  );
}
const agendaFeedback = feedback();
part("agenda")?.after(agendaFeedback);

let countdownEl = null;
let countdownBar = null;

function renderFloor() {
  const box = part("floor");
  if (!box) return;
  const speaker = state.speaker;
  countdownEl = null;
  countdownBar = null;
  rerender(box, () => {
    if (!speaker) {
      const waiting = state.queue.length;
      return [
        h("p", { class: "floor__none", text: t("floor_nobody") }),
        PROJECTOR && waiting ? h("p", { class: "floor__waiting", text: t("queue_count", { n: waiting }) }) : null,
      ];
    }
    const mine = speaker.user === me().id;
    countdownEl = h("span", { class: "countdown__value" });
    countdownBar = h("span", { class: "countdown__fill" });
    const nodes = [
      mine && !PROJECTOR ? h("p", { class: "floor__you", text: t("floor_you") }) : null,
      h("p", { class: "floor__who" }, h("strong", { class: "floor__name", text: speaker.name }), " ", alternating() ? sideBadge(speaker.side) : null),
      h(
        "p",
        { class: "countdown", role: "timer", "aria-label": t("countdown_label") },
        h("span", { class: "countdown__label", text: t("countdown_label") }),
        " ",
        countdownEl,
      ),
      h("span", { class: "countdown__track", "aria-hidden": "true" }, countdownBar),
    ];
    if (!PROJECTOR && live() && (mine || me().is_chair)) {
      nodes.push(
        h("p", { class: "actions" },
          h("button", {
            type: "button",
            class: "button button--quiet",
            "data-key": "floor-end",
            text: mine ? t("floor_finish") : t("floor_end"),
            onclick: (event) => send("floor.end", {}, { feedback: floorFeedback, button: event.currentTarget }),
          }),
        ),
      );
    }
    return nodes;
  });
}
const floorFeedback = feedback();
part("floor")?.after(floorFeedback);

/** The countdown: whole seconds left, rounded up; 0 at the limit. Each update is timed to the
 * moment the shown second changes, so the display never lags the clock by up to a second. */
let tickTimer = null;
function tick() {
  clearTimeout(tickTimer);
  tickTimer = null;
  if (!countdownEl || !state?.speaker) return;
  const ends = Date.parse(state.speaker.ends_at);
  const total = (state.speaker.seconds || 1) * 1000;
  const left = Math.max(0, ends - now());
  if (left > 0) tickTimer = setTimeout(tick, (left % 1000 || 1000) + 15);
  countdownEl.textContent = clock(left / 1000);
  countdownEl.parentElement.classList.toggle("is-over", left <= 0);
  countdownEl.parentElement.classList.toggle("is-ending", left > 0 && left <= 15000);
  if (countdownBar) countdownBar.style.width = `${Math.min(100, (left / total) * 100)}%`;
}

const alternating = () => Boolean(state?.rules?.alternate);

/** Who the rules suggest next: after pro (con) the earliest con (pro), else the earliest hand. */
function suggestedNext() {
  if (state.queue.length === 0) return null;
  const side = state.speaker?.side ?? lastSide;
  if (alternating() && OPPOSITE[side]) {
    const opposite = state.queue.find((hand) => hand.side === OPPOSITE[side]);
    if (opposite) return opposite;
  }
  return state.queue[0];
}

function renderQueue() {
  const list = part("queue");
  if (!list) return;
  const chair = me().is_chair && !PROJECTOR && live();
  const next = suggestedNext();
  rerender(list, () =>
    state.queue.length === 0
      ? h("li", { class: "empty", text: t("queue_empty") })
      : state.queue.map((hand) => {
          const suggested = chair && next && hand.user === next.user;
          return h(
            "li",
            { class: `queue__hand${suggested ? " queue__hand--next" : ""}` },
            h("span", { class: "queue__name", text: hand.name }),
            hand.user === me().id ? h("span", { class: "badge", text: t("queue_you") }) : null,
            alternating() ? sideBadge(hand.side) : null,
            suggested ? h("span", { class: "badge badge--next", text: t("queue_suggested") }) : null,
            chair
              ? h("button", {
                  type: "button",
                  class: `button button--small${suggested ? "" : " button--quiet"}`,
                  "data-key": `grant-${hand.user}`,
                  "aria-label": t("grant_label", { name: hand.name }),
                  text: t("grant"),
                  onclick: (event) => send("floor.grant", { user: hand.user }, { feedback: queueFeedback, button: event.currentTarget }),
                })
              : null,
          );
        }),
  );
}
const queueFeedback = feedback();
part("queue")?.after(queueFeedback);

const handFeedback = feedback();
part("hand")?.after(handFeedback);

function renderHand() {
  const box = part("hand");
  if (!box || PROJECTOR) return;
  const you = me();
  const waiting = state.queue.find((hand) => hand.user === you.id);
  const speaking = state.speaker?.user === you.id;
  rerender(box, () => {
    if (!live()) return null;
    if (!you.may_take_part) return h("p", { class: "muted small", text: t("hand_not_allowed") });
    if (speaking) return null;
    if (waiting) {
      return [
        h("p", {}, t("hand_waiting"), " ", alternating() ? sideBadge(waiting.side) : null),
        h("button", {
          type: "button",
          class: "button button--quiet",
          "data-key": "hand-toggle",
          text: t("hand_lower"),
          onclick: (event) => send("hand.lower", {}, { feedback: handFeedback, button: event.currentTarget }),
        }),
      ];
    }
    const nodes = [];
    if (alternating()) {
      nodes.push(
        h(
          "fieldset",
          { class: "sides" },
          h("legend", { text: t("side_legend") }),
          SIDES.map((side) =>
            h(
              "label",
              { class: `sides__choice side--${side}` },
              h("input", {
                type: "radio",
                name: "hand-side",
                value: side,
                checked: chosenSide === side,
                "data-key": `side-${side}`,
                onchange: () => { chosenSide = side; },
              }),
              " ",
              sideLabel(side),
            ),
          ),
        ),
      );
    }
    nodes.push(
      h("button", {
        type: "button",
        class: "button",
        "data-key": "hand-toggle",
        text: t("hand_raise"),
        onclick: (event) =>
          send("hand.raise", { side: alternating() ? chosenSide : "neutral" }, { feedback: handFeedback, button: event.currentTarget }),
      }),
      h("p", { class: "muted small", text: t("hand_rules", { n: state.rules.max_speeches, minutes: clock(state.rules.speech_seconds) }) }),
    );
    return nodes;
  });
}

// ---------------------------------------------------------------------------------------------
// Polls: cards built once per poll and updated in place (bars, turnout, result, voting)

const cards = new Map(); // poll id -> {root, ...parts}

function pollOrder() {
  const polls = pollList();
  if (PROJECTOR) {
    // The projector shows one poll: the open one, else the latest closed on the current item.
    const open = polls.filter((p) => p.status === "open");
    if (open.length) return [open[open.length - 1]];
    const here = polls.filter((p) => p.status === "closed" && p.item === state.meeting.current_item);
    return here.length ? [here[here.length - 1]] : [];
  }
  const open = polls.filter((p) => p.status === "open");
  const rest = polls.filter((p) => p.status !== "open").reverse();
  return [...open, ...rest];
}

function renderPolls() {
  const box = part("polls");
  if (!box) return;
  box.querySelectorAll("[data-placeholder]").forEach((el) => el.remove());
  const wanted = pollOrder();
  if (PROJECTOR) {
    const section = box.closest("section");
    if (section) section.hidden = wanted.length === 0;
  }
  const ids = new Set(wanted.map((p) => p.id));
  for (const [id, card] of cards) {
    if (!ids.has(id)) {
      card.root.remove();
      cards.delete(id);
    }
  }
  let empty = box.querySelector(".polls__empty");
  if (wanted.length === 0) {
    if (!empty) box.append(h("p", { class: "empty polls__empty", text: t("polls_empty") }));
  } else {
    empty?.remove();
  }
  let previous = null;
  for (const poll of wanted) {
    let card = cards.get(poll.id);
    if (!card) {
      card = buildCard(poll);
      cards.set(poll.id, card);
    }
    // Move only if out of place (moving a node that holds focus would drop the focus).
    const expected = previous ? previous.nextElementSibling : box.querySelector(".live-poll");
    if (expected !== card.root) {
      if (previous) previous.after(card.root);
      else box.prepend(card.root);
    }
    previous = card.root;
    updateCard(card, poll);
  }
}

function buildCard(poll) {
  const titleId = `live-poll-${poll.id}`;
  const card = {
    root: h("article", { class: "live-poll", "aria-labelledby": titleId }),
    badge: h("span", { class: "badge" }),
    meta: h("p", { class: "muted small" }),
    bars: h("div", { class: "bars" }),
    turnout: h("p", { class: "live-poll__turnout" }),
    result: h("div", { class: "live-poll__result" }),
    vote: h("div", { class: "live-poll__vote" }),
    feedback: feedback(),
    chair: h("div", { class: "live-poll__chair" }),
    chairFeedback: feedback(),
    rows: new Map(),
    voteKey: null,
    chairKey: null,
    titleId,
    picked: null,
  };
  card.root.append(
    h("h3", { id: titleId, class: "live-poll__question", text: poll.question }),
    h("p", { class: "live-poll__status" }, card.badge),
    card.meta,
    card.turnout,
    card.bars,
    card.result,
    card.vote,
    card.feedback,
    card.chair,
    card.chairFeedback,
  );
  return card;
}

/** Counts and their base: the frozen result once closed, the live tally while open. */
function figures(poll) {
  if (poll.status === "closed" && poll.result) {
    const r = poll.result;
    const counts = {};
    const area = {};
    for (const [code, cell] of Object.entries(r.counts)) {
      counts[code] = cell.heads;
      area[code] = cell.area;
    }
    return {
      counts,
      area: poll.electorate === "owners" ? area : null,
      turnout: r.participation.heads,
      turnoutArea: r.participation.area,
      electorate: r.electorate.heads,
    };
  }
  const tally = poll.tally ?? {};
  // Secret and hidden-result polls show turnout only until they close.
  const hide = poll.secret || poll.results_hidden;
  return {
    counts: hide ? null : tally.counts ?? {},
    area: hide || poll.electorate !== "owners" ? null : tally.area ?? {},
    turnout: tally.turnout ?? 0,
    turnoutArea: null,
    electorate: tally.electorate ?? null,
  };
}

function updateCard(card, poll) {
  const open = poll.status === "open";
  card.badge.textContent = open ? t("poll_open") : t("poll_closed");
  card.badge.className = `badge badge--${poll.status}`;
  const meta = [t(`poll_kind_${poll.kind}`) || poll.kind];
  if (poll.secret) meta.push(t("poll_secret"));
  if (poll.rule) meta.push(`${t("poll_rule")}: ${ruleLabel(poll)}`);
  card.meta.textContent = meta.join(" · ");

  const f = figures(poll);
  card.turnout.textContent =
    f.electorate === null || f.electorate === undefined
      ? t("turnout_n", { n: f.turnout })
      : t("turnout", { n: f.turnout, total: f.electorate });

  // Bars, one row per choice, updated in place.
  if (f.counts) {
    card.bars.hidden = false;
    card.bars.querySelector(".bars__hidden")?.remove();
    for (const choice of poll.choices) {
      let row = card.rows.get(choice.code);
      if (!row) {
        row = {
          text: h("span", { class: "bar__text" }),
          area: h("span", { class: "bar__area" }),
          fill: h("span", { class: `bar__fill bar__fill--${choice.code}` }),
        };
        row.root = h(
          "div",
          { class: "bar" },
          h("p", { class: "bar__label" }, row.text, " ", row.area),
          h("span", { class: "bar__track", "aria-hidden": "true" }, row.fill),
        );
        card.rows.set(choice.code, row);
        card.bars.append(row.root);
      }
      const n = f.counts[choice.code] ?? 0;
      const share = percent(n, f.turnout);
      row.text.textContent = `${choiceLabel(choice)} ${n} (${share}%)`;
      row.fill.style.width = `${share}%`;
      row.area.textContent = f.area ? t("area", { area: f.area[choice.code] ?? "0" }) : "";
    }
  } else {
    card.bars.hidden = !open;
    for (const row of card.rows.values()) row.root.remove();
    card.rows.clear();
    if (open && !card.bars.querySelector(".bars__hidden")) {
      card.bars.append(h("p", { class: "muted bars__hidden", text: t("results_hidden") }));
    }
  }

  // The verdict, once closed.
  if (poll.status === "closed" && poll.result && !card.result.dataset.done) {
    card.result.dataset.done = "1";
    if (card.feedback.classList.contains("is-error")) say(card.feedback, ""); // stale refusal
    card.result.replaceChildren(...verdict(poll));
  } else if (poll.status !== "closed") {
    card.result.replaceChildren();
    delete card.result.dataset.done;
  }

  if (!PROJECTOR) {
    updateVote(card, poll);
    updatePollChair(card, poll);
  }
}

function verdict(poll) {
  const r = poll.result;
  let word;
  let kind;
  if (!r.quorum_met) {
    word = t("result_void");
    kind = "void";
  } else if (r.passed) {
    word = t("result_passed");
    kind = "passed";
  } else {
    word = t("result_failed");
    kind = "failed";
  }
  const reasons = (r.reasons || []).map((code) => t(`reason_${code}`)).join("; ");
  const carried =
    poll.kind !== "yes_no_abstain" && r.carried?.length
      ? t("result_carried", {
          choices: r.carried.map((code) => poll.choices.find((c) => c.code === code)?.label ?? code).join(", "),
        })
      : null;
  const rule = [ruleLabel(poll), lawLabel(poll, r.source?.law)].filter(Boolean).join(" · ");
  return [
    h("p", { class: `verdict verdict--${kind}` }, h("strong", { text: word }), reasons && !r.passed ? ` (${reasons})` : ""),
    carried ? h("p", { text: carried }) : null,
    h("p", { class: "muted small" }, `${t("result_rule")}: ${rule}`),
  ].filter(Boolean);
}

function updateVote(card, poll) {
  const you = me();
  const open = poll.status === "open" && live();
  const key = [poll.status, live(), poll.voted, poll.eligible, you.may_take_part, Boolean(you.organizations)].join("|");
  if (key === card.voteKey) return;
  card.voteKey = key;
  rerender(card.vote, () => {
    if (!open) return null;
    if (poll.eligible === false) return h("p", { class: "muted small", text: t("vote_not_eligible") });
    const done = Boolean(poll.voted);
    const nodes = [];
    let organization = null;
    if (poll.electorate === "organizations" && Array.isArray(you.organizations) && you.organizations.length) {
      const id = `vote-org-${poll.id}`;
      organization = h(
        "select",
        { id, disabled: done },
        you.organizations.map((org) => h("option", { value: String(org.id), text: org.name })),
      );
      nodes.push(h("p", { class: "field--inline" }, h("label", { for: id, text: t("vote_as") }), organization));
    }
    const extra = () => (organization ? { organization: Number(organization.value) } : {});
    const cast = (choice, buttons) => {
      if (poll.voted || buttons.some(busy)) return;
      buttons.forEach((b) => hold(b, true));
      send("ballot.cast", { poll: poll.id, choice, ...extra() }, {
        feedback: card.feedback,
        onAck() {
          poll.voted = true;
          poll.eligible = true;
          say(card.feedback, t("vote_recorded"));
          card.voteKey = null;
          updateVote(card, poll);
        },
        onError(error) {
          if (error.code === "forbidden") {
            poll.eligible = false;
            card.voteKey = null;
            updateVote(card, poll);
          } else {
            buttons.forEach((b) => hold(b, false));
          }
        },
      });
    };
    if (poll.kind === "multiple") {
      const boxes = poll.choices.map((choice) =>
        h("input", { type: "checkbox", value: choice.code, disabled: done, "data-key": `vote-${poll.id}-${choice.code}` }),
      );
      const submit = h("button", {
        type: "submit",
        class: "button",
        "aria-disabled": done ? "true" : null,
        "data-key": `vote-${poll.id}-submit`,
        text: t("vote_submit"),
      });
      nodes.push(
        h(
          "form",
          {
            class: "vote-choices vote-choices--multiple",
            onsubmit: (event) => {
              event.preventDefault();
              if (poll.voted || busy(submit)) return;
              const picked = boxes.filter((b) => b.checked).map((b) => b.value);
              if (picked.length === 0) {
                say(card.feedback, t("vote_pick_one"), true);
                return;
              }
              if (picked.length > poll.max_choices) {
                say(card.feedback, t("vote_too_many", { n: poll.max_choices }), true);
                return;
              }
              cast(picked, [submit, ...boxes]);
            },
          },
          h(
            "fieldset",
            {},
            h("legend", { text: t("vote_pick_up_to", { n: poll.max_choices }) }),
            poll.choices.map((choice, i) => h("label", { class: "vote-choices__box" }, boxes[i], " ", choice.label)),
          ),
          submit,
        ),
      );
    } else {
      const buttons = [];
      for (const choice of poll.choices) {
        buttons.push(
          h("button", {
            type: "button",
            class: `button vote-button vote-button--${choice.code}`,
            "aria-disabled": done ? "true" : null, // stays focusable once the vote is in
            "data-key": `vote-${poll.id}-${choice.code}`,
            text: choiceLabel(choice),
            "aria-pressed": done && card.picked ? String(card.picked === choice.code) : null,
            onclick: () => {
              if (poll.voted || buttons.some(busy)) return;
              card.picked = choice.code;
              cast(choice.code, buttons);
            },
          }),
        );
      }
      nodes.push(h("div", { class: "vote-choices", role: "group", "aria-labelledby": card.titleId }, buttons));
    }
    // Say so once: the live region already did if the vote was cast from this page.
    if (done && !card.feedback.textContent) nodes.push(h("p", { class: "vote-done", text: t("vote_recorded") }));
    return nodes;
  });
}

function updatePollChair(card, poll) {
  const show = me().is_chair && live() && poll.status === "open";
  const key = String(show);
  if (key === card.chairKey) return;
  card.chairKey = key;
  rerender(card.chair, () =>
    show
      ? h("button", {
          type: "button",
          class: "button button--quiet",
          "data-key": `close-${poll.id}`,
          text: t("poll_close"),
          onclick: (event) => send("poll.close", { poll: poll.id }, { feedback: card.chairFeedback, button: event.currentTarget }),
        })
      : null,
  );
}

// ---------------------------------------------------------------------------------------------
// Chat

function chatLine(line) {
  const body = h("div", { class: "chat__text prose" });
  body.innerHTML = line.html; // sanitised by the server (Markdown-lite); nothing else is HTML
  return h(
    "li",
    { class: `chat__line${line.user === me().id ? " chat__line--mine" : ""}`, "data-id": String(line.id) },
    h("p", { class: "chat__meta" }, h("strong", { text: line.name }), " ", h("time", { datetime: line.at, text: timeOfDay(line.at) })),
    body,
  );
}

function nearBottom(el) {
  return el.scrollHeight - el.scrollTop - el.clientHeight < 48;
}

function renderChat() {
  const log = part("chat-log");
  if (!log) return;
  log.replaceChildren(...state.chat.map(chatLine));
  if (state.chat.length === 0) log.append(h("li", { class: "empty chat__empty", text: t("chat_empty") }));
  log.scrollTop = log.scrollHeight;
}

function appendChat(line) {
  const log = part("chat-log");
  if (!log || !state) return;
  const stick = nearBottom(log);
  log.querySelector(".chat__empty")?.remove();
  log.append(chatLine(line));
  while (log.children.length > CHAT_KEEP) log.firstElementChild.remove();
  if (stick || line.user === me().id) log.scrollTop = log.scrollHeight;
}

let chatForm = null;

function buildChatForm() {
  const text = h("textarea", { id: "chat-text", name: "text", rows: 2, maxLength: CHAT_MAX, autocomplete: "off" });
  const count = h("span", { class: "muted small chat__count", "aria-live": "off", text: `0 / ${CHAT_MAX}` });
  const submit = h("button", { type: "submit", class: "button", text: t("chat_send") });
  const region = feedback();
  const form = h(
    "form",
    {
      class: "chat__form",
      onsubmit: (event) => {
        event.preventDefault();
        const value = text.value.trim();
        if (!value) {
          say(region, t("chat_write_first"), true);
          return;
        }
        send("chat.send", { text: value }, {
          feedback: region,
          button: submit,
          onAck() {
            // The line is sent: clear it, unless the user has begun the next one meanwhile
            // (its event can arrive before this acknowledgement).
            if (text.value.trim() === value) {
              text.value = "";
              count.textContent = `0 / ${CHAT_MAX}`;
            }
            text.focus();
          },
        });
      },
    },
    h("label", { for: "chat-text", text: t("chat_label") }),
    text,
    h("div", { class: "chat__actions" }, submit, count),
    region,
  );
  text.addEventListener("input", () => {
    count.textContent = `${text.value.length} / ${CHAT_MAX}`;
  });
  text.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  return form;
}

function renderChatForm() {
  const box = part("chat-form");
  if (!box || PROJECTOR) return;
  const may = live() && me().may_take_part;
  if (may) {
    if (!chatForm) chatForm = buildChatForm();
    if (!box.contains(chatForm)) box.replaceChildren(chatForm);
  } else {
    const note = live() ? t("chat_not_allowed") : t("chat_closed");
    if (box.textContent !== note) box.replaceChildren(h("p", { class: "muted small", text: note }));
  }
}

// ---------------------------------------------------------------------------------------------
// Presence and quorum

function renderPresence() {
  const box = part("presence");
  if (!box || !state) return;
  // Once the meeting has ended nobody counts as present any more: hide the figures (on the
  // projector too, where "0 present, quorum not met" would be shown to the hall).
  const section = PROJECTOR ? box : box.closest("section");
  if (section) section.hidden = state.meeting.status === "ended";
  const p = state.presence ?? { total: 0, by_role: {}, quorum: null };
  const q = p.quorum;
  const chair = me().is_chair && !PROJECTOR;
  rerender(box, () => {
    const nodes = [h("p", { class: "presence__total" }, h("strong", { text: t("present_n", { n: p.total }) }))];
    if (q) {
      nodes.push(
        h(
          "p",
          { class: `quorum quorum--${q.met ? "met" : "unmet"}` },
          h("span", { text: t("quorum_short", { present: q.present, needed: q.needed }) }),
          " ",
          h("span", { class: `badge badge--${q.met ? "decided" : "open"}`, text: q.met ? t("quorum_met") : t("quorum_not_met") }),
        ),
      );
      if (chair) {
        nodes.push(h("p", { class: "muted small", text: t("quorum_detail", { present: q.present, base: q.base, needed: q.needed }) }));
      }
    }
    if (!PROJECTOR) {
      const roles = Object.entries(p.by_role || {}).filter(([, n]) => n > 0);
      if (roles.length) {
        nodes.push(
          h(
            "ul",
            { class: "presence__roles" },
            roles.map(([role, n]) => h("li", {}, h("span", { text: t(`role_${role}`) }), " ", h("strong", { text: String(n) }))),
          ),
        );
      }
    }
    if (chair && Array.isArray(state.present)) {
      nodes.push(
        h(
          "details",
          { class: "presence__names" },
          // The list stops at PRESENT_NAMES_SHOWN names; the count is always the whole room's.
          h("summary", { text: t("present_names", { n: Math.max(p.total, state.present.length) }) }),
          h("ul", { class: "people" }, state.present.map((person) => h("li", { text: person.name }))),
        ),
      );
    }
    return nodes;
  });
}

// ---------------------------------------------------------------------------------------------
// The chair's controls

const chairFeedback = feedback();
let pollForm = null;
let pollFormRegion = null;

function buildPollForm() {
  const region = feedback();
  pollFormRegion = region;
  const question = h("input", { id: "poll-question", name: "question", maxLength: 200, required: true, autocomplete: "off" });
  const kind = h(
    "select",
    { id: "poll-kind", name: "kind" },
    ["yes_no_abstain", "single", "multiple"].map((k) => h("option", { value: k, text: t(`poll_kind_${k}`) })),
  );
  const choices = h("textarea", { id: "poll-choices", name: "choices", rows: 4 });
  const choicesField = h(
    "div",
    { class: "field", hidden: true },
    h("label", { for: "poll-choices", text: t("poll_choices") }),
    choices,
    h("p", { class: "help", text: t("poll_choices_help") }),
  );
  const secret = h("input", { type: "checkbox", id: "poll-secret", name: "secret" });
  const hidden = h("input", { type: "checkbox", id: "poll-hidden", name: "results_hidden" });
  const submit = h("button", { type: "submit", class: "button", text: t("poll_open_submit") });
  kind.addEventListener("change", () => {
    choicesField.hidden = kind.value === "yes_no_abstain";
  });
  const form = h(
    "form",
    {
      class: "form poll-form",
      onsubmit: (event) => {
        event.preventDefault();
        const body = { question: question.value.trim(), kind: kind.value, secret: secret.checked, results_hidden: hidden.checked };
        if (kind.value !== "yes_no_abstain") {
          body.choices = choices.value.split("\n").map((c) => c.trim()).filter(Boolean);
        }
        send("poll.open", body, {
          feedback: region,
          button: submit,
          onAck() {
            // Opened: clear the form, unless the chair has begun the next question meanwhile.
            if (question.value.trim() === body.question) {
              form.reset();
              choicesField.hidden = true;
            }
            say(region, t("poll_opened"));
          },
        });
      },
    },
    h("div", { class: "field" }, h("label", { for: "poll-question", text: t("poll_question") }), question),
    h("div", { class: "field" }, h("label", { for: "poll-kind", text: t("poll_kind") }), kind),
    choicesField,
    h("div", { class: "field field--check" }, h("label", {}, secret, " ", t("poll_secret_option"))),
    h("div", { class: "field field--check" }, h("label", {}, hidden, " ", t("poll_hidden_option"))),
    submit,
    region,
  );
  return h("details", { class: "poll-open" }, h("summary", { text: t("poll_open_heading") }), form);
}

function renderChair() {
  const box = part("chair");
  if (!box || PROJECTOR) return;
  const section = box.closest("[data-chair-section]") ?? box;
  const chair = Boolean(me().is_chair);
  section.hidden = !chair || state.meeting.status === "ended";
  if (section.hidden) return;
  let actions = box.querySelector(".chair__actions");
  if (!actions) {
    actions = h("div", { class: "actions chair__actions" });
    box.append(actions, chairFeedback);
  }
  const status = state.meeting.status;
  const button = (key, label, type, { quiet = false, confirmText = null } = {}) =>
    h("button", {
      type: "button",
      class: `button${quiet ? " button--quiet" : ""}`,
      "data-key": key,
      text: label,
      onclick: (event) => {
        if (confirmText && !window.confirm(confirmText)) return;
        send(type, {}, { feedback: chairFeedback, button: event.currentTarget });
      },
    });
  rerender(actions, () => {
    if (status === "scheduled") return button("start", t("meeting_start"), "meeting.start");
    if (status === "adjourned") {
      return button("start", t("meeting_resume"), "meeting.start");
    }
    if (status === "live") {
      return [
        button("adjourn", t("meeting_adjourn"), "meeting.adjourn", { quiet: true }),
        button("end", t("meeting_end"), "meeting.end", { quiet: true, confirmText: t("meeting_end_confirm") }),
      ];
    }
    return h("p", { class: "muted", text: t("phase_ended") });
  });
  if (status === "live") {
    if (!pollForm) pollForm = buildPollForm();
    if (!box.contains(pollForm)) box.append(pollForm);
    // "The vote is open." is news only while it is.
    if (pollFormRegion?.textContent === t("poll_opened") && !pollList().some((p) => p.status === "open")) {
      say(pollFormRegion, "");
    }
  } else {
    pollForm?.remove();
  }
}

// ---------------------------------------------------------------------------------------------
// Start

function fullscreenButton() {
  const slot = part("fullscreen");
  if (!slot || !document.fullscreenEnabled) return;
  const button = h("button", {
    type: "button",
    class: "button button--quiet",
    text: t("fullscreen"),
    onclick: () => {
      if (document.fullscreenElement) document.exitFullscreen();
      else document.documentElement.requestFullscreen().catch(() => {});
    },
  });
  document.addEventListener("fullscreenchange", () => {
    button.textContent = document.fullscreenElement ? t("fullscreen_exit") : t("fullscreen");
  });
  slot.replaceChildren(button);
}

if (root && root.dataset.socket) {
  if (root.dataset.signedIn === "0") {
    // The server refuses the socket to visitors who are not signed in; say so instead of trying.
    showBanner(t("sign_in_to_follow"), { signIn: true });
  } else if ("WebSocket" in window) {
    fullscreenButton();
    window.addEventListener("online", () => {
      if (!stopped && socket?.readyState !== WebSocket.OPEN) reconnectNow();
    });
    window.addEventListener("offline", wentOffline);
    showBanner(t("connecting"));
    connect();
  } else {
    showBanner(t("no_websocket"));
  }
}
