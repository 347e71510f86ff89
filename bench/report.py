"""Turns bench results into a table with ratios to the bare server, and checks the targets of
DESIGN.md ("Performance targets")."""

ROWS = [
    # (label, path into a run's figures, unit, compare with bare?)
    ("join (ramp, 50 at a time): open p50", "join_ramp.open_p50_ms", "ms", True),
    ("join (ramp): open p99", "join_ramp.open_p99_ms", "ms", True),
    ("join (ramp): snapshot p99", "join_ramp.snapshot_p99_ms", "ms", True),
    ("join (ramp): failures", "join_ramp.failures", "", False),
    ("join (storm, all at once): snapshot p50", "join_storm.snapshot_p50_ms", "ms", True),
    ("join (storm): snapshot p99", "join_storm.snapshot_p99_ms", "ms", True),
    ("join (storm): failures", "join_storm.failures", "", False),
    ("broadcast 1/s: p50", "broadcast.1.p50_ms", "ms", True),
    ("broadcast 1/s: p99", "broadcast.1.p99_ms", "ms", True),
    ("broadcast 1/s: to the last client, p50", "broadcast.1.last_client_p50_ms", "ms", True),
    ("broadcast 5/s: p99", "broadcast.5.p99_ms", "ms", True),
    ("broadcast 5/s: max", "broadcast.5.max_ms", "ms", True),
    ("broadcast 5/s: to the last client, p50", "broadcast.5.last_client_p50_ms", "ms", True),
    ("events lost", "integrity.lost", "", False),
    ("events out of order", "integrity.out_of_order", "", False),
    ("server CPU per delivered message", "cpu_us_per_delivery", "µs", True),
    ("server memory per idle connection", "memory.per_connection_kib", "KiB", True),
    ("vote burst: ack p50", "vote.ack_p50_ms", "ms", True),
    ("vote burst: ack p99", "vote.ack_p99_ms", "ms", True),
    ("vote burst: ballots refused or unanswered", "vote.refused", "", False),
    ("vote burst: tally exact", "vote.tally_exact", "", False),
    ("vote burst: close → last client has the result", "vote.result_last_ms", "ms", True),
    ("vote burst: tally broadcasts during the burst", "vote.tally_broadcasts", "", False),
]


def get(figures: dict, path: str):
    value = figures
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _fmt(value, unit: str) -> str:
    if value is None:
        return "—"
    if value is True:
        return "yes"
    if value is False:
        return "**no**"
    if isinstance(value, float):
        value = f"{value:,.1f}" if value < 100 else f"{value:,.0f}"
    return f"{value} {unit}".strip()


def one_line(figures: dict) -> str:
    parts = [
        f"join fail {get(figures, 'join_ramp.failures')}+{get(figures, 'join_storm.failures')}",
        f"bcast p99 {get(figures, 'broadcast.1.p99_ms')}/{get(figures, 'broadcast.5.p99_ms')} ms",
        f"last {get(figures, 'broadcast.1.last_client_p50_ms')} ms",
        f"lost {get(figures, 'integrity.lost')}",
        f"cpu {get(figures, 'cpu_us_per_delivery')} µs/msg",
        f"mem {get(figures, 'memory.per_connection_kib')} KiB/conn",
        f"vote ack p99 {get(figures, 'vote.ack_p99_ms')} ms",
        f"exact {get(figures, 'vote.tally_exact')}",
        f"result {get(figures, 'vote.result_last_ms')} ms",
    ]
    return ", ".join(parts)


def _runs(results: dict) -> dict[tuple[str, int], dict]:
    return {(r["server"], r["n"]): r for r in results["runs"]}


def targets(results: dict) -> list[tuple[str, bool | None, str]]:
    """Each target of DESIGN.md: (what, met? or None when not measured, the figures)."""
    runs = _runs(results)
    out = []

    def ratio(a, b):
        return None if a is None or not b else a / b

    one_k, bare_k = runs.get(("one", 1000)), runs.get(("bare", 1000))
    if one_k and bare_k:
        key = "broadcast.{}.last_client_p50_ms"
        worst = max(
            ratio(get(one_k, key.format(r)), get(bare_k, key.format(r))) or 99 for r in ("1", "5")
        )
        out.append(
            (
                "N = 1,000: latency to the last client ≤ 2× the bare server's",
                worst <= 2,
                f"{worst:.2f}× (worse of 1/s and 5/s)",
            )
        )
    five = runs.get(("one", 5000))
    if five:
        failures = get(five, "join_ramp.failures") + get(five, "join_storm.failures")
        out.append(("N = 5,000: zero join failures", failures == 0, f"{failures} failed"))
        p99 = max(get(five, "broadcast.1.p99_ms") or 1e9, get(five, "broadcast.5.p99_ms") or 1e9)
        out.append(("N = 5,000: broadcast p99 ≤ 1 s", p99 <= 1000, f"{p99:,.0f} ms"))
        lost = get(five, "integrity.lost") + get(five, "integrity.out_of_order")
        missing = sum(get(five, f"broadcast.{r}.missing") or 0 for r in ("1", "5"))
        out.append(
            (
                "N = 5,000: zero lost or out-of-order events",
                lost == 0 and missing == 0,
                f"{lost} lost or out of order, {missing} undelivered",
            )
        )
        kib = get(five, "memory.per_connection_kib")
        out.append(("N = 5,000: ≤ 50 KiB per idle connection", kib <= 50, f"{kib} KiB"))
        ack = get(five, "vote.ack_p99_ms")
        met = ack is not None and ack <= 2000
        out.append(("Vote burst of 5,000: ack p99 ≤ 2 s", met, f"{ack} ms"))
        out.append(
            (
                "Vote burst of 5,000: exact tally",
                bool(get(five, "vote.tally_exact")),
                f"{get(five, 'vote.result_heads')} (database: {get(five, 'database.by_choice')})",
            )
        )
        last = get(five, "vote.result_last_ms")
        out.append(
            (
                "Vote burst of 5,000: every client has the result ≤ 1 s after close",
                last is not None and last <= 1000 and bool(get(five, "vote.result_to_all")),
                f"{last} ms",
            )
        )
    for n in sorted({n for kind, n in runs if kind == "two"}):
        two, one = runs[("two", n)], runs.get(("one", n))
        delivered = (
            get(two, "integrity.lost") == 0
            and get(two, "integrity.out_of_order") == 0
            and all(get(two, f"broadcast.{r}.missing") == 0 for r in ("1", "5"))
        )
        out.append((f"Two processes, N = {n:,}: every event reaches every client", delivered, ""))
        if one:
            worst = max(
                ratio(get(two, f"broadcast.{r}.p99_ms"), get(one, f"broadcast.{r}.p99_ms")) or 99
                for r in ("1", "5")
            )
            out.append(
                (
                    f"Two processes, N = {n:,}: p99 ≤ 1.5× one process",
                    worst <= 1.5,
                    f"{worst:.2f}×",
                )
            )
    return out


def all_targets_met(results: dict) -> bool:
    return all(met is not False for _what, met, _detail in targets(results))


def correctness(results: dict) -> list[str]:
    """What must hold at any N, whatever the timings: the smoke run (CI) fails on these."""
    problems = []
    for run in results["runs"]:
        where = f"{run['server']} N={run['n']}"
        for path in (
            "join_ramp.failures",
            "join_storm.failures",
            "integrity.lost",
            "integrity.out_of_order",
            "integrity_after_vote.lost",
            "vote.refused",
        ):
            if get(run, path):
                problems.append(f"{where}: {path} = {get(run, path)}")
        for rate in ("1", "5"):
            if get(run, f"broadcast.{rate}.missing"):
                problems.append(f"{where}: broadcast {rate}/s left events undelivered")
        if not get(run, "vote.tally_exact"):
            problems.append(f"{where}: the tally was not exact")
        if not get(run, "vote.result_to_all"):
            problems.append(f"{where}: not every client got the result")
        if not run.get("alive", True):
            problems.append(f"{where}: a server died")
    burst = results.get("checkin")
    if burst and not burst.get("exact"):
        problems.append(f"check-in burst N={burst['n']}: the count was not exact: {burst}")
    if burst and not burst.get("alive", True):
        problems.append("check-in burst: the server died")
    for fault in results.get("faults", []):
        if not fault.get("ok"):
            problems.append(f"fault {fault['name']}: {fault['summary']}")
    return problems  # fmt: skip


def markdown(results: dict) -> str:
    runs = _runs(results)
    counts = sorted({n for _kind, n in runs})
    kinds = [k for k in ("bare", "one", "two") if any(kind == k for kind, _n in runs)]
    names = {"bare": "bare websockets", "one": "Gongzhi, 1 process", "two": "Gongzhi, 2 + Redis"}
    m = results["machine"]
    lines = [
        f"Run `{results['command']}` at commit `{results.get('commit') or '?'}`, "
        f"{results['when']}, in {results.get('seconds', '?')} s.",
        "",
        f"Machine: {m['cpus']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB, "
        f"Python {m['python']}, {m['platform']}; {m['pinning']}. "
        f"Database: {results['database']}.",
        "",
    ]
    for n in counts:
        lines += [f"### N = {n:,}", ""]
        header = "| figure | " + " | ".join(names[k] for k in kinds) + " |"
        lines += [header, "|---" * (len(kinds) + 1) + "|"]
        bare = runs.get(("bare", n))
        for label, path, unit, compare in ROWS:
            cells = []
            for kind in kinds:
                run = runs.get((kind, n))
                value = get(run, path) if run else None
                cell = _fmt(value, unit)
                base = get(bare, path) if bare else None
                if compare and kind != "bare" and isinstance(value, int | float) and base:
                    cell += f" ({value / base:.1f}×)"
                cells.append(cell)
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
        lines.append("")
    checks = targets(results)
    if checks:
        lines += ["### Targets (DESIGN.md)", "", "| target | met | measured |", "|---|---|---|"]
        for what, met, detail in checks:
            flag = "—" if met is None else ("yes" if met else "**no**")
            lines.append(f"| {what} | {flag} | {detail} |")
        lines.append("")
    burst = results.get("checkin")
    if burst:
        lines += [
            f"### Check-in burst (N = {burst['n']:,})",
            "",
            "| figure | value |",
            "|---|---|",
            f"| check-ins (4 scanners, POST to the scan endpoint) | {burst['scans']:,} |",
            f"| sockets in the room meanwhile | {burst['sockets']:,} |",
            f"| scan → presence on the projector, p50 | {_fmt(burst['presence_p50_ms'], 'ms')} |",
            f"| scan → presence on the projector, p99 | {_fmt(burst['presence_p99_ms'], 'ms')} |",
            f"| scan → presence on the projector, max | {_fmt(burst['presence_max_ms'], 'ms')} |",
            f"| scan answered (HTTP), p99 | {_fmt(burst['http_p99_ms'], 'ms')} |",
            f"| scans a second | {burst['scans_per_second']} |",
            f"| final count exact (rows, audit, presence, projector) | "
            f"{'yes' if burst['exact'] else '**no**'} |",
            "",
        ]
    if results.get("faults"):
        lines += ["### Faults", ""]
        for fault in results["faults"]:
            lines += [f"**{fault['name']}**: {fault['summary']}", ""]
            for key, value in fault["figures"].items():
                lines.append(f"- {key}: {value}")
            lines.append("")
    return "\n".join(lines)
