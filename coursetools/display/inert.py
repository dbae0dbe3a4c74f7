"""A submission's outputs and markdown made inert and bounded before a person's browser shows them.

The TA opens every submission in the Formgrader, inside their own Jupyter origin, where a script could call
/api/contents and /api/terminals with the TA's session; students open their feedback. Student code can put
anything in its outputs (`display(HTML(...))`, `Javascript`, SVG, widgets, metadata the HTML templates paste
into attributes) and as much of it as it likes.

- `InertOutputs` (autograde, right after re-verification) rebuilds every output from scratch: only plain text
  and PNG/JPEG/GIF images whose base64 decodes to that format are kept, each output and the notebook's total
  are capped, and output metadata keeps only numeric image sizes. What decides a score survives unchanged:
  error outputs are always kept (capped), a stderr stream is never turned into anything else, and an
  execute_result keeps a short text/plain (nbgrader reads partial credit from it and fails without it).
  Markdown attachments keep only such images; the markdown text stays as the student wrote it.
- `sanitised_markdown` renders markdown's raw HTML harmless in the Formgrader and the feedback. nbgrader's
  `formgrade` and `feedback` templates render markdown cells with `markdown2html | strip_files_prefix` and
  never call nbconvert's `clean_html`, so `HTMLExporter.sanitize_html` does not reach them; and `clean_html`'s
  allow-list has no headings, paragraphs, tables or images, so it would show a student's answer as tags.
  nbgrader_config.py registers this function as the `strip_files_prefix` filter, which those templates
  apply to every piece of rendered markdown: bleach (nbconvert's sanitiser library) with an allow-list
  for what markdown makes, links only to http(s)/mailto/#, images only as inline PNG/JPEG/GIF data.
"""
import base64
import binascii
import math
import re

import bleach
from nbconvert.filters import strip_files_prefix
from nbconvert.preprocessors import Preprocessor
from nbformat.v4 import new_output
from traitlets import Bool, Integer, default

TEXT = "text/plain"
MAGIC = {"image/png": (b"\x89PNG\r\n\x1a\n",), "image/jpeg": (b"\xff\xd8\xff",), "image/gif": (b"GIF87a", b"GIF89a")}
WHY = "a submission's HTML, scripts, SVG, LaTeX and widgets are never shown, only text and PNG/JPEG/GIF images"
BLANK_GIF = "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"  # 1x1 transparent: stands in for a
#                                                 removed attachment, which nbconvert raises on if it is missing
ATTACHMENT_REFERENCE = re.compile(r"attachment:([^\s)\"'>]+)")
SHORT_RESULT = 100         # an execute_result's text/plain kept past the notebook's cap (a partial-credit number)
NAME_CHARS = 200           # an error's ename
TRACEBACK_LINES = 200


def joined(value) -> str | None:
    """An nbformat text value (a string or a list of lines) as one string; None if it is neither."""
    if isinstance(value, list) and all(isinstance(line, str) for line in value):
        return "".join(value)
    return value if isinstance(value, str) else None


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"\n[output cut: more than {limit} characters]\n"


def checked_image(mime: str, value, most_bytes: int) -> tuple[str | None, str | None]:
    """(the image's base64 without whitespace, None) if `value` is a `mime` image of at most `most_bytes`,
    else (None, why not)."""
    text = joined(value)
    if text is None:
        return None, "not text"
    text = "".join(text.split())
    if len(text) > (most_bytes + 2) // 3 * 4:
        return None, f"over {most_bytes:,} bytes"
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None, "not base64"
    return (text, None) if data.startswith(MAGIC[mime]) else (None, f"not a {mime.split('/')[1].upper()} image")


def size(node) -> int:
    """The characters of an output's strings (its JSON is about that long)."""
    if isinstance(node, str):
        return len(node)
    if isinstance(node, dict):
        return sum(len(key) + size(value) for key, value in node.items())
    return sum(map(size, node)) if isinstance(node, list) else 8


def image_metadata(metadata, mimes) -> dict:
    """Only the numeric width and height of the kept images: the HTML templates paste them into attributes."""
    kept = {}
    for mime in mimes:
        entry = metadata.get(mime) if isinstance(metadata, dict) else None
        sizes = {key: value for key, value in (entry.items() if isinstance(entry, dict) else ())
                 if key in ("width", "height") and type(value) in (int, float) and math.isfinite(value)
                 and 0 < value <= 100_000}
        if sizes:
            kept[mime] = sizes
    return kept


def removed(what: str) -> str:
    """The one line that stands where output was removed."""
    return f"[output removed: {what}]"


def note(text: str):
    return new_output("display_data", data={TEXT: text})


class InertOutputs(Preprocessor):
    """Autograde step: every output kept only as plain text and checked images, bounded in size."""

    enabled = Bool(True)  # nbconvert's preprocessors are off unless enabled
    text_chars = Integer(help="characters kept of each text output (default: c.SandboxedExecute.output_chars, "
                              "the sandbox's stream cap)").tag(config=True)
    image_bytes = Integer(2 * 2**20, help="bytes of the largest image output or attachment kept").tag(config=True)
    notebook_chars = Integer(20 * 2**20, help="characters of all outputs of a notebook; past them, outputs "
                                              "are replaced by a one-line note").tag(config=True)

    @default("text_chars")
    def _the_sandbox_cap(self):
        from coursetools.grading.sandbox import SandboxedExecute
        return self.config.SandboxedExecute.get("output_chars", SandboxedExecute.output_chars.default_value)

    def preprocess(self, nb, resources):
        self.left = self.notebook_chars
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = self.bounded([self.inert(output) for output in cell.get("outputs", [])])
            elif cell.get("attachments") or ATTACHMENT_REFERENCE.search(joined(cell.get("source")) or ""):
                cell.attachments = self.attachments(cell)
        return nb, resources

    def images(self, bundle) -> tuple[dict, list[str]]:
        """(the checked images of a mime bundle, the images removed and why)."""
        kept, gone = {}, []
        for mime in MAGIC:
            if mime in bundle:
                image, problem = checked_image(mime, bundle[mime], self.image_bytes)
                kept.update({mime: image} if image else {})
                gone += [f"{mime} ({problem})"] if problem else []
        return kept, gone

    def data(self, bundle) -> tuple[dict, str]:
        """(the kept part of a mime bundle, the note that says what was removed and why)."""
        bundle = bundle if isinstance(bundle, dict) else {}
        kept, gone = self.images(bundle)
        if joined(bundle.get(TEXT)) is not None:
            kept[TEXT] = cut(joined(bundle[TEXT]), self.text_chars)
        gone += [str(mime)[:NAME_CHARS] for mime in bundle if mime != TEXT and mime not in MAGIC]
        return kept, removed(f"{', '.join(gone)}: {WHY}" if gone else "an empty display")

    def inert(self, output):
        """A new output with only the inert parts of `output`; a note where nothing is left."""
        kind = output.get("output_type")
        if kind == "stream":
            return new_output("stream", name="stderr" if output.get("name") == "stderr" else "stdout",
                              text=cut(joined(output.get("text")) or "", self.text_chars))
        if kind == "error":
            return new_output("error", ename=cut(str(output.get("ename")), NAME_CHARS),
                              evalue=cut(str(output.get("evalue")), self.text_chars),
                              traceback=self.traceback(output.get("traceback")))
        if kind not in ("display_data", "execute_result"):
            return note(removed(f"an output of type {str(kind)[:NAME_CHARS]!r}"))
        data, why = self.data(output.get("data"))
        if kind == "execute_result":
            data.setdefault(TEXT, why)  # nbgrader fails on an execute_result without text/plain
            count = output.get("execution_count")
            return new_output(kind, data=data, metadata=image_metadata(output.get("metadata"), data),
                              execution_count=count if type(count) is int else None)
        if not data:
            return note(why)
        return new_output(kind, data=data, metadata=image_metadata(output.get("metadata"), data))

    def traceback(self, lines) -> list[str]:
        kept, used = [], 0
        for line in lines if isinstance(lines, list) else []:
            if len(kept) == TRACEBACK_LINES or used >= self.text_chars:
                kept.append("[traceback cut]")
                break
            line = str(line)[:self.text_chars - used]
            kept.append(line)
            used += len(line)
        return kept

    def bounded(self, outputs: list) -> list:
        """The cell's outputs within what is left of the notebook's budget. Past it, each kind of output
        (stdout, stderr, display, result) leaves one short note of its own kind, so that a stderr stream still
        zeroes a test cell and a partial-credit number still counts; errors are always kept (capped)."""
        kept, noted = [], set()
        for output in outputs:
            if output.output_type != "error" and size(output) > self.left:
                key = (output.output_type, output.get("name"))
                if key in noted:
                    continue
                noted.add(key)
                output = self.over_budget(output)
            self.left -= size(output)
            kept.append(output)
        return kept

    def over_budget(self, output):
        text = removed(f"this notebook's outputs passed {self.notebook_chars:,} characters")
        if output.output_type == "stream":
            return new_output("stream", name=output.name, text=text + "\n")
        if output.output_type == "execute_result":
            short = output.data[TEXT] if len(output.data[TEXT]) <= SHORT_RESULT else text
            return new_output("execute_result", data={TEXT: short}, execution_count=output.execution_count)
        return note(text)

    def attachments(self, cell) -> dict:
        """The cell's attachments that are checked images; a blank image for any other it refers to."""
        kept = {}
        for name, bundle in (cell.get("attachments") or {}).items():
            kept[str(name)] = self.images(bundle if isinstance(bundle, dict) else {})[0] or {"image/gif": BLANK_GIF}
        for name in ATTACHMENT_REFERENCE.findall(joined(cell.get("source")) or ""):
            kept.setdefault(name, {"image/gif": BLANK_GIF})
        return kept


MARKDOWN_TAGS = {"a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2",
                 "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol", "p", "pre", "q", "s", "samp",
                 "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
                 "u", "ul", "var"}
INLINE_IMAGE = re.compile(r"data:image/(?:png|jpeg|gif);base64,[A-Za-z0-9+/=\s]*")


def allowed_attribute(tag: str, name: str, value: str) -> bool:
    """No id, class, style or event handler (a student's element could pose as the grading form's own);
    links to the web, mail or this page; images only inline."""
    if tag == "a":
        return name == "title" or name == "href" and value.startswith(("http://", "https://", "mailto:", "#"))
    if tag == "img":
        return name in ("alt", "title") or name == "src" and bool(INLINE_IMAGE.fullmatch(value)) or \
            name in ("width", "height") and value.isdigit()
    return tag in ("td", "th") and name in ("align", "colspan", "rowspan")


def sanitised_markdown(html: str) -> str:
    """nbconvert's `strip_files_prefix` filter, then bleach with the markdown allow-list: anything else is
    shown escaped, as the text the student typed."""
    return bleach.clean(strip_files_prefix(html), tags=MARKDOWN_TAGS, attributes=allowed_attribute,
                        protocols=["http", "https", "mailto", "data"])
