// The agenda: done, current and coming items; the chair's "go to" buttons.

import { feedback, h, rerender } from "../dom.js";
import { isLive, you } from "../room-state.js";

export function createAgenda(ctx) {
  const { t } = ctx;
  const region = feedback();
  ctx.part("agenda")?.after(region);

  function render() {
    const list = ctx.part("agenda");
    if (!list) return;
    const room = ctx.room();
    const chair = you(room).is_chair && !ctx.projector;
    rerender(list, () =>
      room.agenda.length === 0
        ? h("li", { class: "empty", text: t("agenda_empty") })
        : room.agenda.map((item) => {
            const current = item.id === room.meeting.current_item && room.meeting.status !== "ended";
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
              chair && isLive(room) && !current
                ? h("button", {
                    type: "button",
                    class: "button button--quiet button--small",
                    "data-key": `goto-${item.id}`,
                    "aria-label": t("agenda_goto_label", { title: item.title }),
                    text: t("agenda_goto"),
                    onclick: (event) => ctx.send("agenda.goto", { item: item.id }, { feedback: region, button: event.currentTarget }),
                  })
                : null,
            );
          }),
    );
  }

  return { render };
}
