"""The shape every result object shares (as cobra's ``Summary``).

A result has :meth:`~ResultView.summary` (its headline numbers as a Series),
``to_frame()`` (one row per gene), :meth:`~ResultView.to_string` (plain text,
what ``print`` shows), :meth:`~ResultView.to_html` and ``_repr_html_`` (Jupyter).
"""

from __future__ import annotations

import html

import pandas as pd

__all__ = ["ResultView"]


class ResultView:
    """Mixin: text and HTML views built from ``summary()`` and ``_title()``."""

    def summary(self) -> pd.Series:  # pragma: no cover - abstract
        """Headline numbers as a Series."""
        raise NotImplementedError

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - abstract
        """One row per gene."""
        raise NotImplementedError

    def _title(self) -> str:
        return type(self).__name__

    def _lines(self) -> list[tuple[str, str]]:
        """(label, text) rows shown by :meth:`to_string` and :meth:`to_html`."""
        return [(str(k), _text(v)) for k, v in self.summary().items()]

    def to_string(self) -> str:
        """Plain-text summary (what ``print`` shows)."""
        rows = self._lines()
        width = max([14] + [len(label) for label, _ in rows])
        return "\n".join([self._title()] + [f"  {label:<{width}}  {text}" for label, text in rows])

    def to_html(self) -> str:
        """HTML table of the summary (what Jupyter shows)."""
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(label)}</th>"
            f"<td style='text-align:left'>{html.escape(text)}</td></tr>"
            for label, text in self._lines())
        return f"<table><caption>{html.escape(self._title())}</caption>{rows}</table>"

    def _repr_html_(self) -> str:
        return self.to_html()

    def __str__(self) -> str:
        return self.to_string()


def _text(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
