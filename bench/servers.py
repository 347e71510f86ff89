"""Servers under test, started by the bench itself on 127.0.0.1 and always stopped again.

Gongzhi's web processes are started from the `web:` line of deploy/Procfile, the same command a
supervisor runs in production (docs/deploy.md), so the bench exercises the documented setup.
"""

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psutil

ROOT = Path(__file__).resolve().parent.parent
PROCFILE = ROOT / "deploy" / "Procfile"
SERVER_CPUS = {0}  # servers (and the bench's Redis) on one core, the load generator on the other
CLIENT_CPUS = {1}
STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def procfile(name: str) -> str:
    """The command of one process type in deploy/Procfile."""
    for line in PROCFILE.read_text(encoding="utf-8").splitlines():
        if line.strip().startswith("#") or ":" not in line:
            continue
        key, command = line.split(":", 1)
        if key.strip() == name:
            return command.strip()
    raise KeyError(f"deploy/Procfile has no {name!r} process")


def cpus() -> int:
    return len(os.sched_getaffinity(0))


def _pin_server() -> None:
    """Runs in the child before exec, so every thread the server starts inherits the core."""
    if len(os.sched_getaffinity(0)) > 1:
        os.sched_setaffinity(0, SERVER_CPUS)


def pin_client() -> None:
    if len(os.sched_getaffinity(0)) > 1:
        os.sched_setaffinity(0, CLIENT_CPUS)


def wait_for_port(port: int, proc: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                limit = f"{what} did not listen on {port} in {STARTUP_SECONDS} s"
                raise RuntimeError(limit) from None
            time.sleep(0.1)


@dataclass
class Process:
    """One server process we started: its port, and CPU and memory read from the kernel."""

    name: str
    port: int
    proc: subprocess.Popen
    log: Path

    @property
    def ps(self) -> psutil.Process:
        # `exec` in the Procfile line makes the shell become daphne: the pid is the server's.
        return psutil.Process(self.proc.pid)

    def cpu_seconds(self) -> float:
        times = self.ps.cpu_times()
        return times.user + times.system

    def rss(self) -> int:
        return self.ps.memory_info().rss

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self, grace: float = 10) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                self.kill()


def start(name: str, argv: list[str] | str, env: dict, port: int, workdir: Path) -> Process:
    log = workdir / f"{name}.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen(  # noqa: S603 - our own servers, on 127.0.0.1 only
            argv,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            shell=isinstance(argv, str),  # noqa: S602 - a Procfile line is a shell command
            preexec_fn=_pin_server,  # noqa: PLW1509 - only sched_setaffinity, no locks
        )  # fmt: skip
    process = Process(name, port, proc, log)
    try:
        wait_for_port(port, proc, name)
    except RuntimeError as error:
        process.stop()
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{error}; its log:\n{tail}") from None
    return process


@dataclass
class Site:
    """A throwaway Gongzhi site: its database, environment, and people with signed-in sessions."""

    workdir: Path
    env: dict
    people: dict = field(default_factory=dict)
    database_url: str = ""
    cleanup: list = field(default_factory=list)

    def fixture(self, *args: str) -> dict:
        import json

        done = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "bench.fixture", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        if done.returncode != 0:
            raise RuntimeError(f"bench.fixture {args[0]} failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def web(self, name: str, port: int, redis_url: str | None) -> Process:
        env = {**self.env, "PORT": str(port)}
        if redis_url:
            env["REDIS_URL"] = redis_url
        return start(name, procfile("web"), env, port, self.workdir)

    def close(self) -> None:
        for action in reversed(self.cleanup):
            with contextlib.suppress(Exception):
                action()


def _postgres_database(url: str) -> tuple[str, callable]:
    """A fresh database beside the one DATABASE_URL names, never that one itself."""
    import psycopg

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'gongzhi'}_bench"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunsplit(parts._replace(path="/" + name)), drop


def make_site(n: int, *, database_url: str | None) -> Site:
    """Migrate a new database, load the demo, and sign in `n` residents and the chair."""
    workdir = Path(tempfile.mkdtemp(prefix="gongzhi-bench-"))
    site = Site(workdir=workdir, env={})
    site.cleanup.append(lambda: shutil.rmtree(workdir, ignore_errors=True))
    if database_url and database_url.startswith(("postgres://", "postgresql://")):
        url, drop = _postgres_database(database_url)
        site.cleanup.append(drop)
    else:
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    site.database_url = url
    venv_bin = str(Path(sys.executable).parent)
    site.env = {
        **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_DEBUG")},
        "PATH": venv_bin + os.pathsep + os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": url,
        "GONGZHI_VAR_DIR": str(workdir),
        "PYTHONUNBUFFERED": "1",
    }
    people = workdir / "people.json"
    site.fixture("setup", "--n", str(n), "--out", str(people))
    import json

    site.people = json.loads(people.read_text(encoding="utf-8"))
    return site


def start_redis(workdir: Path) -> tuple[Process, str]:
    """The bench's own Redis on a spare port, keeping nothing on disk, so faults can kill it."""
    port = free_port()
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed; the two-process scenario needs it")
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    argv += ["--dir", str(workdir)]
    return start("redis", argv, dict(os.environ), port, workdir), f"redis://127.0.0.1:{port}/0"


def start_bare(workdir: Path) -> Process:
    port = free_port()
    argv = [sys.executable, "-m", "bench.bare", "--port", str(port)]
    return start("bare", argv, dict(os.environ), port, workdir)
