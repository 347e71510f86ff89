"""Markdown is rendered once, when it is written; no page and no CSV renders it per request,
and the anonymous ledger CSV streams at a cost linear in its rows (a fixed number of queries).

Timing targets live in bench/ (`python -m bench --ledger-csv`), never here.
"""

import csv
import io
import warnings

import markdown
import nh3
import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test import AsyncClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bench.fixture import SLOW_BODIES  # bodies that made each CSV download take ~8 s
from deliberation import meetings, services
from deliberation.models import Matter, Minutes


def propose(world, title, body="议题说明。", procedure="four_deliberations", **extra):
    return services.propose_matter(
        extra.pop("by", world.cast["party_secretary"]),
        world.community,
        title=title,
        body=body,
        category="facilities",
        procedure=procedure,
        **extra,
    )


def csv_url(world):
    return reverse("deliberation:ledger_csv", args=[world.community.slug])


def read_csv(response) -> list[list[str]]:
    raw = b"".join(response.streaming_content)
    assert raw.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


@pytest.fixture
def renderer_calls(monkeypatch):
    """From here on, count every call of the Markdown parser and of nh3, and refuse them."""
    calls = []

    def refuse(name):
        def call(*args, **kwargs):
            calls.append(name)
            raise AssertionError(f"{name} called while serving a request")

        return call

    monkeypatch.setattr(markdown.Markdown, "convert", refuse("markdown"))
    monkeypatch.setattr(nh3, "clean", refuse("nh3"))
    return calls


def test_it_stores_a_matters_body_rendered_and_its_excerpt_when_proposed(world):
    matter = propose(
        world, "加装电梯", body="**赞成**加装电梯。\n\n<script>x</script> [链接](https://a.example)"
    )
    matter.refresh_from_db()
    assert matter.body_html.startswith("<p><strong>赞成</strong>加装电梯。</p>")
    assert "<script" not in matter.body_html
    assert matter.excerpt == "赞成加装电梯。 <script>x</script> 链接"


def test_it_keeps_a_long_excerpt_within_its_column(world):
    matter = propose(world, "长文", body="很长的说明" * 400)
    assert len(matter.excerpt) == Matter.EXCERPT_CHARS and matter.excerpt.endswith("…")


def test_it_stores_minutes_rendered_when_generated_and_when_edited(world):
    chair = world.cast["party_secretary"]
    meeting = meetings.schedule_meeting(
        chair, world.community, title="议事会", kind="council", scheduled_at=timezone.now(),
        agenda=[("加装电梯", None)],
    )  # fmt: skip
    meetings.start_meeting(chair, meeting)
    meetings.end_meeting(chair, meeting)
    minutes = Minutes.objects.get(meeting=meeting)
    assert "<h3>议事会</h3>" in minutes.text_html
    meetings.edit_minutes(world.cast["rc_director"], meeting, text="# 纪要\n\n**已议**")
    minutes.refresh_from_db()
    assert minutes.text_html == "<h3>纪要</h3>\n<p><strong>已议</strong></p>"


@pytest.fixture
def planted(world):
    """Eight slow matters (pathological bodies) and the records every page shows."""
    for n, body in enumerate(SLOW_BODIES):
        propose(world, f"慢议题{n}", body=body)
    matter = propose(world, "普通议题", body="**说明**")
    chair = world.cast["party_secretary"]
    meeting = meetings.schedule_meeting(
        chair, world.community, title="议事会", kind="council", scheduled_at=timezone.now(),
        agenda=[("", matter)],
    )  # fmt: skip
    meetings.start_meeting(chair, meeting)
    meetings.end_meeting(chair, meeting)
    meetings.publish_minutes(world.cast["rc_director"], meeting)
    return {"matter": matter, "meeting": meeting}


@pytest.mark.parametrize("who", ["anonymous", "resident"])
def test_no_page_renders_stored_markdown(client, world, planted, renderer_calls, who):
    if who != "anonymous":
        client.force_login(world.cast[who])
    slug = world.community.slug
    pages = {
        "ledger": reverse("deliberation:ledger", args=[slug]),
        "ledger_csv": reverse("deliberation:ledger_csv", args=[slug]),
        "matter": planted["matter"].get_absolute_url(),
        "community": reverse("community", args=[slug]),
        "resolutions": reverse("deliberation:resolutions", args=[slug]),
        "minutes": reverse("deliberation:meeting_minutes", args=[planted["meeting"].pk]),
    }
    for page, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, page
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert renderer_calls == [], page
        if page == "ledger_csv":
            assert "慢议题7" in body.decode("utf-8-sig")
        if page == "matter":
            assert "<strong>说明</strong>" in body.decode()


def test_the_ledger_csv_streams(client, world):
    propose(world, "长者饭堂")
    response = client.get(csv_url(world))
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="lianhua-ledger-')
    rows = read_csv(response)
    assert rows[0][0] == "编号" and rows[1][1] == "长者饭堂"


def test_the_ledger_csv_carries_the_stored_excerpt(client, world):
    propose(world, "长者饭堂", body='=HYPERLINK("http://evil")\n\n**每天**供应午餐')
    (row,) = read_csv(client.get(csv_url(world)))[1:]
    assert row[11] == '\'=HYPERLINK("http://evil") 每天供应午餐'  # a formula stays text


def _every_kind_of_matter(world, n: int) -> None:
    """n matters across the procedures: estate-scoped owners' decisions (their owners'
    committee), concerns (their first body), council motions, consultations."""
    for i in range(n):
        kind = i % 4
        if kind == 0:
            propose(world, f"业主议题{i}", procedure="owners_joint_decision",
                    estate=world.estate, by=world.cast["oc_chair"])  # fmt: skip
        elif kind == 1:
            propose(world, f"诉求{i}", procedure="concern", concern_kind="complaint",
                    by=world.cast["resident"], visibility="public")  # fmt: skip
        elif kind == 2:
            propose(world, f"议案{i}", procedure="council_motion", by=world.cast["council_member"])
        else:
            propose(world, f"征求意见{i}", procedure="consultation")


def _csv_queries(client, world) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        rows = read_csv(client.get(csv_url(world)))
    return len(ctx.captured_queries), len(rows) - 1


@pytest.mark.parametrize("who", [None, "resident"])
def test_the_ledger_csv_asks_the_same_number_of_queries_however_many_rows(client, world, who):
    if who:
        client.force_login(world.cast[who])
    _every_kind_of_matter(world, 4)
    few, rows_few = _csv_queries(client, world)
    _every_kind_of_matter(world, 40)
    many, rows_many = _csv_queries(client, world)
    assert (rows_few, rows_many) == (4, 44)
    assert many == few, f"{few} queries for 4 rows, {many} for 44"


def test_the_ledger_page_asks_the_same_number_of_queries_however_many_rows(client, world):
    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("deliberation:ledger", args=[world.community.slug]))
        return len(ctx.captured_queries)

    _every_kind_of_matter(world, 4)
    few = queries()
    _every_kind_of_matter(world, 40)
    assert queries() == few


@pytest.mark.django_db(transaction=True)
async def test_it_streams_the_csv_under_asgi_without_reading_it_all_first(world):
    await sync_to_async(_every_kind_of_matter)(world, 8)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        response = await AsyncClient().get(csv_url(world))
        assert response.streaming and response.is_async
        chunks = [chunk async for chunk in response.streaming_content]
    # Django reads a plain iterator to its end first under ASGI, and says so.
    assert not [w for w in caught if "iterators" in str(w.message)]
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))
    assert len(rows) == 9
    assert {row[1] for row in rows[1:]} >= {"业主议题0", "诉求1", "议案2", "征求意见3"}
