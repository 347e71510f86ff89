// The floor: who is speaking, on which side, and the countdown to the end of their time.

import { feedback, h, personName, rerender, sideBadge } from "../dom.js";
import { alternating, isLive, you } from "../room-state.js";
import { clock } from "../strings.js";

export function createFloor(ctx) {
  const { t, strings } = ctx;
  const region = feedback();
  ctx.part("floor")?.after(region);
  const countdown = { value: null, bar: null, timer: null };

  function render() {
    const box = ctx.part("floor");
    if (!box) return;
    const room = ctx.room();
    const speaker = room.speaker;
    countdown.value = null;
    countdown.bar = null;
    rerender(box, () => {
      if (!speaker) {
        const waiting = room.queue.length;
        return [
          h("p", { class: "floor__none", text: t("floor_nobody") }),
          ctx.projector && waiting ? h("p", { class: "floor__waiting", text: t("queue_count", { n: waiting }) }) : null,
        ];
      }
      const mine = speaker.user === you(room).id;
      countdown.value = h("span", { class: "countdown__value" });
      countdown.bar = h("span", { class: "countdown__fill" });
      const nodes = [
        mine && !ctx.projector ? h("p", { class: "floor__you", text: t("floor_you") }) : null,
        h(
          "p",
          { class: "floor__who" },
          h("strong", {}, personName(strings, speaker, "floor__name")),
          " ",
          alternating(room) ? sideBadge(strings, speaker.side) : null,
        ),
        h(
          "p",
          { class: "countdown", role: "timer", "aria-label": t("countdown_label") },
          h("span", { class: "countdown__label", text: t("countdown_label") }),
          " ",
          countdown.value,
        ),
        h("span", { class: "countdown__track", "aria-hidden": "true" }, countdown.bar),
      ];
      if (!ctx.projector && isLive(room) && (mine || you(room).is_chair)) {
        nodes.push(
          h(
            "p",
            { class: "actions" },
            h("button", {
              type: "button",
              class: "button button--quiet",
              "data-key": "floor-end",
              text: mine ? t("floor_finish") : t("floor_end"),
              onclick: (event) => ctx.send("floor.end", {}, { feedback: region, button: event.currentTarget }),
            }),
          ),
        );
      }
      return nodes;
    });
    tick();
  }

  /** The countdown: whole seconds left, rounded up; 0 at the limit. Each update is timed to the
   * moment the shown second changes, so the display never lags the clock by up to a second. */
  function tick() {
    clearTimeout(countdown.timer);
    countdown.timer = null;
    const speaker = ctx.room()?.speaker;
    if (!countdown.value || !speaker) return;
    const ends = Date.parse(speaker.ends_at);
    const total = (speaker.seconds || 1) * 1000;
    const left = Math.max(0, ends - ctx.now());
    if (left > 0) countdown.timer = setTimeout(tick, (left % 1000 || 1000) + 15);
    countdown.value.textContent = clock(left / 1000);
    countdown.value.parentElement.classList.toggle("is-over", left <= 0);
    countdown.value.parentElement.classList.toggle("is-ending", left > 0 && left <= 15000);
    if (countdown.bar) countdown.bar.style.width = `${Math.min(100, (left / total) * 100)}%`;
  }

  return { render };
}
