// Live count of residents waiting for verification: tells staff when new requests arrive.
// Reconnects with exponential backoff and jitter; the page itself stays the source of truth.
const banner = document.getElementById("queue-live");

function socketUrl(path) {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${window.location.host}${path}`;
}

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

function connect(attempt = 0) {
  const socket = new WebSocket(socketUrl(banner.dataset.socket));
  const shown = Number(banner.dataset.shown);
  socket.addEventListener("open", () => { attempt = 0; });
  socket.addEventListener("message", (frame) => {
    const message = JSON.parse(frame.data);
    const pending = message.type === "snapshot" ? message.pending : message.data?.pending;
    if (typeof pending === "number" && pending !== shown) {
      show(banner.dataset.textMore, true);
    } else if (message.type === "snapshot") {
      banner.hidden = true;
    }
  });
  socket.addEventListener("close", (event) => {
    if (event.code === 4401 || event.code === 4403) return; // not allowed: stop trying
    show(banner.dataset.textOffline, false);
    const delay = Math.min(30000, 1000 * 2 ** attempt) * (0.5 + Math.random() / 2);
    window.setTimeout(() => connect(attempt + 1), delay);
  });
}

if (banner && "WebSocket" in window) {
  connect();
}
