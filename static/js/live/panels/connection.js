// The connection banner: connecting, offline (with "reconnect now"), signed out, refused.

import { h } from "../dom.js";

export function createConnection(ctx) {
  const { root, t } = ctx;
  return {
    show(text, { retry = false, signIn = false } = {}) {
      const banner = ctx.part("connection");
      if (!banner) return;
      const children = [h("span", { text })];
      if (retry) {
        children.push(" ", h("button", { type: "button", class: "link-button", text: t("reconnect_now"), onclick: () => ctx.reconnectNow() }));
      }
      if (signIn && root.dataset.loginUrl) {
        children.push(" ", h("a", { href: root.dataset.loginUrl, text: t("sign_in") }));
      }
      banner.replaceChildren(...children);
      banner.hidden = false;
      root.classList.add("is-offline");
    },
    hide() {
      const banner = ctx.part("connection");
      if (banner) {
        banner.hidden = true;
        banner.replaceChildren();
      }
      root.classList.remove("is-offline");
    },
  };
}
