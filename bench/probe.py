"""A quick probe for profiling one Gongzhi process: join N clients, broadcast at 5 a second,
print the CPU per delivered frame, run a vote burst, and optionally record each phase with py-spy.

    python -m bench.probe 2000 [--spy DIR]

py-spy writes DIR/join.raw, DIR/broadcast.raw and DIR/vote.raw, collapsed stacks that
flamegraph tools read. This is how the causes in docs/benchmarks.md were found.
"""

import argparse
import asyncio
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench import servers
from bench.load import Room


def _spy(pid: int, out: Path, seconds: int) -> subprocess.Popen | None:
    binary = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if binary is None:
        raise SystemExit("py-spy is not installed (pip install py-spy)")
    argv = [binary, "record", "-p", str(pid), "-o", str(out), "--format", "raw"]
    argv += ["-r", "250", "-d", str(seconds), "--nonblocking"]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.probe")
    parser.add_argument("n", type=int)
    parser.add_argument("--messages", type=int, default=30)
    parser.add_argument("--spy", help="folder for py-spy's recordings")
    args = parser.parse_args()
    spy_dir = Path(args.spy) if args.spy else None
    if spy_dir:
        spy_dir.mkdir(parents=True, exist_ok=True)
    site = servers.make_site(args.n, database_url="")
    web = site.web("probe", servers.free_port(), None)
    try:
        meeting = site.fixture("meeting")["meeting"]
        servers.pin_client()

        async def run():
            room = Room(
                [web.port],
                f"/ws/meetings/{meeting}/",
                site.people["chair"],
                site.people["residents"],
            )
            await room.open_chair()
            spy = _spy(web.proc.pid, spy_dir / "join.raw", 30) if spy_dir else None
            started = time.perf_counter()
            joined = await room.join(args.n, concurrency=50)
            print(f"join: {joined} in {time.perf_counter() - started:.1f} s")
            if spy:
                spy.terminate()
                spy.wait()
            await asyncio.sleep(3)
            seconds = args.messages // 5 + 3
            spy = _spy(web.proc.pid, spy_dir / "broadcast.raw", seconds) if spy_dir else None
            before = web.cpu_seconds()
            sent = await room.broadcast(5, args.messages)
            cpu = web.cpu_seconds() - before
            if spy:
                spy.wait()
            print(f"broadcast: {sent}")
            print(f"server CPU per delivered frame: {cpu * 1e6 / sent['deliveries']:.1f} µs")
            spy = _spy(web.proc.pid, spy_dir / "vote.raw", 6) if spy_dir else None
            vote = await room.vote_burst()
            if spy:
                spy.wait()  # py-spy writes its recording only when its time is up
            print(f"vote: {vote}")
            await room.close_all()
            await room.chair.close()

        asyncio.run(run())
    finally:
        web.stop()
        site.close()


if __name__ == "__main__":
    main()
