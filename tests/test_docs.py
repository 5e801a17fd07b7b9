"""The Sphinx documentation builds without errors (``python -m sphinx -b html docs OUT``)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

pytest.importorskip("sphinx")
pytest.importorskip("nbsphinx")


def _have_pandoc() -> bool:
    """nbsphinx converts Markdown cells with pandoc (PATH, or the pypandoc-binary wheel)."""
    import shutil

    if shutil.which("pandoc"):
        return True
    try:
        import pypandoc

        return Path(pypandoc.get_pandoc_path()).is_file()
    except (ImportError, OSError):
        return False


if not _have_pandoc():
    pytest.skip("pandoc not found: install the docs extra (pypandoc-binary) or pandoc",
                allow_module_level=True)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("html")
    doctrees = tmp_path_factory.mktemp("doctrees")
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-d", str(doctrees),
         str(DOCS), str(out)],
        capture_output=True, text=True, timeout=600, cwd=ROOT)
    return proc, out


def test_docs_build_without_errors(built):
    proc, out = built
    assert proc.returncode == 0, proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines()
              if re.search(r"\b(ERROR|CRITICAL|SEVERE)\b", line)]
    assert not errors, "\n".join(errors)
    for page in ("index", "getting_started", "concepts", "api", "cli", "benchmarks_page",
                 "notebooks", "examples"):
        assert (out / f"{page}.html").is_file(), page


def test_docs_have_no_warnings_from_our_pages(built):
    """Warnings raised by the hand-written pages (docstrings are checked elsewhere)."""
    proc, _out = built
    ours = [line for line in proc.stderr.splitlines()
            if "WARNING" in line and re.search(r"docs/[\w/]+\.(rst|md)\b", line)
            and "/generated/" not in line]
    assert not ours, "\n".join(ours)


def test_cli_page_lists_every_command(built):
    _proc, out = built
    html = (out / "cli.html").read_text()
    for command in ("check", "search", "predict", "train", "evaluate"):
        assert f"cobra-gdel {command}" in html
        assert f"usage: cobra-gdel {command}" in html


def test_api_page_documents_the_public_functions(built):
    _proc, out = built
    generated = out / "generated"
    for name in ("cobra_gdel.check_coupling", "cobra_gdel.DeletionDesign",
                 "cobra_gdel.plotting.plot_design", "cobra_gdel.search_deletions"):
        assert (generated / f"{name}.html").is_file(), name


def test_notebooks_and_examples_are_in_the_docs(built):
    _proc, out = built
    for notebook in (ROOT / "notebooks").glob("*.ipynb"):
        assert (out / "generated" / "notebooks" / f"{notebook.stem}.html").is_file()
    examples = (out / "examples.html").read_text()
    for script in (ROOT / "examples").glob("*.py"):
        assert script.name in examples
