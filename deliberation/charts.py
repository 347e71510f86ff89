"""Server-rendered SVG bar charts: no JavaScript, no libraries, exact arithmetic.

Each bar is a ``<g class="bar" data-key="...">`` so a live module can find and update it in
place. Colours come from CSS classes only, styled in static/css/gongzhi.css (``.bar-chart``,
with custom properties such as ``--chart-fill`` to restyle them): the Content-Security-Policy
allows no inline style, so the SVG carries no ``<style>`` element and no style attribute.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from uuid import uuid4

from django.utils.html import escape

SVG_NS = "http://www.w3.org/2000/svg"
MIN_WIDTH = 240
VALUE_COLUMN = 160  # room right of the track for "value · pct"
ROW_HEIGHT = 44
TRACK_OFFSET = 20  # track top, from the top of its row
TRACK_HEIGHT = 14
HEADER_WITH_TOTAL = 24
HEADER_PLAIN = 4
BOTTOM_PAD = 4

# Characters XML 1.0 forbids even as character references; replaced so the SVG always parses.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Bar:
    """One bar: its share value/total, labelled, optionally highlighted or with a threshold."""

    key: str  # stable code, e.g. "yes": the data-key a live module uses to update in place
    label: str  # already translated text
    value: Decimal | int
    total: Decimal | int  # the denominator for the percentage (0 -> 0%)
    value_text: str | None = None  # preformatted value, e.g. "1,234.50 m²"; default str(value)
    highlight: bool = False  # e.g. the winning or carried choice
    threshold: Fraction | None = None  # marker line at this share of the track, e.g. 2/3

    def share(self) -> Fraction:
        """The exact share value/total; 0 when total is 0."""
        value, total = _non_negative(self.value), _non_negative(self.total)
        return Fraction(0) if total == 0 else value / total


def _non_negative(number) -> Fraction:
    exact = Fraction(number)
    if exact < 0:
        raise ValueError(f"Chart values cannot be negative: {number!r}")
    return exact


def _half_up(number: Fraction, places: int) -> int:
    """number * 10**places rounded half-up, for number >= 0."""
    scaled = number * 10**places
    return (scaled.numerator * 2 + scaled.denominator) // (scaled.denominator * 2)


def _decimal_text(number: Fraction, places: int, *, keep_zeros: bool) -> str:
    units = _half_up(number, places)
    whole, fraction = divmod(units, 10**places)
    digits = str(fraction).rjust(places, "0")
    if not keep_zeros:
        digits = digits.rstrip("0")
    return f"{whole}.{digits}" if digits else str(whole)


def _length(number: Fraction) -> str:
    """A coordinate with at most two decimals, trailing zeros dropped."""
    return _decimal_text(number, 2, keep_zeros=False)


def percent(value: Decimal | int, total: Decimal | int) -> str:
    """value/total as "66.7%": exact arithmetic, rounded half-up to one decimal; 0 total is 0.0%."""
    value_, total_ = _non_negative(value), _non_negative(total)
    share = Fraction(0) if total_ == 0 else value_ / total_
    return _decimal_text(share * 100, 1, keep_zeros=True) + "%"


def _text(value: object) -> str:
    """Escaped for XML text and attribute values alike."""
    return escape(_NOT_XML.sub("\ufffd", str(value)))


def bar_chart(
    rows: Sequence[Bar],
    *,
    title: str,
    total_label: str | None = None,
    width: int = 480,
    percentages: bool = True,
) -> str:
    """An accessible SVG bar chart of `rows` as a str (the caller marks it safe). Without
    `percentages` the bars show their values only (a void vote's ballots: no share of them is
    a result)."""
    if width < MIN_WIDTH:
        raise ValueError(f"width must be at least {MIN_WIDTH}.")
    uid = uuid4().hex[:8]
    title_id, desc_id = f"chart-{uid}-title", f"chart-{uid}-desc"
    track_width = Fraction(width - VALUE_COLUMN)
    header = HEADER_WITH_TOTAL if total_label else HEADER_PLAIN
    height = header + ROW_HEIGHT * len(rows) + BOTTOM_PAD

    descriptions = [total_label] if total_label else []
    groups = []
    for index, bar in enumerate(rows):
        share = bar.share()
        pct = percent(bar.value, bar.total)
        value_text = str(bar.value) if bar.value_text is None else bar.value_text
        line = f"{value_text} · {pct}" if percentages else value_text
        descriptions.append(f"{bar.label}: {value_text} ({pct})" if percentages else line)
        top = header + ROW_HEIGHT * index
        groups.append(_bar_group(bar, share, line, top, track_width))

    parts = [
        f'<svg xmlns="{SVG_NS}" class="bar-chart" role="img" '
        f'aria-labelledby="{title_id} {desc_id}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">',
        f'<title id="{title_id}">{_text(title)}</title>',
        f'<desc id="{desc_id}">{_text("; ".join(str(d) for d in descriptions))}</desc>',
    ]
    if total_label:
        parts.append(f'<text class="bar-total" x="0" y="14">{_text(total_label)}</text>')
    parts.extend(groups)
    parts.append("</svg>")
    return "".join(parts)


def _bar_group(bar: Bar, share: Fraction, value_line: str, top: int, track: Fraction) -> str:
    track_top = top + TRACK_OFFSET
    fill_width = track * min(share, Fraction(1))
    fill_class = "bar-fill bar-fill--highlight" if bar.highlight else "bar-fill"
    parts = [
        f'<g class="bar" data-key="{_text(bar.key)}">',
        f'<text class="bar-label" x="0" y="{top + 14}">{_text(bar.label)}</text>',
        f'<rect class="bar-track" x="0" y="{track_top}" width="{_length(track)}" '
        f'height="{TRACK_HEIGHT}"/>',
        f'<rect class="{fill_class}" x="0" y="{track_top}" width="{_length(fill_width)}" '
        f'height="{TRACK_HEIGHT}"/>',
    ]
    if bar.threshold is not None:
        threshold = Fraction(bar.threshold)
        if not 0 <= threshold <= 1:
            raise ValueError(f"threshold must be between 0 and 1: {bar.threshold!r}")
        x = _length(track * threshold)
        parts.append(
            f'<line class="bar-threshold" x1="{x}" y1="{track_top - 3}" x2="{x}" '
            f'y2="{track_top + TRACK_HEIGHT + 3}"/>'
        )
    parts.append(
        f'<text class="bar-value" x="{_length(track + 8)}" y="{track_top + 11}">'
        f"{_text(value_line)}</text>"
    )
    parts.append("</g>")
    return "".join(parts)
