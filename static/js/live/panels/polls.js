// Live votes: one card per poll, built once and updated in place (bars, turnout, the result,
// the voting controls, the chair's "close" button), so that focus and animations survive.

import { busy, feedback, h, hold, rerender, say } from "../dom.js";
import { isLive, you } from "../room-state.js";
import { percent } from "../strings.js";
import { createGate } from "./gate.js";

export function createPolls(ctx) {
  const { t, strings } = ctx;
  const cards = new Map(); // poll id -> {root, ...parts}
  const pollOf = (id) => ctx.room()?.polls.find((poll) => poll.id === id) ?? null;

  function pollOrder(room) {
    const polls = room.polls;
    if (ctx.projector) {
      // The projector shows one poll: the open one, else the latest closed on the current item.
      const open = polls.filter((p) => p.status === "open");
      if (open.length) return [open[open.length - 1]];
      const here = polls.filter((p) => p.status === "closed" && p.item === room.meeting.current_item);
      return here.length ? [here[here.length - 1]] : [];
    }
    const open = polls.filter((p) => p.status === "open");
    const rest = polls.filter((p) => p.status !== "open").reverse();
    return [...open, ...rest];
  }

  function render() {
    const box = ctx.part("polls");
    if (!box) return;
    const room = ctx.room();
    box.querySelectorAll("[data-placeholder]").forEach((el) => el.remove());
    const wanted = pollOrder(room);
    if (ctx.projector) {
      const section = box.closest("section");
      if (section) section.hidden = wanted.length === 0;
    }
    const ids = new Set(wanted.map((p) => p.id));
    for (const [id, card] of cards) {
      if (!ids.has(id)) {
        card.root.remove();
        cards.delete(id);
      }
    }
    const empty = box.querySelector(".polls__empty");
    if (wanted.length === 0) {
      if (!empty) box.append(h("p", { class: "empty polls__empty", text: t("polls_empty") }));
    } else {
      empty?.remove();
    }
    let previous = null;
    for (const poll of wanted) {
      let card = cards.get(poll.id);
      if (!card) {
        card = buildCard(poll);
        cards.set(poll.id, card);
      }
      // Move only if out of place (moving a node that holds focus would drop the focus).
      const expected = previous ? previous.nextElementSibling : box.querySelector(".live-poll");
      if (expected !== card.root) {
        if (previous) previous.after(card.root);
        else box.prepend(card.root);
      }
      previous = card.root;
      updateCard(card, poll, room);
    }
  }

  function buildCard(poll) {
    const titleId = `live-poll-${poll.id}`;
    const card = {
      root: h("article", { class: "live-poll", "aria-labelledby": titleId }),
      badge: h("span", { class: "badge" }),
      meta: h("p", { class: "muted small" }),
      bars: h("div", { class: "bars" }),
      turnout: h("p", { class: "live-poll__turnout" }),
      gate: createGate(t),
      voidNote: h("p", { class: "muted small", hidden: true, text: t("void_counts_note") }),
      result: h("div", { class: "live-poll__result" }),
      vote: h("div", { class: "live-poll__vote" }),
      feedback: feedback(),
      chair: h("div", { class: "live-poll__chair" }),
      chairFeedback: feedback(),
      rows: new Map(),
      voteKey: null,
      chairKey: null,
      titleId,
      picked: null,
    };
    card.root.append(
      h("h3", { id: titleId, class: "live-poll__question", text: poll.question }),
      h("p", { class: "live-poll__status" }, card.badge),
      card.meta,
      // The verdict first once closed (a void vote is 无效 before any figure), then turnout
      // against the legal gate, then the ballots.
      card.result,
      card.turnout,
      card.gate.root,
      card.voidNote,
      card.bars,
      card.vote,
      card.feedback,
      card.chair,
      card.chairFeedback,
    );
    return card;
  }

  function updateCard(card, poll, room) {
    const open = poll.status === "open";
    card.badge.textContent = open ? t("poll_open") : t("poll_closed");
    card.badge.className = `badge badge--${poll.status}`;
    const meta = [t(`poll_kind_${poll.kind}`) || poll.kind];
    if (poll.secret) meta.push(t("poll_secret"));
    if (poll.rule) meta.push(`${t("poll_rule")}: ${strings.ruleLabel(poll)}`);
    card.meta.textContent = meta.join(" · ");

    const f = figures(poll);
    card.turnout.textContent =
      f.electorate === null || f.electorate === undefined
        ? t("turnout_n", { n: f.turnout })
        : t("turnout", { n: f.turnout, total: f.electorate });

    card.gate.update(poll.tally?.gate ?? null);
    card.voidNote.hidden = !f.void;

    // Bars, one row per choice, updated in place.
    if (f.counts) {
      card.bars.hidden = false;
      card.bars.querySelector(".bars__hidden")?.remove();
      for (const choice of poll.choices) {
        let row = card.rows.get(choice.code);
        if (!row) {
          row = {
            text: h("span", { class: "bar__text" }),
            area: h("span", { class: "bar__area" }),
            fill: h("span", { class: `bar__fill bar__fill--${choice.code}` }),
          };
          row.root = h(
            "div",
            { class: "bar" },
            h("p", { class: "bar__label" }, row.text, " ", row.area),
            h("span", { class: "bar__track", "aria-hidden": "true" }, row.fill),
          );
          card.rows.set(choice.code, row);
          card.bars.append(row.root);
        }
        const n = f.counts[choice.code] ?? 0;
        if (f.void) {
          // A void vote's ballots decide nothing: counts only, drawn against the whole electorate.
          row.text.textContent = `${strings.choiceLabel(choice)} ${n}`;
          row.fill.style.width = `${percent(n, f.electorate)}%`;
        } else {
          const share = percent(n, f.turnout);
          row.text.textContent = `${strings.choiceLabel(choice)} ${n} (${share}%)`;
          row.fill.style.width = `${share}%`;
        }
        row.area.textContent = f.area ? t("area", { area: f.area[choice.code] ?? "0" }) : "";
      }
    } else {
      card.bars.hidden = !open;
      for (const row of card.rows.values()) row.root.remove();
      card.rows.clear();
      if (open && !card.bars.querySelector(".bars__hidden")) {
        card.bars.append(h("p", { class: "muted bars__hidden", text: t("results_hidden") }));
      }
    }

    // The verdict, once closed.
    if (poll.status === "closed" && poll.result && !card.result.dataset.done) {
      card.result.dataset.done = "1";
      if (card.feedback.classList.contains("is-error")) say(card.feedback, ""); // stale refusal
      card.result.replaceChildren(...verdict(poll));
    } else if (poll.status !== "closed") {
      card.result.replaceChildren();
      delete card.result.dataset.done;
    }

    if (!ctx.projector) {
      updateVote(card, poll, room);
      updatePollChair(card, poll, room);
    }
  }

  function verdict(poll) {
    const r = poll.result;
    let word;
    let kind;
    if (!r.quorum_met) {
      word = t("result_void_headline");
      kind = "void";
    } else if (r.passed) {
      word = t("result_passed");
      kind = "passed";
    } else {
      word = t("result_failed");
      kind = "failed";
    }
    const reasons = (r.reasons || []).map((code) => t(`reason_${code}`)).join("; ");
    const carried =
      poll.kind !== "yes_no_abstain" && r.carried?.length
        ? t("result_carried", {
            choices: r.carried.map((code) => poll.choices.find((c) => c.code === code)?.label ?? code).join(", "),
          })
        : null;
    const rule = [strings.ruleLabel(poll), strings.lawLabel(poll, r.source?.law)].filter(Boolean).join(" · ");
    return [
      h("p", { class: `verdict verdict--${kind}` }, h("strong", { text: word }), reasons && !r.passed ? ` (${reasons})` : ""),
      carried ? h("p", { text: carried }) : null,
      h("p", { class: "muted small" }, `${t("result_rule")}: ${rule}`),
    ].filter(Boolean);
  }

  function updateVote(card, poll, room) {
    const me = you(room);
    const live = isLive(room);
    const open = poll.status === "open" && live;
    const key = [poll.status, live, poll.voted, poll.eligible, me.may_take_part, Boolean(me.organizations)].join("|");
    if (key === card.voteKey) return;
    card.voteKey = key;
    rerender(card.vote, () => {
      if (!open) return null;
      if (poll.eligible === false) return h("p", { class: "muted small", text: t("vote_not_eligible") });
      const done = Boolean(poll.voted);
      const voted = () => Boolean(pollOf(poll.id)?.voted);
      const nodes = [];
      let organization = null;
      if (poll.electorate === "organizations" && Array.isArray(me.organizations) && me.organizations.length) {
        const id = `vote-org-${poll.id}`;
        organization = h(
          "select",
          { id, disabled: done },
          me.organizations.map((org) => h("option", { value: String(org.id), text: org.name })),
        );
        nodes.push(h("p", { class: "field--inline" }, h("label", { for: id, text: t("vote_as") }), organization));
      }
      const extra = () => (organization ? { organization: Number(organization.value) } : {});
      const cast = (choice, buttons) => {
        if (voted() || buttons.some(busy)) return;
        buttons.forEach((b) => hold(b, true));
        ctx.send(
          "ballot.cast",
          { poll: poll.id, choice, ...extra() },
          {
            feedback: card.feedback,
            onAck() {
              say(card.feedback, t("vote_recorded"));
              card.voteKey = null;
              ctx.dispatch({ type: "voted", poll: poll.id });
            },
            onError(error) {
              if (error.code === "forbidden") {
                card.voteKey = null;
                ctx.dispatch({ type: "vote-refused", poll: poll.id });
              } else {
                buttons.forEach((b) => hold(b, false));
              }
            },
          },
        );
      };
      if (poll.kind === "multiple") {
        const boxes = poll.choices.map((choice) =>
          h("input", { type: "checkbox", value: choice.code, disabled: done, "data-key": `vote-${poll.id}-${choice.code}` }),
        );
        const submit = h("button", {
          type: "submit",
          class: "button",
          "aria-disabled": done ? "true" : null,
          "data-key": `vote-${poll.id}-submit`,
          text: t("vote_submit"),
        });
        nodes.push(
          h(
            "form",
            {
              class: "vote-choices vote-choices--multiple",
              onsubmit: (event) => {
                event.preventDefault();
                if (voted() || busy(submit)) return;
                const picked = boxes.filter((b) => b.checked).map((b) => b.value);
                if (picked.length === 0) {
                  say(card.feedback, t("vote_pick_one"), true);
                  return;
                }
                if (picked.length > poll.max_choices) {
                  say(card.feedback, t("vote_too_many", { n: poll.max_choices }), true);
                  return;
                }
                cast(picked, [submit, ...boxes]);
              },
            },
            h(
              "fieldset",
              {},
              h("legend", { text: t("vote_pick_up_to", { n: poll.max_choices }) }),
              poll.choices.map((choice, i) => h("label", { class: "vote-choices__box" }, boxes[i], " ", choice.label)),
            ),
            submit,
          ),
        );
      } else {
        const buttons = [];
        for (const choice of poll.choices) {
          buttons.push(
            h("button", {
              type: "button",
              class: `button vote-button vote-button--${choice.code}`,
              "aria-disabled": done ? "true" : null, // stays focusable once the vote is in
              "data-key": `vote-${poll.id}-${choice.code}`,
              text: strings.choiceLabel(choice),
              "aria-pressed": done && card.picked ? String(card.picked === choice.code) : null,
              onclick: () => {
                if (voted() || buttons.some(busy)) return;
                card.picked = choice.code;
                cast(choice.code, buttons);
              },
            }),
          );
        }
        nodes.push(h("div", { class: "vote-choices", role: "group", "aria-labelledby": card.titleId }, buttons));
      }
      // Say so once: the live region already did if the vote was cast from this page.
      if (done && !card.feedback.textContent) nodes.push(h("p", { class: "vote-done", text: t("vote_recorded") }));
      return nodes;
    });
  }

  function updatePollChair(card, poll, room) {
    const show = you(room).is_chair && isLive(room) && poll.status === "open";
    const key = String(show);
    if (key === card.chairKey) return;
    card.chairKey = key;
    rerender(card.chair, () =>
      show
        ? h("button", {
            type: "button",
            class: "button button--quiet",
            "data-key": `close-${poll.id}`,
            text: t("poll_close"),
            onclick: (event) => ctx.send("poll.close", { poll: poll.id }, { feedback: card.chairFeedback, button: event.currentTarget }),
          })
        : null,
    );
  }

  return { render };
}

/** Counts and their base: the frozen result once closed, the live tally while open. */
export function figures(poll) {
  if (poll.status === "closed" && poll.result) {
    const r = poll.result;
    const counts = {};
    const area = {};
    for (const [code, cell] of Object.entries(r.counts)) {
      counts[code] = cell.heads;
      area[code] = cell.area;
    }
    return {
      counts,
      area: poll.electorate === "owners" ? area : null,
      void: !r.quorum_met,
      turnout: r.participation.heads,
      turnoutArea: r.participation.area,
      electorate: r.electorate.heads,
    };
  }
  const tally = poll.tally ?? {};
  // Secret and hidden-result polls show turnout only until they close.
  const hide = poll.secret || poll.results_hidden;
  return {
    counts: hide ? null : (tally.counts ?? {}),
    void: false,
    area: hide || poll.electorate !== "owners" ? null : (tally.area ?? {}),
    turnout: tally.turnout ?? 0,
    turnoutArea: null,
    electorate: tally.electorate ?? null,
  };
}
