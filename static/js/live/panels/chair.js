// The chair's controls: start, adjourn, resume and end the meeting; put a question to the vote.

import { feedback, h, rerender, say } from "../dom.js";
import { you } from "../room-state.js";

export function createChair(ctx) {
  const { t } = ctx;
  const region = feedback();
  const view = { pollForm: null, pollFormRegion: null, notice: null, noticeKey: null }; // built once, kept while live

  function buildPollForm() {
    const formRegion = feedback();
    view.pollFormRegion = formRegion;
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
            body.choices = choices.value
              .split("\n")
              .map((c) => c.trim())
              .filter(Boolean);
          }
          ctx.send("poll.open", body, {
            feedback: formRegion,
            button: submit,
            onAck() {
              // Opened: clear the form, unless the chair has begun the next question meanwhile.
              if (question.value.trim() === body.question) {
                form.reset();
                choicesField.hidden = true;
              }
              say(formRegion, t("poll_opened"));
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
      formRegion,
    );
    return h("details", { class: "poll-open" }, h("summary", { text: t("poll_open_heading") }), form);
  }

  // An owners' notice is voted item by item as it was published: the chair opens those polls,
  // never a new one (the server refuses any other).
  function renderNotice(box, room, live) {
    const item = room.agenda.find((i) => i.id === room.meeting.current_item);
    const opened = new Set(room.polls.map((p) => p.id));
    const drafts = live && item ? (item.notice_polls ?? []).filter((p) => !opened.has(p.id)) : [];
    const key = drafts.map((p) => p.id).join(",");
    if (key === view.noticeKey) return;
    view.noticeKey = key;
    view.notice ??= h("div", { class: "notice-polls" });
    if (!box.contains(view.notice)) box.append(view.notice);
    const region = feedback();
    rerender(view.notice, () =>
      drafts.length
        ? [
            h("p", { class: "muted small", text: t("poll_notice_items") }),
            ...drafts.map((poll) =>
              h("button", {
                type: "button",
                class: "button",
                "data-key": `open-notice-${poll.id}`,
                text: `${t("poll_open_notice")}${poll.question}`,
                onclick: (event) => ctx.send("poll.open", { poll: poll.id }, { feedback: region, button: event.currentTarget }),
              }),
            ),
            region,
          ]
        : null,
    );
  }

  function render() {
    const box = ctx.part("chair");
    if (!box || ctx.projector) return;
    const room = ctx.room();
    const section = box.closest("[data-chair-section]") ?? box;
    const chair = Boolean(you(room).is_chair);
    section.hidden = !chair || room.meeting.status === "ended";
    if (section.hidden) return;
    let actions = box.querySelector(".chair__actions");
    if (!actions) {
      actions = h("div", { class: "actions chair__actions" });
      box.append(actions, region);
    }
    const status = room.meeting.status;
    const button = (key, label, type, { quiet = false, confirmText = null } = {}) =>
      h("button", {
        type: "button",
        class: `button${quiet ? " button--quiet" : ""}`,
        "data-key": key,
        text: label,
        onclick: (event) => {
          if (confirmText && !window.confirm(confirmText)) return;
          ctx.send(type, {}, { feedback: region, button: event.currentTarget });
        },
      });
    rerender(actions, () => {
      if (status === "scheduled") return button("start", t("meeting_start"), "meeting.start");
      if (status === "adjourned") return button("start", t("meeting_resume"), "meeting.start");
      if (status === "live") {
        return [
          button("adjourn", t("meeting_adjourn"), "meeting.adjourn", { quiet: true }),
          button("end", t("meeting_end"), "meeting.end", { quiet: true, confirmText: t("meeting_end_confirm") }),
        ];
      }
      return h("p", { class: "muted", text: t("phase_ended") });
    });
    renderNotice(box, room, status === "live");
    if (status === "live") {
      view.pollForm ??= buildPollForm();
      if (!box.contains(view.pollForm)) box.append(view.pollForm);
      // "The vote is open." is news only while it is.
      if (view.pollFormRegion?.textContent === t("poll_opened") && !room.polls.some((p) => p.status === "open")) {
        say(view.pollFormRegion, "");
      }
    } else {
      view.pollForm?.remove();
    }
  }

  return { render };
}
