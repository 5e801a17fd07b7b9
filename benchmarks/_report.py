"""Write one benchmark's markdown section into docs/benchmarks.md.

Each benchmark owns the text between ``<!-- BEGIN name -->`` and
``<!-- END name -->``; running it again replaces only that section.
"""

from __future__ import annotations

import platform
import re
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"

_HEADER = """# Benchmarks

Every table below was written by the benchmark script named in its section, on the
machine described there, and is replaced when that script runs again.
"""


def machine() -> str:
    """One line describing the interpreter and machine the numbers came from."""
    import os

    return (
        f"Python {sys.version.split()[0]}, {platform.machine()}, "
        f"{os.cpu_count()} logical CPUs, {platform.system()}"
    )


def write_section(name: str, markdown: str, doc: Path = DOC) -> None:
    """Replace (or append) the section *name* of *doc* with *markdown*."""
    text = doc.read_text() if doc.exists() else _HEADER
    begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    block = f"{begin}\n{markdown.strip()}\n{end}"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _m: block, text)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text)


def markdown_table(frame, floatfmt: str = ".2f") -> str:
    """A pandas DataFrame as a GitHub markdown table (no tabulate needed)."""
    def cell(value) -> str:
        if isinstance(value, float):
            return format(value, floatfmt)
        return str(value)

    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |"
            for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body])
