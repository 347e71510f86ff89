"""The live room's ES modules as production serves them: collected with hashed names, and every
import between them rewritten to a hashed name (config/storage.py), so that a browser never
asks for a module by a name whose cached copy may be stale, or that is not served at all."""

import json
import posixpath
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "static" / "js"
STORAGE = "config.storage.ModuleManifestStaticFilesStorage"
HASHED = re.compile(r"\.[0-9a-f]{12}\.js$")
# Every module specifier, whatever the statement's form: `import … from "x"`, `export … from
# "x"`, `import "x"`, `import("x")`. Broader than Django's own patterns on purpose.
SPECIFIER = re.compile(r"""\b(?:from|import)\s*\(?\s*["']([^"']+)["']""")


def specifiers(text: str) -> list[str]:
    # Line comments may mention modules; only code counts.
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
    return SPECIFIER.findall(code)


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """collectstatic into a temporary STATIC_ROOT with the production storage; returns the
    root and the manifest's {name: hashed name}."""
    root = tmp_path_factory.mktemp("static")
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": STORAGE},
    }
    with override_settings(STATIC_ROOT=root, STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)
    manifest = json.loads((root / "staticfiles.json").read_text())["paths"]
    return root, manifest


def test_production_uses_this_storage():
    from django.conf import settings

    # Tests run with DEBUG settings; production's choice is made in the same expression.
    source = (ROOT / "config" / "settings.py").read_text()
    assert f'"{STORAGE}"' in source
    assert settings.STORAGES["staticfiles"]["BACKEND"] in (
        STORAGE,
        "django.contrib.staticfiles.storage.StaticFilesStorage",
    )


def test_the_room_imports_its_modules_by_their_hashed_names(collected):
    root, manifest = collected
    entry = manifest["js/meeting-room.js"]
    imported = specifiers((root / entry).read_text())
    assert len(imported) >= 10  # the reducer, the socket, the strings, the DOM helpers, panels
    names = set()
    for spec in imported:
        name = posixpath.normpath(posixpath.join("js", spec))
        unhashed = HASHED.sub(".js", name)
        assert manifest.get(unhashed) == name, f"{entry} imports {spec}, not {unhashed}'s hash"
        names.add(unhashed)
    assert {"js/live/room-state.js", "js/live/socket.js", "js/live/panels/queue.js"} <= names
    queue = (root / manifest["js/verification-queue.js"]).read_text()
    imported = [posixpath.normpath(posixpath.join("js", s)) for s in specifiers(queue)]
    assert imported == [manifest["js/live/socket.js"]]


def test_every_module_import_in_every_collected_file_resolves_to_a_hashed_file(collected):
    root, manifest = collected
    hashed = set(manifest.values())
    modules = {name: target for name, target in manifest.items() if name.startswith("js/")}
    # Every module of ours was collected.
    ours = {p.relative_to(SOURCE.parent).as_posix() for p in SOURCE.rglob("*.js")}
    assert ours <= set(modules), ours - set(modules)
    checked = 0
    for name, target in modules.items():
        text = (root / target).read_text()
        for spec in specifiers(text):
            assert spec.startswith(("./", "../")), f"{name}: {spec!r} is not a relative specifier"
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(target), spec))
            assert resolved in hashed, f"{name} imports {spec}, which is not a hashed name"
            assert (root / resolved).is_file(), f"{name} imports {spec}, which was not collected"
            checked += 1
    assert checked >= 20


def test_every_import_in_the_source_has_the_form_the_storage_rewrites():
    """Django rewrites `import … from "./x.js";` and `export … from "./x.js";` (with the
    semicolon) and `import "./x.js";`; a form it does not match would keep its plain name."""
    statement = re.compile(
        r"""^(?:import\s[^;]*?\sfrom\s"\.{1,2}/[^"]+\.js";|export\s[^;]*?\sfrom\s"\.{1,2}/[^"]+\.js";"""
        r"""|import\s"\.{1,2}/[^"]+\.js";)""",
        re.MULTILINE,
    )
    for path in SOURCE.rglob("*.js"):
        text = path.read_text()
        found = specifiers(text)
        assert len(statement.findall(text)) == len(found), f"{path}: {found}"


def test_the_modules_ask_only_for_strings_the_room_defines():
    """A key not in ROOM_STRINGS would show as the key itself (static/js/live/strings.js)."""
    from deliberation.room_strings import ROOM_STRINGS

    code = "\n".join(p.read_text() for p in SOURCE.rglob("*.js"))
    literal = set(re.findall(r"""\bt\(\s*"(\w+)"\s*[,)]""", code))
    prefixes = set(re.findall(r"""\bt\(\s*`(\w+?)\$\{""", code))
    assert len(literal) > 60 and {"status_", "poll_kind_"} <= prefixes
    assert literal - set(ROOM_STRINGS) == set()
    for prefix in prefixes:
        assert any(key.startswith(prefix) for key in ROOM_STRINGS), prefix
