// The header: the meeting's status badge, the item under discussion, the phase note (not
// started, adjourned, ended with a link to the minutes), and the projector's full-screen button.

import { h, rerender } from "../dom.js";
import { findItem } from "../room-state.js";

export function createHeader(ctx) {
  const { root, t } = ctx;

  function render() {
    const room = ctx.room();
    const status = room.meeting.status;
    const badge = ctx.part("status");
    if (badge) {
      badge.textContent = t(`status_${status}`);
      badge.className = `badge badge--${status}`;
    }
    const item = findItem(room, room.meeting.current_item);
    const itemPart = ctx.part("item");
    if (itemPart) {
      itemPart.textContent = item ? item.title : room.meeting.title;
      const line = itemPart.closest(".room__now");
      if (line) line.hidden = status === "ended" || !item;
    }
    const phase = ctx.part("phase");
    if (phase) {
      const minutesUrl = root.dataset.minutesUrl;
      rerender(phase, () =>
        status === "live"
          ? null
          : h(
              "p",
              { class: `room-phase room-phase--${status}` },
              t(`phase_${status}`),
              status === "ended" && minutesUrl ? [" ", h("a", { href: minutesUrl, text: t("minutes_link") })] : null,
            ),
      );
      phase.hidden = status === "live";
    }
  }

  /** The projector's button for the hall's screen (where the browser allows full screen). */
  function fullscreenButton() {
    const slot = ctx.part("fullscreen");
    if (!slot || !document.fullscreenEnabled) return;
    const button = h("button", {
      type: "button",
      class: "button button--quiet",
      text: t("fullscreen"),
      onclick: () => {
        if (document.fullscreenElement) document.exitFullscreen();
        else document.documentElement.requestFullscreen().catch(() => {});
      },
    });
    document.addEventListener("fullscreenchange", () => {
      button.textContent = document.fullscreenElement ? t("fullscreen_exit") : t("fullscreen");
    });
    slot.replaceChildren(button);
  }

  return { render, fullscreenButton };
}
