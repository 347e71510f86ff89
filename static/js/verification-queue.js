// Live count of residents waiting for verification: tells staff when new requests arrive.
// The connection (back-off with jitter, the browser's offline/online events) is the live
// room's (live/socket.js); the page itself stays the source of truth.

import { openSocket } from "./live/socket.js";

const banner = document.getElementById("queue-live");

function show(text, withReload) {
  banner.textContent = text + " ";
  if (withReload) {
    const link = document.createElement("a");
    link.href = window.location.pathname;
    link.textContent = banner.dataset.textReload;
    banner.append(link);
  }
  banner.hidden = false;
}

if (banner && "WebSocket" in window) {
  const shown = Number(banner.dataset.shown);
  const conn = openSocket(banner.dataset.socket, {
    onOpen: () => conn.resetBackoff(),
    onFrame(message) {
      const pending = message.type === "snapshot" ? message.pending : message.data?.pending;
      if (typeof pending === "number" && pending !== shown) {
        show(banner.dataset.textMore, true);
      } else if (message.type === "snapshot") {
        banner.hidden = true;
      }
    },
    onClose(code, { stopped }) {
      if (code === 4401) show(banner.dataset.textSignedOut, false);
      else if (stopped) show(banner.dataset.textForbidden, false); // 4403: the right is gone
      else show(banner.dataset.textOffline, false);
    },
  });
}
