"""The floor: a bare `websockets` broadcast server speaking the subset of Gongzhi's meeting
protocol that the bench uses (docs/protocol.md), with no database, no auth and no framework.

    python -m bench.bare --port 8765

- On connect: `snapshot {seq}`.
- `chat.send {text}`: the next `seq`, broadcast as `event chat.message {html}`, then `ack`.
- `poll.open`: `event poll.opened`; `ballot.cast {poll, choice}` keeps one vote per connection's
  cookie (a retry replaces it), acks, and schedules a coalesced `state tally` (at most 4 a second,
  as Gongzhi does); `poll.close`: `event poll.closed` with the exact counts.
"""

import argparse
import asyncio
import json

from websockets.asyncio.server import broadcast, serve

COALESCE_SECONDS = 0.25
CHOICES = ["yes", "no", "abstain"]


class Room:
    def __init__(self):
        self.clients = set()
        self.seq = 0
        self.poll = 0
        self.votes: dict[str, str] = {}
        self.flush = None

    def event(self, kind: str, data: dict) -> None:
        self.seq += 1
        frame = json.dumps(
            {"type": "event", "seq": self.seq, "kind": kind, "data": data},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        broadcast(self.clients, frame)

    def counts(self) -> dict:
        counts = dict.fromkeys(CHOICES, 0)
        for choice in self.votes.values():
            counts[choice] += 1
        return counts

    def dirty(self) -> None:
        if self.flush is None:
            self.flush = asyncio.get_running_loop().call_later(COALESCE_SECONDS, self._tally)

    def _tally(self) -> None:
        self.flush = None
        frame = json.dumps(
            {"type": "state", "kind": "tally", "data": {"poll": self.poll, "counts": self.counts()}}
        )
        broadcast(self.clients, frame)

    async def handler(self, ws) -> None:
        who = ws.request.headers.get("Cookie", "")
        self.clients.add(ws)
        try:
            await ws.send(json.dumps({"type": "snapshot", "seq": self.seq}))
            async for raw in ws:
                message = json.loads(raw)
                kind, reply = message.get("type"), {"type": "ack", "id": message.get("id")}
                if kind == "chat.send":
                    self.event("chat.message", {"html": message["text"]})
                elif kind == "poll.open":
                    self.poll += 1
                    self.votes = {}
                    reply["poll"] = self.poll
                    self.event(
                        "poll.opened",
                        {"id": self.poll, "choices": [{"code": c} for c in CHOICES]},
                    )
                elif kind == "ballot.cast":
                    choice = message["choice"]
                    reply["status"] = "unchanged" if self.votes.get(who) == choice else "recorded"
                    self.votes[who] = choice
                    self.dirty()
                elif kind == "poll.close":
                    counts = self.counts()
                    self.event(
                        "poll.closed",
                        {
                            "id": self.poll,
                            "result": {"counts": {c: {"heads": n} for c, n in counts.items()}},
                        },
                    )
                await ws.send(json.dumps(reply))
        finally:
            self.clients.discard(ws)


async def main(port: int) -> None:
    room = Room()
    async with serve(
        room.handler,
        "127.0.0.1",
        port,
        compression=None,
        ping_interval=None,
        max_size=64 * 1024,
        backlog=2048,
    ) as server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.bare")
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(main(parser.parse_args().port))
