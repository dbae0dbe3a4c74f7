"""Runs inside the grading sandbox: the student's code, answering questions from the verifier.

    python verify_worker.py   (the verifier talks to it over stdin and stdout, coursetools/wire.py format)

The first message is the student's program: notebook cells, each run statement by statement (a failing
statement does not stop the rest; release cells the student did not change contribute only their
definitions). Then it answers requests: look up a global, call, get or set an attribute, index, isinstance.
Objects that are not plain data stay here and travel as references. During a request, the graded names
other than the part under test are stand-ins that ask the verifier for the reference result, so a part is
judged on its own. No reference code and no expected value ever comes here.

This file is copied into the sandbox and run on its own: it imports nothing from the course but wire.py.
"""
import ast
import builtins
import os
import re
import signal
import sys

import numpy as np
import wire

MAGIC = re.compile(r"^(\s*)[%!].*$", re.MULTILINE)  # IPython magics and shell escapes: not Python


class StatementTimeout(BaseException):
    """A statement of the program ran longer than allowed (BaseException: student code rarely catches it)."""


class Worker:
    def __init__(self, requests, replies):
        self.requests, self.replies = requests, replies
        self.ns = {"__name__": "__main__", "__builtins__": builtins}
        self.objects = []        # everything sent by reference, kept alive so that its number stays valid
        self.originals = {}      # graded names replaced by stand-ins for the current part

    # ----- references -----
    def reference(self, obj) -> int:
        self.objects.append(obj)
        return len(self.objects) - 1

    def dereference(self, number: int):
        return self.objects[number]

    def send(self, message) -> None:
        wire.send(self.replies, message, self.reference, keep=self.objects.append)

    def receive(self):
        return wire.receive(self.requests, self.dereference)

    # ----- the student's program -----
    def run_program(self, cells, statement_seconds: int) -> int:
        """Run every cell, statement by statement; returns how many statements failed."""
        signal.signal(signal.SIGALRM, self.on_alarm)
        failed = 0
        for index, (source, definitions_only) in enumerate(cells):
            try:
                statements = ast.parse(MAGIC.sub(r"\1pass", source)).body
            except SyntaxError:
                failed += 1
                continue
            for statement in statements:
                if definitions_only and not isinstance(statement, (ast.Import, ast.ImportFrom, ast.FunctionDef,
                                                                   ast.ClassDef)):
                    continue
                code = compile(ast.Module([statement], type_ignores=[]), f"<cell {index}>", "exec")
                signal.alarm(statement_seconds)
                try:
                    exec(code, self.ns)
                except BaseException:  # noqa: BLE001 (student code may raise anything, SystemExit included)
                    failed += 1
                finally:
                    signal.alarm(0)
        return failed

    @staticmethod
    def on_alarm(*_):
        raise StatementTimeout

    # ----- parts judged on their own -----
    def test(self, part: str, stand_ins: dict) -> None:
        """Put the stand-ins in place of every graded name but `part` (and back what the last test replaced)."""
        self.ns.update(self.originals)
        self.originals = {name: self.ns[name] for name in stand_ins if name in self.ns}
        for name, methods in stand_ins.items():
            self.ns[name] = self.stand_in_class(name, methods) if methods is not None else self.stand_in(name)

    def ask(self, question: dict):
        """Ask the verifier for a reference result in the middle of a request."""
        self.send({"callback": question})
        answer = self.receive()
        if "error" in answer:
            raise wire.rebuilt(answer["error"])
        return answer["ok"]

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
                raise NameError(f"name {request['global']!r} is not defined")
            return self.ns[request["global"]]
        return self.dereference(request["ref"])

    def answer(self, request: dict):
        op, target = request["op"], self.target(request)
        if op == "value":
            return target
        if op == "call":
            args = request["args"]
            result = target(*args, **request["kwargs"])
            arrays = [a if isinstance(a, np.ndarray) else None for a in args]
            shares = [i for i, a in enumerate(arrays) if isinstance(result, np.ndarray) and a is not None
                      and np.shares_memory(result, a)]
            return {"result": result, "args": arrays, "shares": shares}
        if op == "getattr":
            return getattr(target, request["name"])
        if op == "setattr":
            return setattr(target, request["name"], request["value"])
        if op == "getitem":
            return target[request["key"]]
        if op == "len":
            return len(target)
        if op == "isinstance":
            return isinstance(self.dereference(request["object"]), target)
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
                self.send({"ok": self.answer(request)})
            except BaseException as error:  # noqa: BLE001 (reported to the verifier, which judges it)
                self.send({"error": wire.described(error)})


def main() -> int:
    # The protocol keeps the original stdin and stdout; the student's code gets /dev/null for all three.
    requests, replies = os.fdopen(os.dup(0), "rb"), os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    worker = Worker(requests, replies)
    program = worker.receive()
    failed = worker.run_program(program["cells"], program["statement_seconds"])
    worker.send({"ok": failed})
    worker.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
