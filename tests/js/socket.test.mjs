// The shared live socket (static/js/live/socket.js): back-off, close codes, requests and their
// answers, ping, and the browser's offline event, with a fake WebSocket and fake timers.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { afterClose, backoffDelay, openSocket, socketUrl } from "../../static/js/live/socket.js";

describe("back-off", () => {
  it("doubles from 1 s to at most 30 s, then waits a random half to whole of it", () => {
    assert.equal(backoffDelay(0, 1), 1000);
    assert.equal(backoffDelay(0, 0), 500);
    assert.equal(backoffDelay(3, 1), 8000);
    assert.equal(backoffDelay(4, 0.5), 12000);
    assert.equal(backoffDelay(5, 1), 30000); // 32 s, capped
    assert.equal(backoffDelay(12, 0), 15000);
  });

  it("stops for good after 4401 and 4403, comes back at once after 4408, slowly after 4409 and 4429", () => {
    assert.deepEqual(afterClose(4401, 2), { stop: true, attempt: 2 });
    assert.deepEqual(afterClose(4403, 0), { stop: true, attempt: 0 });
    assert.deepEqual(afterClose(4408, 6), { stop: false, attempt: 0 });
    assert.deepEqual(afterClose(4429, 1), { stop: false, attempt: 3 });
    assert.deepEqual(afterClose(4429, 5), { stop: false, attempt: 5 });
    assert.deepEqual(afterClose(4409, 0), { stop: false, attempt: 3 });
    assert.deepEqual(afterClose(1006, 2), { stop: false, attempt: 2 });
  });

  it("speaks wss to an https page and ws to an http one", () => {
    assert.equal(socketUrl("/ws/meetings/4/", { protocol: "https:", host: "gz.example" }), "wss://gz.example/ws/meetings/4/");
    assert.equal(socketUrl("/ws/x/", { protocol: "http:", host: "127.0.0.1:8000" }), "ws://127.0.0.1:8000/ws/x/");
  });
});

// ---------------------------------------------------------------------------------------------
// A fake browser

function fakeBrowser() {
  const sockets = [];
  const timers = new Map();
  const listeners = {};
  let nextTimer = 0;
  class FakeSocket {
    constructor(url) {
      this.url = url;
      this.readyState = 0;
      this.sent = [];
      this.handlers = {};
      this.closedWith = undefined;
      sockets.push(this);
    }
    addEventListener(type, fn) {
      (this.handlers[type] ??= []).push(fn);
    }
    emit(type, event = {}) {
      for (const fn of this.handlers[type] ?? []) fn(event);
    }
    send(text) {
      this.sent.push(JSON.parse(text));
    }
    close(code) {
      this.closedWith = code ?? null;
      this.readyState = 3;
    }
    // What the server does:
    open() {
      this.readyState = 1;
      this.emit("open");
    }
    receive(frame) {
      this.emit("message", { data: typeof frame === "string" ? frame : JSON.stringify(frame) });
    }
    drop(code) {
      this.readyState = 3;
      this.emit("close", { code });
    }
  }
  const add = (fn, ms, repeat) => {
    nextTimer += 1;
    timers.set(nextTimer, { fn, ms, repeat });
    return nextTimer;
  };
  const env = {
    WebSocket: FakeSocket,
    location: { protocol: "http:", host: "room.test" },
    random: () => 1,
    setTimeout: (fn, ms) => add(fn, ms, false),
    clearTimeout: (id) => timers.delete(id),
    setInterval: (fn, ms) => add(fn, ms, true),
    clearInterval: (id) => timers.delete(id),
    window: { addEventListener: (type, fn) => (listeners[type] = fn) },
  };
  /** Fire every timer set for `ms` (one-shot ones once). */
  function fire(ms) {
    for (const [id, timer] of [...timers]) {
      if (timer.ms !== ms) continue;
      if (!timer.repeat) timers.delete(id);
      timer.fn();
    }
  }
  return { env, sockets, timers, listeners, fire, last: () => sockets.at(-1) };
}

function open(browser, options = {}) {
  const seen = { frames: [], closes: [], opens: 0 };
  const conn = openSocket("/ws/meetings/4/", {
    onFrame: (frame) => seen.frames.push(frame),
    onOpen: () => (seen.opens += 1),
    onClose: (code, info) => seen.closes.push({ code, ...info }),
    env: browser.env,
    ...options,
  });
  return { conn, seen };
}

describe("the connection", () => {
  it("connects to the page's host and hands over every frame that answers no request", () => {
    const browser = fakeBrowser();
    const { conn, seen } = open(browser);
    const ws = browser.last();
    assert.equal(ws.url, "ws://room.test/ws/meetings/4/");
    assert.equal(conn.isOpen(), false);
    ws.open();
    assert.equal(conn.isOpen(), true);
    assert.equal(seen.opens, 1);
    ws.receive({ type: "snapshot", seq: 3 });
    ws.receive("not json");
    ws.receive({ type: "error", id: null, code: "malformed", message: "?" });
    assert.deepEqual(seen.frames.map((f) => f.type), ["snapshot", "error"]);
  });

  it("sends a request with a fresh id and gives it its ack or its error", () => {
    const browser = fakeBrowser();
    const { conn, seen } = open(browser);
    const ws = browser.last();
    const answers = [];
    assert.equal(conn.request("chat.send", { text: "早" }), null); // not open yet: nothing sent
    ws.open();
    const first = conn.request("chat.send", { text: "早" }, { onAck: (f) => answers.push(["ack", f.id]) });
    const second = conn.request("hand.raise", { side: "pro" }, { onError: (f) => answers.push(["error", f.code]) });
    assert.deepEqual(ws.sent, [
      { id: first, type: "chat.send", text: "早" },
      { id: second, type: "hand.raise", side: "pro" },
    ]);
    ws.receive({ type: "error", id: second, code: "already_waiting", message: "…" });
    ws.receive({ type: "ack", id: first });
    ws.receive({ type: "ack", id: first }); // answered already: ignored
    assert.deepEqual(answers, [["error", "already_waiting"], ["ack", first]]);
    assert.deepEqual(seen.frames, []);
  });

  it("fails what is pending when the socket drops, and reconnects after the back-off", () => {
    const browser = fakeBrowser();
    const { conn, seen } = open(browser);
    browser.last().open();
    const lost = [];
    conn.request("chat.send", { text: "x" }, { onError: (f) => lost.push(f.code) });
    browser.last().drop(1006);
    assert.deepEqual(lost, ["lost"]);
    assert.deepEqual(seen.closes, [{ code: 1006, stopped: false, delay: 1000 }]);
    assert.equal(browser.sockets.length, 1);
    browser.fire(1000);
    assert.equal(browser.sockets.length, 2);
    browser.last().drop(1006); // never opened: the next wait doubles
    assert.equal(seen.closes[1].delay, 2000);
    browser.fire(2000);
    browser.last().open();
    conn.resetBackoff(); // the room does this on its snapshot
    browser.last().drop(1006);
    assert.equal(seen.closes[2].delay, 1000);
  });

  it("never reconnects after 4401 or 4403", () => {
    for (const code of [4401, 4403]) {
      const browser = fakeBrowser();
      const { conn, seen } = open(browser);
      browser.last().open();
      browser.last().drop(code);
      assert.deepEqual(seen.closes, [{ code, stopped: true, delay: null }]);
      assert.equal(browser.timers.size, 0);
      conn.reconnectNow();
      browser.listeners.online();
      assert.equal(browser.sockets.length, 1);
    }
  });

  it("ignores a socket it has replaced", () => {
    const browser = fakeBrowser();
    const { conn, seen } = open(browser);
    const old = browser.last();
    old.open();
    conn.reconnectNow();
    assert.equal(old.closedWith, 1000);
    assert.equal(browser.sockets.length, 2);
    old.receive({ type: "snapshot", seq: 1 });
    old.drop(1000);
    assert.deepEqual(seen.frames, []);
    assert.deepEqual(seen.closes, []);
  });

  it("pings while open and reopens when a ping goes unanswered", () => {
    const browser = fakeBrowser();
    const { seen } = open(browser, { ping: { every: 25000, timeout: 10000 } });
    const ws = browser.last();
    ws.open();
    browser.fire(25000);
    assert.equal(ws.sent.at(-1).type, "ping");
    ws.receive({ type: "ack", id: ws.sent.at(-1).id }); // answered: no timeout pending
    browser.fire(10000);
    assert.equal(ws.closedWith, undefined);
    browser.fire(25000);
    browser.fire(10000); // this one is not answered
    assert.equal(ws.closedWith, null);
    assert.deepEqual(seen.frames, []); // a ping's ack is not a frame for the page
  });

  it("says at once that the browser went offline, and comes back when it is online", () => {
    const browser = fakeBrowser();
    const { conn, seen } = open(browser);
    const ws = browser.last();
    ws.open();
    browser.listeners.offline();
    assert.equal(conn.isOpen(), false);
    assert.equal(ws.closedWith, null);
    assert.deepEqual(seen.closes.map((c) => c.code), [1006]);
    browser.listeners.online();
    assert.equal(browser.sockets.length, 2); // straight away, not after the back-off
  });
});
