"""What one worker does for one target or one chunk of metabolites (no dask here).

:func:`design_one` runs a design method on one target and returns a plain record
(never raises for a target: an exception becomes a row that says what happened);
:func:`screen` keeps the metabolites the model can produce while it grows. Both run
in the caller's process (the serial path of :func:`cobra_gdel.predict_many`) or on a
dask worker (:mod:`cobra_gdel.batch_dask`).
"""

from __future__ import annotations

import inspect
import logging
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from .design import NO_DESIGN, DeletionDesign
from .exceptions import NoProductionRouteError, SolverError

logger = logging.getLogger(__name__)

__all__ = ["ERROR", "METHODS", "accepts_keyword", "check_method_kwargs", "design_one", "limit_threads",
           "resolve_method", "screen"]

#: Status of a row whose call raised (or whose worker died).
ERROR = "error"
#: Named design methods: name -> (module, function).
METHODS = {
    "predict": ("cobra_gdel.predict", "predict_deletions"),
    "search": ("cobra_gdel.search", "search_deletions"),
}


def resolve_method(method: str | Callable) -> Callable:
    """The design function of *method*.

    Parameters
    ----------
    method : str or callable
        ``"predict"`` (:func:`cobra_gdel.predict_deletions`), ``"search"``
        (:func:`cobra_gdel.search_deletions`, the gDel_minRN MILP without a predictor),
        or a function ``f(model, target, **kwargs) -> DeletionDesign``.

    Raises
    ------
    ValueError
        An unknown method name.
    TypeError
        Neither a name nor a callable.
    """
    if callable(method):
        return method
    if not isinstance(method, str):
        raise TypeError(f"method must be 'predict', 'search' or a callable, not "
                        f"{type(method).__name__}")
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose 'predict' or 'search'")
    import importlib

    module, name = METHODS[method]
    return getattr(importlib.import_module(module), name)


def check_method_kwargs(method: str | Callable, kwargs: Mapping) -> dict:
    """*kwargs* checked against the keywords of *method*'s function.

    Raises
    ------
    TypeError
        A keyword the function does not take (before any target runs, not once per row).
    """
    function = resolve_method(method)
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return dict(kwargs)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return dict(kwargs)
    allowed = {n for n, p in parameters.items()
               if p.kind in (inspect.Parameter.KEYWORD_ONLY,
                             inspect.Parameter.POSITIONAL_OR_KEYWORD)} - {"model", "target"}
    unknown = sorted(set(kwargs) - allowed)
    if unknown:
        name = getattr(function, "__name__", repr(function))
        raise TypeError(f"{name} takes no keyword(s) {unknown}; it takes {sorted(allowed)}")
    return dict(kwargs)


def accepts_keyword(method: str | Callable, name: str) -> bool:
    """Whether *method*'s function takes the keyword *name* (or any keyword)."""
    try:
        parameters = inspect.signature(resolve_method(method)).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return True
    return name in parameters or any(p.kind is inspect.Parameter.VAR_KEYWORD
                                     for p in parameters.values())


def limit_threads() -> None:
    """One thread for torch and for the cut-set MILPs in this process (workers run one
    target per thread; each MILP already runs HiGHS on one thread, GLPK has only one)."""
    from . import cutsets

    cutsets.THREADS = 1
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != 1:
        torch.set_num_threads(1)


def design_one(model, target: str, method: str | Callable, kwargs: Mapping) -> dict:
    """Run *method* on *target*; a record for the batch table.

    Returns
    -------
    dict
        ``target``, ``seconds`` (wall time of the call), ``design`` (the
        :class:`~cobra_gdel.DeletionDesign` without its model, so it travels light;
        None when the call raised), and for a call that raised ``status`` (``no_design``
        for :class:`~cobra_gdel.NoProductionRouteError`, else ``error``) and
        ``reason`` (the exception's type and message).
    """
    start = time.perf_counter()
    try:
        design = resolve_method(method)(model, target, **kwargs)
    except NoProductionRouteError as exc:
        return {"target": target, "design": None, "status": NO_DESIGN, "reason": str(exc),
                "seconds": time.perf_counter() - start}
    except Exception as exc:  # noqa: BLE001 - one target must never stop the batch
        logger.warning("%s: %s: %s", target, type(exc).__name__, exc)
        return {"target": target, "design": None, "status": ERROR,
                "reason": f"{type(exc).__name__}: {exc}", "seconds": time.perf_counter() - start}
    seconds = time.perf_counter() - start
    if not isinstance(design, DeletionDesign):
        return {"target": target, "design": None, "status": ERROR, "seconds": seconds,
                "reason": f"TypeError: the method returned {type(design).__name__}, "
                          "not a DeletionDesign"}
    return {"target": target, "design": replace(design, _model=None), "seconds": seconds}


def screen(model, metabolites: Iterable[str], growth_lb: float, production_lb: float,
           solver=None) -> tuple[list[str], dict[str, str]]:
    """The metabolites of *metabolites* the model can produce while it grows.

    One LP per metabolite (:meth:`CouplingChecker.require_production_route
    <cobra_gdel.CouplingChecker.require_production_route>`) on a checker of its own:
    every metabolite without an ``EX_``/``DM_`` reaction adds an auxiliary sink to the
    checker's LP, and the model's cached checker (the one designs use) should not grow
    by thousands of columns.

    Returns
    -------
    (list of str, dict of str to str)
        The producible metabolites (in the given order), and the metabolites whose
        check failed with a solver error (id -> message; left out, never guessed).
    """
    from .coupling import CouplingChecker

    checker = CouplingChecker(model, solver=solver)
    producible, failed = [], {}
    for met_id in metabolites:
        try:
            checker.require_production_route(met_id, growth_lb, production_lb)
        except NoProductionRouteError:
            continue
        except SolverError as exc:
            failed[met_id] = str(exc)
            continue
        producible.append(met_id)
    return producible, failed
