// The chat: the log (the whole of it after a snapshot, one line per new event) and the form.

import { feedback, h, personName, say } from "../dom.js";
import { CHAT_KEEP, isLive, you } from "../room-state.js";

export const CHAT_MAX = 2000; // characters in one line (the server's limit too)

export function createChat(ctx) {
  const { t, strings } = ctx;
  const view = { form: null }; // the form, built once and kept while chat is allowed

  function line(data) {
    const body = h("div", { class: "chat__text prose" });
    body.innerHTML = data.html; // sanitised by the server (Markdown-lite); nothing else is HTML
    return h(
      "li",
      { class: `chat__line${data.user === you(ctx.room()).id ? " chat__line--mine" : ""}`, "data-id": String(data.id) },
      h("p", { class: "chat__meta" }, h("strong", {}, personName(strings, data)), " ", h("time", { datetime: data.at, text: strings.timeOfDay(data.at) })),
      body,
    );
  }

  const nearBottom = (el) => el.scrollHeight - el.scrollTop - el.clientHeight < 48;

  function renderLog() {
    const log = ctx.part("chat-log");
    if (!log) return;
    const chat = ctx.room().chat;
    log.replaceChildren(...chat.map(line));
    if (chat.length === 0) log.append(h("li", { class: "empty chat__empty", text: t("chat_empty") }));
    log.scrollTop = log.scrollHeight;
  }

  function append(data) {
    const log = ctx.part("chat-log");
    if (!log || !ctx.room()) return;
    const stick = nearBottom(log);
    log.querySelector(".chat__empty")?.remove();
    log.append(line(data));
    while (log.children.length > CHAT_KEEP) log.firstElementChild.remove();
    if (stick || data.user === you(ctx.room()).id) log.scrollTop = log.scrollHeight;
  }

  function buildForm() {
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
          ctx.send(
            "chat.send",
            { text: value },
            {
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
            },
          );
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

  function renderForm() {
    const box = ctx.part("chat-form");
    if (!box || ctx.projector) return;
    const room = ctx.room();
    const live = isLive(room);
    if (live && you(room).may_take_part) {
      view.form ??= buildForm();
      if (!box.contains(view.form)) box.replaceChildren(view.form);
    } else {
      const note = live ? t("chat_not_allowed") : t("chat_closed");
      if (box.textContent !== note) box.replaceChildren(h("p", { class: "muted small", text: note }));
    }
  }

  return { renderLog, append, renderForm };
}
