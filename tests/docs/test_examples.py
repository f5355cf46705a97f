"""The docs stay true: their example runs against a real server, and their links resolve.

- `docs/examples/hello_worker.py` (the quickstart's worker) runs as a user would run it, with
  `conductor-python` against a real `podium server` process.
- Every code block marked `<!-- example: path -->` in the docs is that file, unchanged.
- Every relative link in `docs/**/*.md` and `README.md` points to an existing file, and to an
  existing heading when it names one.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.server import PodiumProcess

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
HELLO_WORKER = DOCS / "examples" / "hello_worker.py"
EXPECTED_OUTPUT = "COMPLETED {'greeting': 'Hello, Podium!', 'shouted': 'HELLO, PODIUM!'}"
EXAMPLE_TIMEOUT_S = 120

MARKDOWN_FILES = sorted([*DOCS.rglob("*.md"), ROOT / "README.md"])
FENCED_BLOCK = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
EXAMPLE_MARKER = re.compile(
    r"<!--\s*example:\s*(\S+)\s*-->\s*\n```[a-z]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL
)
EXTERNAL = ("http://", "https://", "mailto:", "ftp://")


# -- the example runs -------------------------------------------------------------------------


@pytest.fixture
def podium(tmp_path: Path) -> Iterator[PodiumProcess]:
    """A fresh server with its own SQLite file, stopped however the test ends."""
    server = PodiumProcess(tmp_path)
    with warnings.catch_warnings():
        # PodiumProcess.start() leaves its handle on server.log to the garbage collector.
        warnings.simplefilter("ignore", ResourceWarning)
        server.start()
    try:
        yield server
    finally:
        server.stop()


def _sdk_environment(api: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"CONDUCTOR_AUTH_KEY", "CONDUCTOR_AUTH_SECRET"}
    }
    env["CONDUCTOR_SERVER_URL"] = api
    env["CONDUCTOR_HTTP2_ENABLED"] = "false"
    env["CONDUCTOR_WORKER_ISOLATION"] = "process"
    return env


def _run_example(path: Path, env: dict[str, str]) -> tuple[int, str, str]:
    """Run `python path` in its own process group, so that no worker process outlives it."""
    with subprocess.Popen(
        [sys.executable, str(path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as proc:
        try:
            out, err = proc.communicate(timeout=EXAMPLE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            pytest.fail(f"{path.name} did not finish in {EXAMPLE_TIMEOUT_S}s:\n{err[-4000:]}")
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
    return proc.returncode, out, err


@pytest.mark.acceptance
@pytest.mark.timeout(EXAMPLE_TIMEOUT_S + 60)
def test_hello_worker_example_completes_its_workflow(podium: PodiumProcess) -> None:
    code, out, err = _run_example(HELLO_WORKER, _sdk_environment(podium.api))

    assert code == 0, f"exit {code}\nstdout:\n{out}\nstderr:\n{err[-4000:]}\n{podium.logs()}"
    assert EXPECTED_OUTPUT in out.splitlines(), out
    found = httpx.get(
        f"{podium.api}/workflow/search", params={"query": "workflowType = hello_podium"}
    ).json()
    assert found["totalHits"] == 1
    assert found["results"][0]["status"] == "COMPLETED"


def test_the_docstring_of_hello_worker_promises_what_it_prints() -> None:
    assert f"It prints `{EXPECTED_OUTPUT}`." in HELLO_WORKER.read_text()


# -- code blocks that show example files ------------------------------------------------------


def _shown_examples() -> list[tuple[Path, Path, str]]:
    """(page, example file, code block) for every `<!-- example: path -->` in the docs."""
    found = []
    for page in DOCS.rglob("*.md"):
        for match in EXAMPLE_MARKER.finditer(page.read_text()):
            found.append((page, (page.parent / match.group(1)).resolve(), match.group(2)))
    return found


def test_the_quickstart_shows_hello_worker() -> None:
    shown = {(page.name, example) for page, example, _ in _shown_examples()}
    assert ("quickstart.md", HELLO_WORKER) in shown


@pytest.mark.parametrize(
    ("page", "example", "block"),
    _shown_examples(),
    ids=lambda value: value.name if isinstance(value, Path) else "block",
)
def test_a_shown_example_is_the_file_unchanged(page: Path, example: Path, block: str) -> None:
    assert example.is_file(), f"{page}: no file {example}"
    assert block == example.read_text(), f"{page} shows an outdated copy of {example.name}"


# -- links ------------------------------------------------------------------------------------


def _prose(text: str) -> str:
    """Markdown without code, where link-like text is not a link."""
    return INLINE_CODE.sub("", FENCED_BLOCK.sub("", text))


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = heading.strip().lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    seen: dict[str, int] = {}
    anchors = set()
    for line in FENCED_BLOCK.sub("", page.read_text()).splitlines():
        heading = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if heading is None:
            continue
        base = _anchor(heading.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        anchors.add(base if count == 0 else f"{base}-{count}")
    return anchors


def _links(page: Path) -> list[str]:
    links: list[str] = LINK.findall(_prose(page.read_text()))
    return links


def test_the_docs_have_relative_links_to_check() -> None:
    assert sum(1 for page in MARKDOWN_FILES for link in _links(page) if "://" not in link) > 20


@pytest.mark.parametrize("page", MARKDOWN_FILES, ids=lambda page: str(page.relative_to(ROOT)))
def test_relative_links_resolve(page: Path) -> None:
    broken = []
    for target in _links(page):
        if target.startswith(EXTERNAL):
            continue
        path_part, _, fragment = target.partition("#")
        resolved = (page.parent / path_part).resolve() if path_part else page
        if not resolved.exists():
            broken.append(f"{target}: no such file")
        elif fragment and resolved.suffix == ".md" and fragment not in _anchors(resolved):
            broken.append(f"{target}: no heading #{fragment} in {resolved.name}")
    assert not broken, f"{page.relative_to(ROOT)}: " + "; ".join(broken)
