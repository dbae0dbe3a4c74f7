"""Content-Security-Policy on the pages that show a submission: the Formgrader's and the feedback files.

A second wall behind coursetools/display/inert.py: if student content ever got into one of these pages as live HTML,
the browser would still run no script the page did not bring itself, and send nothing anywhere.

- **The Formgrader's submission page** (a Jupyter server extension: `make lab` and the browser tests enable
  it with `--ServerApp.jpserver_extensions`). A tornado output transform sets the header on
  `formgrader/submissions/<id>/`. Its scripts may come only from the Formgrader's own static folder (not
  'self': the Formgrader serves the files of a student's folder under formgrader/submissions/, and Jupyter
  serves the course under /files/) and from the inline scripts and `onclick` handlers of nbgrader's
  `formgrade` templates: their SHA-256 hashes are read from the template files when the extension loads,
  and the one inline script that carries per-page values is matched against its template (values without
  quotes, backslashes or tags) in the page's <head>, which holds no submission content. MathJax, which the
  template loads from a CDN and which configures itself with `eval`, is not allowed: the transform puts a
  stand-in in its place, an inline script that gives formgrade.js the few MathJax calls it makes while it
  sets up its keyboard shortcuts (without it, that setup stops at the first call, as it does in stock
  nbgrader offline), and TeX shows as its source. The files a student's folder holds, served under
  formgrader/submissions/<id>/<path>, get a `sandbox` policy with no script at all.
- **The Formgrader's other pages inside JupyterHub's JupyterLab**: JupyterHub >= 4.1 sends
  `frame-ancestors 'none'` from every single-user server, so JupyterLab's Formgrader tab (an iframe of the same
  server) stays blank (nbgrader #1870; the fix #1915 was reverted in #1947). This extension runs only in the
  instructor's server (coursetools/hub/layout.py) and relaxes that one directive to `frame-ancestors 'self'`, on
  the Formgrader's own pages only (under formgrader/); every other page keeps the hub's 'none'. The trade-off:
  behind a hub every user's server shares one origin, so 'self' also lets a page served by a student's server
  (say a student's HTML file, if the instructor opens it) frame the Formgrader and act on it with the
  instructor's session, which 'none' prevents; a real deployment closes that with one subdomain per user
  (`c.JupyterHub.subdomain_host`), where 'self' is the instructor's server alone.
- **Feedback HTML**, opened by students from disk or served: `FeedbackExporter` (nbgrader_config.py's
  `c.GenerateFeedback.exporter_class`) puts a <meta> policy at the start of <head> that allows no script and
  no request: only inline styles and inline images (MathJax does not load there either).
"""
import base64
import hashlib
import re
from functools import partial
from pathlib import Path

from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from tornado.web import OutputTransform

SCRIPT = re.compile(r"<script(?P<attributes>[^>]*)>(?P<body>.*?)</script>", re.S)
HANDLER = re.compile(r'\son[a-z]+="(?P<body>[^"{}]*)"')
EXPRESSION = re.compile(r"{{.*?}}", re.S)
VALUE = r'[^"\\<>\n]*'  # a template value in a page's script: no way out of its string literal
MATHJAX = re.compile(rb'<script src="https://cdnjs\.cloudflare\.com/ajax/libs/mathjax/[^"]*">\s*</script>')
MATHJAX_STANDIN = "window.MathJax = {Hub: {Queue: function () {}, Startup: {signal: {Interest: function () {}}}}};"
FILES_POLICY = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox; frame-ancestors 'self'"
IMAGE_WITHOUT_ALT = re.compile(r"<img((?:(?!\balt=)[^>])*>)")
HUB_FRAMING = re.compile(r"frame-ancestors\s+'none'")
FEEDBACK_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; base-uri 'none'; " \
                  "form-action 'none'"


def source_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


class TemplateScripts:
    """The inline scripts and event handlers of a folder of Jinja templates: fixed ones by their text, ones
    with template values as patterns to find in a rendered page."""

    def __init__(self, folder: Path):
        self.fixed, self.patterns, self.handlers = [], [], []
        for template in sorted(Path(folder).glob("*.j2")):
            text = template.read_text()
            for script in SCRIPT.finditer(text):
                if "src=" in script["attributes"]:
                    continue
                if "{{" in script["body"]:
                    self.patterns.append(re.compile(VALUE.join(map(re.escape, EXPRESSION.split(script["body"])))))
                else:
                    self.fixed.append(script["body"])
            self.handlers += [handler["body"] for handler in HANDLER.finditer(text)]

    def hashes(self, head: str) -> list[str]:
        """The hashes of the fixed scripts, and of the first script in `head` (the page's own part, before any
        content) that each pattern matches; 'unsafe-hashes' and the handlers' hashes."""
        inline = [script["body"] for script in SCRIPT.finditer(head) if "src=" not in script["attributes"]]
        found = [next((body for body in inline if pattern.fullmatch(body)), None) for pattern in self.patterns]
        return [source_hash(body) for body in self.fixed + [body for body in found if body is not None]] + \
            (["'unsafe-hashes'"] + [source_hash(body) for body in self.handlers] if self.handlers else [])


def submission_policy(script_folder: str, hashes: list[str]) -> str:
    return "; ".join([
        "default-src 'none'",
        " ".join(["script-src", script_folder, source_hash(MATHJAX_STANDIN), *hashes]),
        "style-src 'self' 'unsafe-inline'", "img-src 'self' data:", "font-src 'self'", "connect-src 'self'",
        "form-action 'self'", "base-uri 'none'", "object-src 'none'", "frame-ancestors 'self'",
    ])


class SubmissionPolicy(OutputTransform):
    """Sets the policy on the Formgrader's submission pages (and swaps MathJax for its stand-in there) and on
    the student files the Formgrader serves beside them; lets JupyterLab frame the Formgrader's other pages.

    The Formgrader writes a page in one piece, so the first chunk holds the whole <head>; this transform is put
    before any compression transform, so it reads the page as text."""

    def __init__(self, request, base_url: str, scripts: TemplateScripts):
        super().__init__(request)
        self.request, self.scripts = request, scripts
        self.formgrader = f"{base_url.rstrip('/')}/formgrader"
        self.submissions = f"{self.formgrader}/submissions/"
        self.static = f"{request.protocol}://{request.host}{base_url.rstrip('/')}/formgrader/static/"

    def transform_first_chunk(self, status_code, headers, chunk, finishing):
        if self.request.path.startswith(self.submissions):
            if re.fullmatch(r"[^/]+/?", self.request.path[len(self.submissions):]):
                chunk = self.submission_page(headers, chunk)
            else:
                headers["Content-Security-Policy"] = FILES_POLICY
        elif self.request.path.startswith(self.formgrader) and "Content-Security-Policy" in headers:
            headers["Content-Security-Policy"] = HUB_FRAMING.sub("frame-ancestors 'self'",
                                                                 headers["Content-Security-Policy"])
        return status_code, headers, chunk

    def submission_page(self, headers, chunk: bytes) -> bytes:
        """The page with MathJax's stand-in in its <head>; sets the policy (and the page's new length)."""
        head, end, body = chunk.partition(b"</head>")
        if end:
            head = MATHJAX.sub(f"<script>{MATHJAX_STANDIN}</script>".encode(), head, count=1)
            chunk = head + end + body
            if "Content-Length" in headers:
                headers["Content-Length"] = str(len(chunk))
        hashes = self.scripts.hashes(head.decode("utf-8", "replace")) if end else []
        headers["Content-Security-Policy"] = submission_policy(self.static, hashes)
        return chunk


def _jupyter_server_extension_points():
    return [{"module": "coursetools.display.csp"}]


def _load_jupyter_server_extension(serverapp):
    from nbgrader.server_extensions.formgrader.handlers import template_path

    scripts = TemplateScripts(Path(template_path) / "formgrade")
    serverapp.web_app.transforms.insert(0, partial(SubmissionPolicy, base_url=serverapp.base_url, scripts=scripts))
    serverapp.log.info("coursetools.display.csp: Content-Security-Policy on the Formgrader's submission pages "
                       "(%d inline scripts, %d handlers of nbgrader's templates allowed)",
                       len(scripts.fixed) + len(scripts.patterns), len(scripts.handlers))


class FeedbackExporter(HTMLExporter):
    """nbgrader's feedback HTML with a policy that allows no script or request as the first thing in <head>.

    It renders as HTMLExporter does but for the pass in which HTMLExporter parses the whole page again with
    BeautifulSoup, to give images without alt text a stock one and JupyterLab's cell classes a tabindex: half
    of the feedback's time, for pages that have no JupyterLab classes (nbgrader's feedback template is the
    classic one). Images get the same alt text here, by a regular expression."""

    def from_notebook_node(self, nb, resources=None, **kw):
        output, resources = self.templated(nb, resources, **kw)
        if "<head>" not in output:
            raise ValueError("the feedback template has no <head> for the Content-Security-Policy")
        meta = f'<head>\n<meta http-equiv="Content-Security-Policy" content="{FEEDBACK_POLICY}">'
        return output.replace("<head>", meta, 1), resources

    def templated(self, nb, resources=None, **kw):
        """The page from the template, with HTMLExporter's filters for code and outputs (see the class)."""
        language = nb.metadata.get("language_info", {})
        self.register_filter("highlight_code", self.filters.get("highlight_code", Highlight2HTML(
            pygments_lexer=language.get("pygments_lexer", language.get("name")), parent=self)))
        resources = self._init_resources(resources)
        self.register_filter("filter_data_type", WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata,
                                                                       parent=self, resources=resources))
        output, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return IMAGE_WITHOUT_ALT.sub(r'<img alt="No description has been provided for this image"\1', output), resources

