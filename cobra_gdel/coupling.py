"""Weak growth coupling: the two-LP check on the model's own solver problem.

Definitions (see ``docs/concepts``): a deletion set ``D`` is applied through the
GPR rules; ``GR`` is the maximal growth (the model's objective); with growth fixed at
``GR`` (less a tiny tolerance) the target's production is minimised (``PRmin``) and
maximised (``PRmax``). ``D`` is weakly growth-coupled when ``GR >= growth_lb`` and
``PRmin >= production_lb``.

Every check is on the model as the user has it: every variable and constraint of
its solver problem (enzyme pools, kcat constraints, hand-made constraints) and its
own bounds (:mod:`cobra_gdel.modeldata`). The check never edits the model: a
:class:`CouplingChecker` copies the problem once into its own LP, so repeated checks
only change variable bounds. Checkers are cached per model, solver and thread
(:func:`get_checker`): one thread's checks never touch another's LP.
"""

from __future__ import annotations

import difflib
import logging
import math
import threading
import time
import weakref
from collections.abc import Iterable

import pandas as pd
from cobra import Metabolite

from .exceptions import InfeasibleModelError, NoProductionRouteError, SolverError, UnknownGeneError
from .gpr import RuleSet
from .lp import DEFAULT_LP_TIME_LIMIT, FluxProblem, solver_interface
from .modeldata import extra_bounds, model_signature, read_model
from .report import CouplingReport
from .targets import GROWTH_LB, PRODUCTION_LB, check_bound, gene_id, production_spec, resolve_target

logger = logging.getLogger(__name__)

__all__ = ["EPS", "GROWTH_TOLERANCE", "CouplingChecker", "check_coupling", "clear_cache",
           "get_checker"]

#: Growth is fixed this far (relative, at least absolute 1e-9) below its maximum.
GROWTH_TOLERANCE = 1e-6
#: Slack on the final comparisons against the lower bounds.
EPS = 1e-9
#: Growth fixes tried (relative, below the maximum) when production stays infeasible at
#: GROWTH_TOLERANCE (see :meth:`CouplingChecker.check`).
RELAXED_TOLERANCES = (1e-5, 1e-4)


# -- checker ------------------------------------------------------------------------------
class CouplingChecker:
    """Reusable weak growth-coupling checks on one model, for any target.

    Copies the model's solver problem once (:class:`~cobra_gdel.lp.FluxProblem`); each
    check changes only the bounds of reactions whose disabled state differs from the
    previous check; a target without an ``EX_``/``DM_`` reaction gets an auxiliary
    sink column (see :meth:`production`). :meth:`reset`, which every design task
    calls first, gives the LP the columns of a fresh checker, so designs do not
    depend on what the checker solved before. The model is never modified; later edits
    to it are not seen here (:func:`get_checker` notices them). Not thread-safe: use
    one per thread (as :func:`get_checker` does).

    Parameters
    ----------
    model : cobra.Model
        The model.
    solver : str, optional
        An optlang solver name ("glpk", "hybrid", "cplex", "gurobi"); default:
        the model's solver.
    time_limit : float
        Wall-clock limit of each LP solve, seconds.

    Attributes
    ----------
    data : ModelData
        The model's solver problem as read at construction.
    growth_coefs : dict
        The model's objective as LP columns.
    cache : dict
        Analyses derived from this checker's model (flux ranges, single-deletion
        growth, exit routes), filled by :mod:`cobra_gdel.analysis`.

    Raises
    ------
    InfeasibleModelError
        If the model without deletions is infeasible or cannot grow.
    UnsupportedModelError
        If its solver problem is not linear (see :func:`cobra_gdel.modeldata.read_model`).
    """

    def __init__(self, model, *, solver=None, time_limit: float = DEFAULT_LP_TIME_LIMIT) -> None:
        self.model_id = model.id
        self._model = weakref.ref(model)
        self.data = read_model(model)
        self.genes = frozenset(g.id for g in model.genes)
        self.rules = RuleSet(model)
        self.interface = solver_interface(model, solver)
        self.lp = FluxProblem(self.data, self.interface, time_limit=time_limit)
        self.growth_coefs = self.lp.objective_terms
        if not self.growth_coefs:
            raise InfeasibleModelError(f"model {model.id!r} has no growth objective")
        self.lp.add_constraint("growth_fix", self.growth_coefs, lb=None, ub=None)
        self._disabled: frozenset[str] = frozenset()
        self._targets: dict[str, tuple[str, float]] = {}
        self._sinks: dict[str, dict[str, float]] = {}
        self._open_sink: str | None = None
        wild = self.lp.solve(self.growth_coefs, "max")
        if wild is None:
            raise InfeasibleModelError(
                f"model {model.id!r} is infeasible without any deletion (check its bounds "
                "and medium)")
        if math.isinf(wild):
            raise InfeasibleModelError(f"model {model.id!r} has unbounded growth: bound its "
                                       "uptake reactions")
        if wild <= EPS:
            raise InfeasibleModelError(f"model {model.id!r} cannot grow without any deletion")
        self.wild_type_growth = wild
        self.cache: dict = {}

    @property
    def model(self):
        """The checker's model (ReferenceError once it no longer exists)."""
        model = self._model()
        if model is None:
            raise ReferenceError("the model of this checker no longer exists")
        return model

    # -- targets and genes --------------------------------------------------------------
    def production(self, target) -> tuple[str, float]:
        """(production reaction id, scale): production = scale × the reaction's net flux.

        A target without an ``EX_``/``DM_`` reaction gets an auxiliary sink column the
        first time it is seen, open only while it is the target checked (closed
        columns keep the warm start of checks that switch between targets);
        :meth:`reset` removes them all.
        """
        key = target.id if isinstance(target, Metabolite) else target
        spec = self._targets.get(key)
        if spec is None:
            metabolite = resolve_target(self.model, target)
            rid, stoich, auxiliary = production_spec(self.model, metabolite)
            if auxiliary:
                self._sinks[rid] = dict(stoich)
            spec = self._targets[key] = (rid, -stoich[metabolite.id])
        rid = spec[0]
        if self._open_sink == rid:
            return spec
        if self._open_sink is not None:
            self.lp.set_bounds(self._open_sink, 0.0, 0.0)
            self._open_sink = None
        if rid in self._sinks:
            if rid not in self.lp.current:
                self.lp.add_reaction(rid, self._sinks[rid], 0.0, 0.0)
            self.lp.set_bounds(rid, 0.0, 1000.0)
            self._open_sink = rid
        return spec

    def production_terms(self, target) -> dict[str, float]:
        """The target's production as LP columns (opens its sink, see :meth:`production`)."""
        rid, scale = self.production(target)
        return self.lp.terms({rid: scale})

    def validate_genes(self, deletions: Iterable) -> frozenset[str]:
        """Gene ids of *deletions* (ids or Gene objects); unknown ids raise UnknownGeneError."""
        if isinstance(deletions, str):
            deletions = [deletions]
        ids = frozenset(gene_id(g) for g in deletions)
        unknown = sorted(ids - self.genes)
        if unknown:
            close = {g: difflib.get_close_matches(g, self.genes, n=2) for g in unknown[:5]}
            hints = "; ".join(f"{g}: did you mean {', '.join(c)}?" for g, c in close.items() if c)
            raise UnknownGeneError(
                f"{len(unknown)} gene id(s) not in model {self.model_id!r}: {unknown[:10]}"
                + (f" ({hints})" if hints else ""))
        return ids

    def apply(self, disabled: frozenset[str]) -> None:
        """Close exactly the reactions in *disabled* in the LP (others get their bounds back)."""
        for rid in self._disabled - disabled:
            self.lp.restore(rid)
        for rid in disabled - self._disabled:
            self.lp.set_bounds(rid, 0.0, 0.0)
        self._disabled = disabled

    def reset(self) -> None:
        """Give the LP the columns of a fresh checker (every auxiliary sink removed; the
        next target adds its own again) and start the next solve from the standard
        basis. A design task calls this first, so its LPs, and so its design, do not
        depend on what this checker solved before."""
        for rid in self._sinks:
            if rid in self.lp.current:
                self.lp.remove_reaction(rid)
        self._open_sink = None
        self.lp.reset_basis()

    # -- LPs ----------------------------------------------------------------------------
    def max_growth(self, deletions: Iterable = ()) -> float:
        """Maximal growth with *deletions* applied (0 when infeasible)."""
        self.apply(self.rules.disabled(self.validate_genes(deletions)))
        value = self.lp.solve(self.growth_coefs, "max")
        return 0.0 if value is None else max(0.0, value)

    def production_range(self, target, deletions: Iterable = (),
                         growth_lb: float = 0.0) -> tuple[float, float]:
        """(min, max) production of *target* with *deletions* and growth ≥ *growth_lb*.

        NaN when no flux distribution satisfies the growth bound.
        """
        terms = self.production_terms(target)
        self.apply(self.rules.disabled(self.validate_genes(deletions)))
        return self._production_range(terms, growth_lb)

    def route_open(self, target, deletions: Iterable = (), growth_lb: float = GROWTH_LB,
                   production_lb: float = PRODUCTION_LB) -> bool:
        """Maximal growth (as in :meth:`check`) ≥ *growth_lb* and production ≥
        *production_lb* possible at that bound; growth first, as a production LP with
        growth bounded by 0.001 misses blocked trace precursors (solver tolerance)."""
        terms = self.production_terms(target)
        if self.max_growth(deletions) + EPS < growth_lb:
            return False
        return self._max_production(terms, growth_lb) + EPS >= production_lb  # NaN: False

    def _max_production(self, terms, growth_lb: float) -> float:
        """Maximal production with growth ≥ *growth_lb* on the current bounds (NaN when
        infeasible)."""
        self.lp.set_constraint_bounds("growth_fix", growth_lb, None)
        try:
            high = self.lp.solve(terms, "max")
        finally:
            self.lp.set_constraint_bounds("growth_fix", None, None)
        return math.nan if high is None else high

    def _production_range(self, terms, growth_lb: float, after_growth: bool = False,
                          deadline: float | None = None, need_max: bool = True
                          ) -> tuple[float, float]:
        """(min, max) production with growth ≥ *growth_lb* on the current bounds (max
        NaN, not solved, unless *need_max*).

        *after_growth*: the last solve maximised growth on these same bounds and
        *growth_lb* lies just below its optimum, so that basis is primal feasible
        and GLPK's primal simplex finishes from it faster than the dual simplex (the
        values agree; ``tests/test_coupling.py`` compares the two).
        """
        self.lp.set_constraint_bounds("growth_fix", growth_lb, None)
        try:
            low = self.lp.solve(terms, "min", primal=after_growth, seconds=_left(deadline))
            high = (self.lp.solve(terms, "max", primal=after_growth, seconds=_left(deadline))
                    if low is not None and need_max else math.nan)
        finally:
            self.lp.set_constraint_bounds("growth_fix", None, None)
        return (math.nan, math.nan) if low is None or high is None else (low, high)

    def production_envelope(self, target, deletions: Iterable = (),
                            points: int = 20) -> pd.DataFrame:
        """Production range at fixed growth rates, from 0 to the maximal growth.

        Parameters
        ----------
        target : str or cobra.Metabolite
            The target metabolite.
        deletions : iterable of str
            Genes deleted (through the GPR rules).
        points : int
            Number of growth values.

        Returns
        -------
        pandas.DataFrame
            Columns ``growth``, ``min_production``, ``max_production``; empty when
            the deletions leave no feasible flux distribution.
        """
        if points < 2:
            raise ValueError("points must be >= 2")
        terms = self.production_terms(target)
        self.apply(self.rules.disabled(self.validate_genes(deletions)))
        top = self.lp.solve(self.growth_coefs, "max")
        rows = []
        if top is not None:
            for growth in [max(0.0, top) * i / (points - 1) for i in range(points)]:
                self.lp.set_constraint_bounds("growth_fix", growth, growth)
                try:
                    low = self.lp.solve(terms, "min")
                    high = self.lp.solve(terms, "max") if low is not None else None
                finally:
                    self.lp.set_constraint_bounds("growth_fix", None, None)
                if low is not None and high is not None:
                    rows.append((growth, low, high))
        return pd.DataFrame(rows, columns=["growth", "min_production", "max_production"])

    def require_production_route(self, target, growth_lb: float = GROWTH_LB,
                                 production_lb: float = PRODUCTION_LB) -> float:
        """Maximal production of *target* by the wild type with growth ≥ *growth_lb*.

        Raises
        ------
        NoProductionRouteError
            If it is below *production_lb*: no deletion set can couple the target.
        """
        rid, _scale = self.production(target)
        terms = self.production_terms(target)
        self.apply(frozenset())
        high = self._max_production(terms, growth_lb)  # the maximum alone is asked
        if not high >= production_lb:  # also NaN
            name = target.id if isinstance(target, Metabolite) else target
            raise NoProductionRouteError(
                f"model {self.model_id!r} cannot produce {name} at >= {production_lb:g} "
                f"while growing at >= {growth_lb:g} (maximal production {high:.4g} via "
                f"{rid}); no deletion set can couple it")
        return high

    def check(self, target, deletions: Iterable = (), growth_lb: float = GROWTH_LB,
              production_lb: float = PRODUCTION_LB, *,
              deadline: float | None = None) -> CouplingReport:
        """Weak growth-coupling check of *deletions* for *target* (see the module docstring).

        The LPs warm-start from the previous check's basis (GLPK: dual simplex on a
        fresh factorisation). An inconsistent outcome (production infeasible at the
        growth just found) is solved again from a fresh basis, then a fresh problem;
        if it stays so, :class:`~cobra_gdel.exceptions.SolverError` is raised: a
        verdict is only ever given on optimal solves. *deadline*
        (``time.perf_counter()`` seconds) limits every solve of the check.
        """
        deleted = self.validate_genes(deletions)
        return self._check(target, deleted, self.rules.disabled(deleted), growth_lb,
                           production_lb, deadline)

    def _check(self, target, deleted: frozenset[str], disabled: frozenset[str],
               growth_lb: float, production_lb: float, deadline=None,
               quick: bool = False) -> CouplingReport:
        """:meth:`check` of validated genes whose *disabled* reactions are known;
        *quick*: only the LPs the verdict needs (see :meth:`_evaluate`)."""
        growth_lb = check_bound("growth_lb", growth_lb)
        production_lb = check_bound("production_lb", production_lb)
        rid, name = self.production(target)[0], getattr(target, "id", target)
        self.apply(disabled)
        growth, low, high = self._evaluate(self.production_terms(target), deadline, growth_lb,
                                           quick)
        reason = _verdict(growth, low, high, growth_lb, production_lb)
        growth = 0.0 if math.isnan(growth) else float(growth)  # NaN: no feasible flux at all
        return CouplingReport(name, rid, deleted, not reason, growth, float(low), float(high),
                              disabled, growth_lb, production_lb, reason, self.rules.gene_reactions)

    def _evaluate(self, terms, deadline: float | None, growth_lb: float,
                  quick: bool = False) -> tuple[float, float, float]:
        """(max growth, min and max production at that growth); all NaN when no flux
        distribution is feasible; production NaN when its LPs fail at a growth below
        *growth_lb* (the verdict, not coupled, needs no production then). *quick*:
        production is not solved at a growth below *growth_lb*, its maximum never.

        When production is infeasible at the growth the same LP just found, the solves
        are repeated from a fresh basis, then on a fresh problem, then with growth fixed
        further below its maximum (``RELAXED_TOLERANCES``: a lower growth bound only
        lowers the minimal production, so the verdict stays on the safe side; models
        with bounds of ±999999 need it with some solvers). If even that fails,
        :class:`~cobra_gdel.exceptions.SolverError` is raised.
        """
        nan = float("nan")
        steps = [("warm", GROWTH_TOLERANCE), ("fresh basis", GROWTH_TOLERANCE),
                 ("fresh problem", GROWTH_TOLERANCE)]
        steps += [("relaxed", tolerance) for tolerance in RELAXED_TOLERANCES]
        growth = nan
        for attempt, tolerance in steps:
            if attempt == "fresh basis":
                logger.info("production infeasible at the maximal growth; fresh basis")
                self.lp.reset_basis()
            elif attempt == "fresh problem":
                logger.warning("production infeasible at the maximal growth; fresh problem")
                self.lp.rebuild()
            elif attempt == "relaxed":
                logger.warning("production infeasible at the maximal growth; growth fixed "
                               "%g below it", tolerance)
            growth = self.lp.solve(self.growth_coefs, "max", seconds=_left(deadline))
            if growth is None:
                return nan, nan, nan
            # Solver noise around zero (GLPK's tolerances; the warm-start basis decides
            # whether a blocked network reports 0 or 6e-14) is reported as 0.
            growth = growth if growth > EPS else 0.0
            if quick and growth + EPS < growth_lb:
                return growth, nan, nan
            low, high = self._production_range(
                terms, growth - max(EPS, tolerance * growth), after_growth=attempt != "relaxed",
                deadline=deadline, need_max=not quick)
            if not math.isnan(low):
                return growth, low, high
        if growth + EPS < growth_lb:
            logger.warning("production infeasible at the maximal growth %.3g < growth_lb %g: "
                           "not coupled by growth", growth, growth_lb)
            return growth, nan, nan
        raise SolverError(
            f"production of the target is infeasible at the maximal growth {growth:.6g} that "
            f"the same LP ({self.interface.__name__}) just found, even on a fresh problem "
            "and with growth fixed 1e-4 below it: a numerical failure, not a verdict")


def _left(deadline: float | None) -> float | None:
    return None if deadline is None else deadline - time.perf_counter()


def _verdict(growth: float, low: float, high: float, growth_lb: float,
             production_lb: float) -> str:
    """Why (growth, production) is not coupled; "" when it is."""
    if math.isnan(growth):
        return "no feasible flux distribution with these deletions"
    if growth + EPS < growth_lb:
        return f"growth {growth:.4g} < growth_lb {growth_lb:g}"
    if not low + EPS >= production_lb:
        return (f"minimal production {low:.4g} at maximal growth < production_lb "
                f"{production_lb:g}")
    return ""


# -- cache and the public function ---------------------------------------------------------
#: model (weakly) → {(thread id, solver, time limit): (fingerprint, checker)}.
_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_CACHE_LOCK = threading.Lock()

def get_checker(model, *, solver=None,
                time_limit: float = DEFAULT_LP_TIME_LIMIT) -> CouplingChecker:
    """A cached :class:`CouplingChecker` for *model*, private to the calling thread.

    The cache holds the model weakly, keeps one checker per thread (checkers are
    stateful LPs: two threads never share one) and builds a new checker when the
    model's bounds, rules, stoichiometry size, objective, solver problem size, the
    bounds of its extra constraints or the solver have changed.
    """
    key = (threading.get_ident(), solver_interface(model, solver).__name__, time_limit)
    fingerprint = model_signature(model)
    with _CACHE_LOCK:
        cached = _CACHE.setdefault(model, {}).get(key)
    if (cached is not None and cached[0] == fingerprint
            and cached[2] == extra_bounds(model, cached[1].data)):
        return cached[1]
    checker = CouplingChecker(model, solver=solver, time_limit=time_limit)
    with _CACHE_LOCK:
        _CACHE.setdefault(model, {})[key] = (fingerprint, checker,
                                             extra_bounds(model, checker.data))
    return checker


def clear_cache() -> None:
    """Forget every cached checker (they are rebuilt on the next call)."""
    with _CACHE_LOCK:
        _CACHE.clear()


def check_coupling(model, target, deletions: Iterable = (), growth_lb: float = GROWTH_LB,
                   production_lb: float = PRODUCTION_LB, *, solver=None,
                   time_limit: float | None = None) -> CouplingReport:
    """Check whether deleting *deletions* weakly couples *target* to growth.

    Parameters
    ----------
    model : cobra.Model
        The model; it is not modified. Every variable and constraint of its solver
        problem and its own bounds are part of the check.
    target : str or cobra.Metabolite
        The target metabolite.
    deletions : iterable of str or cobra.Gene
        Genes to delete (through the GPR rules).
    growth_lb, production_lb : float
        Lower bounds on growth and on minimal production at maximal growth.
    solver : str, optional
        optlang solver name; default: the model's.
    time_limit : float, optional
        Seconds for the whole call (the checker's first build excluded); a check that
        cannot finish in time raises :class:`~cobra_gdel.exceptions.SolverError`.
        None: no limit beyond each LP's own.

    Returns
    -------
    CouplingReport

    Raises
    ------
    UnknownTargetError, UnknownGeneError, InfeasibleModelError, UnsupportedModelError,
    ValueError, SolverError

    Examples
    --------
    >>> import cobra, cobra_gdel
    >>> model = cobra.io.load_model("textbook")
    >>> cobra_gdel.check_coupling(model, "succ_e").coupled
    False
    """
    growth_lb = check_bound("growth_lb", growth_lb)
    production_lb = check_bound("production_lb", production_lb)
    if time_limit is not None and not float(time_limit) > 0:
        raise ValueError(f"time_limit must be a positive number of seconds, got {time_limit}")
    resolve_target(model, target)
    checker = get_checker(model, solver=solver)
    deadline = None if time_limit is None else time.perf_counter() + float(time_limit)
    return checker.check(target, deletions, growth_lb, production_lb, deadline=deadline)
