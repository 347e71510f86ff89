// The speakers' queue: waiting hands in order; for the chair, a "give the floor" button on each
// and a mark on the one the server suggests next (`next_speaker`, docs/protocol.md).

import { feedback, h, personName, rerender, sideBadge } from "../dom.js";
import { alternating, isLive, nextSpeakerHand, you } from "../room-state.js";

export function createQueue(ctx) {
  const { t, strings } = ctx;
  const region = feedback();
  ctx.part("queue")?.after(region);

  function render() {
    const list = ctx.part("queue");
    if (!list) return;
    const room = ctx.room();
    const chair = you(room).is_chair && !ctx.projector && isLive(room);
    const next = chair ? nextSpeakerHand(room) : null;
    rerender(list, () =>
      room.queue.length === 0
        ? h("li", { class: "empty", text: t("queue_empty") })
        : room.queue.map((hand) => {
            const suggested = next !== null && hand.user === next.user;
            return h(
              "li",
              { class: `queue__hand${suggested ? " queue__hand--next" : ""}` },
              personName(strings, hand, "queue__name"),
              hand.user === you(room).id ? h("span", { class: "badge", text: t("queue_you") }) : null,
              alternating(room) ? sideBadge(strings, hand.side) : null,
              suggested ? h("span", { class: "badge badge--next", text: t("queue_suggested") }) : null,
              chair
                ? h("button", {
                    type: "button",
                    class: `button button--small${suggested ? "" : " button--quiet"}`,
                    "data-key": `grant-${hand.user}`,
                    "aria-label": t("grant_label", { name: strings.personLabel(hand) }),
                    text: t("grant"),
                    onclick: (event) => ctx.send("floor.grant", { user: hand.user }, { feedback: region, button: event.currentTarget }),
                  })
                : null,
            );
          }),
    );
  }

  return { render };
}
