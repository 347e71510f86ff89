// Who is in the room: the count, the quorum, by role; for the chair, the names.

import { h, personName, rerender } from "../dom.js";
import { you } from "../room-state.js";

export function createPresence(ctx) {
  const { t } = ctx;

  function render() {
    const box = ctx.part("presence");
    const room = ctx.room();
    if (!box || !room) return;
    // Once the meeting has ended nobody counts as present any more: hide the figures (on the
    // projector too, where "0 present, quorum not met" would be shown to the hall).
    const section = ctx.projector ? box : box.closest("section");
    if (section) section.hidden = room.meeting.status === "ended";
    const p = room.presence ?? { total: 0, by_role: {}, quorum: null };
    const q = p.quorum;
    const chair = you(room).is_chair && !ctx.projector;
    rerender(box, () => {
      const nodes = [h("p", { class: "presence__total" }, h("strong", { text: t("present_n", { n: p.total }) }))];
      // Those checked in at the door count once, with or without a phone in the room.
      if (p.checked_in) nodes.push(h("p", { class: "muted small presence__door", text: t("checked_in_n", { n: p.checked_in }) }));
      if (q) {
        nodes.push(
          h(
            "p",
            { class: `quorum quorum--${q.met ? "met" : "unmet"}` },
            h("span", { text: t("quorum_short", { present: q.present, needed: q.needed }) }),
            " ",
            h("span", { class: `badge badge--${q.met ? "decided" : "open"}`, text: q.met ? t("quorum_met") : t("quorum_not_met") }),
          ),
        );
        if (chair) {
          nodes.push(h("p", { class: "muted small", text: t("quorum_detail", { present: q.present, base: q.base, needed: q.needed }) }));
        }
      }
      if (!ctx.projector) {
        const roles = Object.entries(p.by_role || {}).filter(([, n]) => n > 0);
        if (roles.length) {
          nodes.push(
            h(
              "ul",
              { class: "presence__roles" },
              roles.map(([role, n]) => h("li", {}, h("span", { text: t(`role_${role}`) }), " ", h("strong", { text: String(n) }))),
            ),
          );
        }
      }
      if (chair && Array.isArray(room.present)) {
        nodes.push(
          h(
            "details",
            { class: "presence__names" },
            // The list stops at PRESENT_NAMES_SHOWN names; the count is always the whole room's.
            h("summary", { text: t("present_names", { n: Math.max(p.total, room.present.length) }) }),
            h("ul", { class: "people" }, room.present.map((person) => h("li", {}, personName(ctx.strings, person)))),
          ),
        );
      }
      return nodes;
    });
  }

  return { render };
}
