"""WebSockets through the full ASGI application: origin, authentication, frames, live events."""

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from communities import services
from communities.models import Membership
from config.asgi import application
from realtime.consumers import (
    CLOSE_FLOODING,
    CLOSE_FORBIDDEN,
    CLOSE_TOO_MANY,
    CLOSE_UNAUTHENTICATED,
)
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://127.0.0.1:8000")
HOST = (b"host", b"127.0.0.1:8000")
PATH = "/ws/communities/lianhua/verification/"


def session_cookie(user) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())


async def communicator(user=None, origin=ORIGIN, path=PATH, host=HOST):
    headers = [h for h in (origin, host) if h]
    if user is not None:
        headers.append(await database_sync_to_async(session_cookie)(user))
    return WebsocketCommunicator(application, path, headers=headers)


async def receive(comm, timeout=3):
    return json.loads(await comm.receive_from(timeout=timeout))


async def closed_with(comm, timeout=3) -> int:
    """The code the server closed the socket with (frames before the close are skipped)."""
    while True:
        output = await comm.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            return output["code"]


async def refused_with(comm) -> int:
    """Connect; the socket must be accepted (so that a browser sees the code) and then closed
    before it is sent anything: return the code."""
    connected, _ = await comm.connect()
    assert connected, "a refusal must come after the accept, or browsers never see its code"
    output = await comm.receive_output(timeout=3)
    assert output["type"] == "websocket.close", output
    return output["code"]


async def test_it_refuses_a_foreign_origin(world):
    comm = await communicator(
        world.cast["rc_director"], origin=(b"origin", b"https://evil.example")
    )
    connected, _code = await comm.connect()
    assert not connected
    await comm.disconnect()


async def test_it_refuses_a_missing_origin(world):
    comm = await communicator(world.cast["rc_director"], origin=None)
    connected, _code = await comm.connect()
    assert not connected
    await comm.disconnect()


async def test_it_refuses_an_anonymous_visitor_on_a_members_only_route(world):
    comm = await communicator(None)
    assert await refused_with(comm) == CLOSE_UNAUTHENTICATED
    await comm.disconnect()


@pytest.mark.parametrize("name", ["resident", "party_secretary", "outsider", "unverified"])
async def test_it_refuses_a_signed_in_user_without_the_right(world, name):
    comm = await communicator(world.cast[name])
    assert await refused_with(comm) == CLOSE_FORBIDDEN
    await comm.disconnect()


async def test_it_refuses_an_unknown_community(world):
    comm = await communicator(
        world.cast["rc_director"], path="/ws/communities/nowhere/verification/"
    )
    assert await refused_with(comm) == CLOSE_FORBIDDEN
    await comm.disconnect()


async def test_it_tells_verifiers_live_when_a_resident_asks_to_join(world):
    comm = await communicator(world.cast["ws_staff"])
    connected, _ = await comm.connect()
    assert connected
    try:
        assert await receive(comm) == {"type": "snapshot", "pending": 1}
        newcomer = await database_sync_to_async(make_user)("newcomer")
        await database_sync_to_async(services.request_membership)(newcomer, world.community)
        event = await receive(comm)
        assert event == {"type": "event", "kind": "membership.requested", "data": {"pending": 2}}
    finally:
        await comm.disconnect()


async def test_it_answers_bad_frames_with_errors_and_stays_up(world):
    comm = await communicator(world.cast["rc_director"])
    await comm.connect()
    try:
        await receive(comm)  # snapshot
        await comm.send_to(text_data="{not json")
        assert (await receive(comm))["code"] == "malformed"
        await comm.send_to(text_data="[1, 2]")
        assert (await receive(comm))["code"] == "malformed"
        await comm.send_to(text_data=json.dumps({"id": 7}))
        assert (await receive(comm))["code"] == "malformed"
        await comm.send_to(text_data=json.dumps({"id": 8, "type": "floor.grant"}))
        reply = await receive(comm)
        assert (reply["code"], reply["id"]) == ("unknown_type", 8)
        await comm.send_to(bytes_data=b"\x00\x01")
        assert (await receive(comm))["code"] == "malformed"
        await comm.send_to(text_data=json.dumps({"type": "x", "pad": "字" * 30000}))
        assert (await receive(comm))["code"] == "too_large"
        await comm.send_to(text_data=json.dumps({"id": 9, "type": "ping"}))
        assert await receive(comm) == {"type": "ack", "id": 9}
    finally:
        await comm.disconnect()


async def test_it_rate_limits_and_then_disconnects_a_flooding_client(world, settings):
    settings.WEBSOCKET_RATE_BURST = 5
    settings.WEBSOCKET_RATE_PER_SECOND = 1
    comm = await communicator(world.cast["rc_director"])
    await comm.connect()
    try:
        await receive(comm)  # snapshot
        replies = []
        for n in range(5 + 1):
            await comm.send_to(text_data=json.dumps({"id": n, "type": "ping"}))
            replies.append(await receive(comm))
        assert [r["type"] for r in replies[:5]] == ["ack"] * 5
        assert replies[5]["code"] == "rate_limited"
        for _ in range(40):
            await comm.send_to(text_data=json.dumps({"type": "ping"}))
        output = None
        for _ in range(60):
            output = await comm.receive_output(timeout=3)
            if output["type"] == "websocket.close":
                break
        assert output == {"type": "websocket.close", "code": CLOSE_FLOODING}
    finally:
        await comm.disconnect()


async def test_it_stops_telling_a_verifier_who_lost_the_right(world):
    staff = world.cast["ws_staff"]
    comm = await communicator(staff)
    await comm.connect()
    try:
        await receive(comm)  # snapshot
        position = await database_sync_to_async(staff.positions.get)()
        await database_sync_to_async(services.end_position)(world.admin, position)
        newcomer = await database_sync_to_async(make_user)("newcomer")
        await database_sync_to_async(services.request_membership)(newcomer, world.community)
        output = await comm.receive_output(timeout=3)
        assert output == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}
    finally:
        await comm.disconnect()


async def test_it_sends_nothing_when_the_change_rolls_back(world):
    from django.db import transaction

    comm = await communicator(world.cast["ws_staff"])
    await comm.connect()
    try:
        await receive(comm)  # snapshot

        def request_then_fail():
            newcomer = make_user("newcomer")
            with transaction.atomic():
                services.request_membership(newcomer, world.community)
                raise RuntimeError("rolled back")

        with pytest.raises(RuntimeError):
            await database_sync_to_async(request_then_fail)()
        assert await comm.receive_nothing(timeout=0.3)
        count = await database_sync_to_async(Membership.objects.pending().count)()
        assert count == 1
    finally:
        await comm.disconnect()
    await asyncio.sleep(0)


# -- the origin: scheme, host and port, as Django's CSRF check asks of a form post -----------


def handshake(origin, host="127.0.0.1:8000", scheme="ws", **headers):
    scope = {"type": "websocket", "scheme": scheme, "headers": [(b"host", host.encode())]}
    if origin is not None:
        scope["headers"].append((b"origin", origin.encode()))
    for name, value in headers.items():
        scope["headers"].append((name.replace("_", "-").encode(), value.encode()))
    return scope


@pytest.mark.parametrize(
    ("origin", "host", "scheme", "allowed"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1:8000", "ws", True),  # the site's own page
        ("https://127.0.0.1:8000", "127.0.0.1:8000", "ws", False),  # wrong scheme
        ("http://127.0.0.1:8001", "127.0.0.1:8000", "ws", False),  # wrong port
        ("http://127.0.0.1", "127.0.0.1:8000", "ws", False),  # no port is port 80
        ("http://localhost:8000", "127.0.0.1:8000", "ws", False),  # an allowed host, not this
        ("https://127.0.0.1:8443", "127.0.0.1:8443", "wss", True),  # wss is https
        ("http://127.0.0.1:8443", "127.0.0.1:8443", "wss", False),
        ("http://evil.example:8000", "evil.example:8000", "ws", False),  # not in ALLOWED_HOSTS
        ("null", "127.0.0.1:8000", "ws", False),
        (None, "127.0.0.1:8000", "ws", False),
    ],
)
def test_it_accepts_only_the_sites_own_origin(origin, host, scheme, allowed):
    from realtime.origin import origin_allowed

    assert origin_allowed(handshake(origin, host, scheme)) is allowed


def test_it_accepts_trusted_origins_exactly_or_by_subdomain(settings):
    from realtime.origin import origin_allowed

    settings.CSRF_TRUSTED_ORIGINS = ["https://gongzhi.example.org", "https://*.shenzhen.example"]
    assert origin_allowed(handshake("https://gongzhi.example.org"))
    assert not origin_allowed(handshake("http://gongzhi.example.org"))
    assert not origin_allowed(handshake("https://gongzhi.example.org:444"))
    assert origin_allowed(handshake("https://lianhua.shenzhen.example"))
    assert not origin_allowed(handshake("http://lianhua.shenzhen.example"))
    assert not origin_allowed(handshake("https://shenzhen.example.evil"))


def test_behind_a_tls_proxy_the_forwarded_scheme_decides(settings):
    from realtime.origin import origin_allowed

    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    site = "gongzhi.example.org"
    settings.ALLOWED_HOSTS = [site]
    assert origin_allowed(handshake(f"https://{site}", site, x_forwarded_proto="https"))
    assert not origin_allowed(handshake(f"http://{site}", site, x_forwarded_proto="https"))
    assert not origin_allowed(handshake(f"https://{site}", site))  # no header: plain ws


@pytest.mark.parametrize(
    "origin", [b"https://127.0.0.1:8000", b"http://127.0.0.1:8001", b"http://127.0.0.1:8000"]
)
async def test_the_handshake_is_refused_for_a_wrong_scheme_or_port(world, origin):
    comm = await communicator(world.cast["rc_director"], origin=(b"origin", origin))
    connected, _code = await comm.connect()
    assert connected is (origin == b"http://127.0.0.1:8000")
    await comm.disconnect()


# -- per-person limits ---------------------------------------------------------------------------


async def test_a_person_may_hold_only_so_many_sockets(world, settings):
    settings.WEBSOCKET_MAX_PER_PERSON = 2
    staff, director = world.cast["ws_staff"], world.cast["rc_director"]
    first, second = await communicator(staff), await communicator(staff)
    third = await communicator(staff)
    someone_else = await communicator(director)
    try:
        for comm in (first, second):
            assert (await comm.connect())[0]
            assert (await receive(comm))["type"] == "snapshot"
        assert await refused_with(third) == CLOSE_TOO_MANY
        assert (await someone_else.connect())[0]
        assert (await receive(someone_else))["type"] == "snapshot"
        await second.disconnect()
        again = await communicator(staff)
        assert (await again.connect())[0]
        assert (await receive(again))["type"] == "snapshot"
        await again.disconnect()
    finally:
        for comm in (first, third, someone_else):
            await comm.disconnect()


async def test_a_persons_sockets_share_one_frame_budget(world, settings):
    settings.WEBSOCKET_RATE_BURST = 4
    settings.WEBSOCKET_RATE_PER_SECOND = 1
    staff = world.cast["ws_staff"]
    a, b, other = [await communicator(p) for p in (staff, staff, world.cast["rc_director"])]
    try:
        for comm in (a, b, other):
            await comm.connect()
            await receive(comm)  # snapshot
        replies = []
        for n, comm in enumerate((a, b, a, b, b)):
            await comm.send_to(text_data=json.dumps({"id": n, "type": "ping"}))
            replies.append(await receive(comm))
        assert [r["type"] for r in replies] == ["ack"] * 4 + ["error"]
        assert (replies[4]["code"], replies[4]["id"]) == ("rate_limited", 4)
        # Another person's budget is their own.
        await other.send_to(text_data=json.dumps({"id": 9, "type": "ping"}))
        assert await receive(other) == {"type": "ack", "id": 9}
    finally:
        for comm in (a, b, other):
            await comm.disconnect()
