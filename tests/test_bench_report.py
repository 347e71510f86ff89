"""The bench's verdicts (bench/report.py): which targets a run meets, and what counts as wrong."""

import copy

from bench import report


def run(server, n, **changes):
    figures = {
        "server": server,
        "n": n,
        "alive": True,
        "join_ramp": {"failures": 0, "open_p50_ms": 10.0},
        "join_storm": {"failures": 0},
        "broadcast": {
            "1": {"p99_ms": 100.0, "last_client_p50_ms": 50.0, "missing": 0},
            "5": {"p99_ms": 120.0, "last_client_p50_ms": 60.0, "missing": 0},
        },
        "integrity": {"lost": 0, "out_of_order": 0},
        "integrity_after_vote": {"lost": 0},
        "memory": {"per_connection_kib": 30.0},
        "vote": {
            "ack_p99_ms": 900.0,
            "refused": 0,
            "tally_exact": True,
            "result_to_all": True,
            "result_last_ms": 400.0,
            "result_heads": {"yes": 1},
            "tally_broadcasts": 3,
        },  # fmt: skip
        "database": {"by_choice": {"yes": 1}},
    }
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        node = figures
        for part in parents:
            node = node[part]
        node[leaf] = value
    return figures


def results(*runs):
    return {"runs": list(runs), "machine": {}, "faults": []}


GOOD = results(
    run("bare", 1000), run("one", 1000, broadcast__1__last_client_p50_ms=90.0),
    run("one", 5000), run("two", 5000),
)  # fmt: skip


def test_a_run_within_every_target_passes():
    checks = report.targets(GOOD)
    assert checks and all(met for _what, met, _detail in checks)
    assert report.all_targets_met(GOOD) and report.correctness(GOOD) == []


def test_each_missed_target_is_reported():
    for index, path, value in [
        (1, "broadcast__1__last_client_p50_ms", 101.0),  # 2.02× the bare server's 50 ms
        (2, "join_storm__failures", 1),
        (2, "broadcast__5__p99_ms", 1001.0),
        (2, "memory__per_connection_kib", 50.5),
        (2, "vote__ack_p99_ms", 2001.0),
        (2, "vote__result_last_ms", 1001.0),
        (2, "vote__tally_exact", False),
        (3, "broadcast__5__p99_ms", 181.0),  # two processes: more than 1.5× one process
    ]:
        bad = copy.deepcopy(GOOD)
        *parents, leaf = path.split("__")
        node = bad["runs"][index]
        for part in parents:
            node = node[part]
        node[leaf] = value
        assert not report.all_targets_met(bad), path


def test_wrong_results_fail_even_a_smoke_run():
    assert report.correctness(results(run("one", 40, integrity__lost=2)))
    assert report.correctness(results(run("two", 40, broadcast__5__missing=1)))
    assert report.correctness(results(run("one", 40, vote__tally_exact=False)))
    assert report.correctness(results(run("one", 40, alive=False)))
    faulty = results(run("one", 40))
    faulty["faults"] = [{"name": "redis", "summary": "lost", "ok": False}]
    assert report.correctness(faulty)
    # Slow is not wrong: timings are for `make bench` on a quiet machine.
    assert report.correctness(results(run("one", 40, broadcast__5__p99_ms=9000.0))) == []


def test_the_table_shows_ratios_to_the_bare_server():
    text = report.markdown({**GOOD, "command": "python -m bench", "when": "now", "machine": {
        "cpus": 2, "cpu_model": "x", "memory_gib": 1, "python": "3.11", "platform": "p",
        "pinning": "none"}, "database": "sqlite"})  # fmt: skip
    assert "| broadcast 1/s: to the last client, p50 | 50.0 ms | 90.0 ms (1.8×) |" in text
    assert "### Targets (DESIGN.md)" in text


def burst(**changes):
    figures = {
        "n": 30, "scans": 30, "sockets": 30, "exact": True, "alive": True,
        "presence_p50_ms": 300.0, "presence_p99_ms": 500.0, "presence_max_ms": 600.0,
        "http_p99_ms": 200.0, "scans_per_second": 30.0,
    }  # fmt: skip
    return figures | changes


def test_an_inexact_check_in_count_fails_even_a_smoke_run():
    good = results(run("one", 40)) | {"checkin": burst()}
    assert report.correctness(good) == []
    assert report.correctness(results(run("one", 40)) | {"checkin": burst(exact=False)})
    assert report.correctness(results(run("one", 40)) | {"checkin": burst(alive=False)})
    # Slow is not wrong here either.
    assert (
        report.correctness(results(run("one", 40)) | {"checkin": burst(presence_p99_ms=9e4)}) == []
    )


def test_the_table_shows_the_check_in_burst():
    data = results(run("one", 40)) | {"checkin": burst(), "when": "now", "command": "x"}
    data["machine"] = {"cpus": 2, "cpu_model": "?", "memory_gib": 1, "python": "3", "platform": "p",
                       "pinning": "none"}  # fmt: skip
    data["database"] = "sqlite"
    table = report.markdown(data)
    assert "### Check-in burst (N = 30)" in table
    assert "| scan → presence on the projector, p99 | 500 ms |" in table
