"""The check-in burst: N attendees checked in at the door through the scan endpoint (the staff's
POST, as the scanner page sends it) by 4 concurrent scanners, while the live room holds N
sockets; one more socket, the projector, times when each check-in shows in the presence frame.

The scanners are processes of their own, beside the load generator. For each scan: sent at
t0, answered at t1 (the check-in committed), the j-th answer overall;
its latency is t0 to the first presence frame, arriving after t1, that counts at least j
check-ins (so it counts this one). Exactness: the database holds exactly N check-ins and N audit
events; the projector's last presence counts N checked in and N + 1 present (the N residents,
online and checked in, once each, and the chair); the database's presence equals the people
online or checked in, counted one by one.
"""

import asyncio
import http.client
import json
import multiprocessing
import re
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor

from websockets.asyncio.client import connect

from bench import servers
from bench.load import OPEN_TIMEOUT, SETTLE_TIMEOUT, Room, ms, pct

SCANNERS = 4
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Projector:
    """A socket that records every presence frame: (arrival, checked-in count)."""

    def __init__(self, url: str, cookie: str, origin: str):
        self.url, self.cookie, self.origin = url, cookie, origin
        self.frames: list[tuple[float, int]] = []
        self.total = 0  # the last presence total: everyone present, each person once
        self.ws = self.task = None

    async def open(self) -> None:
        self.ws = await connect(
            self.url, additional_headers={"Cookie": self.cookie}, origin=self.origin,
            compression=None, open_timeout=OPEN_TIMEOUT, ping_interval=None, max_size=2**22,
        )  # fmt: skip
        self.task = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                frame = json.loads(raw)
                if frame.get("type") == "state" and frame.get("kind") == "presence":
                    self.frames.append((time.perf_counter(), frame["data"].get("checked_in", 0)))
                    self.total = frame["data"]["total"]
                elif frame.get("type") == "snapshot":
                    checked = frame.get("presence", {}).get("checked_in", 0)
                    self.frames.append((time.perf_counter(), checked))
        except Exception:  # noqa: BLE001,S110 - a dropped socket shows up as missing frames
            pass

    def latest(self) -> int:
        return self.frames[-1][1] if self.frames else 0

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.task is not None:
            self.task.cancel()


class Scanner:
    """One member of staff at the door: a kept-alive HTTP connection, a CSRF token, and POSTs."""

    def __init__(self, port: int, cookie: str, meeting: int):
        self.port, self.cookie = port, cookie
        self.path = f"/meetings/{meeting}/check-in/"
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=OPEN_TIMEOUT)
        self.token = self.csrf_cookie = ""

    def open(self) -> None:
        self.conn.request("GET", self.path, headers={"Cookie": self.cookie})
        response = self.conn.getresponse()
        body = response.read().decode()
        if response.status != 200:
            raise RuntimeError(f"scanner page: HTTP {response.status}")
        self.token = CSRF.search(body).group(1)
        for header, value in response.getheaders():
            if header.lower() == "set-cookie" and value.startswith("csrftoken="):
                self.csrf_cookie = value.split(";", 1)[0]

    def scan(self, code: str) -> int:
        body = f"csrfmiddlewaretoken={self.token}&code={code}"
        self.conn.request(
            "POST",
            self.path,
            body=body,
            headers={
                "Cookie": f"{self.cookie}; {self.csrf_cookie}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": f"http://127.0.0.1:{self.port}",
                "Referer": f"http://127.0.0.1:{self.port}{self.path}",
            },
        )
        response = self.conn.getresponse()
        response.read()
        return response.status


def scan_codes(port: int, cookie: str, meeting: int, codes: list[str]) -> list[tuple]:
    """One scanner's share of the codes: (sent, answered, HTTP status) for each, in order."""
    scanner = Scanner(port, cookie, meeting)
    scanner.open()
    timings = []
    for code in codes:
        started = time.perf_counter()
        status = scanner.scan(code)
        timings.append((started, time.perf_counter(), status))
    return timings


def _scan_all(port: int, cookie: str, meeting: int, codes: list[str], scanners: int) -> dict:
    """The scanners, each a process of its own (so that they take no time from the sockets'
    reader here), take the codes in turn. perf_counter is the system's monotonic clock, the
    same in every process."""
    shares = [codes[i::scanners] for i in range(scanners)]
    errors: list[str] = []
    timings: list[tuple] = []
    started = time.perf_counter()
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=scanners, mp_context=spawn) as pool:
        futures = [pool.submit(scan_codes, port, cookie, meeting, share) for share in shares]
        for future in futures:
            try:
                timings.extend(future.result())
            except Exception as error:  # noqa: BLE001 - reported; the count will not be exact
                errors.append(f"{type(error).__name__}: {error}")
    seconds = time.perf_counter() - started
    timings.sort(key=lambda row: row[1])  # the j-th answer overall
    done = [(sent, answered, j) for j, (sent, answered, _status) in enumerate(timings, 1)]
    statuses: dict[int, int] = {}
    for _sent, _answered, status in timings:
        statuses[status] = statuses.get(status, 0) + 1
    return {"done": done, "statuses": statuses, "seconds": seconds, "errors": errors}


async def _burst(site, port: int, meeting: int, codes: list[str], n: int) -> dict:
    room = Room([port], f"/ws/meetings/{meeting}/", site.people["chair"], site.people["residents"])
    projector = Projector(
        f"ws://127.0.0.1:{port}/ws/meetings/{meeting}/", site.people["chair"],
        f"http://127.0.0.1:{port}",
    )  # fmt: skip
    await projector.open()
    joined = await room.join(n, concurrency=50)
    scans = await asyncio.to_thread(_scan_all, port, site.people["chair"], meeting, codes, SCANNERS)
    deadline = time.perf_counter() + SETTLE_TIMEOUT
    while projector.latest() < len(codes) and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    latencies, http = [], []
    for started, answered, j in scans["done"]:
        http.append(answered - started)
        seen = next((t for t, count in projector.frames if t >= answered and count >= j), None)
        if seen is not None:
            latencies.append(seen - started)
    await room.close_all()
    await projector.close()
    return {
        "sockets": n,
        "join_failures": joined["failures"],
        "scanners": SCANNERS,
        "scans": len(scans["done"]),
        "statuses": {str(k): v for k, v in sorted(scans["statuses"].items())},
        "scanner_errors": scans["errors"],
        "scans_per_second": round(len(scans["done"]) / scans["seconds"], 1),
        "http_p50_ms": ms(pct(http, 50)),
        "http_p99_ms": ms(pct(http, 99)),
        "presence_p50_ms": ms(pct(latencies, 50)),
        "presence_p99_ms": ms(pct(latencies, 99)),
        "presence_max_ms": ms(max(latencies) if latencies else None),
        "presence_unseen": len(scans["done"]) - len(latencies),
        "projector_final": projector.latest(),
        # The n residents are online and checked in, the chair online: n + 1, not 2n + 1.
        "projector_total": projector.total,
    }


def run(site, n: int) -> dict:
    """One burst of n check-ins on a fresh residents' meeting, one daphne process."""
    started = time.perf_counter()
    # The scanners speak plain HTTP on 127.0.0.1, as the sockets do: no redirect to HTTPS; and
    # the page names its static files, which production serves collected (with hashed names).
    port = servers.free_port()
    env = {
        **site.env, "PORT": str(port), "DJANGO_SECURE_SSL_REDIRECT": "0",
        "STATIC_ROOT": str(site.workdir / "static"),
    }  # fmt: skip
    subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=servers.ROOT, env=env, check=True, timeout=300,
    )  # fmt: skip
    web = servers.start("daphne-checkin", servers.procfile("web"), env, port, site.workdir)
    try:
        meeting = site.fixture("meeting")["meeting"]
        codes = site.fixture("codes", "--meeting", str(meeting), "--n", str(n))["codes"]
        figures = asyncio.run(_burst(site, web.port, meeting, codes, n))
        figures["alive"] = web.alive()
    finally:
        web.stop()
    db = site.fixture("checkins", "--meeting", str(meeting))
    figures["database"] = db
    figures["exact"] = (
        figures["statuses"] == {"302": n}
        and db["check_ins"] == db["people"] == db["audit"] == n
        and db["checked_in"] == n
        and db["presence_total"] == db["present_once"]
        and figures["projector_final"] == n
        and figures["projector_total"] == n + 1
        and figures["presence_unseen"] == 0
        and figures["join_failures"] == 0
    )
    figures["n"] = n
    figures["seconds"] = round(time.perf_counter() - started, 1)
    return figures


def summary(figures: dict) -> str:
    db = figures["database"]
    return (
        f"{figures['scans']} check-ins by {figures['scanners']} scanners beside "
        f"{figures['sockets']} sockets: scan → presence on the projector p50 "
        f"{figures['presence_p50_ms']} ms, p99 {figures['presence_p99_ms']} ms; "
        f"scan answered p99 {figures['http_p99_ms']} ms; {figures['scans_per_second']} scans/s; "
        f"count {'exact' if figures['exact'] else 'NOT exact'} "
        f"({db['check_ins']} check-ins, presence {db['presence_total']})"
    )
