"""MILP solver back-ends for the gDel_minRN problem: HiGHS directly, or any optlang solver.

A problem is first described as data (:class:`MipStructure`: columns and rows in a fixed
order); a back-end copies it into a solver and answers a small set of calls (objective,
bounds, rows, solve, values). :class:`HighsMip` drives ``highspy`` itself: the same
structure and the same work limits then give the same solution on any machine, under
any load, in any process (optlang's HiGHS layer orders variables and constraints by
Python sets, which differs between builds). :class:`OptlangMip` serves GLPK, CPLEX and
Gurobi through optlang (GLPK has no work limit: its solves stop on the clock).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np
from optlang.interface import FEASIBLE, INFEASIBLE, ITERATION_LIMIT, NODE_LIMIT, OPTIMAL, TIME_LIMIT
from optlang.symbolics import Zero

from ._highs import banner_to_stderr
from .exceptions import SolverError

logger = logging.getLogger(__name__)

__all__ = ["MILP_INTEGRALITY_TOLERANCE", "MIN_SOLVE_SECONDS", "HighsMip", "MilpWork",
           "MipStructure", "OptlangMip", "configure_glpk_milp", "make_backend"]

#: A solve is never started with less than this many seconds.
MIN_SOLVE_SECONDS = 0.1
#: HiGHS' own relative gap, for solves whose work sets none.
HIGHS_REL_GAP = 1e-4
#: Integrality tolerance of the MILP: a "deleted" gene binary left at this value still
#: lets ``ub * z`` flux through its reactions (1000 × HiGHS' default 1e-6 = 1e-3, the
#: default growth_lb), and such incumbents decoded to designs that cannot grow.
MILP_INTEGRALITY_TOLERANCE = 1e-9


@dataclass(frozen=True)
class MilpWork:
    """Work limits of one MILP solve (HiGHS; other solvers only have the clock).

    Attributes
    ----------
    nodes : int
        Most branch-and-bound nodes.
    improving : int or None
        Stop after this many improving solutions (None: no such limit).
    root_reduced_cost : bool
        Run HiGHS' root reduced-cost heuristic (its default). On the cut-set MILPs of
        :mod:`cobra_gdel.cutsets` it took about a third of the time and gave the same
        design sizes on the 52 producible e_coli_core targets (docs/benchmarks.md,
        the notes under the textbook design-quality table).
    gap : float or None
        Stop at this relative gap between incumbent and bound (HiGHS' ``mip_rel_gap``;
        None: HiGHS' default, 1e-4). Other back-ends ignore it.
    clock : float or None
        Seconds that stand in for this work on a back-end without work limits (GLPK,
        and CPLEX or Gurobi through optlang; ``work_limited`` False): there
        :meth:`cobra_gdel.milp.MinRNProblem.solve` stops at the smaller of this and the
        caller's wall-clock guard (None: the guard alone). HiGHS ignores it.
    """

    nodes: int
    improving: int | None = None
    root_reduced_cost: bool = True
    clock: float | None = None
    gap: float | None = None


@dataclass
class MipStructure:
    """A MILP as data: columns and rows in creation order."""

    columns: list[tuple[str, float | None, float | None, bool]] = field(default_factory=list)
    rows: list[tuple[dict[int, float], float | None, float | None]] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)

    def col(self, name: str, lb: float | None, ub: float | None, integer: bool = False) -> int:
        """Add a column (None bound: unbounded); returns its index."""
        self.index[name] = len(self.columns)
        self.columns.append((name, _finite(lb), _finite(ub), integer))
        return self.index[name]

    def row(self, coefs: dict[int, float], lb: float | None = None,
            ub: float | None = None) -> int:
        """Add a row ``lb ≤ Σ coef·column ≤ ub``; returns its index."""
        self.rows.append((dict(coefs), _finite(lb), _finite(ub)))
        return len(self.rows) - 1


def _finite(value: float | None) -> float | None:
    return None if value is None or math.isinf(value) else float(value)


def make_backend(structure: MipStructure, interface):
    """HiGHS directly when *interface* is optlang's HiGHS ("hybrid"), else optlang."""
    if interface.__name__.endswith("hybrid_interface"):
        return HighsMip(structure)
    return OptlangMip(structure, interface)


class HighsMip:
    """The structure in a ``highspy.Highs`` object (one thread, fixed seed)."""

    name = "highs"
    #: Solves are limited by work (nodes, improving solutions), not by ``MilpWork.clock``.
    work_limited = True

    def __init__(self, structure: MipStructure) -> None:
        self.structure = structure
        self.timed_out = False
        self._build()

    def _build(self) -> None:
        import highspy

        banner_to_stderr()
        self._hs = highspy
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        h.setOptionValue("random_seed", 0)
        h.setOptionValue("mip_feasibility_tolerance", MILP_INTEGRALITY_TOLERANCE)
        inf = highspy.kHighsInf
        cols = self.structure.columns
        lower = np.array([-inf if lb is None else lb for _, lb, _, _ in cols], dtype=float)
        upper = np.array([inf if ub is None else ub for _, _, ub, _ in cols], dtype=float)
        h.addVars(len(cols), lower, upper)
        integer = [i for i, (_, _, _, is_int) in enumerate(cols) if is_int]
        if integer:
            h.changeColsIntegrality(len(integer), np.array(integer, dtype=np.int32),
                                    np.array([highspy.HighsVarType.kInteger] * len(integer)))
        for coefs, lb, ub in self.structure.rows:
            self._add_row(h, coefs, lb, ub)
        self.h = h
        self._costs = np.zeros(len(cols))
        self._sense = "min"

    def _add_row(self, h, coefs: dict[int, float], lb, ub) -> None:
        inf = self._hs.kHighsInf
        idx = np.array(list(coefs), dtype=np.int32)
        val = np.array(list(coefs.values()), dtype=float)
        h.addRow(-inf if lb is None else lb, inf if ub is None else ub, len(idx), idx, val)

    def set_objective(self, costs: dict[int, float], sense: str) -> None:
        """Objective Σ costs·columns, ``sense`` "min" or "max"."""
        self._costs = np.zeros(len(self.structure.columns))
        for i, c in costs.items():
            self._costs[i] += c
        self._sense = sense
        n = len(self._costs)
        self.h.changeColsCost(n, np.arange(n, dtype=np.int32), self._costs)
        self.h.changeObjectiveSense(self._hs.ObjSense.kMinimize if sense == "min"
                                    else self._hs.ObjSense.kMaximize)

    def set_bounds(self, col: int, lb: float | None, ub: float | None) -> None:
        """Change one column's bounds (kept in the structure for a rebuild)."""
        name, _lb, _ub, integer = self.structure.columns[col]
        self.structure.columns[col] = (name, _finite(lb), _finite(ub), integer)
        inf = self._hs.kHighsInf
        self.h.changeColBounds(col, -inf if lb is None else lb, inf if ub is None else ub)

    def set_row_bounds(self, row: int, lb: float | None, ub: float | None) -> None:
        """Change one row's bounds (kept in the structure for a rebuild)."""
        coefs, _lb, _ub = self.structure.rows[row]
        self.structure.rows[row] = (coefs, _finite(lb), _finite(ub))
        inf = self._hs.kHighsInf
        self.h.changeRowBounds(row, -inf if lb is None else lb, inf if ub is None else ub)

    def add_row(self, coefs: dict[int, float], lb: float | None = None,
                ub: float | None = None) -> None:
        """Add a row (a no-good cut)."""
        self.structure.row(coefs, lb, ub)
        self._add_row(self.h, coefs, _finite(lb), _finite(ub))

    def solve(self, seconds: float, work: MilpWork | None) -> str:
        """One solve: "optimal", "incumbent", "infeasible", "failed", or "error"."""
        h = self.h
        h.setOptionValue("time_limit", max(MIN_SOLVE_SECONDS, float(seconds)))
        h.setOptionValue("mip_max_nodes", int(work.nodes) if work else 2 ** 31 - 1)
        h.setOptionValue("mip_max_improving_sols",
                         int(work.improving) if work and work.improving else 2 ** 31 - 1)
        h.setOptionValue("mip_heuristic_run_root_reduced_cost",
                         work.root_reduced_cost if work else True)
        h.setOptionValue("mip_rel_gap", work.gap if work and work.gap is not None
                         else HIGHS_REL_GAP)
        try:
            h.run()
        except Exception as exc:  # highspy raises its own types
            logger.info("HiGHS raised %s: %s", type(exc).__name__, exc)
            return "error"
        status = h.getModelStatus()
        kinds = self._hs.HighsModelStatus
        if status == kinds.kTimeLimit:
            self.timed_out = True
        if status == kinds.kOptimal:
            return "optimal"
        if status == kinds.kInfeasible:
            return "infeasible"
        if status in (kinds.kTimeLimit, kinds.kSolutionLimit, kinds.kIterationLimit,
                      kinds.kInterrupt):
            return "incumbent" if h.getInfo().primal_solution_status == 2 else "failed"
        logger.info("HiGHS ended with status %s", h.modelStatusToString(status))
        return "error"

    def values(self) -> np.ndarray:
        """Column values of the last solution."""
        return np.asarray(self.h.getSolution().col_value, dtype=float)

    def objective_value(self) -> float:
        """Objective value of the last solution."""
        return float(self.h.getInfo().objective_function_value)

    def fresh(self) -> None:
        """Rebuild the solver object from the structure (same objective)."""
        costs, sense = self._costs, self._sense
        self._build()
        self.set_objective({i: c for i, c in enumerate(costs) if c}, sense)


class OptlangMip:
    """The structure in an optlang problem (GLPK, CPLEX, Gurobi)."""

    name = "optlang"
    #: Only the clock limits a solve: ``MilpWork.clock`` stands in for the work.
    work_limited = False

    def __init__(self, structure: MipStructure, interface) -> None:
        self.structure = structure
        self.interface = interface
        self.timed_out = False
        self._objective: tuple[dict[int, float], str] = ({}, "min")
        self._build()

    def _build(self) -> None:
        interface = self.interface
        problem = interface.Model()
        self.vars = [interface.Variable(f"c{i}", lb=lb, ub=ub,
                                        type="binary" if integer and lb == 0 and ub == 1
                                        else ("integer" if integer else "continuous"))
                     for i, (_name, lb, ub, integer) in enumerate(self.structure.columns)]
        problem.add(self.vars)
        self.cons = [interface.Constraint(Zero, lb=lb, ub=ub, name=f"r{i}")
                     for i, (_c, lb, ub) in enumerate(self.structure.rows)]
        problem.add(self.cons)
        problem.update()
        for constraint, (coefs, _lb, _ub) in zip(self.cons, self.structure.rows):
            constraint.set_linear_coefficients({self.vars[i]: c for i, c in coefs.items()})
        problem.update()
        self.problem = problem

    def set_objective(self, costs: dict[int, float], sense: str) -> None:
        """Objective Σ costs·columns, ``sense`` "min" or "max"."""
        self._objective = (dict(costs), sense)
        objective = self.interface.Objective(Zero, direction=sense)
        self.problem.objective = objective
        objective.set_linear_coefficients({self.vars[i]: c for i, c in costs.items()})

    def set_bounds(self, col: int, lb: float | None, ub: float | None) -> None:
        """Change one column's bounds (kept in the structure for a rebuild)."""
        name, _lb, _ub, integer = self.structure.columns[col]
        self.structure.columns[col] = (name, _finite(lb), _finite(ub), integer)
        self.vars[col].set_bounds(_finite(lb), _finite(ub))

    def set_row_bounds(self, row: int, lb: float | None, ub: float | None) -> None:
        """Change one row's bounds (kept in the structure for a rebuild)."""
        coefs, _lb, _ub = self.structure.rows[row]
        self.structure.rows[row] = (coefs, _finite(lb), _finite(ub))
        constraint = self.cons[row]
        constraint.lb = None
        constraint.ub = _finite(ub)
        constraint.lb = _finite(lb)

    def add_row(self, coefs: dict[int, float], lb: float | None = None,
                ub: float | None = None) -> None:
        """Add a row (a no-good cut)."""
        index = self.structure.row(coefs, lb, ub)
        constraint = self.interface.Constraint(Zero, lb=_finite(lb), ub=_finite(ub),
                                               name=f"r{index}")
        self.problem.add(constraint)
        self.problem.update()
        constraint.set_linear_coefficients({self.vars[i]: c for i, c in coefs.items()})
        self.cons.append(constraint)

    def solve(self, seconds: float, work: MilpWork | None) -> str:
        """One solve (the clock is the only limit): outcome as :meth:`HighsMip.solve`."""
        seconds = max(MIN_SOLVE_SECONDS, float(seconds))
        if "glpk" in self.interface.__name__:
            configure_glpk_milp(self.problem, seconds)
        else:
            self.problem.configuration.timeout = seconds
            try:
                self.problem.configuration.tolerances.integrality = MILP_INTEGRALITY_TOLERANCE
            except Exception as exc:  # an interface without the option: keep its default
                logger.debug("could not set the integrality tolerance: %s", exc)
        try:
            status = self.problem.optimize()
        except Exception as exc:  # solver libraries raise their own types
            logger.info("MILP solver raised %s: %s", type(exc).__name__, exc)
            return "error"
        if status == TIME_LIMIT:
            self.timed_out = True
        if status == OPTIMAL:
            return "optimal"
        if status == INFEASIBLE:
            return "infeasible"
        if status in (TIME_LIMIT, NODE_LIMIT, ITERATION_LIMIT, FEASIBLE):
            return "incumbent" if _has_incumbent(self.problem) else "failed"
        return "error"

    def values(self) -> np.ndarray:
        """Column values of the last solution (SolverError when one is missing)."""
        values = [v.primal for v in self.vars]
        if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in values):
            raise SolverError("the MILP solution has no value for a variable")
        return np.asarray(values, dtype=float)

    def objective_value(self) -> float:
        """Objective value of the last solution."""
        return float(self.problem.objective.value)

    def fresh(self) -> None:
        """Rebuild the solver object from the structure (same objective)."""
        self._build()
        self.set_objective(*self._objective)


def configure_glpk_milp(problem, seconds: float) -> None:
    """GLPK: the time limit (in milliseconds: optlang rounds to s), applied to its simplex
    and its branch-and-bound in turn, and its primal heuristics and cuts (its plain
    branch-and-bound stops at weak incumbents of this big-M model: measured on
    e_coli_core, 2 more of the 7 targets it missed are found with them). GLPK keeps
    its default integrality tolerance: with 1e-9 one solve on the full iML1515
    program, limited to 2.1 s, was still running more than 10 minutes later."""
    import swiglpk

    milliseconds = max(50, int(min(seconds, 1e6) * 500))
    problem.configuration._smcp.tm_lim = milliseconds
    iocp = problem.configuration._iocp
    iocp.tm_lim = milliseconds
    iocp.fp_heur = swiglpk.GLP_ON
    iocp.ps_heur = swiglpk.GLP_ON
    iocp.ps_tm_lim = max(100, milliseconds // 4)
    for cut in ("mir_cuts", "gmi_cuts", "cov_cuts", "clq_cuts"):
        setattr(iocp, cut, swiglpk.GLP_ON)


def _has_incumbent(problem) -> bool:
    """Whether an optlang MILP that stopped early holds a feasible integer solution."""
    name = problem.interface.__name__
    try:
        if "glpk" in name:
            import swiglpk

            return swiglpk.glp_mip_status(problem.problem) in (swiglpk.GLP_FEAS, swiglpk.GLP_OPT)
        if "gurobi" in name:
            return problem.problem.SolCount > 0
        if "cplex" in name:
            return bool(problem.problem.solution.is_primal_feasible())
    except Exception as exc:  # an interface without the attribute: treat as no incumbent
        logger.debug("could not query the incumbent: %s", exc)
    return False

