"""The verifier's wire format: values as JSON and NumPy's .npy, never pickle.

Both sides of the re-verification use it: the grader (coursetools/verification/verify.py) and the sandboxed worker
(coursetools/verification/verify_worker.py, which gets a copy of this file). Whatever the worker sends can only decode
to plain data (None, numbers, strings, tuples, lists, dicts, numeric arrays) or to a reference: a number
that stands for an object that stays in the worker. Nothing received can run code in the receiver.

This file imports nothing from the course: it is copied into the sandbox and imported there.
"""
import builtins
import io
import json
import os
import select
import struct
import time

import numpy as np

# This file's functions look up built-in names in a copy taken at import: student code in the worker may rebind
# builtins.isinstance & co., and the worker's messages must still be encoded and read the way this file says.
BUILTINS = __builtins__ = dict(vars(builtins))

MAX_MESSAGE = 64 * 2**20  # bytes per message, header and arrays together: more is refused before it is read
MAX_HEADER = 16 * 2**20   # bytes of JSON (the student's program is the biggest legitimate header)
MAX_BLOBS = 4096          # arrays per message
PLAIN = (type(None), bool, int, float, str)


def encode(value, reference, keep=None):
    """(JSON-able tree, list of .npy blobs) for `value`; `reference(obj)` names an object that is not data.

    `keep(array)`, if given, is called for every array sent: a sender that keeps them alive guarantees that
    an array id it sent is never reused for another array."""
    blobs = []

    def tree(v):
        if type(v) in PLAIN:
            return v
        if type(v) in (tuple, list):
            return {type(v).__name__: [tree(item) for item in v]}
        if type(v) is dict and all(type(k) is str for k in v):
            return {"dict": {k: tree(item) for k, item in v.items()}}
        if isinstance(v, (np.ndarray, np.generic)) and v.dtype.kind in "biufc":
            out = io.BytesIO()
            np.save(out, np.asarray(v), allow_pickle=False)
            blobs.append(out.getvalue())
            if keep is not None:
                keep(v)
            kind = "array" if isinstance(v, np.ndarray) else "scalar"
            return {kind: len(blobs) - 1, "id": id(v)}
        return {"ref": reference(v)}

    return tree(value), blobs


def decode(tree, blobs, dereference, arrays=None):
    """The value of an encoded tree; `dereference(number)` gives what a reference stands for.

    `arrays` (optional) maps the sender's array ids to arrays already decoded, so that one array sent
    twice is one object here too (`params[0] is layer.weight` holds on both sides)."""

    def value(t):
        if type(t) in PLAIN:
            return t
        if not isinstance(t, dict) or len(t) not in (1, 2):
            raise ValueError("malformed message")
        (kind, content), = [(k, v) for k, v in t.items() if k != "id"]
        if kind in ("tuple", "list"):
            items = [value(item) for item in content]
            return tuple(items) if kind == "tuple" else items
        if kind == "dict":
            return {str(k): value(item) for k, item in content.items()}
        if kind in ("array", "scalar"):
            if arrays is not None and t.get("id") in arrays:
                return arrays[t["id"]]
            array = np.load(io.BytesIO(blobs[content]), allow_pickle=False)
            if array.dtype.kind not in "biufc":
                raise ValueError("not a numeric array")
            if kind == "scalar":
                return array[()]
            if arrays is not None:
                arrays[t.get("id")] = array
            return array
        if kind == "ref":
            return dereference(int(content))
        raise ValueError(f"unknown kind {kind!r}")

    return value(tree)


def send(stream, message: dict, reference=None, keep=None) -> None:
    """Write one message: its JSON header and the .npy blobs of its arrays, each with its length."""
    tree, blobs = encode(message, reference or _no_references, keep)
    header = json.dumps({"tree": tree, "blobs": [len(b) for b in blobs]}).encode()
    stream.write(struct.pack("<Q", len(header)) + header + b"".join(blobs))
    stream.flush()


def receive(stream, dereference=None, arrays=None):
    """Read one message written by `send`; EOFError when the other side is gone, ValueError if it is not one.

    Sizes are checked before anything is read into memory: the header's length, then the number of arrays and
    their total size (the other side may be student code writing to the pipe itself, see verify_worker.py)."""
    size = struct.unpack("<Q", _read(stream, 8))[0]
    if size > MAX_HEADER:
        raise ValueError(f"a message header of {size} bytes refused (at most {MAX_HEADER})")
    try:
        header = json.loads(_read(stream, size))
        sizes = [int(n) for n in header["blobs"]]
        if len(sizes) > MAX_BLOBS or min(sizes, default=0) < 0 or size + sum(sizes) > MAX_MESSAGE:
            raise ValueError(f"a message of {len(sizes)} arrays, {size + sum(sizes)} bytes in all, refused "
                             f"(at most {MAX_BLOBS} arrays, {MAX_MESSAGE} bytes)")
        return decode(header["tree"], [_read(stream, n) for n in sizes], dereference or _no_references, arrays)
    except (RecursionError, TypeError, KeyError) as problem:  # nested too deeply, or not shaped like a message
        raise ValueError(f"malformed message ({type(problem).__name__})") from None


def _read(stream, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise EOFError("the other side closed the connection")
    return data


def described(error: BaseException) -> dict:
    """An exception as data: the names of its classes, most specific first, and its message."""
    return {"mro": [c.__name__ for c in type(error).__mro__], "message": str(error)[:500]}


def rebuilt(error) -> Exception:
    """A described exception raised on this side: its name, its message and its nearest built-in base."""
    error = error if isinstance(error, dict) else {}
    names = [str(n) for n in error.get("mro", [])] or ["Exception"]
    base = next((BUILTINS[n] for n in names if isinstance(BUILTINS.get(n), type)
                 and issubclass(BUILTINS[n], Exception)), Exception)
    return type(names[0], (base,), {})(str(error.get("message", "")))


def _no_references(_):
    raise ValueError("references are not expected here")


class DeadlineReader:
    """A pipe reader whose reads give up at `deadline` (time.monotonic()) with TimeoutError."""

    def __init__(self, fd: int):
        self.fd, self.deadline = fd, None

    def read(self, size: int) -> bytes:
        chunks, remaining = [], size
        while remaining:
            left = self.deadline - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(self.fd, min(remaining, 2**20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)
