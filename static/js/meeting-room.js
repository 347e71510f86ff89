// The live meeting room and its projector view: native ES modules, no framework, no build step.
//
// The server is the source of truth. On every connect it sends a `snapshot` of the whole room;
// after that, numbered `event` frames are applied strictly in `seq` order (a gap makes the page
// ask for `resume {since}`), and coalesced `state` frames bring presence and live tallies
// (docs/protocol.md). Every button sends one message with an id; the room changes only when
// the resulting event comes back, and a refusal (`error`) is shown next to the control that
// sent it.
//
// This module wires the parts together: live/socket.js keeps the connection, the pure reducer
// in live/room-state.js turns each frame into the next state and a list of effects, and the
// panels in live/panels/ draw the parts of the page. Mode comes from `data-mode` on #room
// ("room" or "projector"), the socket path from `data-socket`, every user-facing string from
// the translated strings in #room-strings.

import { busy, hold, say } from "./live/dom.js";
import { createAgenda } from "./live/panels/agenda.js";
import { createChair } from "./live/panels/chair.js";
import { createChat } from "./live/panels/chat.js";
import { createConnection } from "./live/panels/connection.js";
import { createFloor } from "./live/panels/floor.js";
import { createHand } from "./live/panels/hand.js";
import { createHeader } from "./live/panels/header.js";
import { createPolls } from "./live/panels/polls.js";
import { createPresence } from "./live/panels/presence.js";
import { createQueue } from "./live/panels/queue.js";
import { initialState, reduce } from "./live/room-state.js";
import { PING_EVERY, PING_TIMEOUT, openSocket } from "./live/socket.js";
import { createStrings } from "./live/strings.js";

const root = document.getElementById("room");
if (root && root.dataset.socket) startRoom(root);

function startRoom(root) {
  const stringsNode = document.getElementById("room-strings");
  const strings = createStrings(stringsNode ? JSON.parse(stringsNode.textContent) : {}, document.documentElement.lang || undefined);
  const { t } = strings;

  // Everything this page changes over time: the reducer's state, and the connection (whose
  // own state lives inside it). Frames a frame's effects give rise to wait in `queue`.
  const page = { state: initialState(), queue: [], dispatching: false, conn: null };

  const ctx = {
    root,
    strings,
    t,
    projector: root.dataset.mode === "projector",
    part: (name) => root.querySelector(`[data-part="${name}"]`),
    room: () => page.state.room,
    /** The server's clock, as well as the page can tell (for the speaker's countdown). */
    now: () => Date.now() + (page.state.clockOffset ?? 0),
    send,
    dispatch,
    reconnectNow: () => page.conn?.reconnectNow(),
  };

  const connection = createConnection(ctx);
  const header = createHeader(ctx);
  const chat = createChat(ctx);
  // A full render draws the parts in this order.
  const draw = [
    ["header", header.render],
    ["agenda", createAgenda(ctx).render],
    ["floor", createFloor(ctx).render],
    ["queue", createQueue(ctx).render],
    ["hand", createHand(ctx).render],
    ["polls", createPolls(ctx).render],
    ["chat", chat.renderLog],
    ["chat-form", chat.renderForm],
    ["presence", createPresence(ctx).render],
    ["chair", createChair(ctx).render],
  ];

  /** Feed one frame (from the server, or the page's own news) through the reducer. */
  function dispatch(frame) {
    page.queue.push(frame);
    if (page.dispatching) return; // an effect of the frame being applied: it comes next
    page.dispatching = true;
    try {
      while (page.queue.length) {
        const { state, effects } = reduce(page.state, page.queue.shift(), Date.now());
        page.state = state;
        for (const effect of effects) perform(effect);
      }
    } finally {
      page.dispatching = false;
    }
  }

  function perform(effect) {
    switch (effect.type) {
      case "chat":
        chat.append(effect.line);
        break;
      case "render":
        render(effect.parts);
        break;
      case "seq":
        // How far the page is current (the last seq applied): for support and the tests.
        root.dataset.seq = String(effect.seq);
        break;
      case "resume":
        send("resume", { since: effect.since }, {
          onAck: (ack) => dispatch({ type: "resumed", seq: ack.seq }),
          onError: () => dispatch({ type: "resume-failed" }),
        });
        break;
      case "reconnect":
        page.conn?.reconnectNow();
        break;
      default:
        break;
    }
  }

  function render(parts) {
    const room = page.state.room;
    if (!room) return;
    const wanted = new Set(parts);
    if (wanted.has("header")) {
      root.classList.add("is-ready");
      root.dataset.status = room.meeting.status;
    }
    for (const [name, draws] of draw) if (wanted.has(name)) draws();
  }

  /** Send one message; its ack or error goes to the callbacks and its error text to `feedback`
   * (or the page's notice). `button` waits, marked busy, for the answer. */
  function send(type, body = {}, { feedback: region, button, onAck, onError } = {}) {
    if (busy(button)) return null;
    if (!page.conn?.isOpen() || !page.state.room) {
      say(region, t("offline_not_sent"), true);
      onError?.({ code: "offline" });
      return null;
    }
    hold(button, true);
    if (region) say(region, "");
    return page.conn.request(type, body, {
      onAck(frame) {
        hold(button, false);
        onAck?.(frame);
      },
      onError(frame) {
        hold(button, false);
        if (frame.type === "error") say(region ?? ctx.part("notice"), frame.message || t("error_generic"), true);
        else say(region, t("lost"), true); // the socket closed before the answer came
        onError?.(frame);
      },
    });
  }

  function onFrame(frame) {
    if (frame.type === "error") {
      say(ctx.part("notice"), frame.message || t("error_generic"), true); // answers nothing sent
      return;
    }
    if (frame.type === "snapshot") {
      page.conn.resetBackoff();
      connection.hide();
    }
    dispatch(frame);
  }

  // Why the socket closed, in words (docs/protocol.md's close codes); 4401 and 4403 end it.
  const CLOSED = { 4409: "closed_too_many", 4429: "closed_flooding" };

  function onClose(code) {
    if (code === 4401) connection.show(t("closed_signed_out"), { signIn: true });
    else if (code === 4403) connection.show(t("closed_forbidden"));
    else connection.show(t(CLOSED[code] ?? "offline"), { retry: true });
    dispatch({ type: "closed" });
  }

  if (root.dataset.signedIn === "0") {
    // The server refuses the socket to visitors who are not signed in; say so instead of trying.
    connection.show(t("sign_in_to_follow"), { signIn: true });
  } else if ("WebSocket" in window) {
    header.fullscreenButton();
    connection.show(t("connecting"));
    page.conn = openSocket(root.dataset.socket, { onFrame, onClose, ping: { every: PING_EVERY, timeout: PING_TIMEOUT } });
  } else {
    connection.show(t("no_websocket"));
  }
}
