"""Server-rendered SVG bar charts: exact shares, escaped text, valid and accessible XML."""

import xml.etree.ElementTree as ET
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deliberation.charts import Bar, bar_chart, percent

NS = {"svg": "http://www.w3.org/2000/svg"}
SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    """The chart parsed as XML; its root must be an <svg>."""
    root = ET.fromstring(svg)  # noqa: S314 - the chart module's own output, under test
    assert root.tag == f"{SVG}svg"
    return root


def bars(root: ET.Element) -> list[ET.Element]:
    """The chart's bar groups, in order."""
    return root.findall("svg:g[@class='bar']", NS)


def width_of(group: ET.Element, css_class: str) -> Decimal:
    """The width of the one rect in the group with this class."""
    [rect] = [r for r in group.findall("svg:rect", NS) if css_class in r.get("class").split()]
    return Decimal(rect.get("width"))


def texts(group: ET.Element, css_class: str) -> list[str]:
    """The contents of the group's text elements with this class."""
    return [t.text for t in group.findall("svg:text", NS) if t.get("class") == css_class]


def one_bar(**overrides) -> ET.Element:
    """The single bar group of a one-bar chart built from the given fields."""
    fields = {"key": "yes", "label": "赞成", "value": 1, "total": 2} | overrides
    [group] = bars(parse(bar_chart([Bar(**fields)], title="表决")))
    return group


# -- percentages -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "total", "expected"),
    [
        (2, 3, "66.7%"), (1, 8, "12.5%"), (1, 3, "33.3%"), (0, 5, "0.0%"), (5, 5, "100.0%"),
        (0, 0, "0.0%"), (7, 0, "0.0%"), (1, 16, "6.3%"), (3, 16, "18.8%"), (1, 6, "16.7%"),
        (Decimal("0.0005"), 1, "0.1%"), (Decimal("0.000499"), 1, "0.0%"),
        (Decimal("1234.50"), Decimal("2469"), "50.0%"), (3, 2, "150.0%"),
    ],
)  # fmt: skip
def test_it_computes_percentages_exactly_rounding_half_up(value, total, expected):
    assert percent(value, total) == expected


def test_it_refuses_negative_numbers():
    with pytest.raises(ValueError):
        percent(-1, 3)
    with pytest.raises(ValueError):
        bar_chart([Bar("k", "l", 1, -3)], title="t")


# -- geometry ----------------------------------------------------------------------------------


def test_it_draws_a_half_share_at_half_the_track():
    group = one_bar(value=1, total=2)
    assert width_of(group, "bar-fill") * 2 == width_of(group, "bar-track")


@pytest.mark.parametrize(
    ("value", "total", "share"),
    [(2, 3, Fraction(2, 3)), (1, 8, Fraction(1, 8)), (1, 1, Fraction(1)), (0, 4, Fraction(0)),
     (Decimal("1234.50"), Decimal("2469.00"), Fraction(1, 2))],
)  # fmt: skip
def test_it_makes_fill_widths_proportional_to_at_most_two_decimals(value, total, share):
    group = one_bar(value=value, total=total)
    track, fill = width_of(group, "bar-track"), width_of(group, "bar-fill")
    assert abs(Fraction(fill) - Fraction(track) * share) <= Fraction(1, 200)
    assert -fill.as_tuple().exponent <= 2


def test_it_draws_a_zero_width_fill_when_the_total_is_zero():
    group = one_bar(value=3, total=0)
    assert width_of(group, "bar-fill") == 0
    assert texts(group, "bar-value") == ["3 · 0.0%"]


def test_it_caps_the_fill_at_the_track_when_value_exceeds_total():
    group = one_bar(value=3, total=2)
    assert width_of(group, "bar-fill") == width_of(group, "bar-track")
    assert texts(group, "bar-value") == ["3 · 150.0%"]


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [(Fraction(1, 2), "160"), (Fraction(2, 3), "213.33"), (Fraction(1, 3), "106.67"),
     (Fraction(3, 4), "240"), (Fraction(0), "0"), (Fraction(1), "320")],
)  # fmt: skip
def test_it_places_the_threshold_marker_at_the_exact_fraction(threshold, expected):
    group = one_bar(threshold=threshold)
    track = width_of(group, "bar-track")
    assert track == 320  # the default width, 480, less the value column
    [line] = group.findall("svg:line", NS)
    assert line.get("class") == "bar-threshold"
    assert line.get("x1") == line.get("x2") == expected


def test_it_draws_no_threshold_marker_unless_asked():
    assert one_bar().findall("svg:line", NS) == []


def test_it_refuses_a_threshold_outside_the_track():
    with pytest.raises(ValueError):
        bar_chart([Bar("k", "l", 1, 2, threshold=Fraction(3, 2))], title="t")


def test_it_scales_the_track_with_the_width():
    [group] = bars(parse(bar_chart([Bar("k", "l", 1, 4)], title="t", width=800)))
    assert width_of(group, "bar-track") == 640
    assert width_of(group, "bar-fill") == 160
    with pytest.raises(ValueError):
        bar_chart([], title="t", width=100)


def test_it_grows_in_height_with_the_number_of_bars():
    def height(n: int) -> int:
        rows = [Bar(f"k{i}", f"l{i}", i, 10) for i in range(n)]
        root = parse(bar_chart(rows, title="t"))
        assert root.get("viewBox") == f"0 0 480 {root.get('height')}"
        return int(root.get("height"))

    assert height(0) < height(1) < height(2) < height(5)
    assert height(5) - height(4) == height(2) - height(1)


# -- text and classes --------------------------------------------------------------------------


def test_it_labels_each_bar_and_formats_its_value_and_percentage():
    rows = [
        Bar("yes", "赞成", 2, 3, highlight=True),
        Bar("area", "面积", Decimal("1234.50"), Decimal("2000"), value_text="1,234.50 m²"),
    ]
    root = parse(bar_chart(rows, title="表决"))
    yes, area = bars(root)
    assert texts(yes, "bar-label") == ["赞成"]
    assert texts(yes, "bar-value") == ["2 · 66.7%"]
    assert texts(area, "bar-value") == ["1,234.50 m² · 61.7%"]
    assert texts(one_bar(value=Decimal("1.50"), total=3), "bar-value") == ["1.50 · 50.0%"]


def test_it_marks_the_highlighted_bar_by_class():
    rows = [Bar("yes", "赞成", 2, 3, highlight=True), Bar("no", "反对", 1, 3)]
    yes, no = bars(parse(bar_chart(rows, title="表决")))
    assert "bar-fill--highlight" in yes.find("svg:rect[2]", NS).get("class").split()
    assert no.find("svg:rect[2]", NS).get("class") == "bar-fill"


def test_it_puts_a_data_key_on_every_bar_in_order():
    rows = [Bar("yes", "赞成", 2, 5), Bar("no", "反对", 2, 5), Bar("abstain", "弃权", 1, 5)]
    groups = bars(parse(bar_chart(rows, title="表决")))
    assert [g.get("data-key") for g in groups] == ["yes", "no", "abstain"]


def test_it_has_a_title_and_a_description_of_every_bar():
    rows = [Bar("yes", "赞成", 2, 3), Bar("no", "反对", 1, 3, value_text="一票")]
    root = parse(bar_chart(rows, title="是否加装电梯", total_label="共 3 户"))
    title, desc = root.find("svg:title", NS), root.find("svg:desc", NS)
    assert title.text == "是否加装电梯"
    assert desc.text == "共 3 户; 赞成: 2 (66.7%); 反对: 一票 (33.3%)"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby").split() == [title.get("id"), desc.get("id")]
    assert list(root)[0] is title  # the accessible name comes first
    assert root.find("svg:text[@class='bar-total']", NS).text == "共 3 户"


def test_it_styles_through_classes_that_the_stylesheet_defines():
    """No inline style at all (the Content-Security-Policy would block it): the page's one
    stylesheet colours each class, through custom properties a page may override."""
    svg = bar_chart([Bar("yes", "赞成", 2, 3, highlight=True, threshold=Fraction(1, 2))], title="t")
    root = parse(svg)
    assert root.find(".//svg:style", NS) is None
    assert "style=" not in svg and " fill=" not in svg
    used = {c for el in root.iter() for c in (el.get("class") or "").split()}
    stylesheet = (Path(__file__).parent.parent / "static/css/gongzhi.css").read_text()
    for css_class in ("bar-track", "bar-fill", "bar-fill--highlight", "bar-threshold"):
        assert css_class in used
        assert f".bar-chart .{css_class} " in stylesheet
    assert "var(--chart-fill," in stylesheet


def test_it_gives_every_chart_its_own_ids():
    first, second = (parse(bar_chart([], title="t")) for _ in range(2))
    ids = [el.get("id") for root in (first, second) for el in root.iter() if el.get("id")]
    assert len(ids) == 4
    assert len(set(ids)) == 4


# -- escaping ----------------------------------------------------------------------------------

HOSTILE = ["<script>alert(1)</script>", '"><svg onload=alert(1)>', "' onmouseover='x", "a & b",
           "]]><x/>", "<!--", "\x00\x08\x1b\ud800"]  # fmt: skip


@pytest.mark.parametrize("hostile", HOSTILE)
def test_it_escapes_hostile_labels_titles_and_keys(hostile):
    row = Bar(hostile, hostile, 1, 2, value_text=hostile)
    svg = bar_chart([row], title=hostile, total_label=hostile)
    root = parse(svg)
    assert {el.tag.removeprefix(SVG) for el in root.iter()} == {
        "svg", "title", "desc", "text", "g", "rect"
    }  # fmt: skip
    assert "<script" not in svg and "<svg onload" not in svg and "<x/>" not in svg
    assert not any(name.startswith("on") for el in root.iter() for name in el.attrib)
    [group] = bars(root)
    expected = hostile.translate({0: "\ufffd", 8: "\ufffd", 0x1B: "\ufffd", 0xD800: "\ufffd"})
    assert group.get("data-key") == expected
    assert texts(group, "bar-label") == [expected]
    assert root.find("svg:title", NS).text == expected


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.builds(
            Bar,
            key=st.text(max_size=10),
            label=st.text(max_size=20),
            value=st.integers(min_value=0, max_value=10**6),
            total=st.integers(min_value=0, max_value=10**6),
            value_text=st.none() | st.text(max_size=10),
            highlight=st.booleans(),
            threshold=st.none() | st.fractions(min_value=0, max_value=1),
        ),
        max_size=6,
    ),
    st.text(max_size=20),
)
def test_it_always_emits_well_formed_svg_with_one_group_per_bar(rows, title):
    root = parse(bar_chart(rows, title=title))
    groups = bars(root)
    assert len(groups) == len(rows)
    for row, group in zip(rows, groups, strict=True):
        track, fill = width_of(group, "bar-track"), width_of(group, "bar-fill")
        assert 0 <= fill <= track
        assert texts(group, "bar-value")[0].endswith(" · " + percent(row.value, row.total))
