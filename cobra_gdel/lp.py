"""A private optlang LP copy of a model's solver problem.

cobra_gdel never edits the user's model to test a design. :class:`FluxProblem` is
built once from the :class:`~cobra_gdel.modeldata.ModelData` of a model (every
variable and constraint of its solver problem, with the model's own bounds), changes
only variable bounds between solves, and checks every solve's status: a value is only
ever read from an optimal solve.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from optlang.interface import INFEASIBLE, OPTIMAL, TIME_LIMIT, UNBOUNDED
from optlang.symbolics import Zero

from ._glpk import (ColumnMap, column_indices, column_map, column_values, fast_simplex,
                    objective_value, read_basis, standard_basis, write_basis)
from ._highs import banner_to_stderr
from .exceptions import SolverError
from .modeldata import ModelData

logger = logging.getLogger(__name__)

__all__ = ["BOUND_CAP", "DEFAULT_LP_TIME_LIMIT", "FluxProblem", "available_solvers",
           "cap_bound", "set_time_limit", "solver_interface"]

#: Bounds beyond this magnitude are capped where a MILP needs finite big-M constants.
BOUND_CAP_TRIGGER = 9999.0
#: The value such bounds are capped to (gDel_minRN's rule).
BOUND_CAP = 1000.0
#: Default wall-clock limit of a single LP solve, seconds (GLPK needs an int).
DEFAULT_LP_TIME_LIMIT = 20


def cap_bound(value: float) -> float:
    """Cap an infinite or very large bound to ±1000 as gDel_minRN does (MILP use only)."""
    if value is None or math.isnan(value):
        raise ValueError("a reaction bound is None or NaN")
    if math.isinf(value) or abs(value) > BOUND_CAP_TRIGGER:
        return math.copysign(BOUND_CAP, value)
    return float(value)


def solver_interface(model, solver=None):
    """The optlang interface module to use (the model's own unless *solver* names one)."""
    if solver is None:
        interface = model.solver.interface
    elif isinstance(solver, str):
        from cobra.util.solver import solvers

        if solver not in solvers:
            raise ValueError(f"unknown solver {solver!r}; available: {sorted(solvers)}")
        interface = solvers[solver]
    else:
        interface = getattr(solver, "interface", solver)
    if interface.__name__.endswith("hybrid_interface"):
        banner_to_stderr()  # optlang's HiGHS objects would print it to standard output
    return interface


def set_time_limit(problem, seconds: float | None) -> None:
    """Set a solver problem's wall-clock limit (GLPK takes whole seconds)."""
    if seconds is None:
        return
    interface = problem.interface.__name__
    if "glpk" in interface:
        problem.configuration.timeout = max(1, int(math.ceil(seconds)))
    else:
        problem.configuration.timeout = max(1.0, float(seconds))


def _objective_key(terms: Mapping[str, float]) -> tuple:
    return tuple(sorted(terms.items()))


def _finite(value: float) -> float | None:
    return None if math.isinf(value) else value


def column_bounds(lb: float, ub: float, split: bool) -> list[tuple[float, float]]:
    """Bounds of a reaction's column(s) for net bounds (lb, ub): one net column, or the
    forward and reverse columns of a split reaction."""
    if not split:
        return [(lb, ub)]
    return [(max(lb, 0.0), max(ub, 0.0)), (max(-ub, 0.0), max(-lb, 0.0))]


class FluxProblem:
    """An LP over a model's fluxes (see the module docstring).

    Parameters
    ----------
    data : ModelData
        The model's solver problem.
    interface : module
        An optlang interface (``optlang.glpk_interface`` …).
    time_limit : float
        Wall-clock limit of each solve in seconds.
    cap : bool
        Cap reaction bounds at ±1000 (only for the MILP's big-M flux ranges).
    structural : bool
        Stoichiometry and reaction bounds alone, one net column per reaction, no
        extra variable or constraint (the direction LP of
        :func:`cobra_gdel.analysis.uncontrolled_exit`).

    Attributes
    ----------
    bounds : dict
        Reaction id → wild-type net bounds.
    current : dict
        Reaction id → the net bounds now set.
    keep_bases : bool
        GLPK: warm-start each dual-simplex solve from the last optimal basis of its own
        objective (class attribute, True; False only to measure what it saves).
    """

    keep_bases = True

    def __init__(self, data: ModelData, interface, time_limit: float = DEFAULT_LP_TIME_LIMIT,
                 *, cap: bool = False, structural: bool = False) -> None:
        self.data = data
        self.interface = interface
        self.time_limit = time_limit
        self.structural = structural
        self.split = frozenset() if structural else data.split
        self._stoich: dict[str, dict[str, float]] = dict(data.stoich)
        bound = cap_bound if cap else float
        self.bounds = {rid: (bound(lb), bound(ub)) for rid, (lb, ub) in data.bounds.items()}
        self.current: dict[str, tuple[float, float]] = dict(self.bounds)
        self.extra_constraints: list[tuple[str, dict[str, float], float | None,
                                         float | None]] = []
        self.rebuilds = 0
        self._added = 0
        #: ``time.perf_counter()`` time every solve stops at (see :meth:`bounded`).
        self.deadline: float | None = None
        self._build()

    @property
    def objective_terms(self) -> dict[str, float]:
        """The model's objective (growth) as column coefficients."""
        return {} if self.structural else dict(self.data.objective)

    def terms(self, coefs: Mapping[str, float]) -> dict[str, float]:
        """Column coefficients of a linear expression in net reaction fluxes."""
        if not self.split:
            return dict(coefs)
        out: dict[str, float] = {}
        for rid, coef in coefs.items():
            for name, sign in zip(self._columns(rid), (1.0, -1.0)):
                out[name] = out.get(name, 0.0) + sign * coef
        return out

    # -- construction ---------------------------------------------------------------------
    def _columns(self, rid: str) -> tuple[str, ...]:
        return (rid, self.data.reverse[rid]) if rid in self.split else (rid,)

    def _build(self) -> None:
        interface, data = self.interface, self.data
        problem = interface.Model()
        self.variables: dict[str, object] = {}
        for rid, (lb, ub) in self.current.items():
            for name, (low, high) in zip(self._columns(rid),
                                         column_bounds(lb, ub, rid in self.split)):
                self.variables[name] = interface.Variable(
                    f"v{len(self.variables)}", lb=_finite(low), ub=_finite(high))
        if not self.structural:
            for name, (lb, ub) in data.extra_variables.items():
                self.variables[name] = interface.Variable(f"v{len(self.variables)}",
                                                          lb=_finite(lb), ub=_finite(ub))
        problem.add(list(self.variables.values()))
        rows = self._balance_rows()
        constraints = {}
        for i, met in enumerate(rows):
            lb, ub = (0.0, 0.0) if self.structural else data.row_bounds.get(met, (0.0, 0.0))
            constraints[met] = interface.Constraint(Zero, lb=_finite(lb), ub=_finite(ub),
                                                    name=f"m{i}")
        problem.add(list(constraints.values()))
        problem.update()
        for met, coefs in rows.items():
            constraints[met].set_linear_coefficients(
                {self.variables[c]: v for c, v in coefs.items()})
        self._rows = constraints
        self.named_constraints: dict[str, object] = {}
        if not self.structural:
            for i, (_name, coefs, lb, ub) in enumerate(data.extra_rows):
                self._add_constraint(problem, f"x{i}", coefs, _finite(lb), _finite(ub))
        for name, coefs, lb, ub in self.extra_constraints:
            self._add_constraint(problem, name, coefs, lb, ub)
        problem.objective = interface.Objective(Zero, direction="max")
        problem.update()
        self._objective_coefs: dict[str, float] = {}
        set_time_limit(problem, self.time_limit)
        self._glpk = interface.__name__ == "optlang.glpk_interface"
        self.problem = problem
        if self._glpk:
            import swiglpk

            # Warm starts after bound changes: the dual simplex (GLPK falls back to the
            # primal one by itself). The primal simplex warm-started across very different
            # deletion sets reported wrong optima here (iMM904, iML1515 strategies).
            problem.configuration._smcp.meth = swiglpk.GLP_DUALP
        self._restructured()

    def _balance_rows(self) -> dict[str, dict[str, float]]:
        """Metabolite id → {column: coefficient} of the mass balances."""
        rows: dict[str, dict[str, float]] = {}
        for rid, stoich in self._stoich.items():
            columns = self._columns(rid)
            for met, coef in stoich.items():
                row = rows.setdefault(met, {})
                row[columns[0]] = coef
                if len(columns) == 2:
                    row[columns[1]] = -coef
        if not self.structural:
            for met, coefs in self.data.balance_extra.items():
                rows.setdefault(met, {}).update(coefs)
        return rows

    def _restructured(self) -> None:
        """After the problem is built or its rows or columns change: the column indices
        of :meth:`fluxes` and the bases kept by :meth:`_switch_basis` are dropped, and
        the GLPK matrix is scaled again (optlang would do it before every solve, which
        costs more than the solve itself)."""
        self._flux_columns: ColumnMap | None = None
        self._forget_bases()
        if self._glpk:
            import swiglpk

            # The order of a row's or column's elements steers the simplex (pivot
            # choices among ties); how optlang and GLPK leave it depends on the history
            # of the problem (columns added and removed), so it is made canonical here.
            swiglpk.glp_sort_matrix(self.problem.problem)
            swiglpk.glp_scale_prob(self.problem.problem, swiglpk.GLP_SF_AUTO)

    def _add_constraint(self, problem, name, coefs, lb, ub) -> None:
        constraint = self.interface.Constraint(Zero, lb=lb, ub=ub, name=name)
        problem.add(constraint)
        problem.update()
        constraint.set_linear_coefficients({self.variables[c]: v for c, v in coefs.items()})
        self.named_constraints[name] = constraint

    def add_reaction(self, rid: str, stoich: Mapping[str, float], lb: float, ub: float) -> None:
        """Add a reaction that is not in the model (one net column; kept across rebuilds)."""
        self._stoich[rid] = dict(stoich)
        self.bounds[rid] = self.current[rid] = (float(lb), float(ub))
        self._added += 1
        var = self.interface.Variable(f"a{self._added}", lb=_finite(lb), ub=_finite(ub))
        self.problem.add(var)
        self.problem.update()
        self.variables[rid] = var
        for met, coef in stoich.items():
            constraint = self._rows.get(met)
            if constraint is None:
                constraint = self._rows[met] = self.interface.Constraint(
                    Zero, lb=0, ub=0, name=f"m{len(self._rows)}_{len(self.variables)}")
                self.problem.add(constraint)
                self.problem.update()
            constraint.set_linear_coefficients({var: coef})
        self._restructured()

    def remove_reaction(self, rid: str) -> None:
        """Remove a reaction added by :meth:`add_reaction` (its column, not its rows):
        the problem then has the columns it had before that reaction was added, so
        solves from the standard basis take the same path as before it."""
        if rid in self.data.bounds:
            raise ValueError(f"{rid!r} is a reaction of the model, not an added one")
        var = self.variables.pop(rid)
        del self._stoich[rid], self.bounds[rid], self.current[rid]
        self._objective_coefs.pop(rid, None)
        self.problem.remove(var)
        self.problem.update()
        self._restructured()

    def add_constraint(self, name: str, terms: Mapping[str, float],
                       lb: float | None = None, ub: float | None = None) -> None:
        """Add a linear constraint over columns (kept across rebuilds)."""
        self.extra_constraints.append((name, dict(terms), lb, ub))
        self._add_constraint(self.problem, name, terms, lb, ub)
        self._restructured()

    def set_constraint_bounds(self, name: str, lb: float | None, ub: float | None) -> None:
        """Change the bounds of a constraint made by :meth:`add_constraint`."""
        for i, (n, coefs, _lb, _ub) in enumerate(self.extra_constraints):
            if n == name:
                self.extra_constraints[i] = (n, coefs, lb, ub)
        constraint = self.named_constraints[name]
        # optlang rejects lb > ub transiently; widen first.
        constraint.lb = None
        constraint.ub = ub
        constraint.lb = lb

    # -- bounds -----------------------------------------------------------------------
    def set_bounds(self, rid: str, lb: float, ub: float) -> None:
        """Set a reaction's net bounds in the LP (remembered for rebuilds)."""
        self.current[rid] = (lb, ub)
        for name, (low, high) in zip(self._columns(rid), column_bounds(lb, ub, rid in self.split)):
            self.variables[name].set_bounds(_finite(low), _finite(high))

    def restore(self, rid: str) -> None:
        """Give a reaction back its wild-type bounds."""
        self.set_bounds(rid, *self.bounds[rid])

    def fluxes(self) -> dict[str, float]:
        """Reaction id → net flux of the last solve (call only after an optimal solve)."""
        if not self._glpk:
            values = self.problem.primal_values
            return {rid: sum(sign * values[self.variables[c].name]
                             for c, sign in zip(self._columns(rid), (1.0, -1.0)))
                    for rid in self.current}
        prob = self.problem.problem  # GLPK: by index (see cobra_gdel._glpk)
        if self._flux_columns is None:
            self._flux_columns = column_map(
                (rid, *column_indices(prob, [self.variables[c].name for c in self._columns(rid)]))
                for rid in self.current)
        return column_values(prob, self._flux_columns)

    # -- solving ----------------------------------------------------------------------
    def solve(self, terms: Mapping[str, float], direction: str, primal: bool = False,
              seconds: float | None = None, confirm: bool = True) -> float | None:
        """Optimise a linear objective over columns (see :meth:`terms`).

        Parameters
        ----------
        terms : mapping
            Column → objective coefficient.
        direction : {"max", "min"}
            Optimisation sense.
        primal : bool
            GLPK: start with the primal simplex, for a warm-start basis that is still
            primal feasible (only the objective changed, or a row was relaxed around
            the last solution; :func:`cobra_gdel.analysis.single_growth`, where it was
            measured to agree and be faster); otherwise the dual simplex is used.
        seconds : float, optional
            A tighter wall-clock limit for this solve than ``time_limit``.
        confirm : bool
            False (heuristics, never a verdict): a warm dual solve that does not end
            optimal is re-solved by the primal simplex from its last basis and that
            outcome taken (~20× cheaper than a fresh basis; the two differed on 18 of
            405 such solves, each with an optimum below 4e-7: docs/benchmarks.md).

        Returns
        -------
        float or None
            The optimal value; ``±inf`` if unbounded; None if infeasible (both confirmed
            on a fresh basis unless *confirm* is False). Other outcomes (time limit,
            numerical trouble) are retried on a fresh basis, then on a rebuilt problem,
            then raise :class:`~cobra_gdel.exceptions.SolverError`. No value is ever
            read from a solve that did not finish optimal.
        """
        deadline = self.deadline
        if seconds is not None:
            own = time.perf_counter() + seconds
            deadline = own if deadline is None else min(deadline, own)
        try:
            return self._solve(terms, direction, primal, deadline, confirm)
        finally:
            if deadline is not None:
                set_time_limit(self.problem, self.time_limit)

    @contextmanager
    def bounded(self, deadline: float | None) -> Iterator[None]:
        """Every solve inside stops at *deadline* (a ``time.perf_counter()`` time; None
        adds no bound): one that would run past it raises
        :class:`~cobra_gdel.exceptions.SolverError` instead of being retried, so a
        stage that gives up on a solver failure also keeps its caller's time limit."""
        previous = self.deadline
        if deadline is not None:
            self.deadline = deadline if previous is None else min(previous, deadline)
        try:
            yield
        finally:
            self.deadline = previous

    def _solve(self, terms: Mapping[str, float], direction: str, primal: bool,
               deadline: float | None, confirm: bool = True) -> float | None:
        status = "unsolved"
        primal_rung = not confirm and not primal and self._glpk  # see solve's *confirm*
        for attempt in ("warm",) + ("primal",) * primal_rung + ("fresh basis", "fresh problem"):
            if attempt == "fresh basis":
                logger.info("LP status %r; retrying from a fresh basis.", status)
                self._fresh_basis()
            elif attempt == "fresh problem":
                logger.warning("LP status %r after a fresh basis; rebuilding the problem.",
                               status)
                self.rebuild()
            left = None if deadline is None else deadline - time.perf_counter()
            if left is not None:
                if left <= 0:
                    raise SolverError("the time limit was reached before an LP could be solved")
                set_time_limit(self.problem, min(self.time_limit, left))
            warm, key = attempt == "warm", (_objective_key(terms), direction)
            if warm:
                self._switch_basis(key, restore=not primal)
            self._set_objective(terms, direction)
            by_primal = primal and warm or attempt == "primal"
            status = self._optimize(by_primal)
            self._last_key = key
            self._last_dual = None if status != OPTIMAL or by_primal else key
            if status == OPTIMAL:
                return self.objective_value()
            if attempt != "warm" and status == INFEASIBLE:
                return None
            if attempt != "warm" and status == UNBOUNDED:
                return math.inf if direction == "max" else -math.inf
            if status == TIME_LIMIT and left is not None and left < self.time_limit:
                raise SolverError(f"an LP ({self.interface.__name__}) was stopped at the "
                                  f"time limit of its caller ({left:.1f} s left)")
        raise SolverError(
            f"the LP ({self.interface.__name__}) ended with status {status!r} even on a "
            f"fresh problem (time limit {self.time_limit} s)")

    def _forget_bases(self) -> None:
        """Drop the bases kept by :meth:`_switch_basis` (the problem's rows or columns
        changed, or the next solves must not depend on earlier ones)."""
        self._bases: dict[tuple, tuple[list[int], list[int]]] = {}
        self._last_dual: tuple | None = None
        self._last_key: tuple | None = None

    def _switch_basis(self, key: tuple, restore: bool) -> None:
        """GLPK: keep the last solve's basis when the objective changes, and (*restore*)
        warm-start a dual-simplex solve from the last optimal basis of its objective.

        The last optimal basis of an objective stays dual feasible for it after bound
        changes, which is what the dual simplex needs to re-optimise in a few pivots; a
        basis optimal for another objective (a check's production solve before its next
        growth solve) is not, and the dual simplex then first has to regain dual
        feasibility. A basis is kept only from an optimal dual-simplex solve (row and
        column statuses: a few milliseconds for a genome-scale model).
        """
        if not (self._glpk and self.keep_bases) or key == self._last_key:
            return
        if self._last_dual is not None:
            self._bases[self._last_dual] = read_basis(self.problem.problem)
            self._last_dual = None
        basis = self._bases.get(key) if restore else None
        if basis is not None:
            write_basis(self.problem.problem, basis)

    def _set_objective(self, terms: Mapping[str, float], direction: str) -> None:
        """Change the persistent objective's coefficients and sense in place."""
        objective = self.problem.objective
        update = {self.variables[c]: 0.0 for c in self._objective_coefs if c not in terms}
        update.update({self.variables[c]: v for c, v in terms.items()})
        objective.set_linear_coefficients(update)
        if objective.direction != direction:
            objective.direction = direction
        self._objective_coefs = dict(terms)

    def _optimize(self, primal: bool = False) -> str:
        start = time.perf_counter()
        try:
            status = self._fast_simplex(primal) if self._glpk else self.problem.optimize()
        except Exception as exc:  # solver libraries raise their own types
            logger.info("solver raised %s: %s", type(exc).__name__, exc)
            return "error"
        logger.debug("LP solved in %.4f s: %s", time.perf_counter() - start, status)
        return status

    def _fast_simplex(self, primal: bool = False) -> str:
        """GLPK's simplex, scaled once per build (:func:`cobra_gdel._glpk.fast_simplex`)."""
        return fast_simplex(self.problem, primal)

    def objective_value(self) -> float:
        """The optimal objective value of the last solve."""
        if self._glpk:
            return objective_value(self.problem.problem)
        return self.problem.objective.value

    def rebuild(self) -> None:
        """Build the problem afresh (same bounds, constraints and objective)."""
        self.rebuilds += 1
        self._build()

    def reset_basis(self) -> None:
        """Forget the warm-start basis: the next solve starts from the standard basis
        (a fresh problem where the interface has no portable basis reset). Solves after
        a reset follow the same path whatever was solved before."""
        self._fresh_basis()

    def _fresh_basis(self) -> None:
        self._forget_bases()
        if self._glpk:
            standard_basis(self.problem.problem)
        else:  # no portable basis reset: a fresh problem is the reliable fallback
            self.rebuilds += 1
            self._build()


def available_solvers() -> list[str]:
    """Names cobra accepts for ``model.solver`` that are importable here (e.g. "glpk", "hybrid")."""
    from cobra.util.solver import solvers

    return sorted(solvers)
