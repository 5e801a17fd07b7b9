"""Exceptions raised by cobra_gdel.

Every error a user can cause has its own class so that scripts can catch
exactly what they expect; all derive from :class:`CobraGdelError`.
"""

from __future__ import annotations

__all__ = [
    "CobraGdelError",
    "UnknownTargetError",
    "NoProductionRouteError",
    "InfeasibleModelError",
    "UnknownGeneError",
    "SolverError",
    "MissingInputError",
    "CheckpointError",
    "NotFittedError",
    "UnsupportedModelError",
]


class CobraGdelError(Exception):
    """Base class of all cobra_gdel errors."""


class UnknownTargetError(CobraGdelError, KeyError):
    """The target metabolite is not in the model."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


class NoProductionRouteError(CobraGdelError):
    """The model cannot produce the target at the required rate even without deletions."""


class InfeasibleModelError(CobraGdelError):
    """The model (before any deletion) has no feasible flux distribution or cannot grow."""


class UnknownGeneError(CobraGdelError, KeyError):
    """One or more gene ids are not in the model."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class SolverError(CobraGdelError):
    """A solve did not finish optimal, even after retrying from a fresh basis and problem."""


class MissingInputError(CobraGdelError, ValueError):
    """The predictor lacks an input it needs (a SMILES, a protein sequence, bundled weights)."""


class CheckpointError(CobraGdelError, ValueError):
    """A saved predictor is corrupt, truncated, or does not match what is being loaded."""


class NotFittedError(CobraGdelError, ValueError, AttributeError):
    """A predictor was used before ``fit`` (or ``load``); as scikit-learn's ``NotFittedError``."""


class UnsupportedModelError(CobraGdelError, ValueError):
    """The model's solver problem holds a construct the linear checks can not carry
    (for example a quadratic objective or constraint)."""
