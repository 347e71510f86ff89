// One live WebSocket (docs/protocol.md), shared by the live room and the verification queue:
// connect, reconnect with exponential back-off and jitter, requests answered by `ack`/`error`
// with the same id, an optional ping that notices a dead connection, and the browser's own
// `offline`/`online` events. What the frames mean is the page's business (`onFrame`).

export const PING_EVERY = 25000;
export const PING_TIMEOUT = 10000;
const BACKOFF_BASE = 1000;
const BACKOFF_MAX = 30000;
const OPEN = 1;

/** The wait before reconnect attempt `attempt` (0, 1, 2, …): 1 s doubling to 30 s, then a
 * random half to whole of it, so that a room's clients do not all come back at once. */
export function backoffDelay(attempt, random) {
  return Math.min(BACKOFF_MAX, BACKOFF_BASE * 2 ** attempt) * (0.5 + random / 2);
}

/** What a close code means for reconnecting: stop (4401 signed out, 4403 forbidden: the
 * server accepts, then closes with the code, so that it reaches the page), or the attempt
 * number to wait for (4408 too slow: at once; 4409 too many sockets of this person, 4429
 * flooding: at least the fourth, 4 to 8 s, so that a tab over the limit gets in once another
 * closes without knocking all the time). */
export function afterClose(code, attempt) {
  if (code === 4401 || code === 4403) return { stop: true, attempt };
  if (code === 4408) return { stop: false, attempt: 0 };
  if (code === 4409 || code === 4429) return { stop: false, attempt: Math.max(attempt, 3) };
  return { stop: false, attempt };
}

export function socketUrl(path, location) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

/**
 * Open a socket to `path` and keep it open. Callbacks:
 * - onFrame(frame): every parsed frame that is not the answer to a request made here;
 * - onOpen(): the socket is open;
 * - onClose(code, {stopped, delay}): it closed; `stopped` if it will not reconnect, else in
 *   `delay` ms (pending requests have been failed with {code: "lost"} just before).
 * Options: ping {every, timeout} to ping while open; env overrides the browser's WebSocket,
 * location, timers, Math.random and window (for tests).
 *
 * Returns the connection: {isOpen(), request(type, body, {onAck, onError}), reconnectNow(),
 * wentOffline(), resetBackoff()}. All of its state lives in here, one per call.
 */
export function openSocket(path, { onFrame = () => {}, onOpen = () => {}, onClose = () => {}, ping = null, env = {} } = {}) {
  const {
    WebSocket: Socket = globalThis.WebSocket,
    location = globalThis.location,
    random = Math.random,
    setTimeout: later = globalThis.setTimeout.bind(globalThis),
    clearTimeout: cancel = globalThis.clearTimeout.bind(globalThis),
    setInterval: every = globalThis.setInterval.bind(globalThis),
    clearInterval: cancelEvery = globalThis.clearInterval.bind(globalThis),
    window: win = globalThis.window,
  } = env;

  const conn = {
    socket: null,
    attempt: 0, // reconnect attempts since the last good connection
    retryTimer: null,
    pingTimer: null,
    pingDeadline: null, // {id, timer} while a ping waits for its ack
    stopped: false, // refused for good (4401, 4403): never reconnect
    nextId: 0,
    pending: new Map(), // request id -> {onAck, onError}
  };

  const isOpen = () => Boolean(conn.socket) && conn.socket.readyState === OPEN;

  function connect() {
    cancel(conn.retryTimer);
    conn.retryTimer = null;
    if (conn.stopped) return;
    const ws = new Socket(socketUrl(path, location));
    conn.socket = ws;
    ws.addEventListener("open", () => {
      if (ws !== conn.socket) return;
      startPing();
      onOpen();
    });
    ws.addEventListener("message", (message) => {
      if (ws !== conn.socket) return;
      let frame;
      try {
        frame = JSON.parse(message.data);
      } catch {
        return;
      }
      if (!frame || typeof frame !== "object") return;
      if (frame.type === "ack") onAck(frame);
      else if (frame.type === "error" && settle(frame)) return;
      else onFrame(frame);
    });
    ws.addEventListener("close", (event) => {
      if (ws !== conn.socket) return;
      closed(event.code);
    });
  }

  /** Hand an answer (ack or error) to the request it answers; false if it answers none. */
  function settle(frame) {
    const entry = frame.id === null || frame.id === undefined ? null : conn.pending.get(frame.id);
    if (!entry) return false;
    conn.pending.delete(frame.id);
    if (frame.type === "ack") entry.onAck(frame);
    else entry.onError(frame);
    return true;
  }

  function onAck(frame) {
    if (frame.id === conn.pingDeadline?.id) {
      cancel(conn.pingDeadline.timer);
      conn.pingDeadline = null;
      return;
    }
    settle(frame);
  }

  /** Send one message; returns its id, or null (nothing sent) when the socket is not open. */
  function request(type, body = {}, { onAck: acked = () => {}, onError: refused = () => {} } = {}) {
    if (!isOpen()) return null;
    conn.nextId += 1;
    const id = conn.nextId;
    conn.pending.set(id, { onAck: acked, onError: refused });
    conn.socket.send(JSON.stringify({ id, type, ...body }));
    return id;
  }

  function failPending() {
    for (const [id, entry] of [...conn.pending]) {
      conn.pending.delete(id);
      entry.onError({ code: "lost" });
    }
  }

  function startPing() {
    stopPing();
    if (!ping) return;
    conn.pingTimer = every(() => {
      if (!isOpen() || conn.pingDeadline) return;
      conn.nextId += 1;
      const id = conn.nextId;
      conn.socket.send(JSON.stringify({ id, type: "ping" }));
      // No answer in time: the connection is dead though the browser has not noticed. Reopen.
      const timer = later(() => {
        conn.pingDeadline = null;
        conn.socket?.close();
      }, ping.timeout);
      conn.pingDeadline = { id, timer };
    }, ping.every);
  }

  function stopPing() {
    cancelEvery(conn.pingTimer);
    conn.pingTimer = null;
    if (conn.pingDeadline) cancel(conn.pingDeadline.timer);
    conn.pingDeadline = null;
  }

  function closed(code) {
    stopPing();
    conn.socket = null;
    failPending();
    const next = afterClose(code, conn.attempt);
    if (next.stop) {
      conn.stopped = true;
      onClose(code, { stopped: true, delay: null });
      return;
    }
    const delay = backoffDelay(next.attempt, random());
    conn.attempt = next.attempt + 1;
    conn.retryTimer = later(connect, delay);
    onClose(code, { stopped: false, delay });
  }

  /** The browser lost the network: say so now rather than at the next ping (up to 35 s away),
   * and drop the socket, which can hang open without closing. `online` reconnects at once. */
  function wentOffline() {
    if (conn.stopped || !conn.socket) return; // already closed: a retry is due
    const old = conn.socket;
    conn.socket = null;
    old.close();
    closed(1006);
  }

  /** Close and reopen now (a fresh snapshot: after a change of chair, or the user asked). */
  function reconnectNow() {
    if (conn.stopped) return;
    if (conn.socket && conn.socket.readyState <= OPEN) {
      const old = conn.socket;
      conn.socket = null;
      stopPing();
      failPending();
      old.close(1000);
      connect();
    } else if (!conn.socket) {
      conn.attempt = 0;
      connect();
    }
  }

  win?.addEventListener?.("online", () => {
    if (!conn.stopped && !isOpen()) reconnectNow();
  });
  win?.addEventListener?.("offline", wentOffline);

  connect();

  return {
    isOpen,
    request,
    reconnectNow,
    wentOffline,
    /** The connection proved good (the room: its snapshot came): back-off starts over. */
    resetBackoff() {
      conn.attempt = 0;
    },
  };
}
