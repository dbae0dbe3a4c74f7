"""Runs inside the grading sandbox: execute one notebook cell by cell and survive what its code does.

    python sandbox_runner.py NOTEBOOK LIMITS_JSON

Writes NOTEBOOK with its outputs to `executed.ipynb` and what went wrong to `incidents.json`, both beside
NOTEBOOK. The kernel runs under `prlimit` (memory, CPU seconds, processes, file size). A cell that runs
too long is interrupted; a kernel that dies (os._exit, a crash, memory) is restarted and the cells before
are run again, so a crash costs only its own cell; stream output is capped per cell. Every code cell that
did not run ends with an error output, because nbgrader gives full marks to a test cell with no error.

This file is copied into the sandbox and run on its own: it imports nothing from the course.
"""
import json
import sys
import time
from pathlib import Path

# jsonschema (under nbformat) checks IRIs with rfc3987_syntax if it can import it, which builds a grammar for
# 0.7 s: a third of this runner's own time per notebook, for a check notebooks never need.
sys.modules.setdefault("rfc3987_syntax", None)
import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import DeadKernelError  # noqa: E402

MAX_RESTARTS = 3
FAULTS = {"MemoryError", "SystemExit", "KeyboardInterrupt", "RecursionError", "OSError"}  # worth a status line


def error(name: str, message: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("error", ename=name, evalue=message, traceback=[f"{name}: {message}"])


class CappedClient(NotebookClient):
    """A notebook client that keeps at most `output_limit` characters of stream output per cell."""

    def __init__(self, nb, output_limit: int, **kwargs):
        super().__init__(nb, **kwargs)
        self.output_limit = output_limit
        self.printed = {}
        self.timed_out = False
        self.on_cell_executed = self.record_hidden_error

    def record_hidden_error(self, cell, cell_index, execute_reply):
        """A cell whose reply is an error must show one, even if student code silenced IPython's traceback."""
        content = execute_reply["content"]
        if content["status"] == "error" and not any(o.output_type == "error" for o in cell.outputs):
            cell.outputs.append(error(content.get("ename", "Error"), content.get("evalue", "")))

    async def _async_handle_timeout(self, timeout, cell=None):
        self.timed_out = True
        return await super()._async_handle_timeout(timeout, cell)

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
        return super().output(outs, msg, display_id, cell_index)


def prlimit(limits: dict) -> list[str]:
    """The command prefix that starts a program under the resource limits."""
    return ["prlimit", f"--as={limits['memory_mb'] * 2**20}", f"--cpu={limits['cpu_seconds']}",
            f"--nproc={limits['processes']}", f"--fsize={limits['file_mb'] * 2**20}", "--"]


def write_kernelspec(folder: Path, limits: dict) -> None:
    """A kernel that starts under the resource limits: `prlimit ... python -m ipykernel_launcher`."""
    spec = folder / "kernels" / "sandboxed"
    spec.mkdir(parents=True, exist_ok=True)
    argv = prlimit(limits) + [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                              "--HistoryManager.hist_file=:memory:"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "sandboxed", "language": "python"}))


def execute(nb, limits: dict, workdir: Path) -> list[str]:
    """Run every code cell of `nb` in place; returns one line per incident."""
    incidents, skipped, ran = [], set(), set()   # skipped: cells that crashed or timed out, never run again
    timeout, deadline = limits["cell_timeout"], time.monotonic() + limits["notebook_seconds"]
    for _ in range(MAX_RESTARTS + 1):
        client = CappedClient(nb, limits["output_chars"], kernel_name="sandboxed", timeout=timeout,
                              interrupt_on_timeout=True, allow_errors=True,
                              resources={"metadata": {"path": str(workdir)}})
        index = None
        try:
            with client.setup_kernel():
                for index, cell in enumerate(nb.cells):
                    if time.monotonic() > deadline:
                        incidents.append(f"stopped before cell {index}: the notebook used up its "
                                         f"{limits['notebook_seconds']} s")
                        break
                    if cell.cell_type == "code" and index not in skipped:
                        client.timed_out = False
                        client.execute_cell(cell, index)
                        ran.add(index)
                        if client.timed_out:
                            cell.outputs = [o for o in cell.outputs if o.output_type != "error"] + [error(
                                "CellTimeoutError", f"this cell timed out: it ran longer than {timeout} s and was "
                                "stopped (an infinite loop?)")]
                            incidents.append(f"cell {index} timed out")
                            skipped.add(index)
            break
        except DeadKernelError:
            skipped.add(index)
            ran.add(index)
            nb.cells[index].outputs = [error("DeadKernelError", "the kernel died while running this cell (os._exit, "
                                             "a crash or running out of memory); it was restarted for the next cells")]
            incidents.append(f"kernel died in cell {index}")
    else:
        incidents.append(f"gave up after {MAX_RESTARTS} kernel restarts")
    faults = {}
    for index, cell in enumerate(nb.cells):
        for name in {o.ename for o in cell.get("outputs", []) if o.output_type == "error"} & FAULTS:
            faults.setdefault(name, []).append(str(index))
        if cell.cell_type == "code" and index not in ran:
            cell.outputs = [error("NotRun", "this cell did not run: the notebook stopped earlier (see above)")]
    return incidents + [f"{name} in cell{'s' * (len(cells) > 1)} {', '.join(cells)}" for name, cells in faults.items()]


def main(notebook_path: str, limits_path: str) -> int:
    path = Path(notebook_path)
    limits = json.loads(Path(limits_path).read_text())
    write_kernelspec(path.parent, limits)
    nb = nbformat.read(str(path), as_version=4)
    incidents = execute(nb, limits, path.parent)
    nbformat.write(nb, str(path.parent / "executed.ipynb"))
    (path.parent / "incidents.json").write_text(json.dumps(incidents))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
