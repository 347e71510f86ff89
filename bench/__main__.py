"""Live rooms against a bare WebSocket server: `make bench`, or

    python -m bench [--n 100,1000,5000] [--servers bare,one,two] [--faults] [--out DIR]
    python -m bench --ledger-csv [--matters 10000] [--runs 5]
    python -m bench --fanout 5000 [--batch 200]
    python -m bench --n 1000 --servers one --checkin 1000   (the check-in burst)

Each server is started here, on 127.0.0.1 only, and stopped at the end:
- bare: a bare `websockets` broadcast server (bench/bare.py), the floor;
- one:  Gongzhi, one daphne process from deploy/Procfile, the in-memory channel layer;
- two:  Gongzhi, two daphne processes and the bench's own Redis (and PostgreSQL when
        DATABASE_URL names one: the bench makes and drops its own database beside it).
The load generator runs in this process, pinned to the other core. Results go to
DIR/benchmarks.json and DIR/benchmarks.md (by default bench/results/).
"""

import argparse
import asyncio
import gc
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil

from bench import checkin_burst, faults, report, servers
from bench.load import Room

BROADCASTS = {1: 5, 5: 15}  # messages per second -> how many are sent at that rate


def _quiet(processes, *, most: float = 60.0, share: float = 0.05) -> float:
    """Wait until the servers are idle (below `share` of a core over 0.3 s); returns seconds."""
    started = time.perf_counter()
    while time.perf_counter() - started < most:
        before = sum(p.cpu_seconds() for p in processes)
        time.sleep(0.3)
        if (sum(p.cpu_seconds() for p in processes) - before) / 0.3 < share:
            break
    return round(time.perf_counter() - started, 2)


async def _aquiet(processes, **kwargs) -> float:
    return await asyncio.to_thread(_quiet, processes, **kwargs)


async def measure(processes, room: Room, n: int) -> dict:
    """One room of n clients: join, idle memory, broadcasts, integrity, storm, vote burst."""
    figures: dict = {"n": n, "processes": len(processes)}
    await room.open_chair()
    await _aquiet(processes)
    rss_before = sum(p.rss() for p in processes)
    figures["join_ramp"] = await room.join(n, concurrency=50)
    await _aquiet(processes)
    await asyncio.sleep(1)
    rss_after = sum(p.rss() for p in processes)
    figures["memory"] = {
        "rss_before_mib": round(rss_before / 2**20, 1),
        "rss_after_mib": round(rss_after / 2**20, 1),
        "per_connection_kib": round((rss_after - rss_before) / max(n, 1) / 1024, 1),
    }
    cpu_before = sum(p.cpu_seconds() for p in processes)
    figures["broadcast"] = {}
    for rate, count in BROADCASTS.items():
        figures["broadcast"][str(rate)] = await room.broadcast(rate, count)
    cpu = sum(p.cpu_seconds() for p in processes) - cpu_before
    deliveries = sum(b["deliveries"] for b in figures["broadcast"].values())
    figures["cpu_us_per_delivery"] = round(cpu * 1e6 / deliveries, 2) if deliveries else None
    figures["integrity"] = room.integrity()
    await room.close_all()
    await _aquiet(processes)
    figures["join_storm"] = await room.join(n, concurrency=None)
    await _aquiet(processes)
    figures["vote"] = await room.vote_burst()
    figures["integrity_after_vote"] = room.integrity()
    await room.close_all()
    await room.chair.close()
    figures["alive"] = all(p.alive() for p in processes)
    return figures


def run_bare(n: int, workdir: Path, people: dict) -> dict:
    bare = servers.start_bare(workdir)
    try:
        room = Room([bare.port], "/", people["chair"], people["residents"])
        return asyncio.run(measure([bare], room, n))
    finally:
        bare.stop()


def run_gongzhi(kind: str, n: int, site: servers.Site) -> dict:
    started, redis_url = [], None
    try:
        if kind == "two":
            redis, redis_url = servers.start_redis(site.workdir)
            started.append(redis)
        webs = [
            site.web(f"daphne-{kind}-{i}", servers.free_port(), redis_url)
            for i in range(2 if kind == "two" else 1)
        ]
        started.extend(webs)
        room = Room.new_meeting(site, [w.port for w in webs])
        figures = asyncio.run(measure(webs, room, n))
        figures["database"] = site.fixture("count", "--poll", str(figures["vote"]["poll"]))
        vote = figures["vote"]
        db = figures["database"]
        vote["tally_exact"] = (
            vote["tally_exact"]
            and db["ballots"] == db["voters"] == n
            and db["by_choice"] == {k: v for k, v in vote["expected_heads"].items() if v}
        )
        return figures
    finally:
        for process in reversed(started):
            process.stop()


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "cpus_usable": servers.cpus(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "cpu_model": _cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "pinning": "servers on CPU 0, load generator on CPU 1"
        if servers.cpus() > 1
        else "one CPU: no pinning",
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--n", default="100,1000,5000", help="client counts, comma-separated")
    parser.add_argument("--servers", default="bare,one,two", help="bare, one, two")
    parser.add_argument("--faults", action="store_true", help="also run the fault scenarios")
    parser.add_argument("--fault-n", type=int, default=200, help="clients in the fault runs")
    parser.add_argument(
        "--checkin",
        type=int,
        default=None,
        help="check-ins in the check-in burst (4 scanners beside as many sockets; 0: none;"
        " default 1000, or 30 with --smoke)",
    )
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    parser.add_argument(
        "--doc",
        help="also put the table into this Markdown file, between its bench markers",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="fail only on wrong results (lost events, failed joins, inexact tallies, faults),"
        " not on timing targets: for CI",
    )
    parser.add_argument(
        "--ledger-csv",
        action="store_true",
        help="instead, time the anonymous ledger CSV at 10,000 matters (bench/ledger_csv.py)",
    )
    parser.add_argument(
        "--fanout",
        type=int,
        metavar="N",
        help="instead, time notifying an electorate of N owners: the request's part and the"
        " task worker's (bench/fanout.py)",
    )
    args, rest = parser.parse_known_args(argv)
    if args.fanout:
        from bench import fanout

        return fanout.main(["--n", str(args.fanout), *rest], prog="python -m bench --fanout")
    if args.ledger_csv:
        from bench import ledger_csv

        return ledger_csv.main(rest, prog="python -m bench --ledger-csv")
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.checkin is None:
        args.checkin = 30 if args.smoke else 1000
    counts = [int(x) for x in args.n.split(",") if x.strip()]
    kinds = [k.strip() for k in args.servers.split(",") if k.strip()]
    if unknown := set(kinds) - {"bare", "one", "two"}:
        parser.error(f"unknown servers: {', '.join(sorted(unknown))}")
    limit = psutil.Process().rlimit(psutil.RLIMIT_NOFILE)
    need = max(counts + [args.fault_n, args.checkin]) * 2 + 200
    if limit[0] < need:
        try:
            psutil.Process().rlimit(psutil.RLIMIT_NOFILE, (min(need, limit[1]), limit[1]))
        except (ValueError, OSError):
            pass
        if psutil.Process().rlimit(psutil.RLIMIT_NOFILE)[0] < need:
            parser.error(f"open files limit {limit[0]} is below {need}; raise it (ulimit -n)")

    started = time.perf_counter()
    database_url = os.environ.get("DATABASE_URL", "")
    residents = max(counts + [args.fault_n, args.checkin])
    print(f"Preparing a site with {residents} signed-in residents…", flush=True)
    site = servers.make_site(residents, database_url=database_url)
    results = {
        "machine": machine(),
        "command": "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:]),
        "database": "postgresql" if site.database_url.startswith("postgres") else "sqlite",
        "commit": _commit(),
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "runs": [],
    }
    servers.pin_client()
    # The load generator holds thousands of sockets too: keep its collector from adding noise
    # to every figure (the servers do the same, config/asgi.py).
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    try:
        for n in counts:
            for kind in kinds:
                print(f"  {kind:>4} N={n}…", flush=True)
                if kind == "bare":
                    figures = run_bare(n, site.workdir, site.people)
                else:
                    figures = run_gongzhi(kind, n, site)
                figures["server"] = kind
                results["runs"].append(figures)
                print("    " + report.one_line(figures), flush=True)
        if args.faults:
            results["faults"] = faults.run_all(site, args.fault_n)
        if args.checkin:
            print(f"  check-in burst N={args.checkin}…", flush=True)
            results["checkin"] = checkin_burst.run(site, args.checkin)
            print("    " + checkin_burst.summary(results["checkin"]), flush=True)
    finally:
        site.close()
    results["seconds"] = round(time.perf_counter() - started, 1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "benchmarks.json").write_text(json.dumps(results, indent=1, ensure_ascii=False))
    markdown = report.markdown(results)
    (out / "benchmarks.md").write_text(markdown, encoding="utf-8")
    print(markdown)
    print(f"Wrote {out / 'benchmarks.json'} and {out / 'benchmarks.md'}")
    if args.doc:
        _into_doc(Path(args.doc), markdown)
        print(f"Updated the table in {args.doc}")
    problems = report.correctness(results)
    for problem in problems:
        print(f"WRONG: {problem}", file=sys.stderr)
    if problems:
        return 2
    if not args.smoke and not report.all_targets_met(results):
        print("Some targets were missed (see the table).", file=sys.stderr)
        return 1
    return 0


START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def _into_doc(path: Path, markdown: str) -> None:
    text = path.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"{path} has no {START} … {END} markers")
    head, rest = text.split(START, 1)
    _old, tail = rest.split(END, 1)
    path.write_text(f"{head}{START}\n{markdown}\n{END}{tail}", encoding="utf-8")


def _commit() -> str:
    try:
        git = shutil.which("git") or "git"
        return subprocess.run(  # noqa: S603
            [git, "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=servers.ROOT,
            check=False,
        ).stdout.strip()
    except OSError:
        return ""


if __name__ == "__main__":
    sys.exit(main())
