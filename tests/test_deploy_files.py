"""The files in deploy/ agree with each other, with the settings and with docs/deploy.md.

There is no `nginx -t` test: the site's ssl_certificate lines name Let's Encrypt files that exist
only on the server, so nginx cannot load the file elsewhere; the nginx checks here are textual.
"""

import configparser
import os
import re
import secrets
import shlex
import string
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
DOC = ROOT / "docs" / "deploy.md"
SETTINGS = ROOT / "config" / "settings.py"
VENV_BIN = "/srv/gongzhi/app/.venv/bin/"
SHOWN_IN_DOC = [
    "gongzhi.env.example",
    "systemd/gongzhi@.service",
    "systemd/gongzhi-tick.service",
    "systemd/gongzhi-tick.timer",
    "systemd/gongzhi-worker.service",
    "nginx/gongzhi.conf",
]


# Readers ------------------------------------------------------------------------------------


def read_procfile() -> dict[str, str]:
    """`name: command` lines; blank lines and # comments ignored; anything else is an error."""
    processes: dict[str, str] = {}
    for number, line in enumerate((DEPLOY / "Procfile").read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9_-]+):\s*(\S.*)", line)
        assert match, f"Procfile line {number} is not `name: command`: {line!r}"
        name, command = match.groups()
        assert name not in processes, f"Procfile names {name!r} twice"
        processes[name] = command.strip()
    return processes


def read_unit(name: str) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(
        strict=False, interpolation=None, delimiters=("=",), comment_prefixes=("#", ";")
    )
    unit.optionxform = str  # systemd keys are case-sensitive
    unit.read_string((DEPLOY / "systemd" / name).read_text())
    return unit


def read_env_example() -> tuple[dict[str, str], list[str]]:
    """The NAME=value lines, and the names of commented-out `# NAME=value` lines."""
    values: dict[str, str] = {}
    commented: list[str] = []
    for line in (DEPLOY / "gongzhi.env.example").read_text().splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            match = re.fullmatch(r"#\s*([A-Z][A-Z0-9_]*)=.*", line)
            if match:
                commented.append(match.group(1))
            continue
        match = re.fullmatch(r"([A-Z][A-Z0-9_]*)=(.*)", line)
        assert match, f"not a NAME=value line: {line!r}"
        name, value = match.groups()
        assert name not in values, f"{name} is set twice"
        values[name] = value
    return values, commented


def nginx_tree(text: str) -> list:
    """Nested [(words, children-or-None)] for nginx's `directive args;` / `name args { ... }`."""
    tokens = re.findall(r'#[^\n]*|"(?:[^"\\]|\\.)*"|[{};]|[^\s{};"#]+', text)
    stack: list[list] = [[]]
    words: list[str] = []
    for token in tokens:
        if token.startswith("#"):
            continue
        if token == ";":
            assert words, "empty nginx directive"
            stack[-1].append((words, None))
            words = []
        elif token == "{":
            block: list = []
            stack[-1].append((words, block))
            stack.append(block)
            words = []
        elif token == "}":
            assert not words and len(stack) > 1, "unbalanced nginx braces"
            stack.pop()
        else:
            words.append(token)
    assert not words and len(stack) == 1, "nginx file ends inside a directive or block"
    return stack[0]


def blocks(tree: list, *head: str) -> list[list]:
    """Children of the blocks, at any depth, whose words start with `head`."""
    found = []
    for words, children in tree:
        if children is None:
            continue
        if tuple(words[: len(head)]) == head:
            found.append(children)
        found.extend(blocks(children, *head))
    return found


def directives(block: list) -> list[list[str]]:
    return [words for words, children in block if children is None]


# Procfile -----------------------------------------------------------------------------------


def test_the_procfile_names_release_web_worker_and_tick():
    processes = read_procfile()
    assert {"release", "web", "worker", "tick"} <= processes.keys()
    # The notices' worker: the same command as its systemd unit.
    worker = read_unit("gongzhi-worker.service")["Service"]["ExecStart"]
    assert worker.endswith(processes["worker"].removeprefix("exec python "))
    web = shlex.split(processes["web"])
    # It listens on 127.0.0.1 only, on the port the supervisor gives it.
    assert "tcp:port=$PORT:interface=127.0.0.1:backlog=4096" in web
    assert "manage.py migrate --noinput" in processes["release"]


# systemd ------------------------------------------------------------------------------------


def test_the_daphne_unit_runs_the_procfiles_web_command_on_port_i():
    unit = read_unit("gongzhi@.service")
    assert {"Unit", "Service", "Install"} <= set(unit.sections())
    service = unit["Service"]
    assert service["User"] == "gongzhi"
    assert service["EnvironmentFile"] == "/etc/gongzhi/env"
    assert service["WorkingDirectory"] == "/srv/gongzhi/app"
    assert service["Restart"] == "on-failure"
    assert unit["Install"]["WantedBy"] == "multi-user.target"

    exec_start = service["ExecStart"]
    assert exec_start.startswith(VENV_BIN), exec_start
    unit_args = shlex.split(exec_start.replace(VENV_BIN, "").replace("%i", "$PORT"))
    web_args = shlex.split(read_procfile()["web"])
    if web_args[0] == "exec":
        web_args = web_args[1:]
    assert unit_args == web_args


def test_the_tick_timer_starts_the_upkeep_command():
    service = read_unit("gongzhi-tick.service")
    assert service["Service"]["Type"] == "oneshot"
    assert service["Service"]["User"] == "gongzhi"
    assert service["Service"]["EnvironmentFile"] == "/etc/gongzhi/env"
    args = shlex.split(service["Service"]["ExecStart"])
    assert args == [f"{VENV_BIN}python", "manage.py", "deliberation_tick"]
    assert "manage.py deliberation_tick" in read_procfile()["tick"]

    timer = read_unit("gongzhi-tick.timer")
    assert timer["Timer"]["OnUnitActiveSec"]
    assert timer["Timer"].get("Unit", "gongzhi-tick.service") == "gongzhi-tick.service"
    assert timer["Install"]["WantedBy"] == "timers.target"


# nginx --------------------------------------------------------------------------------------


def test_nginx_upgrades_websockets_on_ws_and_balances_by_connections():
    tree = nginx_tree((DEPLOY / "nginx" / "gongzhi.conf").read_text())

    upstreams = {words[1]: children for words, children in tree if words[0] == "upstream"}
    assert len(upstreams) == 1, upstreams.keys()
    ((upstream_name, upstream),) = upstreams.items()
    assert ["least_conn"] in directives(upstream)
    servers = [words[1] for words in directives(upstream) if words[0] == "server"]
    assert servers and all(s.startswith("127.0.0.1:") for s in servers), servers

    (ws,) = blocks(tree, "location", "/ws/")
    ws_directives = directives(ws)
    assert ["proxy_pass", f"http://{upstream_name}"] in ws_directives
    assert ["proxy_http_version", "1.1"] in ws_directives
    assert ["proxy_set_header", "Upgrade", "$http_upgrade"] in ws_directives
    assert ["proxy_set_header", "Connection", '"upgrade"'] in ws_directives

    # Django trusts X-Forwarded-Proto (DJANGO_BEHIND_TLS_PROXY=1): every proxied location sets it.
    locations = blocks(tree, "location")
    assert len(locations) >= 2
    for location in locations:
        assert ["proxy_set_header", "X-Forwarded-Proto", "$scheme"] in directives(location)

    # The doc enables one daphne instance per upstream port.
    enabled = re.findall(r"gongzhi@(\d+)", DOC.read_text())
    assert sorted(f"127.0.0.1:{port}" for port in set(enabled)) == sorted(servers)


# Environment --------------------------------------------------------------------------------


def test_every_variable_in_the_env_example_is_read_by_the_settings():
    values, commented = read_env_example()
    settings_text = SETTINGS.read_text()
    unknown = [name for name in [*values, *commented] if f'"{name}"' not in settings_text]
    assert not unknown, f"config/settings.py reads no variable named {unknown}"
    # systemd does no shell expansion and the doc sources the file with `set -a`: keep it plain.
    for name, value in values.items():
        assert re.fullmatch(r"[A-Za-z0-9._:/@,+=-]+", value), f"{name}={value!r}"


def test_the_env_example_passes_the_deployment_check(tmp_path):
    values, commented = read_env_example()
    assert values.get("DJANGO_BEHIND_TLS_PROXY") == "1"
    read_by_settings = set(re.findall(r'env_\w+\(\s*"([A-Z0-9_]+)"', SETTINGS.read_text()))
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in read_by_settings and key not in values and not key.startswith("PYTEST")
    }
    env.update(values)
    env["DJANGO_SECRET_KEY"] = "".join(
        secrets.choice(string.ascii_letters + string.digits) for _ in range(60)
    )
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env["GONGZHI_VAR_DIR"] = str(tmp_path)
    env.pop("REDIS_URL", None)
    env.pop("MIGRATE_DATABASE_URL", None)  # root's migrate.env, not this file (docs/deploy.md)

    result = subprocess.run(  # noqa: S603 - fixed argv, our own manage.py
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "no issues" in result.stdout, output


# The doc ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SHOWN_IN_DOC)
def test_the_doc_shows_each_file_as_it_is(name):
    doc = DOC.read_text()
    text = (DEPLOY / name).read_text()
    assert f"\n{text}```\n" in doc, f"docs/deploy.md's block for deploy/{name} differs from it"
    assert f"deploy/{name}" in doc


def test_the_doc_points_at_the_procfile_and_the_measurements():
    doc = DOC.read_text()
    assert "deploy/Procfile" in doc
    assert "First version" not in doc
    measured = doc.split("## Measured: benchmarks and failures", 1)[1]
    assert "(benchmarks.md)" in measured and "deploy/Procfile" in measured
    assert "Redis killed" in measured and "daphne processes killed" in measured
