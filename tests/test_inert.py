"""Submission content stays inert in every view: the autograde step that rebuilds outputs (coursetools/display/inert.py),
the markdown sanitiser in nbgrader's templates, and the Content-Security-Policy pieces (coursetools/display/csp.py).

Fast: small notebooks made here, rendered with the course's nbgrader_config.py and nbgrader's own templates."""
import base64
import html
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from nbconvert import HTMLExporter
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from nbgrader.server_extensions.formgrader.handlers import template_path
from nbgrader.utils import determine_grade
from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from coursetools.display.csp import (FEEDBACK_POLICY, MATHJAX_STANDIN, SCRIPT, FeedbackExporter, SubmissionPolicy,
                             TemplateScripts, source_hash)
from coursetools.display.inert import BLANK_GIF, InertOutputs

from conftest import REPO

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(40)).decode()
JPEG = base64.b64encode(b"\xff\xd8\xff\xe0" + bytes(40)).decode()
GIF = base64.b64encode(b"GIF89a" + bytes(40)).decode()
PAYLOAD = "fetch('/api/contents?pwned=1')"
HOSTILE_MARKDOWN = (f'# My answer\n\n80 parameters, **fewer**.\n\n<img src=x onerror="{PAYLOAD}">\n\n'
                    f'<a href="javascript:{PAYLOAD}">see</a> <a href="/logout">out</a> [docs](https://numpy.org)\n\n'
                    f'|a|b|\n|-|-|\n|1|2|\n\n'
                    f'![pic](attachment:pic.png)\n\n<script>{PAYLOAD}</script>\n\n<svg onload="{PAYLOAD}"></svg>')


def course_config(**sections) -> Config:
    config = PyFileConfigLoader("nbgrader_config.py", path=str(REPO)).load_config()
    config.merge(Config(sections))
    return config


def inert(outputs, **traits) -> list:
    """The outputs of one code cell after the course's autograde step (`traits` set on it)."""
    nb = nbformat.from_dict({**new_notebook(), "cells": [{**new_code_cell("x"), "outputs": outputs}]})
    InertOutputs(config=course_config(InertOutputs=traits)).preprocess(nb, {})
    return nb.cells[0].outputs


def display(data, metadata=None):
    """A display_data output, not validated: student code can put anything in one."""
    return nbformat.from_dict({"output_type": "display_data", "data": data, "metadata": metadata or {}})


def texts(outputs) -> list[str]:
    return [o.get("text") or o.get("data", {}).get("text/plain") or o.get("evalue") for o in outputs]


def test_only_text_and_checked_images_are_kept():
    kinds = ["text/html", "application/javascript", "image/svg+xml", "text/markdown", "text/latex",
             "application/vnd.jupyter.widget-view+json", "application/pdf"]
    outputs = inert([display({kind: "<script>x</script>", "text/plain": "repr"}) for kind in kinds] +
                    [display({"image/png": PNG, "image/jpeg": JPEG, "image/gif": GIF, "text/plain": "fig"})])
    assert [dict(o.data) for o in outputs] == [{"text/plain": "repr"}] * len(kinds) + \
        [{"image/png": PNG, "image/jpeg": JPEG, "image/gif": GIF, "text/plain": "fig"}]


def test_a_display_with_nothing_left_becomes_one_note_saying_why():
    outputs = inert([display({"text/html": "<b>x</b>", "application/javascript": "x"}), display({"text/html": "y"})])
    assert len(outputs) == 2 and all(o.data.keys() == {"text/plain"} for o in outputs)
    assert "text/html, application/javascript" in outputs[0].data["text/plain"]
    assert "never shown" in outputs[1].data["text/plain"]


@pytest.mark.parametrize("mime, data, why", [
    ("image/png", JPEG, "not a PNG image"),
    ("image/jpeg", base64.b64encode(b"<svg onload=x>").decode(), "not a JPEG image"),
    ("image/png", '" onerror="alert(1)', "not base64"),
    ("image/gif", ["R0lG", 7], "not text"),
])
def test_an_image_that_is_not_what_it_says_is_removed(mime, data, why):
    [output] = inert([display({mime: data})])
    assert mime not in output.data and why in output.data["text/plain"]


def test_an_image_over_the_cap_is_removed():
    big = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(3000)).decode()
    [output] = inert([display({"image/png": big})], image_bytes=2000)
    assert "image/png" not in output.data and "over" in output.data["text/plain"]
    assert inert([display({"image/png": big})])[0].data["image/png"] == big


def test_output_metadata_keeps_only_numeric_image_sizes():
    metadata = {"image/png": {"width": "1 onload=alert(1)", "height": 40, "unconfined": True},
                "filenames": {"image/png": "/logout"}, "text/html": {"isolated": True}}
    result = nbformat.from_dict({"output_type": "execute_result", "data": {"image/png": PNG, "text/plain": "f"},
                                 "metadata": metadata, "execution_count": 1})
    for output in inert([display({"image/png": PNG}, metadata), result]):
        assert output.metadata == {"image/png": {"height": 40}}


def test_text_is_capped_like_the_sandboxs_streams():
    outputs = inert([new_output("stream", name="stdout", text="x" * 5000), display({"text/plain": "y" * 5000})],
                    text_chars=1000)
    assert all(len(text) < 1100 and "output cut" in text for text in texts(outputs))
    config = course_config(SandboxedExecute={"output_chars": 1234})
    assert InertOutputs(config=config).text_chars == 1234


def test_errors_are_kept_capped_in_length_and_lines():
    [error] = inert([nbformat.from_dict({"output_type": "error", "ename": "E" * 1000, "evalue": "v" * 5000,
                                          "traceback": ["line"] * 10_000 + [3]})],
                    text_chars=1000)
    assert len(error.ename) < 300 and len(error.evalue) < 1100
    assert len(error.traceback) <= 201 and sum(map(len, error.traceback)) < 1100
    assert error.traceback[-1] == "[traceback cut]"


def test_past_the_notebooks_cap_outputs_become_one_note_of_each_kind():
    flood = [new_output("stream", name="stdout", text="x" * 900) for _ in range(50)]
    image = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(900)).decode()
    outputs = inert(flood + [new_output("stream", name="stderr", text="w" * 900), display({"image/png": image}),
                             new_output("error", ename="ValueError", evalue="wrong", traceback=[])],
                    notebook_chars=5000, text_chars=1000)
    assert len(outputs) < 10
    assert [o.output_type for o in outputs[-4:]] == ["stream", "stream", "display_data", "error"]
    assert outputs[-4].name == "stdout" and outputs[-3].name == "stderr" and "passed" in outputs[-3].text
    assert "passed" in outputs[-2].data["text/plain"] and outputs[-1].evalue == "wrong"


@pytest.mark.parametrize("outputs, score", [
    ([new_output("stream", name="stderr", text="RuntimeWarning")], 0),
    ([new_output("error", ename="AssertionError", evalue="", traceback=[])], 0),
    ([new_output("execute_result", data={"text/plain": "3.5", "text/html": "<b>3.5</b>"}, execution_count=4)], 3.5),
    ([new_output("execute_result", data={"text/html": "<b>no text</b>"}, execution_count=4)], 5),
    ([new_output("stream", name="stdout", text="fine")], 5),
], ids=["stderr", "error", "partial-credit", "result-without-text", "stdout"])
@pytest.mark.parametrize("budget", [20 * 2**20, 0], ids=["in-budget", "past-budget"])
def test_a_test_cell_scores_what_its_outputs_say(outputs, score, budget):
    """Scoring reads the outputs (nbgrader's determine_grade): errors and stderr zero a test cell, an
    execute_result's number is partial credit (and one without text/plain would crash nbgrader)."""
    cell = new_code_cell("", outputs=inert(outputs, notebook_chars=budget),
                         metadata={"nbgrader": {"grade": True, "solution": False, "points": 5, "grade_id": "t"}})
    assert determine_grade(cell) == (score, 5)


def test_markdown_attachments_keep_only_checked_images():
    cell = new_markdown_cell("![a](attachment:a.png) ![b](attachment:b.svg) ![c](attachment:gone.png)")
    svg = "PHN2Zz4="  # <svg>
    cell.attachments = {"a.png": {"image/png": PNG, "image/svg+xml": svg}, "b.svg": {"image/svg+xml": svg}}
    nb = new_notebook(cells=[cell])
    InertOutputs(config=course_config()).preprocess(nb, {})
    assert nb.cells[0].attachments == {"a.png": {"image/png": PNG}, "b.svg": {"image/gif": BLANK_GIF},
                                       "gone.png": {"image/gif": BLANK_GIF}}
    assert nb.cells[0].source.startswith("![a](attachment:a.png)"), "the student's text stays as written"


def render(nb, template: str, protect_outputs: bool = True, exporter=None) -> str:
    """The page nbgrader's `template` ("formgrade": the Formgrader; "feedback") makes of `nb` with the course's
    configuration (or with `exporter`); the notebook's outputs first made inert as autograde would, unless
    `protect_outputs` is off."""
    bootstrap = Path(template_path).parent / "static" / "node_modules" / "bootstrap" / "dist" / "css"  # as nbgrader
    config = course_config(HTMLExporter={"template_name": template, "extra_template_basedirs": [template_path],
                                         "extra_template_paths": [str(bootstrap)]})
    if protect_outputs:
        InertOutputs(config=config).preprocess(nb, {})
    exporter = (exporter or (FeedbackExporter if template == "feedback" else HTMLExporter))(config=config)
    body, _ = exporter.from_notebook_node(nb, resources={
        "base_url": "", "submission_id": "s1", "index": 0, "total": 1,
        "nbgrader": {"notebook": "cnn", "score": 0, "max_score": 10, "late_penalty": 0}})
    return body


def hostile_notebook():
    answer = new_markdown_cell(HOSTILE_MARKDOWN, metadata={"nbgrader": {
        "solution": True, "grade": True, "grade_id": "weight_sharing_answer", "points": 10, "schema_version": 3,
        "score": 3, "comment": f'Good. <img src=x onerror="{PAYLOAD}">'}})  # the feedback shows the TA's comment
    answer.attachments = {"pic.png": {"image/png": PNG}}
    return new_notebook(cells=[answer, new_code_cell("x", outputs=[
        display({"text/html": f"<script>{PAYLOAD}</script><img src=x onerror=\"{PAYLOAD}\">"}),
        display({"application/javascript": PAYLOAD}),
        display({"text/markdown": f'<img src=x onerror="{PAYLOAD}">'}),
        display({"image/png": PNG}, {"image/png": {"width": f"1 onload={PAYLOAD}"}})])])


class LiveMarkup(HTMLParser):
    """What in a page a browser would run or fetch: script and svg elements, event handlers, javascript: links,
    links into the Jupyter server (/logout) and any image that is not inline PNG/JPEG/GIF data."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found += [tag] if tag in ("script", "svg", "iframe", "object", "embed") else []
        for name, value in attrs:
            if name.startswith("on") or "javascript:" in (value or "").replace(" ", "").lower() or \
                    name == "src" and not re.match(r"data:image/(png|jpeg|gif);", value or "") or \
                    name == "href" and not re.match(r"https?://|mailto:|#", value or ""):
                self.found.append(f"{tag} {name}={value}")


def live_markup(page: str) -> list[str]:
    """LiveMarkup in the notebook part of `page` (after the page's own head, scripts and navigation)."""
    parser = LiveMarkup()
    parser.feed(page[page.index('id="notebook-container"'):])
    return parser.found


@pytest.mark.parametrize("template", ["formgrade", "feedback"])
def test_hostile_markdown_renders_as_text_and_structure_survives(template):
    page = render(hostile_notebook(), template)
    assert live_markup(page) == []
    notebook = page[page.index('id="notebook-container"'):]
    assert "<h1>My answer</h1>" in notebook and "<strong>fewer</strong>" in notebook and "<td>1</td>" in notebook
    assert f'src="data:image/png;base64,{PNG}"' in notebook and '<a href="https://numpy.org">docs</a>' in notebook
    assert "&lt;script&gt;" in notebook, "what the student typed stays readable"


@pytest.mark.parametrize("template", ["formgrade", "feedback"])
def test_nbconverts_sanitiser_covers_outputs_in_nbgraders_templates(template):
    """sanitize_html without the autograde step: HTML outputs are escaped and scripts left out, but the
    image-size metadata nbconvert pastes into an unquoted attribute gets through: InertOutputs is needed."""
    assert live_markup(render(hostile_notebook(), template, protect_outputs=False)) == \
        [f"img onload={PAYLOAD}"]


def test_feedback_starts_with_a_policy_that_allows_no_script():
    page = render(hostile_notebook(), "feedback")
    head = page[page.index("<head>"):page.index("</head>")]
    assert head.startswith(f'<head>\n<meta http-equiv="Content-Security-Policy" content="{FEEDBACK_POLICY}">')
    assert "script-src" not in FEEDBACK_POLICY and "default-src 'none'" in FEEDBACK_POLICY
    config = course_config()
    assert config.GenerateFeedback.exporter_class is FeedbackExporter


def test_feedback_renders_as_nbconverts_html_exporter_with_alt_text_on_every_image():
    """FeedbackExporter leaves out HTMLExporter's BeautifulSoup pass (half the feedback's time): the page must
    read the same, and an image still gets the stock alt text that pass gives it."""
    nb = hostile_notebook()
    nb.cells.append(new_code_cell("plot()", outputs=[display({"image/png": PNG})]))
    ours, stock = render(nb, "feedback"), render(nb, "feedback", exporter=HTMLExporter)
    images = re.findall(r"<img[^>]*>", ours)
    assert images and all('alt="' in image for image in images), images
    text = lambda page: html.unescape(re.sub(r"<[^>]+>", " ", page[page.index("<body"):])).split()
    assert text(ours) == text(stock)


def formgrader_response(page: str, path: str = "/formgrader/submissions/s1/") -> tuple[HTTPHeaders, str]:
    """The headers and the page the server extension's transform sends for `page` at `path`."""
    request = HTTPServerRequest(start_line=RequestStartLine("GET", path, "HTTP/1.1"),
                                headers=HTTPHeaders(Host="127.0.0.1:8888"))
    policy = SubmissionPolicy(request, base_url="/", scripts=TemplateScripts(Path(template_path) / "formgrade"))
    _, headers, body = policy.transform_first_chunk(200, HTTPHeaders({"Content-Length": str(len(page.encode()))}),
                                                    page.encode(), True)
    return headers, body.decode()


def formgrader_policy(page: str, path: str = "/formgrader/submissions/s1/") -> str:
    return formgrader_response(page, path)[0].get("Content-Security-Policy", "")


def test_mathjax_gives_way_to_a_stand_in_the_policy_allows():
    """MathJax comes from a CDN and needs eval; formgrade.js needs only MathJax.Hub.Startup.signal."""
    page = render(hostile_notebook(), "formgrade")
    assert "cdnjs.cloudflare.com/ajax/libs/mathjax" in page
    headers, body = formgrader_response(page)
    assert "cdnjs" not in body and f"<script>{MATHJAX_STANDIN}</script>" in body
    assert source_hash(MATHJAX_STANDIN) in headers["Content-Security-Policy"]
    assert headers["Content-Length"] == str(len(body.encode()))


def test_the_formgrader_policy_allows_exactly_the_pages_own_scripts():
    page = render(hostile_notebook(), "formgrade")
    policy = formgrader_policy(page)
    script_src = next(d for d in policy.split("; ") if d.startswith("script-src")).split()
    inline = [m["body"] for m in SCRIPT.finditer(page) if "src=" not in m["attributes"]
              and "x-mathjax-config" not in m["attributes"]]
    assert len(inline) == 3 and all(source_hash(body) in script_src for body in inline)
    assert script_src[1] == "http://127.0.0.1:8888/formgrader/static/"
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src and "'self'" not in script_src
    for directive in ("connect-src 'self'", "img-src 'self' data:", "object-src 'none'", "base-uri 'none'",
                      "frame-ancestors 'self'", "default-src 'none'"):
        assert directive in policy.split("; ")


def test_a_copy_of_the_pages_script_in_the_notebook_is_not_allowed():
    """A student's copy of the script that holds the page's values, naming a classmate's submission."""
    page = render(hostile_notebook(), "formgrade")
    genuine = re.search(r"<script[^>]*>(\nvar submission_id[^<]*)</script>", page)[1]
    forged = genuine.replace('"s1"', '"classmate"')
    notebook = page.index('id="notebook-container"')
    policy = formgrader_policy(page[:notebook] + f"<script>{forged}</script>" + page[notebook:])
    assert source_hash(genuine) in policy and source_hash(forged) not in policy


def test_student_files_beside_the_submission_get_no_script_at_all():
    policy = formgrader_policy("<html><script>x</script></html>", "/formgrader/submissions/s1/evil.html")
    assert "sandbox" in policy.split("; ") and "script-src" not in policy
    assert formgrader_policy("<html></html>", "/api/contents") == ""
