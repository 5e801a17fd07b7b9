"""cobra_gdel: learned, FBA-verified gene-deletion designs for growth-coupled production.

Importing the package registers :meth:`cobra.Model.predict_deletions`.

Examples
--------
>>> import cobra, cobra_gdel
>>> model = cobra.io.load_model("textbook")
>>> design = model.predict_deletions("succ_e")          # doctest: +SKIP
>>> design.coupled                                        # doctest: +SKIP
True
"""

from __future__ import annotations

import importlib
import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

from .coupling import CouplingChecker, check_coupling, clear_cache  # noqa: E402
from .report import CouplingReport  # noqa: E402
from .targets import production_reaction, protected_genes  # noqa: E402
from .design import DeletionDesign, DesignSet, improve, trim  # noqa: E402
from .exceptions import (  # noqa: E402
    CheckpointError,
    CobraGdelError,
    InfeasibleModelError,
    MissingInputError,
    NoProductionRouteError,
    NotFittedError,
    SolverError,
    UnknownGeneError,
    UnknownTargetError,
    UnsupportedModelError,
)

# Eager: a function named like its module (repair, trim) must be bound after the module
# is, or ``import cobra_gdel.repair`` elsewhere would leave the module in its place.
from .predict import predict_deletions  # noqa: E402
from .repair import repair  # noqa: E402
from .search import search_deletions  # noqa: E402
from .orphans import orphan_dependencies  # noqa: E402

# Imported on first use (they pull in optional dependencies).
_LAZY: dict[str, str] = {"predict_many": "cobra_gdel.batch"}

__all__ = [
    "CheckpointError", "CobraGdelError", "CouplingChecker", "CouplingReport", "DeletionDesign",
    "DesignSet",
    "InfeasibleModelError", "MissingInputError", "NoProductionRouteError", "NotFittedError",
    "SolverError", "UnknownGeneError", "UnknownTargetError", "UnsupportedModelError",
    "check_coupling", "clear_cache", "improve", "orphan_dependencies",
    "predict_deletions", "predict_many", "production_reaction", "protected_genes", "repair",
    "search_deletions", "trim",
]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'cobra_gdel' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


from . import _registry  # noqa: E402

_registry.register()
