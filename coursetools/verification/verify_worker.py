"""Runs inside the grading sandbox: the student's code, answering questions from the verifier.

    python verify_worker.py   (the verifier talks to it over stdin and stdout, coursetools/verification/wire.py format)

The first message is the student's program: notebook cells, each run statement by statement (a failing
statement does not stop the rest; release cells the student did not change contribute only their
definitions). Before each statement it tells the verifier which one it starts, so that a statement that ends
or hangs the process can be named and left out when the verifier starts it again. Then it answers requests:
look up a global, call, get or set an attribute, index, isinstance (by the object's real type). Objects that
are not plain data stay here and travel as references. During a request, the graded names other than the part
under test are stand-ins that ask the verifier for the reference result, so a part is judged on its own; a
call that used a stand-in is made once more with the student's own parts in place (`as_submitted`), so that
parts which only work on each other's reference (part A calling part B calling part A) do not score. No reference
code and no expected value ever comes here. Every statement and request runs under a time limit, and the
builtins module is put back as it was after each (student code has no business rebinding it).

This file is copied into the sandbox and run on its own: it imports nothing from the course but wire.py.
"""
import ast
import builtins
import collections
import contextlib
import os
import re
import select
import signal
import sys
import types
import warnings

import numpy as np
import wire

MAGIC = re.compile(r"^(\s*)[%!].*$", re.MULTILINE)  # IPython magics and shell escapes: not Python
# The built-in names as they were before student code ran; this file's own functions look them up here.
BUILTINS = __builtins__ = dict(vars(builtins))
MAX_WARNINGS = 5   # warnings of one call sent back to the verifier, which warns them again in the tests' process
CHILD_GRACE = 1.0  # seconds the worker waits past a forked run's own time limit before it kills the child


class StatementTimeout(BaseException):
    """A statement or request ran longer than allowed (BaseException: student code rarely catches it)."""


def restore_builtins() -> None:
    """Put the builtins module back as it was (values first, then extra names out, so that no destructor of
    a student's object runs while a built-in name is missing)."""
    names = vars(builtins)
    names.update(BUILTINS)
    for name in set(names) - set(BUILTINS):
        del names[name]


def calls_in_cycle(error: BaseException) -> list:
    """[(code, name)] of the student's functions found more than once on the stack where `error` was raised:
    the functions that call each other (or themselves) without end."""
    codes, frame = [], error.__traceback__
    while frame is not None:
        if frame.tb_frame.f_code.co_filename.startswith("<cell "):
            codes.append(frame.tb_frame.f_code)
        frame = frame.tb_next
    counts = collections.Counter(codes)
    return [(code, code.co_qualname) for code in counts if counts[code] > 1]


def own_code(obj) -> set:
    """The code objects of a function, or of every method of a class along its real MRO."""
    functions = [getattr(f, "__func__", f) for cls in real_mro(obj) for f in vars(cls).values()] \
        if issubclass(type(obj), type) else [obj]
    return {f.__code__ for f in functions if type(f) is types.FunctionType}


def real_mro(cls) -> tuple:
    """The method resolution order CPython uses: neither `obj.__class__` nor a metaclass's `__mro__` can fake it."""
    return vars(type)["__mro__"].__get__(cls)


class Worker:
    def __init__(self, requests, replies):
        self.requests, self.replies = requests, replies
        self.ns = {"__name__": "__main__", "__builtins__": builtins}
        self.objects = []        # everything sent by reference, kept alive so that its number stays valid
        self.part, self.originals, self.stand_ins = None, {}, {}  # the part under test; what its stand-ins replaced
        self.asked = 0           # stand-in answers so far (a call that asked none needs no as-submitted run)
        self.checked = []        # what was already run as submitted during this test
        self.hung_as_submitted = False  # a run as submitted timed out in this test: none is tried again
        self.alone = True        # stand-ins may ask the verifier (not while the program runs as submitted)
        self.left_out = {}       # {name: why its cell was left out}, for a NameError that says so
        self.hung = []           # functions that timed out already: they fail at once in a run as submitted

    # ----- references -----
    def reference(self, obj) -> int:
        self.objects.append(obj)
        return len(self.objects) - 1

    def dereference(self, number: int):
        return self.objects[number]

    def send(self, message) -> None:
        restore_builtins()  # the standard library's json & co. look them up too
        wire.send(self.replies, message, self.reference, keep=self.objects.append)

    def receive(self):
        restore_builtins()
        return wire.receive(self.requests, self.dereference)

    # ----- the student's program -----
    def run_program(self, cells, statement_seconds: int, skip=(), left_out=None) -> dict:
        """Run every cell, statement by statement, saying before each which one it starts; but not the statements
        in `skip` nor the cells in `left_out` ({cell: why}: the names they define are remembered with why).

        Returns how many statements failed and which ran out of time (the verifier skips those next time)."""
        failed, timed_out = 0, []
        for index, (source, definitions_only, *_) in enumerate(cells):
            try:
                statements = ast.parse(MAGIC.sub(r"\1pass", source)).body
            except SyntaxError:
                failed += 1
                continue
            if str(index) in (left_out or {}):
                self.left_out.update({s.name: left_out[str(index)] for s in statements
                                      if isinstance(s, (ast.FunctionDef, ast.ClassDef))})
                continue
            for number, statement in enumerate(statements):
                if [index, number] in skip or definitions_only and not isinstance(
                        statement, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)):
                    continue
                self.send({"loading": [index, number]})
                code = compile(ast.Module([statement], type_ignores=[]), f"<cell {index}>", "exec")
                try:
                    with self.time_limit(statement_seconds):
                        exec(code, self.ns)
                except StatementTimeout:
                    timed_out.append([index, number])
                except BaseException:  # noqa: BLE001 (student code may raise anything, SystemExit included)
                    failed += 1
        return {"failed": failed + len(timed_out), "timed_out": timed_out}

    @contextlib.contextmanager
    def time_limit(self, seconds):
        """Raise StatementTimeout in the code run inside after `seconds` (none if None); then put the builtins
        back. The handler is set each time: a statement that ignored SIGALRM does not disarm the next one."""
        signal.signal(signal.SIGALRM, self.on_alarm)
        signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001) if seconds is not None else 0)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            restore_builtins()

    @staticmethod
    def on_alarm(*_):
        raise StatementTimeout("it ran longer than the time limit (an infinite loop?)")

    # ----- parts judged on their own -----
    def test(self, part: str, stand_ins: dict) -> None:
        """Put the stand-ins in place of every graded name but `part` (and back what the last test replaced)."""
        for name in self.stand_ins:
            self.ns.pop(name, None)
        self.ns.update(self.originals)
        self.originals = {name: self.ns[name] for name in stand_ins if name in self.ns}
        self.part, self.stand_ins, self.checked, self.hung_as_submitted = part, stand_ins, [], False
        for name, methods in stand_ins.items():
            self.ns[name] = self.stand_in_class(name, methods) if methods is not None else self.stand_in(name)

    def ask(self, question: dict):
        """Ask the verifier for a reference result in the middle of a request. The time limit's alarm waits
        until the answer is in: cut off halfway, the answer would be read as the next request."""
        if not self.alone:
            raise RuntimeError("the grader's reference is not used in your program as submitted")
        self.asked += 1
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        try:
            self.send({"callback": question})
            answer = self.receive()
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGALRM})
        if "error" in answer:
            raise wire.rebuilt(answer["error"])
        return answer["ok"]

    def as_submitted(self, target, args, kwargs) -> str | None:
        """Why `target(*args, **kwargs)` fails in the student's program as submitted (their own parts where the
        stand-ins were), or None; once per function per test, in half the time the request has left (a part that
        hangs elsewhere in the program must not use up the time of the test itself).

        Only a cycle of calls through the part under test counts (two parts built on each other): any other
        failure there is a fault of another part, which costs that part alone. So the run happens in a forked
        child: a crash of another part there (a segfault, os._exit) cannot stop this worker and fail the part
        under test, and what the run changes in the program is gone with the child."""
        key = getattr(target, "__func__", target)
        if self.hung_as_submitted or any(done is key for done in self.checked):
            return None
        self.checked.append(key)
        shown = getattr(key, "__qualname__", self.part)
        self.send({"doing": f"{shown} ran in your program as submitted"})
        seconds = signal.getitimer(signal.ITIMER_REAL)[0] / 2 or None
        verdict_in, verdict_out = os.pipe()
        try:
            child = os.fork()
        except OSError:  # no process left under the limit (the student's own doing): nothing to hold against them
            os.close(verdict_in)
            os.close(verdict_out)
            return None
        if child == 0:  # never returns into the worker's loop
            try:
                os.close(verdict_in)
                outcome = self.run_as_submitted(target, args, kwargs, key, shown, seconds)
                os.write(verdict_out, repr(outcome).encode())
            finally:
                os._exit(0)
        os.close(verdict_out)
        text, ready = "", False
        try:  # the request's own time limit may end the wait: the child goes then too
            with os.fdopen(verdict_in, "rb") as reader:
                ready = bool(select.select([reader], [], [], None if seconds is None else seconds + CHILD_GRACE)[0])
                text = reader.read().decode() if ready else ""
        finally:
            if not text:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
        verdict, hung = ast.literal_eval(text) if text else (None, not ready)  # no text: it crashed (not hung)
        self.hung_as_submitted = self.hung_as_submitted or hung
        return verdict

    def run_as_submitted(self, target, args, kwargs, key, shown, seconds) -> tuple[str | None, bool]:
        """In the forked child: (why the call fails as submitted or None, whether something else hung)."""
        for name in self.stand_ins:
            self.ns.pop(name, None)
        self.ns.update(self.originals)
        for name in self.hung:  # the run is only looking for a cycle through the part: no need to wait for them again
            if callable(self.ns.get(name)):
                self.ns[name] = timed_out_already(name)
        self.alone = False
        try:
            with self.time_limit(seconds):
                target(*args, **kwargs)
            return None, False
        except (RecursionError, StatementTimeout) as error:
            cycle = calls_in_cycle(error)
            if not {code for code, _ in cycle} & (own_code(self.ns.get(self.part)) | own_code(key)):
                return None, isinstance(error, StatementTimeout)  # something else hangs: not tried again in this test
            names = [name for _, name in cycle]
            how = f"{names[0]} calls itself" if len(names) == 1 else \
                f"{', '.join(names[:-1])} and {names[-1]} call each other"
            return f"in your program as submitted, {shown} never returns: {how}", False
        except BaseException:  # noqa: BLE001 (a bug in another part costs that part only)
            return None, False

    def stand_in(self, name):
        def reference(*args, **kwargs):
            return self.ask({"kind": "call", "name": name, "args": list(args), "kwargs": kwargs})
        reference.__name__ = name
        return reference

    def stand_in_class(self, name, methods):
        """A class whose instances hold the reference object's state and ask for its methods' results."""
        worker = self

        def init(self, *args, **kwargs):
            self.__dict__.update(worker.ask({"kind": "new", "name": name, "args": list(args), "kwargs": kwargs}))

        def method(method_name):
            def call(self, *args, **kwargs):
                state, result = worker.ask({"kind": "method", "name": name, "method": method_name,
                                            "state": dict(self.__dict__), "args": list(args), "kwargs": kwargs})
                self.__dict__.update(state)
                return result
            return call

        return type(name, (), {"__init__": init, **{m: method(m) for m in methods}})

    # ----- requests -----
    def target(self, request):
        if "global" in request:
            if request["global"] not in self.ns:
                why = self.left_out.get(request["global"])
                raise NameError(f"name {request['global']!r} is not defined"
                                + (f": its cell {why}, so it was left out" if why else ""))
            return self.ns[request["global"]]
        return self.dereference(request["ref"])

    def answer(self, request: dict):
        op, target = request["op"], self.target(request)
        if op == "value":
            return target
        if op == "call":
            args, kwargs, asked = request["args"], request["kwargs"], self.asked
            as_handed_in = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
            with warnings.catch_warnings(record=True) as caught:  # the student's code writes to /dev/null here:
                warnings.simplefilter("always")                  # its warnings go back with the result
                result = target(*args, **kwargs)
            arrays = [a if isinstance(a, np.ndarray) else None for a in args]
            shares = [i for i, a in enumerate(arrays) if isinstance(result, np.ndarray) and a is not None
                      and np.shares_memory(result, a)]
            used_stand_ins = self.part is not None and self.asked > asked
            return {"result": result, "args": arrays, "shares": shares,
                    "warnings": [[w.category.__name__, str(w.message)[:500]] for w in caught[:MAX_WARNINGS]],
                    "as_submitted": self.as_submitted(target, as_handed_in, kwargs) if used_stand_ins else None}
        if op == "getattr":
            return getattr(target, request["name"])
        if op == "setattr":
            return setattr(target, request["name"], request["value"])
        if op == "getitem":
            return target[request["key"]]
        if op == "len":
            return len(target)
        if op == "isinstance":
            return any(cls is target for cls in real_mro(type(self.dereference(request["object"]))))
        raise ValueError(f"unknown request {op!r}")

    def serve(self) -> None:
        while True:
            try:
                request = self.receive()
            except EOFError:
                return
            if request["op"] == "test":
                self.test(request["part"], request["stand_ins"])
                self.send({"ok": None})
                continue
            try:
                with self.time_limit(request.get("seconds")):
                    answer = self.answer(request)
                self.send({"ok": answer})
            except BaseException as error:  # noqa: BLE001 (reported to the verifier, which judges it)
                self.send({"error": wire.described(error)})


def timed_out_already(name: str):
    def hung(*_, **__):
        raise StatementTimeout(f"{name} ran longer than the time limit before (an infinite loop?)")
    return hung


def main() -> int:
    # The protocol keeps the original stdin and stdout; the student's code gets /dev/null for all three.
    requests, replies = os.fdopen(os.dup(0), "rb"), os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    worker = Worker(requests, replies)
    program = worker.receive()
    worker.hung = [str(name) for name in program.get("hung", [])]
    worker.send({"ok": worker.run_program(program["cells"], program["statement_seconds"], program["skip"],
                                          program["left_out"])})
    worker.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
