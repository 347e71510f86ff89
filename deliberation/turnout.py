"""Turnout against a vote's legal gate, as every page says it: the bars (server-rendered SVG,
`charts`), the shortfall in words ("还差 12 户、1,350.20 m² 才达到法定参与比例") and the JSON
the live room draws from. The arithmetic is `rules.gate`'s; this only words and draws it.

Turnout is what may show live (`meetings.voting.live_tally`): how many took part, never what
they chose, so the gate shows on hidden and secret polls too.
"""

from decimal import Decimal
from fractions import Fraction

from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from deliberation import charts
from deliberation.rules import gate as gates

# The gate's words, shared with the live room (deliberation/room_strings.py) under these keys:
# the same text on every page, translated once.
GATE_STRINGS = {
    "gate_title_participation": gettext_lazy("Turnout against the legal participation gate"),
    "gate_title_quorum": gettext_lazy("Turnout against the quorum"),
    "gate_heads": gettext_lazy("Owners taking part, of %(total)s (needs %(share)s)"),
    "gate_area": gettext_lazy("Area taking part, of %(total)s m² (needs %(share)s)"),
    "gate_attending": gettext_lazy("Attending, of %(total)s (quorum %(share)s)"),
    "gate_short_both": gettext_lazy(
        "%(heads)s more owners and %(area)s m² needed to reach the legal participation share"
    ),
    "gate_short_heads": gettext_lazy(
        "%(heads)s more owners needed to reach the legal participation share"
    ),
    "gate_short_area": gettext_lazy(
        "%(area)s m² more needed to reach the legal participation share"
    ),
    "gate_short_quorum": gettext_lazy("%(n)s more needed to reach the quorum"),
    "gate_met_participation": gettext_lazy("The legal participation share is reached."),
    "gate_met_quorum": gettext_lazy("The quorum is reached."),
    "gate_unreachable": gettext_lazy("The gate cannot be reached: the electorate is empty."),
    "result_void_headline": pgettext_lazy("vote result", "Void"),
}


def _say(key: str, **values) -> str:
    return str(GATE_STRINGS[key]) % values if values else str(GATE_STRINGS[key])


def area_text(area: Decimal) -> str:
    """An area in m² with thousands grouped and two decimals, exactly: "1,350.20"."""
    return f"{Decimal(area):,.2f}"


def share_text(threshold) -> str:
    """A threshold in symbols: "≥ 2/3", "> 1/2"."""
    fraction = threshold.fraction
    op = "≥" if threshold.inclusive else ">"
    return f"{op} {fraction.numerator}/{fraction.denominator}"


def shortfall_text(gate) -> str:
    """How far turnout is from the gate, in one sentence."""
    heads = gate.measure(gates.HEADS)
    area = gate.measure(gates.AREA)
    if gate.met:
        return _say(f"gate_met_{gate.kind}")
    if any(m.short is None for m in gate.measures):
        return _say("gate_unreachable")
    if gate.kind == gates.QUORUM:
        return _say("gate_short_quorum", n=heads.short)
    if heads.short and area.short:
        return _say("gate_short_both", heads=heads.short, area=area_text(area.short))
    if heads.short:
        return _say("gate_short_heads", heads=heads.short)
    return _say("gate_short_area", area=area_text(area.short))


def _bar(measure, label: str, value_text: str) -> charts.Bar:
    return charts.Bar(
        key=f"gate-{measure.key}",
        label=label,
        value=measure.value,
        total=measure.total,
        value_text=value_text,
        highlight=measure.met,
        threshold=Fraction(measure.threshold.fraction),
    )


def gate_chart(gate, *, title: str) -> str:
    """The gate as bars, each with its line drawn at the share to reach (safe HTML)."""
    heads = gate.measure(gates.HEADS)
    if gate.kind == gates.QUORUM:
        bars = [
            _bar(
                heads,
                _say("gate_attending", total=heads.total, share=share_text(heads.threshold)),
                str(heads.value),
            )
        ]
        total_label = _say("gate_title_quorum")
    else:
        area = gate.measure(gates.AREA)
        bars = [
            _bar(
                heads,
                _say("gate_heads", total=heads.total, share=share_text(heads.threshold)),
                str(heads.value),
            ),
            _bar(
                area,
                _say("gate_area", total=area_text(area.total), share=share_text(area.threshold)),
                f"{area_text(area.value)} m²",
            ),
        ]
        total_label = _say("gate_title_participation")
    svg = charts.bar_chart(bars, title=title, total_label=total_label)
    return mark_safe(svg)  # noqa: S308 - charts escape every label and value themselves


def gate_view(poll, result) -> dict | None:
    """What a page shows of a poll's gate: the chart, the sentence, and whether it is met; None
    for a rule with no legal gate or a poll with no figures yet."""
    gate = gates.gate_of(result) if result else None
    if gate is None:
        return None
    return {
        "gate": gate,
        "met": gate.met,
        "chart": gate_chart(gate, title=f"{poll.question} · {_('Turnout')}"),
        "text": shortfall_text(gate),
    }


def gate_json(result) -> dict | None:
    """The gate for the live room's frames (`poll.tally`, `poll.closed`): figures only."""
    gate = gates.gate_of(result) if result else None
    return None if gate is None else gate.to_json()


def is_void(result) -> bool:
    """A closed result that decided nothing: its quorum or participation gate was not met."""
    return bool(result) and not result.get("quorum_met", True)
