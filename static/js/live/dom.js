// Small DOM helpers shared by the live room's panels. Text is always inserted as text; the only
// HTML the room inserts is the chat `html` the server has sanitised (panels/chat.js).

import { SIDES } from "./strings.js";

/** Build an element. Text is always inserted as text; props set attributes or properties. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") el.className = value;
    else if (name === "text") el.textContent = value;
    else if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (typeof value !== "string" && name in el) el[name] = value;
    else el.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replace a container's content, keeping keyboard focus on the element with the same data-key. */
export function rerender(container, build) {
  if (!container) return;
  const active = document.activeElement;
  const key = active && container.contains(active) ? active.dataset.key : null;
  container.replaceChildren(...[build()].flat().filter(Boolean));
  if (key) container.querySelector(`[data-key="${CSS.escape(key)}"]`)?.focus();
}

// A control waiting for its answer is marked aria-disabled rather than disabled, so that it
// keeps the keyboard focus; a click on it meanwhile does nothing.
export const busy = (el) => el?.getAttribute("aria-disabled") === "true";
export function hold(el, on) {
  if (!el) return;
  if (on) el.setAttribute("aria-disabled", "true");
  else el.removeAttribute("aria-disabled");
}

/** Show a message in a live region; errors are marked for styling. */
export function say(region, text, isError = false) {
  if (!region) return;
  region.textContent = text || "";
  region.classList.toggle("is-error", Boolean(text) && isError);
}

/** An empty live region for the answers to a control's messages. */
export const feedback = (extra = "") => h("p", { class: `room-feedback ${extra}`.trim(), role: "status", "aria-live": "polite" });

/** A side (正反方) as a small badge. */
export function sideBadge(strings, side) {
  return h("span", { class: `side side--${SIDES.includes(side) ? side : "neutral"}`, text: strings.sideLabel(side) });
}

/** A person's verified role badges (communities.badges), each as text in its own element: what
 * a display name says is never a badge, whatever it says. */
export function roleBadges(strings, codes) {
  return strings.badgeLabels(codes).map((label) =>
    h("span", { class: "role-badge" }, h("span", { class: "visually-hidden", text: `${strings.t("badge_verified")} ` }), label),
  );
}

/** A name (in an element of its own, with `nameClass` too) followed by the person's badges. */
export function personName(strings, person, nameClass = "") {
  const name = h("span", { class: `person__name ${nameClass}`.trim(), text: person?.name ?? "" });
  return h("span", { class: "person" }, name, ...roleBadges(strings, person?.badges).flatMap((badge) => [" ", badge]));
}
