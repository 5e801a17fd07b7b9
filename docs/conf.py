"""Sphinx configuration of the cobra_gdel documentation.

Build with ``python -m sphinx -b html docs docs/_build/html``. Nothing here needs
the network: intersphinx is off, notebooks are rendered with the outputs they
were saved with (they are never executed by the docs build; CI runs them with
``pytest --nbmake notebooks``), and the command-line reference is generated from
``cobra_gdel.cli._parser()``.

Files generated at build time go to ``docs/generated/`` (autosummary stubs and
copies of ``notebooks/*.ipynb``); the folder can be deleted at any time.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import cobra_gdel  # noqa: E402

# -- project ---------------------------------------------------------------------------------
project = "cobra_gdel"
author = "the cobra_gdel developers"
copyright = "2026, the cobra_gdel developers"  # noqa: A001
release = cobra_gdel.__version__
version = ".".join(release.split(".")[:2])

# -- extensions ------------------------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "nbsphinx",
]

try:  # Markdown pages (docs/benchmarks.md is written by the benchmark scripts)
    import myst_parser  # noqa: F401

    extensions.append("myst_parser")
    HAVE_MYST = True
except ImportError:  # pragma: no cover - depends on the environment
    HAVE_MYST = False

source_suffix = {".rst": "restructuredtext"}
if HAVE_MYST:
    source_suffix[".md"] = "markdown"
myst_heading_anchors = 3

master_doc = root_doc = "index"
templates_path = []
exclude_patterns = [
    "_build", "**.ipynb_checkpoints", "results",
    # included by benchmarks_page.rst, not a page of its own
    "benchmarks.md",
]

# No network: no intersphinx inventories are fetched.
intersphinx_mapping: dict = {}

# -- autodoc / napoleon (numpydoc docstrings) ------------------------------------------------
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {
    "members": True,
    "show-inheritance": True,
    "member-order": "bysource",
}
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
autoclass_content = "class"
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_use_param = True

# -- nbsphinx --------------------------------------------------------------------------------
# Notebooks are executed by nbmake in CI; the docs show whatever outputs they were saved
# with and never run them (a docs build must not take minutes or need the data sets).
nbsphinx_execute = "never"
nbsphinx_allow_errors = False
nbsphinx_requirejs_path = ""
nbsphinx_prolog = r"""
{% set docname = env.doc2path(env.docname, base=None) | string %}
.. note::

   This page is the notebook ``notebooks/{{ docname.split('/')[-1] }}`` of the source
   repository. Run it yourself with ``jupyter lab notebooks/`` or check that it still runs
   with ``pytest --nbmake notebooks``.
"""

suppress_warnings = [
    "config.cache",  # callables in the config (source-read hooks) are fine
]

# -- HTML ------------------------------------------------------------------------------------
html_theme = "alabaster"
html_static_path = ["_static"]
html_title = f"cobra_gdel {release}"
html_theme_options = {
    "description": "Learned, FBA-verified gene-deletion designs for growth-coupled production",
    "fixed_sidebar": True,
    "page_width": "1240px",
    "sidebar_width": "240px",
}
html_sidebars = {"**": ["about.html", "navigation.html", "relations.html", "searchbox.html"]}


# -- pandoc (nbsphinx converts the notebooks' Markdown cells with it) -----------------------
def _ensure_pandoc() -> None:
    """Put the pandoc binary of ``pypandoc-binary`` on PATH when none is installed."""
    if shutil.which("pandoc"):
        return
    try:
        import pypandoc
    except ImportError:
        return
    try:
        path = Path(pypandoc.get_pandoc_path())
    except OSError:
        return
    os.environ["PATH"] = f"{path.parent}{os.pathsep}{os.environ.get('PATH', '')}"


_ensure_pandoc()


# -- notebooks: copied from ../notebooks so that nbsphinx can render them ------------------
NOTEBOOKS = ROOT / "notebooks"
GENERATED = HERE / "generated"


def _copy_notebooks() -> None:
    target = GENERATED / "notebooks"
    target.mkdir(parents=True, exist_ok=True)
    wanted = {p.name for p in NOTEBOOKS.glob("*.ipynb")}
    for stale in target.glob("*.ipynb"):
        if stale.name not in wanted:
            stale.unlink()
    for source in sorted(NOTEBOOKS.glob("*.ipynb")):
        dest = target / source.name
        if not dest.exists() or dest.read_bytes() != source.read_bytes():
            shutil.copyfile(source, dest)


_copy_notebooks()


# -- generated page bodies -------------------------------------------------------------------
def _cli_reference() -> str:
    """reST for every ``cobra-gdel`` sub-command, from the argparse help text."""
    import argparse

    from cobra_gdel import cli

    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "92"
    try:
        parser = cli._parser()
        blocks = [("cobra-gdel", parser.format_help())]
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    blocks.append((f"cobra-gdel {name}", sub.format_help()))
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old
    out = []
    for title, text in blocks:
        anchor = title.replace(" ", "-")
        out += [f".. _cli-{anchor}:", "", title, "-" * len(title), "",
                ".. code-block:: text", ""]
        out += [("   " + line).rstrip() for line in text.rstrip().splitlines()]
        out.append("")
    return "\n".join(out)


_BENCHMARKS_FALLBACK = """
Benchmarks
==========

.. note::

   ``myst-parser`` is not installed, so this page shows the Markdown source of
   ``docs/benchmarks.md`` as it is (install the ``docs`` extra for the rendered tables).

.. literalinclude:: benchmarks.md
   :language: markdown
"""


def _source_read(app, docname, source) -> None:
    if docname == "cli":
        source[0] = source[0].replace(".. cli-reference-here", _cli_reference())
    elif docname == "benchmarks_page" and not HAVE_MYST:
        source[0] = _BENCHMARKS_FALLBACK


def setup(app):
    app.connect("source-read", _source_read)
    return {"parallel_read_safe": True}
