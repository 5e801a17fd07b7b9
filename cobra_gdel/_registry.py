"""Adds ``predict_deletions`` to :class:`cobra.Model`."""

from __future__ import annotations

import logging
import warnings

import cobra

logger = logging.getLogger(__name__)

_METHOD = "predict_deletions"


def _predict_deletions(self, target, **kwargs):
    from .predict import predict_deletions

    return predict_deletions(self, target, **kwargs)


_predict_deletions._cobra_gdel = True  # type: ignore[attr-defined]
_predict_deletions.__doc__ = (
    "Predict, verify and repair a gene-deletion design for *target*; see "
    ":func:`cobra_gdel.predict_deletions` (the model is passed as the first argument).")


def register(cls=cobra.Model) -> bool:
    """Add ``predict_deletions`` to *cls*.

    If *cls* already has an attribute of that name that is not cobra_gdel's, it
    is left in place and a :class:`UserWarning` says so.

    Returns
    -------
    bool
        True when the method is (now) cobra_gdel's.
    """
    existing = getattr(cls, _METHOD, None)
    if existing is not None and not getattr(existing, "_cobra_gdel", False):
        warnings.warn(
            f"{cls.__name__}.{_METHOD} already exists ({existing!r}); cobra_gdel did not "
            f"overwrite it. Call cobra_gdel.predict_deletions(model, target) instead.",
            UserWarning, stacklevel=3)
        return False
    setattr(cls, _METHOD, _predict_deletions)
    return True
