"""Real servers for tests: daphne processes (started from deploy/Procfile's `web` line, as in
production and the bench) on the test database, and a Redis of the test's own that it may kill.

The test process and the servers share the test database: a file for SQLite (settings give the
test database a file name), the test database's URL for PostgreSQL. Tests using these must run
with `django_db(transaction=True)`, so that what the test writes is committed where a server
can read it.
"""

import contextlib
import os
import shutil
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from bench import servers

ROOT = Path(__file__).resolve().parent.parent
# Environment the test process has that a server must not inherit.
PRIVATE = ("DJANGO_ALLOW_ASYNC_UNSAFE", "REDIS_URL", "DATABASE_URL", "PYTEST_CURRENT_TEST")


def database_url() -> str:
    """The URL of the database the tests are using right now (the test database)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{auth}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def server_env(*, debug: bool = False, static_root: Path | None = None, **extra) -> dict:
    """A server's environment: production settings (DEBUG off, manifest static files) except
    that it speaks plain HTTP on 127.0.0.1."""
    env = {k: v for k, v in os.environ.items() if k not in PRIVATE}
    env.update(
        {
            "PATH": str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", ""),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "1" if debug else "0",
            "DJANGO_SECRET_KEY": settings.SECRET_KEY,
            "ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_SECURE_COOKIES": "0",
            "DJANGO_HSTS_SECONDS": "0",
            "DATABASE_URL": database_url(),
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": "WARNING",
        }
    )
    if static_root is not None:
        env["STATIC_ROOT"] = str(static_root)
    env.update(extra)
    return env


class Cluster:
    """One or two daphne processes on the test database; with two, a Redis of its own."""

    def __init__(self, workdir: Path, *, processes: int = 1, static_root: Path | None = None):
        self.workdir = workdir
        self.redis: servers.Process | None = None
        self.redis_url: str | None = None
        self.static_root = static_root
        self.ports = [servers.free_port() for _ in range(processes)]
        self.procs: list[servers.Process | None] = [None] * processes

    def start(self) -> "Cluster":
        if len(self.ports) > 1 and self.redis is None:
            self.redis, self.redis_url = servers.start_redis(self.workdir)
        for index in range(len(self.ports)):
            self.start_web(index)
        return self

    def env(self) -> dict:
        extra = {"REDIS_URL": self.redis_url} if self.redis_url else {}
        return server_env(static_root=self.static_root, **extra)

    def start_web(self, index: int = 0) -> servers.Process:
        env = {**self.env(), "PORT": str(self.ports[index])}
        self.procs[index] = servers.start(
            f"web{index}", servers.procfile("web"), env, self.ports[index], self.workdir
        )
        return self.procs[index]

    def kill_web(self, index: int = 0) -> None:
        """SIGKILL: no goodbye to any client, as when the machine loses the process."""
        self.procs[index].kill()

    def kill_redis(self) -> None:
        self.redis.kill()

    def restart_redis(self) -> None:
        """The same port again, empty (it keeps nothing on disk), as after a crash."""
        port = self.redis.port
        binary = shutil.which("redis-server")
        argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        argv += ["--appendonly", "no", "--dir", str(self.workdir)]
        self.redis = servers.start("redis", argv, dict(os.environ), port, self.workdir)

    def url(self, path: str = "/", index: int = 0) -> str:
        return f"http://127.0.0.1:{self.ports[index]}{path}"

    def logs(self) -> str:
        out = []
        for log in sorted(self.workdir.glob("*.log")):
            out.append(f"--- {log.name}\n{log.read_text(errors='replace')[-4000:]}")
        return "\n".join(out)

    def stop(self) -> None:
        for proc in self.procs:
            if proc is not None:
                with contextlib.suppress(Exception):
                    # daphne waits up to 10 s for open sockets' consumers on SIGTERM; a test's
                    # server has nothing left to finish by now.
                    proc.stop(grace=2)
        if self.redis is not None:
            with contextlib.suppress(Exception):
                self.redis.stop()


@contextlib.contextmanager
def cluster(processes: int = 1, *, static_root: Path | None = None):
    workdir = Path(tempfile.mkdtemp(prefix="gongzhi-live-"))
    running = Cluster(workdir, processes=processes, static_root=static_root)
    try:
        yield running.start()
    finally:
        running.stop()
        shutil.rmtree(workdir, ignore_errors=True)
