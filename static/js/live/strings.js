// The live room's words: the translated strings the page is given (#room-strings, from
// deliberation/room_strings.py) and the small formatting helpers. No DOM.

export const SIDES = ["pro", "con", "neutral"];
const YES_NO = ["yes", "no", "abstain"];

/**
 * The strings of one page. `table` maps keys to translated text with %(name)s placeholders;
 * a key not in it is shown as the key itself (so a missing string is easy to spot).
 */
export function createStrings(table = {}, lang = undefined) {
  function t(key, values) {
    let text = table[key] ?? key;
    if (values) {
      text = text.replace(/%\((\w+)\)s/g, (match, name) => (name in values ? String(values[name]) : match));
    }
    return text;
  }
  const has = (key) => Boolean(table[key]);
  // A person's verified role badges (role codes from the server) in words; a code the page
  // has no words for is left out rather than shown raw.
  const badgeLabels = (codes) =>
    (Array.isArray(codes) ? codes : []).filter((code) => typeof code === "string" && has(`badge_${code}`)).map((code) => t(`badge_${code}`));
  return {
    t,
    lang,
    // Event data is worded in the language of whoever caused the event; words the page can
    // name itself (yes / no / abstain, the rule) are shown in the reader's language instead.
    choiceLabel: (choice) => (YES_NO.includes(choice.code) ? t(`choice_${choice.code}`) : choice.label),
    ruleLabel: (poll) => (has(`rule_${poll.rule}`) ? t(`rule_${poll.rule}`) : poll.rule_label),
    lawLabel: (poll, law) => (law && has(`law_${poll.rule}`) ? t(`law_${poll.rule}`) : law),
    sideLabel: (side) => t(`side_${SIDES.includes(side) ? side : "neutral"}`),
    badgeLabels,
    /** A person as one phrase, for an aria-label: the name, and any verified role after it. */
    personLabel(person) {
      const badges = badgeLabels(person?.badges);
      const name = person?.name ?? "";
      return badges.length ? t("person_badged", { name, badges: badges.join(t("badge_separator")) }) : name;
    },
    timeOfDay(iso) {
      const date = new Date(iso);
      return Number.isNaN(date.getTime()) ? "" : date.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
    },
  };
}

export function percent(part, whole) {
  return whole > 0 ? Math.round((part / whole) * 100) : 0;
}

/** Seconds as m:ss, rounded up (a countdown shows 0:00 only at the limit). */
export function clock(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}
