"""Executes one notebook cell by cell, with the kernel in the grading sandbox, and survives what its code does.

    python sandbox_runner.py NOTEBOOK LIMITS_JSON WORKDIR

Runs outside the sandbox, as the TA, in a folder the student's code cannot see (see coursetools/grading/sandbox.py):
only the kernel is sandboxed. It starts the kernelspec `sandboxed` found on JUPYTER_PATH (bubblewrap,
`prlimit`, then ipykernel, in WORKDIR) over Unix sockets in WORKDIR (the sandbox has no network), and writes
NOTEBOOK with its outputs to `executed.ipynb` and what went wrong to `incidents.json`, both beside NOTEBOOK,
where the kernel can neither write nor signal anything. A cell that runs too long is interrupted; a kernel
that dies (os._exit, a crash, memory) or that no longer answers after the interrupt is restarted and the
cells before are run again, so a crash or a hang costs only its own cell; output is capped per cell. Every
code cell that did not run ends with an error output, because nbgrader gives full marks to a test cell with
no error. Where a cell was stopped (which of the notebook's functions was running, and at which line of the
cell) goes to `stopped.json`, so that the re-verification does not wait for the same loop again.

It imports nothing from the course.
"""
import asyncio
import json
import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

# jsonschema (under nbformat) checks IRIs with rfc3987_syntax if it can import it, which builds a grammar for
# 0.7 s: a third of this runner's own time per notebook, for a check notebooks never need.
sys.modules.setdefault("rfc3987_syntax", None)
import nbformat  # noqa: E402
from jupyter_client import AsyncKernelManager  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import DeadKernelError  # noqa: E402

MAX_RESTARTS = 3
ANSWER_SECONDS = 2  # how long an interrupted kernel has to answer before it is taken for hung and restarted
RICH_OUTPUT_CHARS = 2 * 2**20  # per cell, for display data, results and errors (an image is ~100 KB)
DEFINITION = re.compile(r"^(?:def|class)\s+(\w+)", re.MULTILINE)
FRAME = re.compile(r"Cell In\[\d+\], line (\d+)(?:,? in (\w+))?")  # a frame of an interrupted cell's traceback
DUMPED = re.compile(r'File "[^"]*ipykernel_\d+/\d+\.py", line (\d+) in (\S+)')  # the same in a faulthandler dump
ANSI = re.compile(r"\x1b\[[0-9;]*m")
STACK_DUMP = ".runtime/stack.txt"  # where the kernel's watchdog dumps its stack (see sandbox.kernel_command)
DUMP_BYTES = 2**16  # of it read after a hang: the dump of one cell's threads is a few KB
FAULTS = {"MemoryError", "SystemExit", "KeyboardInterrupt", "RecursionError", "OSError"}  # worth a status line


def error(name: str, message: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("error", ename=name, evalue=message, traceback=[f"{name}: {message}"])


class KernelHung(Exception):
    """The kernel did not answer within ANSWER_SECONDS of being interrupted."""


def output_size(msg) -> int:
    content = msg["content"]
    if msg["msg_type"] == "stream":
        return len(content.get("text", ""))
    return len(json.dumps(content.get("data", content)))


class CappedClient(NotebookClient):
    """A notebook client that caps each cell's output and gives up on a kernel that no longer answers."""

    def __init__(self, nb, output_limit: int, **kwargs):
        super().__init__(nb, **kwargs)
        self.output_limit = output_limit
        self.printed, self.shown = {}, {}
        self.timed_out = False
        self.on_cell_executed = self.record_hidden_error

    def record_hidden_error(self, cell, cell_index, execute_reply):
        """A cell whose reply is an error must show one, even if student code silenced IPython's traceback."""
        content = execute_reply["content"]
        if content["status"] == "error" and not any(o.output_type == "error" for o in cell.outputs):
            cell.outputs.append(error(str(content.get("ename", "Error"))[:100], str(content.get("evalue", ""))[:1000]))

    async def _async_handle_timeout(self, timeout, cell=None):
        """Interrupt the cell; a kernel that does not reply soon after is hung (a replaced builtin, a C loop)."""
        self.timed_out = True
        await self.km.interrupt_kernel()
        deadline = time.monotonic() + ANSWER_SECONDS
        while time.monotonic() < deadline:
            if await self.kc.shell_channel.msg_ready():
                return None
            await asyncio.sleep(0.1)
        raise KernelHung

    def output(self, outs, msg, display_id, cell_index):
        if msg["msg_type"] == "stream":
            used = self.printed.get(cell_index, 0)
            text = msg["content"]["text"]
            self.printed[cell_index] = used + len(text)
            if used >= self.output_limit:
                return None
            if used + len(text) > self.output_limit:
                text = text[:self.output_limit - used] + (f"\n[output cut: this cell printed more than "
                                                          f"{self.output_limit} characters]\n")
                msg = {**msg, "content": {**msg["content"], "name": "stdout", "text": text}}
        elif msg["msg_type"] in ("display_data", "execute_result", "update_display_data", "error"):
            used = self.shown.get(cell_index, 0)
            self.shown[cell_index] = used + output_size(msg)
            if used + output_size(msg) > RICH_OUTPUT_CHARS:
                if used <= RICH_OUTPUT_CHARS:
                    outs.append(nbformat.v4.new_output("stream", name="stdout", text=(
                        f"[output cut: this cell displayed more than {RICH_OUTPUT_CHARS} characters]\n")))
                return None
        return super().output(outs, msg, display_id, cell_index)


def traceback_stack(cell) -> list[tuple[str, int]]:
    """[(function, line)] of the notebook's code that was running when `cell` was interrupted, outermost first
    ("<module>" for a cell's top level), read off its traceback."""
    text = ANSI.sub("", "".join("".join(o.get("traceback", [])) for o in cell.outputs if o.output_type == "error"))
    return [(name or "<module>", int(line)) for line, name in FRAME.findall(text)]


def dumped_stack(text: str) -> list[tuple[str, int]]:
    """The same for a kernel that never answered, read off the last stack dump its watchdog wrote (see
    sandbox.kernel_command): the thread that ran the notebook's code, innermost frame first in the dump."""
    for thread in re.split(r"\n(?=Thread 0x|Current thread)", text.rsplit("Timeout (", 1)[-1]):
        if frames := [(name, int(line)) for line, name in DUMPED.findall(thread)]:
            return frames[::-1]
    return []


def where_stopped(index: int, stack: list[tuple[str, int]], defined: set[str]) -> dict:
    """What `stopped.json` says of cell `index`: the line of the cell's own top level that was running (None if
    not known) and the innermost of the notebook's functions on the stack, the one that loops (None if none)."""
    own = [name for name, _ in stack if name in defined]
    line = stack[0][1] if stack and stack[0][0] == "<module>" else None
    return {"cell": index, "line": line, "function": own[-1] if own else None}


def client(nb, limits: dict, workdir: Path) -> CappedClient:
    """A client for a fresh sandboxed kernel that talks over Unix sockets in `workdir` (no network there)."""
    runtime = workdir / ".runtime"
    manager = AsyncKernelManager(kernel_name="sandboxed", transport="ipc", ip=str(runtime / "kernel"),
                                 connection_file=str(runtime / "kernel.json"))
    return CappedClient(nb, limits["output_chars"], km=manager, timeout=limits["cell_timeout"],
                        interrupt_on_timeout=True, allow_errors=True, shutdown_kernel="immediate",
                        resources={"metadata": {"path": str(workdir)}})


def execute(nb, limits: dict, workdir: Path) -> tuple[list[str], list[dict]]:
    """Run every code cell of `nb` in place; returns one line per incident and where each stopped cell stopped."""
    incidents, skipped, ran, stopped = [], set(), set(), []  # skipped: cells that crashed or timed out, not run again
    dump = workdir / STACK_DUMP
    # A function that timed out once is not run again: later cells that call it fail at once (fail fast).
    defined = set(DEFINITION.findall("\n".join(c.source for c in nb.cells if c.cell_type == "code")))
    hung, not_run = {}, {}  # {name: where it timed out}, {name: the cells not run because they call it}
    timeout, deadline = limits["cell_timeout"], time.monotonic() + limits["notebook_seconds"]
    for _ in range(MAX_RESTARTS + 1):
        runner = client(nb, limits, workdir)
        index = None
        try:
            # The kernel's own stdout and stderr are not the notebook's output: nothing of them is kept.
            with runner.setup_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
                for index, cell in enumerate(nb.cells):
                    if time.monotonic() > deadline:
                        incidents.append(f"stopped before cell {index}: the notebook used up its "
                                         f"{limits['notebook_seconds']} s")
                        break
                    if cell.cell_type != "code" or index in skipped:
                        continue
                    # Cells run before a restart run again as they did; a cell that defines something runs too
                    # (skipping it would leave its names undefined), and what it defines is then suspect in turn.
                    calls = sorted(set(re.findall(r"\w+", cell.source)) & hung.keys() - set(DEFINITION.findall(cell.source)))
                    if calls and index not in ran and DEFINITION.search(cell.source):
                        hung.update({name: f"calls {calls[0]}, which {hung[calls[0]]}"
                                     for name in DEFINITION.findall(cell.source) if name not in hung})
                    elif calls and index not in ran:
                        cell.outputs = [error("CellTimeoutError", f"this cell was not run: it calls {calls[0]}, "
                                              f"which {hung[calls[0]]} (an infinite loop?)")]
                        not_run.setdefault(calls[0], []).append(str(index))
                        skipped.add(index)
                        ran.add(index)
                        continue
                    runner.timed_out = False
                    dumped = dump.lstat().st_size if dump.exists() else 0
                    runner.execute_cell(cell, index)
                    ran.add(index)
                    if runner.timed_out:
                        stack = traceback_stack(cell)
                        stopped.append(where_stopped(index, stack, defined))
                        running = sorted({name for name, _ in stack} & defined)
                        hung.update({name: f"timed out in cell {index}" for name in running if name not in hung})
                        cell.outputs = [o for o in cell.outputs if o.output_type != "error"] + [error(
                            "CellTimeoutError", f"this cell timed out: it ran longer than {timeout} s and was "
                            "stopped (an infinite loop?)" + (f" while {', '.join(running)} ran" if running else ""))]
                        incidents.append(f"cell {index} timed out")
                        skipped.add(index)
            break
        except (DeadKernelError, KernelHung) as fault:
            skipped.add(index)
            ran.add(index)
            if isinstance(fault, KernelHung):
                source = nb.cells[index].source
                stack = dumped_stack(tail(dump, dumped))
                stopped.append(where_stopped(index, stack, defined))
                running = {name for name, _ in stack} & defined
                hung.update({name: f"hung the kernel in cell {index}" for name in running if name not in hung})
                if not running and not DEFINITION.search(source):  # no stack: suspect what the cell calls
                    called = set(re.findall(r"\w+", source)) & defined
                    hung.update({name: f"was called in cell {index}, which hung the kernel" for name in called
                                 if name not in hung})
                why = (f"this cell timed out and hung the kernel: it ran longer than {timeout} s and the kernel "
                       "stopped answering (signals ignored, or a replaced built-in?); it was restarted for the next "
                       "cells")
                name, incident = "CellTimeoutError", f"cell {index} timed out and hung the kernel"
            else:
                why = ("the kernel died while running this cell (os._exit, a crash or running out of memory); "
                       "it was restarted for the next cells")
                name, incident = "DeadKernelError", f"kernel died in cell {index}"
            nb.cells[index].outputs = [error(name, why)]
            incidents.append(incident)
    else:
        incidents.append(f"gave up after {MAX_RESTARTS} kernel restarts")
    faults = {}
    for index, cell in enumerate(nb.cells):
        for name in {o.ename for o in cell.get("outputs", []) if o.output_type == "error"} & FAULTS:
            faults.setdefault(name, []).append(str(index))
        if cell.cell_type == "code" and index not in ran:
            cell.outputs = [error("NotRun", "this cell did not run: the notebook stopped earlier (see above)")]
    incidents += [f"cell{'s' * (len(cells) > 1)} {', '.join(cells)} not run: calling {name}, which {hung[name]}"
                  for name, cells in not_run.items()]
    return incidents + [f"{name} in cell{'s' * (len(cells) > 1)} {', '.join(cells)}" for name, cells in faults.items()
                        ], stopped


def tail(path: Path, start: int) -> str:
    """What the kernel wrote to `path` from byte `start` on (at most DUMP_BYTES of it; nothing if it is gone).

    The kernel owns the folder: what is there may be a link or a FIFO planted to make this process block or read
    another file, so only a regular file is read, never through a link, and opening never waits."""
    try:
        with open(os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK), "rb") as dump:
            if not stat.S_ISREG(os.fstat(dump.fileno()).st_mode):
                return ""
            dump.seek(max(start, dump.seek(0, 2) - DUMP_BYTES))
            return dump.read(DUMP_BYTES).decode(errors="replace")
    except OSError:
        return ""


def main(notebook_path: str, limits_path: str, workdir: str) -> int:
    path = Path(notebook_path)
    limits = json.loads(Path(limits_path).read_text())
    nb = nbformat.read(str(path), as_version=4)
    incidents, stopped = execute(nb, limits, Path(workdir))
    nbformat.write(nb, str(path.parent / "executed.ipynb"))
    (path.parent / "incidents.json").write_text(json.dumps(incidents))
    (path.parent / "stopped.json").write_text(json.dumps(stopped))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
