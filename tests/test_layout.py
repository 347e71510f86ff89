"""The house's shape, as the code keeps it: rooms of one job each and a narrow live seam.

`lint-imports` (pyproject.toml) checks the layers and that no app has an import cycle; these
tests hold what it cannot: module sizes, function-local imports in the live transport, and the
protocol table against its handlers and its documentation.
"""

import ast
import re
from pathlib import Path

import pytest

from deliberation.meetings import live
from realtime import protocol

ROOT = Path(__file__).resolve().parent.parent
APPS = ("communities", "deliberation", "realtime", "demo")
MAX_LINES = 600
CONSUMER_HANDLERS = {"ping", "resume", "ballot"}


def modules(*apps):
    for app in apps:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


@pytest.mark.parametrize("path", list(modules(*APPS)), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_outgrows_one_job(path):
    lines = path.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines; split it by job"


def _local_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    found.append(f"{node.name}:{inner.lineno}")
    return found


def test_the_live_transport_imports_at_the_top():
    """config/asgi.py sets Django up before routing is imported, so realtime needs no import
    inside a function (apps.ready connecting the listeners is Django's own way)."""
    found = {
        str(path.relative_to(ROOT)): _local_imports(path)
        for path in modules("realtime")
        if path.name != "apps.py"
    }
    assert {name: lines for name, lines in found.items() if lines} == {}


def test_every_message_type_has_its_handler():
    for type_, spec in protocol.MEETING_MESSAGES.items():
        assert spec.handler in CONSUMER_HANDLERS or spec.handler in live.ACTIONS, type_
    # Every live action is reachable by some message type.
    handlers = {spec.handler for spec in protocol.MEETING_MESSAGES.values()}
    assert set(live.ACTIONS) <= handlers


def test_the_protocol_page_lists_exactly_the_message_types():
    page = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
    table = page.split("#### Client → server", 1)[1].split("####", 1)[0]
    documented = set()
    for cell in re.findall(r"^\| ([^|]+) \|", table, flags=re.MULTILINE):
        documented |= set(re.findall(r"`([a-z.]+)`", cell))
    assert documented == set(protocol.MEETING_MESSAGES)
