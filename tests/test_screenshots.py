"""The README shows real screenshots: every picture it names exists in docs/screenshots/ as a PNG
of a plausible size, and every screenshot there is shown (make screenshots writes them)."""

import re
import struct
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "docs" / "screenshots"


def _readme_images() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r'<img src="(docs/screenshots/[^"]+)"', text)


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    return struct.unpack(">II", head[16:24])


def test_the_readme_shows_every_screenshot_and_nothing_else():
    shown = _readme_images()
    assert shown, "the README shows no screenshots"
    on_disk = sorted(f"docs/screenshots/{p.name}" for p in FOLDER.glob("*.png"))
    assert sorted(shown) == on_disk


def test_each_screenshot_is_a_real_picture_of_a_page():
    for name in _readme_images():
        width, height = _png_size(ROOT / name)
        # A phone at 390 CSS px (2x) or a desktop at 1280: anything smaller is not a page.
        assert width >= 390 and height >= 600, (name, width, height)
        assert (ROOT / name).stat().st_size > 20_000, f"{name} looks blank"


def test_every_image_has_a_description():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for tag in re.findall(r"<img [^>]+>", text):
        alt = re.search(r'alt="([^"]*)"', tag)
        assert alt and len(alt.group(1)) > 20, tag
