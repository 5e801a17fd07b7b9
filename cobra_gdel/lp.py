"""A private optlang LP of a cobra model: one variable per reaction.

cobra_gdel never edits the user's model to test a design. It builds its own
problem from the model's stoichiometry once (``FluxProblem``), changes only
variable bounds between solves, and checks every solve's status.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping

from optlang.interface import INFEASIBLE, OPTIMAL
from optlang.symbolics import Zero

from .exceptions import SolverError

logger = logging.getLogger(__name__)

#: Bounds beyond this magnitude are treated as unbounded and capped (gDel_minRN's rule).
BOUND_CAP_TRIGGER = 9999.0
#: The value unbounded (or too large) bounds are capped to.
BOUND_CAP = 1000.0
#: Default wall-clock limit of a single LP solve, seconds (GLPK needs an int).
DEFAULT_LP_TIME_LIMIT = 20


def cap_bound(value: float) -> float:
    """Cap an infinite or very large bound to ±1000 as gDel_minRN does."""
    if value is None or math.isinf(value) or abs(value) > BOUND_CAP_TRIGGER:
        if value is None:
            raise ValueError("a reaction bound is None")
        return math.copysign(BOUND_CAP, value)
    return float(value)


def solver_interface(model, solver=None):
    """The optlang interface module to use (the model's own unless *solver* names one)."""
    if solver is None:
        return model.solver.interface
    if isinstance(solver, str):
        from cobra.util.solver import solvers

        if solver not in solvers:
            raise ValueError(f"unknown solver {solver!r}; available: {sorted(solvers)}")
        return solvers[solver]
    return getattr(solver, "interface", solver)


def set_time_limit(problem, seconds: float | None) -> None:
    """Set a solver problem's wall-clock limit (GLPK takes whole seconds)."""
    if seconds is None:
        return
    interface = problem.interface.__name__
    if "glpk" in interface:
        problem.configuration.timeout = max(1, int(math.ceil(seconds)))
    else:
        problem.configuration.timeout = max(1.0, float(seconds))


class FluxProblem:
    """An LP over the model's steady-state fluxes, rebuilt on demand.

    Parameters
    ----------
    model : cobra.Model
        Read, never changed.
    interface : module
        An optlang interface (``optlang.glpk_interface`` …).
    time_limit : float
        Wall-clock limit of each solve in seconds.

    Attributes
    ----------
    variables : dict
        Reaction id → optlang variable (one per reaction, bounds capped).
    bounds : dict
        Reaction id → the (capped) wild-type bounds.
    """

    def __init__(self, model, interface, time_limit: float = DEFAULT_LP_TIME_LIMIT) -> None:
        self.interface = interface
        self.time_limit = time_limit
        self._stoich: dict[str, dict[str, float]] = {}
        self.bounds: dict[str, tuple[float, float]] = {}
        for reaction in model.reactions:
            self._stoich[reaction.id] = {m.id: c for m, c in reaction.metabolites.items()}
            self.bounds[reaction.id] = (cap_bound(reaction.lower_bound),
                                        cap_bound(reaction.upper_bound))
        # Current bounds (wild type unless changed); survives a rebuild.
        self.current: dict[str, tuple[float, float]] = dict(self.bounds)
        self.extra_constraints: list[tuple[str, dict[str, float], float | None, float | None]] = []
        self.rebuilds = 0
        self._build()

    # -- construction ---------------------------------------------------------------
    def _build(self) -> None:
        interface = self.interface
        problem = interface.Model()
        names = {rid: f"v{i}" for i, rid in enumerate(self._stoich)}
        self.variables = {
            rid: interface.Variable(names[rid], lb=lb, ub=ub)
            for rid, (lb, ub) in self.current.items()
        }
        problem.add(list(self.variables.values()))
        rows: dict[str, dict] = {}
        for rid, stoich in self._stoich.items():
            var = self.variables[rid]
            for met, coef in stoich.items():
                rows.setdefault(met, {})[var] = coef
        constraints = {met: interface.Constraint(Zero, lb=0, ub=0, name=f"m{i}")
                       for i, met in enumerate(rows)}
        problem.add(list(constraints.values()))
        problem.update()
        for met, coefs in rows.items():
            constraints[met].set_linear_coefficients(coefs)
        self._rows = constraints
        self.named_constraints = {}
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
        self._scale()

    def _scale(self) -> None:
        """Scale the GLPK matrix (again after a structural change; optlang would do it
        before every solve, which costs more than the solve itself)."""
        if self._glpk:
            import swiglpk

            swiglpk.glp_scale_prob(self.problem.problem, swiglpk.GLP_SF_AUTO)

    def _add_constraint(self, problem, name, coefs, lb, ub) -> None:
        constraint = self.interface.Constraint(Zero, lb=lb, ub=ub, name=name)
        problem.add(constraint)
        problem.update()
        constraint.set_linear_coefficients({self.variables[r]: c for r, c in coefs.items()})
        self.named_constraints[name] = constraint

    def add_reaction(self, rid: str, stoich: Mapping[str, float], lb: float, ub: float) -> None:
        """Add a reaction that is not in the model (kept across rebuilds)."""
        self._stoich[rid] = dict(stoich)
        self.bounds[rid] = self.current[rid] = (cap_bound(lb), cap_bound(ub))
        var = self.interface.Variable(f"v{len(self.variables)}", lb=self.current[rid][0],
                                      ub=self.current[rid][1])
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
        self._scale()

    def add_constraint(self, name: str, coefs: Mapping[str, float],
                       lb: float | None = None, ub: float | None = None) -> None:
        """Add a linear constraint over reaction fluxes (kept across rebuilds)."""
        self.extra_constraints.append((name, dict(coefs), lb, ub))
        self._add_constraint(self.problem, name, coefs, lb, ub)
        self._scale()

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
        """Set a reaction's bounds in the LP (and remember them for rebuilds)."""
        self.current[rid] = (lb, ub)
        self.variables[rid].set_bounds(lb, ub)

    def fluxes(self) -> dict[str, float]:
        """Reaction id → flux of the last solve (call only after an optimal solve)."""
        values = self.problem.primal_values
        return {rid: values[var.name] for rid, var in self.variables.items()}

    def restore(self, rid: str) -> None:
        """Give a reaction back its wild-type bounds."""
        self.set_bounds(rid, *self.bounds[rid])

    # -- solving ----------------------------------------------------------------------
    def solve(self, coefs: Mapping[str, float], direction: str,
              primal: bool = False) -> float | None:
        """Optimise a linear objective over reaction fluxes.

        Parameters
        ----------
        coefs : mapping
            Reaction id → objective coefficient.
        direction : {"max", "min"}
            Optimisation sense.
        primal : bool
            GLPK: start with the primal simplex. Only for a solve whose warm-start
            basis is still primal feasible (the bounds are those of the previous
            optimal solve, only the objective changed or a row was relaxed
            around its solution); after bound changes the dual simplex is used.

        Returns
        -------
        float or None
            The optimal value, or None when the LP is infeasible (confirmed on a
            fresh basis). Any other outcome (time limit, numerical trouble) is
            retried on a fresh basis and then on a freshly built problem; if that
            fails too, :class:`~cobra_gdel.exceptions.SolverError` is raised. No
            value is ever read from a solve that did not finish optimal.
        """
        status = "unsolved"
        for attempt in ("warm", "fresh basis", "fresh problem"):
            if attempt == "fresh basis":
                logger.info("LP status %r; retrying from a fresh basis.", status)
                self._fresh_basis()
            elif attempt == "fresh problem":
                logger.warning("LP status %r after a fresh basis; rebuilding the problem.",
                               status)
                self.rebuild()
            self._set_objective(coefs, direction)
            status = self._optimize(primal and attempt == "warm")
            if status == OPTIMAL:
                return self.objective_value()
            if status == INFEASIBLE and attempt != "warm":
                return None
        raise SolverError(
            f"the LP ({self.interface.__name__}) ended with status {status!r} even on a "
            f"fresh problem (time limit {self.time_limit} s)"
        )

    def _set_objective(self, coefs: Mapping[str, float], direction: str) -> None:
        """Change the persistent objective's coefficients and sense in place."""
        objective = self.problem.objective
        update = {self.variables[r]: 0.0 for r in self._objective_coefs if r not in coefs}
        update.update({self.variables[r]: c for r, c in coefs.items()})
        objective.set_linear_coefficients(update)
        if objective.direction != direction:
            objective.direction = direction
        self._objective_coefs = dict(coefs)

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
        """GLPK simplex without optlang's per-solve re-scaling (scaled once per build)."""
        problem = self.problem
        run = getattr(problem, "_run_glp_simplex", None)
        if run is None:  # a future optlang without the private helper
            return problem.optimize()
        problem.update()
        import swiglpk

        # A fresh LU factorisation of the warm-start basis: GLPK's updated factors drift
        # over many bound changes, and the dual simplex then reported wrong optima here.
        if swiglpk.glp_bf_exists(problem.problem) and swiglpk.glp_factorize(problem.problem) != 0:
            swiglpk.glp_std_basis(problem.problem)
        smcp = problem.configuration._smcp
        if primal:
            smcp.meth = swiglpk.GLP_PRIMAL
        try:
            status = run()
        finally:
            smcp.meth = swiglpk.GLP_DUALP
        problem._status = status
        return status

    def objective_value(self) -> float:
        """The optimal objective value of the last solve."""
        if self._glpk:
            import swiglpk

            return swiglpk.glp_get_obj_val(self.problem.problem)
        return self.problem.objective.value

    def rebuild(self) -> None:
        """Build the problem afresh (same bounds, constraints and objective)."""
        self.rebuilds += 1
        self._build()

    def reset_basis(self) -> None:
        """Forget the warm-start basis (the next solve starts cold)."""
        self._fresh_basis()

    def _fresh_basis(self) -> None:
        if "glpk" in self.interface.__name__:
            import swiglpk

            swiglpk.glp_std_basis(self.problem.problem)
        else:  # no portable basis reset: a fresh problem is the reliable fallback
            self.rebuilds += 1
            self._build()


def available_solvers() -> list[str]:
    """Names cobra accepts for ``model.solver`` that are importable here (e.g. "glpk", "hybrid")."""
    from cobra.util.solver import solvers

    return sorted(solvers)
