"""The printable records on a phone (390 px, in Chinese): the owners' notice, the resolution
notice and the minutes open as legible pages (one column, readable type, a QR code big enough to
scan, nothing wider than the screen, no word left in English), pass axe, and download as a PDF
made by the production server from its collected static files, with the Chinese set in a CJK
font."""

import io
import re

import pypdf
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from deliberation import meetings, services
from tests import walks
from tests.e2e import tour
from tests.e2e.conftest import PHONE, call, no_horizontal_scroll, run_axe

NOTICE_TITLE = "续聘物业服务企业"
RESOLUTION_TITLE = "增设电动车充电桩"
MEETING_TITLE = "居民议事会第五次会议"


def _scene(world) -> dict:
    cast = world.cast
    notice = walks.propose(world, walks.OWNERS, title=NOTICE_TITLE)
    notice = walks.walk_to(world, notice, "notice")
    resolved = walks.propose(world, walks.FOUR, title=RESOLUTION_TITLE)
    resolved = walks.walk_to(world, resolved, "notice")
    services.publish_resolution(cast["rc_director"], resolved, text="决议：在三号楼旁增设充电桩。")
    meeting = meetings.schedule_meeting(
        cast["party_secretary"], world.community, title=MEETING_TITLE, kind="council",
        scheduled_at=timezone.now(), place="党群服务中心", agenda=[("小区停车管理", None)],
    )  # fmt: skip
    meetings.start_meeting(cast["party_secretary"], meeting)
    meetings.join(cast["resident"], meeting)
    meetings.end_meeting(cast["party_secretary"], meeting)
    meetings.publish_minutes(cast["rc_director"], meeting)
    slug = world.community.slug
    return {
        "notice": (
            reverse("deliberation:print_notice", args=[slug, notice.reference]),
            [NOTICE_TITLE, notice.reference, "业主大会公告"],
        ),
        "resolution": (
            reverse("deliberation:print_resolution", args=[slug, resolved.reference]),
            [RESOLUTION_TITLE, resolved.resolution.reference, "异议截止时间"],
        ),
        "minutes": (
            reverse("deliberation:print_minutes", args=[meeting.pk]),
            [MEETING_TITLE, "会议纪要", "党群服务中心"],
        ),
    }


def _px(page, selector: str, prop: str) -> float:
    value = page.eval_on_selector(selector, f"el => getComputedStyle(el).{prop}")
    return float(re.sub(r"px$", "", value))


def test_the_printable_records_are_legible_on_a_phone_and_download_as_pdf(world, browse, shots):
    scene = call(_scene, world)
    data = call(tour.user_data)
    page = browse.page("owner", user=world.cast["owner"], viewport=PHONE)
    overflow, violations, words = {}, {}, {}
    for name, (path, fields) in scene.items():
        page.goto(path)
        expect(page.locator("main h1")).to_be_visible()
        shots.step(f"{name} on a phone")
        for field in fields:
            expect(page.locator("main")).to_contain_text(field)
        expect(page.locator("main .print-facts")).to_contain_text("莲花社区")
        # Legible: body type at least 16 px, the code at least 120 px square and on screen.
        assert _px(page, "main.print-doc", "fontSize") >= 16
        qr = page.locator("main svg.print-qr__code")
        expect(qr).to_be_visible()
        box = qr.bounding_box()
        assert box["width"] >= 120 and abs(box["width"] - box["height"]) < 2
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        overflow[name] = no_horizontal_scroll(page)
        violations[name] = run_axe(page)
        texts = page.evaluate(tour.COLLECT_JS, None)
        # The address under the code is an address, in any language.
        origin = page.evaluate("location.origin")
        address = re.compile(re.escape(origin) + r"\S*")
        words[name] = tour.untranslated([address.sub(" ", t) for t in texts], "zh-hans", data)
        with page.expect_download() as download_info:
            page.get_by_role("link", name="下载 PDF").click()
        download = download_info.value
        assert download.suggested_filename.endswith(".pdf")
        reader = pypdf.PdfReader(io.BytesIO(open(download.path(), "rb").read()))  # noqa: SIM115
        text = re.sub(r"\s+", "", "".join(p.extract_text() for p in reader.pages))
        for field in [*fields, "莲花社区"]:
            assert re.sub(r"\s+", "", field) in text, (name, field)
        fonts = {
            str(f.get_object()["/BaseFont"])
            for p in reader.pages
            for f in (p["/Resources"].get("/Font") or {}).values()
        }
        assert any("CJK" in font for font in fonts), fonts
        assert page.errors == []
    assert overflow == dict.fromkeys(overflow, 0)
    assert {name: found for name, found in violations.items() if found} == {}
    assert {name: found for name, found in words.items() if found} == {}
