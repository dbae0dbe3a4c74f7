"""The verifier's wire format: data round-trips, and what a hostile sender writes is refused before it is read."""
import builtins
import io
import json
import struct

import numpy as np
import pytest

from coursetools.verification import wire


class Flood(io.RawIOBase):
    """A stream that starts with `head` and then gives zeros without end, counting what was read."""

    def __init__(self, head: bytes):
        self.head, self.read_bytes = head, 0

    def read(self, size=-1):
        data = (self.head + bytes(size))[:size]
        self.head = self.head[size:]
        self.read_bytes += len(data)
        return data


def header(tree, blobs) -> bytes:
    text = json.dumps({"tree": tree, "blobs": blobs}).encode()
    return struct.pack("<Q", len(text)) + text


def test_plain_data_and_arrays_round_trip():
    stream = io.BytesIO()
    message = {"ok": [1, 2.5, "x", None, (True,), {"a": np.arange(6).reshape(2, 3)}, np.float32(1.5)]}
    wire.send(stream, message)
    stream.seek(0)
    got = wire.receive(stream)["ok"]
    assert got[:5] == [1, 2.5, "x", None, (True,)] and got[6] == np.float32(1.5)
    assert np.array_equal(got[5]["a"], np.arange(6).reshape(2, 3))


def test_a_message_of_huge_arrays_is_refused_after_its_header():
    flood = Flood(header({"dict": {"ok": None}}, [2**28] * 12))  # 3 GiB declared, as student code could write
    with pytest.raises(ValueError, match="12 arrays"):
        wire.receive(flood)
    assert flood.read_bytes < 1000


def test_too_many_arrays_and_a_huge_header_are_refused():
    with pytest.raises(ValueError, match="arrays"):
        wire.receive(Flood(header({"dict": {"ok": None}}, [1] * (wire.MAX_BLOBS + 1))))
    flood = Flood(struct.pack("<Q", wire.MAX_HEADER + 1))
    with pytest.raises(ValueError, match="header"):
        wire.receive(flood)
    assert flood.read_bytes == 8


def test_deeply_nested_messages_are_malformed_not_a_crash():
    text = b"[" * 100_000
    with pytest.raises(ValueError, match="malformed"):
        wire.receive(io.BytesIO(struct.pack("<Q", len(text)) + text))


def test_rebinding_builtins_does_not_change_how_wire_encodes():
    """The worker puts builtins back before it sends (json looks them up too); wire's own code never depends on it."""
    saved = builtins.isinstance, builtins.len
    builtins.isinstance, builtins.len = (lambda obj, cls: False), (lambda obj: 0)
    try:
        tree, blobs = wire.encode({"ok": [np.ones(3), "text"]}, wire._no_references)
    finally:
        builtins.isinstance, builtins.len = saved
    items = tree["dict"]["ok"]["list"]
    assert items[0]["array"] == 0 and items[1] == "text" and len(blobs) == 1
