// Raising and lowering one's own hand, with the side (正反方) when the rules alternate.

import { feedback, h, rerender, sideBadge } from "../dom.js";
import { alternating, isLive, you } from "../room-state.js";
import { SIDES, clock } from "../strings.js";

export function createHand(ctx) {
  const { t, strings } = ctx;
  const region = feedback();
  ctx.part("hand")?.after(region);
  const choice = { side: "neutral" }; // the side picked, kept across redraws

  function render() {
    const box = ctx.part("hand");
    if (!box || ctx.projector) return;
    const room = ctx.room();
    const me = you(room);
    const waiting = room.queue.find((hand) => hand.user === me.id);
    const speaking = room.speaker?.user === me.id;
    const alternate = alternating(room);
    rerender(box, () => {
      if (!isLive(room)) return null;
      if (!me.may_take_part) return h("p", { class: "muted small", text: t("hand_not_allowed") });
      if (speaking) return null;
      if (waiting) {
        return [
          h("p", {}, t("hand_waiting"), " ", alternate ? sideBadge(strings, waiting.side) : null),
          h("button", {
            type: "button",
            class: "button button--quiet",
            "data-key": "hand-toggle",
            text: t("hand_lower"),
            onclick: (event) => ctx.send("hand.lower", {}, { feedback: region, button: event.currentTarget }),
          }),
        ];
      }
      const nodes = [];
      if (alternate) {
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
                  checked: choice.side === side,
                  "data-key": `side-${side}`,
                  onchange: () => {
                    choice.side = side;
                  },
                }),
                " ",
                strings.sideLabel(side),
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
            ctx.send(
              "hand.raise",
              { side: alternating(ctx.room()) ? choice.side : "neutral" },
              { feedback: region, button: event.currentTarget },
            ),
        }),
        h("p", { class: "muted small", text: t("hand_rules", { n: room.rules.max_speeches, minutes: clock(room.rules.speech_seconds) }) }),
      );
      return nodes;
    });
  }

  return { render };
}
