"""One design task: the model, the target, the bounds and the tools every stage shares.

A :class:`DesignTask` is made once per public call (:func:`cobra_gdel.search_deletions`,
:func:`cobra_gdel.repair`, :func:`cobra_gdel.predict_deletions`, :func:`cobra_gdel.trim`)
and handed to every stage, instead of the model, target, bounds, protected genes,
checker, solvers and clock travelling as separate arguments.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace

from .coupling import CouplingChecker, get_checker
from .report import CouplingReport
from .targets import GROWTH_LB, PRODUCTION_LB, check_bound, protected_genes, resolve_target
from .lp import available_solvers

__all__ = ["Clock", "DesignTask", "default_milp_solver"]

#: The clock of the public call running in this thread or task (see :meth:`Clock.active`).
_ACTIVE: ContextVar[Clock | None] = ContextVar("cobra_gdel_active_clock", default=None)


class Clock:
    """Remaining time of an overall budget.

    The clock only guards: every stage stops on its own work limits, and a stage that
    the clock stops instead records it (:meth:`mark`), so that a design says when a
    time limit cut it short (:attr:`DeletionDesign.cut_short
    <cobra_gdel.DeletionDesign.cut_short>`).

    Parameters
    ----------
    limit : float, optional
        Seconds; None is no limit.
    parent : Clock, optional
        A budget this one lives inside: :meth:`left` never exceeds the parent's, and
        marks go to the outermost clock.
    """

    def __init__(self, limit: float | None, parent: Clock | None = None) -> None:
        if limit is not None:
            limit = float(limit)
            if math.isnan(limit) or limit <= 0:
                raise ValueError(f"time_limit must be a positive number of seconds, got {limit}")
        self.limit = limit
        self.parent = parent
        self.start = time.perf_counter()
        self.cuts: list[str] = []

    def elapsed(self) -> float:
        """Seconds since the clock started."""
        return time.perf_counter() - self.start

    def left(self) -> float:
        """Seconds left (``inf`` without a limit)."""
        own = math.inf if self.limit is None else self.limit - self.elapsed()
        return own if self.parent is None else min(own, self.parent.left())

    def expired(self, stage: str = "time limit") -> bool:
        """Whether no time is left (recorded as a cut of *stage* when so)."""
        if self.left() > 0:
            return False
        self.mark(stage)
        return True

    @property
    def root(self) -> Clock:
        """The outermost clock (the one of the public call)."""
        root = self
        while root.parent is not None:
            root = root.parent
        return root

    def mark(self, stage: str) -> None:
        """Record that the clock stopped *stage* before its work was done."""
        root = self.root
        if stage not in root.cuts:
            root.cuts.append(stage)

    def share(self, fraction: float, minimum: float = 0.0) -> Clock:
        """A clock for a stage that may use *fraction* of the time left (at least *minimum*
        seconds; unlimited when this clock is)."""
        left = self.left()
        if math.isinf(left):
            return Clock(None, self)
        return Clock(max(minimum, fraction * left, 1e-3), self)

    @contextmanager
    def active(self) -> Iterator[Clock]:
        """Make this clock the one :meth:`current` returns inside the block: for work
        that a call reaches through an interface without a clock (a predictor's
        ``predict_proba``), which then stays inside the caller's time limit."""
        token = _ACTIVE.set(self)
        try:
            yield self
        finally:
            _ACTIVE.reset(token)

    @staticmethod
    def current() -> Clock | None:
        """The clock made active by the innermost :meth:`active` block, or None."""
        return _ACTIVE.get()

    def seconds(self, minimum: float = 0.0) -> float | None:
        """The time left as a limit for a sub-call (None when unlimited), at least *minimum*."""
        left = self.left()
        return None if math.isinf(left) else max(minimum, left)


def default_milp_solver(model, solver=None) -> str | None:
    """The solver for the gDel_minRN MILP.

    The caller's *solver* when given; otherwise HiGHS ("hybrid") when the model uses
    GLPK and HiGHS is installed (GLPK solves the LPs well but rarely finds a
    gDel_minRN incumbent in seconds), else the model's own solver (CPLEX, Gurobi,
    HiGHS are kept).
    """
    if solver is not None:
        return solver
    if "glpk" in model.solver.interface.__name__ and "hybrid" in available_solvers():
        return "hybrid"
    return None


@dataclass(frozen=True)
class DesignTask:
    """Everything the stages of a design share; made once by :meth:`create`.

    Attributes
    ----------
    model : cobra.Model
        The user's model (read, never changed).
    target : str
        The target metabolite id.
    growth_lb, production_lb : float
        Lower bounds of the coupling check.
    protected : frozenset of str
        Genes never deleted (the user's and the spontaneous pseudo-genes).
    checker : CouplingChecker
        The LP checks (on *solver*).
    solver : str or None
        The LP solver (None: the model's).
    milp_solver : str or None
        The MILP solver (see :func:`default_milp_solver`).
    clock : Clock
        The call's time budget.
    verdicts : dict
        The task's checks so far, by the reactions they disable and their bounds
        (quick ones apart), and the wild type's maximal production (``"route"``):
        each distinct case is solved once (shared by :meth:`with_clock`).
    """

    model: object
    target: str
    growth_lb: float
    production_lb: float
    protected: frozenset
    checker: CouplingChecker
    solver: str | None
    milp_solver: str | None
    clock: Clock
    verdicts: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def create(cls, model, target, *, growth_lb: float = GROWTH_LB,
               production_lb: float = PRODUCTION_LB, protected: Iterable = (),
               solver=None, time_limit: float | None = None) -> DesignTask:
        """Validate the inputs and build the task.

        Raises
        ------
        UnknownTargetError, UnknownGeneError, InfeasibleModelError, ValueError
        """
        clock = Clock(time_limit)
        growth_lb = check_bound("growth_lb", growth_lb)
        production_lb = check_bound("production_lb", production_lb)
        name = resolve_target(model, target).id
        checker = get_checker(model, solver=solver)
        checker.reset()
        keep = protected_genes(model, protected)
        return cls(model, name, growth_lb, production_lb, keep, checker, solver,
                   default_milp_solver(model, solver), clock)

    def with_clock(self, clock: Clock) -> DesignTask:
        """The same task on another budget."""
        return replace(self, clock=clock)

    @contextmanager
    def bounded(self, clock: Clock | None = None) -> Iterator[None]:
        """Every LP solved inside stops when *clock* (default: the task's) runs out: one
        that would run past it raises :class:`~cobra_gdel.exceptions.SolverError` (for
        the completion heuristics, which end on a solver failure; the checks that decide
        a returned design are not bounded)."""
        left = (self.clock if clock is None else clock).left()
        deadline = None if math.isinf(left) else time.perf_counter() + left
        with self.checker.lp.bounded(deadline):
            yield

    def check(self, deletions: Iterable, growth_lb: float | None = None,
              production_lb: float | None = None, *, quick: bool = False) -> CouplingReport:
        """The coupling check of *deletions* (at the task's bounds unless given).

        *quick*: only the LPs the verdict and the minimal production need (no maximal
        production, NaN; no production at all below the growth bound): for trimming,
        which asks nothing else (a third fewer solves in its block restores).

        The LPs see only the reactions the deletions disable, so a set that disables
        the same reactions as one checked before in this task (a restored gene whose
        reactions stay off through a deleted partner, a restore tried twice) gets that
        verdict again, with its own genes, without solving: about a fifth of the checks
        of a genome-scale minimal-design search (docs/benchmarks.md). The task's own
        sequence of solves, and so its design, stays the same from run to run.
        """
        growth_lb = self.growth_lb if growth_lb is None else growth_lb
        production_lb = self.production_lb if production_lb is None else production_lb
        deleted = self.checker.validate_genes(deletions)
        disabled = self.checker.rules.disabled(deleted)
        key = (disabled, growth_lb, production_lb)
        known = self.verdicts.get(key)  # a full report also answers a quick query
        if known is None and quick:
            known = self.verdicts.get(key + (True,))
        if known is not None:
            return known if known.deletions == deleted else replace(known, deletions=deleted)
        report = self.checker._check(self.target, deleted, disabled, growth_lb, production_lb,
                                     quick=quick)
        self.verdicts[key + (True,) if quick else key] = report
        return report

    def require_production_route(self) -> float:
        """Maximal production of the wild type while growing (NoProductionRouteError if
        it is below the production bound); solved once per task (its stages each ask)."""
        key = ("route", self.growth_lb, self.production_lb)
        if key not in self.verdicts:
            self.verdicts[key] = self.checker.require_production_route(
                self.target, self.growth_lb, self.production_lb)
        return self.verdicts[key]
