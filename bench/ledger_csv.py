"""The anonymous ledger CSV at scale: `python -m bench --ledger-csv`, or

    python -m bench.ledger_csv [--matters 10000] [--runs 5] [--out DIR]

It makes a throwaway site (SQLite in a temporary directory, or with DATABASE_URL naming
PostgreSQL a database of its own beside that one, as `python -m bench` does), loads the demo,
puts N matters on the ledger (`python -m bench.fixture matters`: eight slow ones, the
pathological bodies that made every anonymous download cost seconds when each request rendered
every body, proposed through the service with the rest of a mix of procedures and stages, then
copied to N rows), starts one daphne process from deploy/Procfile and downloads the ledger CSV
as an anonymous visitor, once to warm up and then RUNS times. It reports the seconds to the
first byte and to the last (min, median, max), the rows and bytes received, rows a second at
the median, and the server's CPU seconds per download. No timing target fails it; the figures
go to docs/benchmarks.md by hand, with the command.
"""

import argparse
import json
import statistics
import sys
import time
import urllib.request
from pathlib import Path

from bench import servers


def download(url: str) -> dict:
    """One GET, read to the end: seconds to the first byte and to the last, rows and bytes."""
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=300) as response:  # noqa: S310 - our own 127.0.0.1
        status = response.status
        first = response.read(1)
        first_byte = time.perf_counter() - started
        body = first + response.read()
    total = time.perf_counter() - started
    text = body.decode("utf-8-sig")
    return {
        "status": status,
        "first_byte_s": first_byte,
        "total_s": total,
        "bytes": len(body),
        "rows": text.count("\r\n") - 1,  # csv ends every row with CRLF; the header is one
    }


def spread(values: list[float]) -> dict:
    return {
        "min": round(min(values), 3),
        "median": round(statistics.median(values), 3),
        "max": round(max(values), 3),
    }


def run(matters: int, runs: int, database_url: str, command: str) -> dict:
    print(f"Preparing a site with {matters} matters…", flush=True)
    site = servers.make_site(0, database_url=database_url)
    try:
        seeded = site.fixture("matters", "--n", str(matters))
        # Plain HTTP on 127.0.0.1: no redirect to HTTPS, as behind the TLS proxy of docs/deploy.md.
        site.env["DJANGO_SECURE_SSL_REDIRECT"] = "0"
        web = site.web("daphne-csv", servers.free_port(), None)
        try:
            url = f"http://127.0.0.1:{web.port}/c/{seeded['community']}/ledger.csv"
            download(url)  # warm-up: imports, the connection, the first query plans
            results, cpu = [], []
            for _ in range(runs):
                before = web.cpu_seconds()
                results.append(download(url))
                cpu.append(web.cpu_seconds() - before)
            alive = web.alive()
        finally:
            web.stop()
    finally:
        site.close()
    median_total = statistics.median(r["total_s"] for r in results)
    rows = results[-1]["rows"]
    return {
        "command": command,
        "database": "postgresql" if site.database_url.startswith("postgres") else "sqlite",
        "machine": _machine(),
        "commit": _commit(),
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "seeded": seeded,
        "runs": runs,
        "status": sorted({r["status"] for r in results}),
        "rows": rows,
        "bytes": results[-1]["bytes"],
        "first_byte_s": spread([r["first_byte_s"] for r in results]),
        "total_s": spread([r["total_s"] for r in results]),
        "rows_per_s": round(rows / median_total),
        "server_cpu_s": spread(cpu),
        "server_alive": alive,
    }


def markdown(result: dict) -> str:
    t, f, c = result["total_s"], result["first_byte_s"], result["server_cpu_s"]
    return "\n".join(
        [
            f"`{result['command']}` at commit `{result['commit']}`, {result['when']}, "
            f"{result['database']}: {result['seeded']['matters']} matters on the ledger "
            f"({result['seeded']['slow']} of them slow to render), {result['rows']} of them "
            f"public (the anonymous CSV's rows), {result['bytes']:,} bytes; "
            f"{result['runs']} downloads after one to warm up.",
            "",
            "| anonymous ledger CSV | min | median | max |",
            "|---|---|---|---|",
            f"| whole download, s | {t['min']} | {t['median']} | {t['max']} |",
            f"| first byte, s | {f['min']} | {f['median']} | {f['max']} |",
            f"| server CPU per download, s | {c['min']} | {c['median']} | {c['max']} |",
            "",
            f"{result['rows_per_s']:,} rows a second at the median.",
        ]
    )


def _machine() -> dict:
    from bench.__main__ import machine

    return machine()


def _commit() -> str:
    from bench.__main__ import _commit

    return _commit()


def main(argv=None, prog: str = "python -m bench.ledger_csv") -> int:
    import os

    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n")[0])
    parser.add_argument("--matters", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args(argv)
    if args.matters < 10 or args.runs < 1:
        parser.error("at least 10 matters and 1 run")
    command = " ".join([prog, *argv])
    result = run(args.matters, args.runs, os.environ.get("DATABASE_URL", ""), command)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "ledger_csv.json").write_text(json.dumps(result, indent=1, ensure_ascii=False))
    text = markdown(result)
    (out / "ledger_csv.md").write_text(text + "\n", encoding="utf-8")
    print(text)
    if result["status"] != [200] or not result["server_alive"]:
        print(f"WRONG: status {result['status']}, server alive {result['server_alive']}")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
