"""The wire protocol's frame parser and the per-connection rate limit: pure, tested widely."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from realtime.protocol import MEETING_MESSAGES, Message, ProtocolError, arguments, parse_frame
from realtime.ratelimit import TokenBucket

LIMIT = 64 * 1024

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def test_it_parses_a_well_formed_frame():
    message = parse_frame('{"id": 3, "type": "chat.send", "text": "你好"}', max_bytes=LIMIT)
    assert (message.type, message.id, message.body) == ("chat.send", 3, {"text": "你好"})


@pytest.mark.parametrize(
    "text",
    ["", "nope", "[]", "3", '"ping"', "{}", '{"type": ""}', '{"type": 5}',
     '{"type": "ping", "id": true}', '{"type": "ping", "id": [1]}',
     '{"type": "ping", "id": "' + "x" * 65 + '"}'],
)  # fmt: skip
def test_it_refuses_malformed_frames(text):
    with pytest.raises(ProtocolError) as error:
        parse_frame(text, max_bytes=LIMIT)
    assert error.value.code == "malformed"


def test_it_counts_the_limit_in_bytes_not_characters():
    text = json.dumps({"type": "x", "t": "字" * 22000}, ensure_ascii=False)  # ~66 KB in UTF-8
    assert len(text) < LIMIT < len(text.encode())
    with pytest.raises(ProtocolError) as error:
        parse_frame(text, max_bytes=LIMIT)
    assert error.value.code == "too_large"


def test_it_refuses_deeply_nested_frames_cleanly():
    with pytest.raises(ProtocolError):
        parse_frame("[" * 100000 + "]" * 100000, max_bytes=10**6)


@given(st.text(max_size=300))
def test_it_never_fails_other_than_with_a_protocol_error(text):
    try:
        parse_frame(text, max_bytes=LIMIT)
    except ProtocolError as error:
        assert error.code in {"malformed", "too_large"}


@given(st.dictionaries(st.text(max_size=8), json_values, max_size=5), st.text(min_size=1))
def test_it_keeps_the_body_of_any_valid_frame(body, message_type):
    body = {k: v for k, v in body.items() if k not in ("id", "type")}
    frame = json.dumps({**body, "type": message_type})
    message = parse_frame(frame, max_bytes=10**6)
    assert (message.type, message.body) == (message_type, body)


def test_it_allows_a_burst_then_the_steady_rate():
    bucket = TokenBucket(rate=2, burst=3)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.take(0.49) is False
    assert bucket.take(0.5) is True
    assert bucket.take(10.0) is True  # refilled, but never above the burst
    assert sum(bucket.take(10.0) for _ in range(10)) == 2


@given(st.lists(st.floats(min_value=0, max_value=0.5), max_size=200))
def test_it_never_allows_more_than_burst_plus_rate_times_elapsed(gaps):
    bucket = TokenBucket(rate=5, burst=4)
    now, allowed = 0.0, 0
    for gap in gaps:
        now += gap
        allowed += bucket.take(now)
    assert allowed <= 4 + 5 * now + 1e-9


def test_it_ignores_a_clock_that_steps_back():
    bucket = TokenBucket(rate=1, burst=1)
    assert bucket.take(10.0)
    assert not bucket.take(5.0)
    assert not bucket.take(10.5)


# -- the table of message types: each field checked, named and defaulted ----------------------


def args(type_, **body):
    return arguments(Message(type=type_, id=1, body=body), MEETING_MESSAGES[type_])


def test_it_hands_each_field_to_its_keyword():
    assert args("floor.grant", user=17) == {"user_id": 17}
    assert args("ballot.cast", poll=9, choice="yes") == {
        "poll_id": 9,
        "choices": ["yes"],
        "organization_id": None,
    }
    assert args("ballot.cast", poll=9, choice=["c1", "c3"], organization=4)["choices"] == [
        "c1",
        "c3",
    ]


def test_optional_fields_take_their_defaults_when_absent_or_empty():
    opened = args("poll.open", question="是否同意？", kind="")
    assert opened["kind"] == "yes_no_abstain"
    assert opened["choices"] == () and opened["poll_id"] is None
    assert args("hand.raise") == {"side": "neutral"}
    assert args("hand.raise", side="") == {"side": "neutral"}
    assert args("hand.raise", side="con") == {"side": "con"}


def test_a_flag_is_set_only_by_true():
    assert args("poll.open", secret=True)["secret"] is True
    for value in (1, "true", "yes", [True]):
        assert args("poll.open", secret=value)["secret"] is False


@pytest.mark.parametrize(
    ("type_", "body", "field"),
    [
        ("floor.grant", {}, "user"),
        ("floor.grant", {"user": "17"}, "user"),
        ("floor.grant", {"user": True}, "user"),
        ("chat.send", {"text": 5}, "text"),
        ("resume", {"since": 1.5}, "since"),
        ("ballot.cast", {"poll": 9}, "choice"),
        ("ballot.cast", {"poll": 9, "choice": ["yes", 2]}, "choice"),
        ("ballot.cast", {"choice": "yes"}, "poll"),
        ("poll.open", {"choices": "甲"}, "choices"),
        ("poll.open", {"poll": "5"}, "poll"),
    ],
)
def test_a_missing_or_mistyped_field_is_refused_by_name(type_, body, field):
    with pytest.raises(ProtocolError) as refused:
        args(type_, **body)
    assert refused.value.code == "malformed"
    assert refused.value.field == field
