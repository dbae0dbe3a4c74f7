"""The grader's references, answered for the verifier's worker in a child process under the student's limits.

While one part is tested, the worker's other graded names are stand-ins that ask the TA's process for the
reference result (coursetools/verification/verify.py); student code chooses their arguments, so the answers are computed
here, in a child forked from the TA's process, bounded in memory, CPU and time.
"""
import contextlib
import ctypes
import os
import resource
import signal
import time
from pathlib import Path

from coursetools.verification import wire
from coursetools.verification.wire import DeadlineReader


def refused(why: str) -> dict:
    """A callback answer that raises, in the student's code, an error saying why the reference did not run."""
    return {"error": {"mro": ["ReferenceRefused", "RuntimeError", "Exception"],
                      "message": f"the grader's reference refused this call: {why}"}}


def reference_answer(references: dict, question: dict) -> dict:
    """The reference result a stand-in asked for: a function's result, a new object's state, or a method's
    result and the object's state after it (the worker's stand-in objects hold the state)."""
    try:
        reference = references[question["name"]]
        args, kwargs = question["args"], question["kwargs"]
        if question["kind"] == "call":
            return {"ok": reference(*args, **kwargs)}
        if question["kind"] == "new":
            return {"ok": vars(reference(*args, **kwargs))}
        obj = reference.__new__(reference)
        obj.__dict__.update(question["state"])
        result = getattr(obj, question["method"])(*args, **kwargs)
        return {"ok": [vars(obj), result]}
    except MemoryError:
        raise
    except Exception as error:  # noqa: BLE001 (bad arguments from student code: its problem, reported back)
        return {"error": wire.described(error)}


def lower_limit(kind: int, value: int) -> None:
    soft, hard = resource.getrlimit(kind)
    value = value if hard == resource.RLIM_INFINITY else min(value, hard)
    resource.setrlimit(kind, (value, hard))


class References:
    """The grader's references, computed for the worker's stand-ins in a child forked from the TA's process.

    Student code chooses a stand-in's arguments (max_pool2d of a 1600x1600 image with an 800x800 window runs
    for minutes), so the references run under the student's limits: the child has the sandbox's memory (on
    top of what the TA's process already maps) and CPU seconds, and is killed when the cell's time is up. It
    is forked once and serves every call (a fork per call would add ~15 ms to each of a grading's ~120 calls)
    and forked again after it was killed. It keeps only its two pipes: it cannot touch the worker's pipes or
    the gradebook. Questions with references to the student's objects are refused: the references take data."""

    def __init__(self, references: dict, limits: dict):
        self.references, self.limits, self.pid = references, limits, None

    def start(self) -> None:
        questions_in, questions = os.pipe()
        answers, answers_out = os.pipe()
        statm = Path("/proc/self/statm")  # Linux; elsewhere RLIMIT_AS is not enforced anyway
        mapped = int(statm.read_text().split()[0]) * os.sysconf("SC_PAGE_SIZE") if statm.exists() else 0
        self.pid = os.fork()
        if self.pid == 0:  # the child: never returns into the TA's code
            try:
                low, high = sorted((questions_in, answers_out))
                for start, end in ((3, low), (low + 1, high), (high + 1, os.sysconf("SC_OPEN_MAX"))):
                    os.closerange(start, end)
                with contextlib.suppress(AttributeError, OSError):
                    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the TA's process
                lower_limit(resource.RLIMIT_AS, mapped + self.limits["memory_mb"] * 2**20)
                lower_limit(resource.RLIMIT_CPU, self.limits["cpu_seconds"])
                self.serve(os.fdopen(questions_in, "rb"), os.fdopen(answers_out, "wb"))
            finally:
                os._exit(0)
        os.close(questions_in)
        os.close(answers_out)
        self.questions, self.answers = os.fdopen(questions, "wb"), DeadlineReader(answers)

    def serve(self, questions, answers) -> None:
        while True:
            question = wire.receive(questions)
            try:
                wire.send(answers, reference_answer(self.references, question))
            except MemoryError:
                wire.send(answers, refused(f"it needed more than {self.limits['memory_mb']} MiB"))
            except ValueError as problem:  # a result that is not data, or too big for the wire
                wire.send(answers, refused(str(problem)))

    def answer(self, question: dict, deadline: float) -> dict:
        """The reference's answer to `question`, or a refusal if it cannot be computed by `deadline`."""
        seconds = deadline - time.monotonic()
        if seconds <= 0:
            return refused("no time is left in this test")
        if self.pid is None:
            self.start()
        try:
            wire.send(self.questions, question, self.no_objects)
        except ValueError as problem:  # objects in the question: refused while encoding, before anything is written
            return refused(str(problem))
        except OSError:
            pass  # the child is gone: reading its answer says so
        self.answers.deadline = deadline
        try:
            return wire.receive(self.answers)
        except TimeoutError:
            why = f"it ran longer than the {seconds:.1f} s left in this test"
        except ValueError as problem:  # an answer too big for the wire
            why = str(problem)
        except (EOFError, OSError):
            why = f"it stopped (more than {self.limits['cpu_seconds']} CPU seconds or {self.limits['memory_mb']} MiB?)"
        self.stop()
        return refused(why)

    @staticmethod
    def no_objects(obj):
        raise ValueError(f"it takes arrays, numbers, strings, lists and dicts, not {type(obj).__name__} objects")

    def stop(self) -> None:
        if self.pid is not None:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            with contextlib.suppress(OSError):
                self.questions.close()
            os.close(self.answers.fd)
            self.pid = None
