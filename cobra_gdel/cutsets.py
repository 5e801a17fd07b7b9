"""The smallest designs: minimal cut sets of the flux states that grow without producing.

A deletion set is *strongly* coupled at growth ``g`` when every flux distribution that
grows at ``g`` or more produces more than ``production_lb``; if the mutant can still
grow at ``g`` (required here), its maximal growth is at least ``g``, so the design is
weakly coupled too. The fewest gene deletions with that property solve one MILP
(the minimal-cut-set approach of strain design, written here for gene rules):

- the *suppress* system ``S·v = 0, lb ≤ v ≤ ub, growth(v) ≥ g, production(v) ≤ p``
  must have no solution in the mutant. By Farkas' lemma that holds exactly when dual
  multipliers exist (``u`` free for the mass balances, ``a, c ≥ 0`` for the bounds,
  ``α, β ≥ 0`` for growth and production) with ``Sᵀu + a − c − α·growth + β·production
  = 0`` on every reaction that still carries flux and ``ub·a − lb·c − g·α + p·β ≤ −1``;
  a disabled reaction's column equation is released by a free slack ``s`` (big-M);
- the *protect* system — the gDel_minRN program of :mod:`cobra_gdel.milp` with growth
  ``≥ g`` — keeps the mutant growing;
- the objective keeps as many genes as possible.

Each solution is re-checked with the weak-coupling check; a no-good cut then asks for
the next. The route needs a model of stoichiometry and bounds alone (no extra
constraints) and is meant for models of a few hundred genes. Each solve is limited by
work (``NODES`` branch-and-bound nodes) where HiGHS solves it, so the designs are the
same on any machine; GLPK and the optlang back-ends of CPLEX and Gurobi have only the
clock, so there each solve gets ``CLOCK_SECONDS`` per ``NODES`` nodes.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor

from .analysis import growing
from .lp import cap_bound, solver_interface
from .milp import MinRNProblem
from .mip import HighsMip, MilpWork, make_backend
from .problem import DesignTask
from .report import CouplingReport

logger = logging.getLogger(__name__)

__all__ = ["ALTERNATIVE_SHARES", "GROWTH_SHARES", "RESCUE_NODES", "RESCUE_SHARES",
           "SMALL_MODEL_GENES", "growth_levels", "small_model", "smallest_designs"]

#: Growth levels, as shares of the wild type's maximal growth, at which strong coupling
#: is asked for (``growth_lb`` itself when it is higher). Two levels, solved at once on
#: two cores; without the third (50 %) that it had before, 5 of 87 e_coli_core designs
#: were weaker, 5 smaller and 1 larger, and (with the ``milp`` route of
#: :mod:`cobra_gdel.practical` now run only for alternatives) the median call on the
#: renamed model took about half as long (docs/benchmarks.md, renamed e_coli_core notes).
GROWTH_SHARES = (0.2, 0.05)
#: The levels when alternatives are asked for: the 50 % level's designs are often the
#: strongest (textbook succ_e: three 3-gene designs at 6.43, one for each enzyme of the
#: oxidative pentose phosphate pathway).
ALTERNATIVE_SHARES = (0.5, 0.2, 0.05)
#: The levels of repair's last stage (:func:`cobra_gdel.repair.cutset_stage`), tried in
#: turn until one gives a design: slow growth too, where some targets' only designs
#: grow (renamed e_coli_core acald_c: designs grow at about 0.027; a level's MILP may
#: find none within its node limit where a neighbouring one does). 0 stands for
#: ``growth_lb``.
RESCUE_SHARES = (0.05, 0.03, 0.01, 0.005, 0.0)
#: Cut sets (and the minimal-design MILP start of :mod:`cobra_gdel.practical`) run on
#: models with at most this many genes.
SMALL_MODEL_GENES = 300
#: Big-M of the released column equations and of the bound multipliers.
BIG_M = 1e4
#: Work limit of each solve (branch-and-bound nodes).
NODES = 2000
#: Seconds of one solve per ``NODES`` nodes on a back-end without a node limit (GLPK,
#: and CPLEX or Gurobi through optlang), whose solves stop only on the clock. Without it
#: the first level's solve took all of the task's time: textbook succ_e with
#: ``solver="glpk"`` took 60 s for the same design as with this limit (docs/benchmarks.md,
#: "The minimal design with GLPK").
CLOCK_SECONDS = 2.0
#: ... and improving solutions (the last one is then kept).
IMPROVING = None
#: Nodes of repair's last stage in all, shared equally by its distinct growth levels
#: (with ``growth_lb`` = 0.1 on e_coli_core every rescue share gives the level 0.1:
#: one MILP of 20000 nodes finds textbook acald_e's 10-gene design in about 6 s, five
#: of 2000 nodes did not).
RESCUE_NODES = 20000
#: Growth levels solved at once, in threads (None: one per usable CPU; batch workers
#: set 1). The designs do not depend on it.
THREADS: int | None = None


def _dual_system(milp: MinRNProblem, task: DesignTask, growth: float) -> None:
    """Add the Farkas system of the suppress set to *milp*'s structure (see module)."""
    data, s = task.checker.data, milp.structure
    rid, scale = task.checker.production(task.target)
    stoich = dict(data.stoich)
    stoich.setdefault(rid, {task.target: -1.0})
    bounds = {r: (cap_bound(lb), cap_bound(ub)) for r, (lb, ub) in data.bounds.items()}
    bounds.setdefault(rid, (0.0, 1000.0))
    mets = sorted({m for coefs in stoich.values() for m in coefs})
    u = {m: s.col(f"u:{m}", None, None) for m in mets}
    alpha, beta = s.col("alpha", 0.0, None), s.col("beta", 0.0, None)
    switch_of = {r: sw.col for sw in milp.switches for r in sw.reactions}
    normal: dict[int, float] = {alpha: -growth, beta: task.production_lb}
    for r, coefs in stoich.items():
        lb, ub = bounds[r]
        a, c = s.col(f"a:{r}", 0.0, None), s.col(f"c:{r}", 0.0, None)
        row = {u[m]: coef for m, coef in coefs.items()}
        row[a], row[c] = 1.0, -1.0
        row[alpha] = -data.objective.get(r, 0.0)
        row[beta] = scale if r == rid else 0.0
        z = switch_of.get(r)
        if z is not None:  # disabled: the equation is released, the bounds are gone
            slack = s.col(f"s:{r}", None, None)
            row[slack] = 1.0
            s.row({slack: 1.0, z: BIG_M}, ub=BIG_M)
            s.row({slack: -1.0, z: BIG_M}, ub=BIG_M)
            s.row({a: 1.0, z: -BIG_M}, ub=0.0)
            s.row({c: 1.0, z: -BIG_M}, ub=0.0)
        s.row({k: v for k, v in row.items() if v}, lb=0.0, ub=0.0)
        normal[a], normal[c] = ub, -lb
    s.row({k: v for k, v in normal.items() if v}, ub=-1.0)


def _work(nodes: int) -> MilpWork:
    # HiGHS' root reduced-cost heuristic off: the same designs in about two thirds of
    # the time on e_coli_core (docs/benchmarks.md, design quality)
    return MilpWork(nodes, IMPROVING, root_reduced_cost=False,
                    clock=CLOCK_SECONDS * nodes / NODES)


class _Level:
    """The cut-set MILP of one growth level and the designs it gave so far.

    :meth:`solve` touches nothing but its own solver object, so the levels of a task
    can be solved at once in threads (:func:`_solve_all`); :meth:`take` checks the
    solution with the task's checker and adds the no-good cut, one level at a time.
    """

    def __init__(self, task: DesignTask, deletable: frozenset[str], growth: float,
                 nodes: int) -> None:
        interface = solver_interface(task.model, task.milp_solver)
        milp = MinRNProblem(task, deletable, interface, build=False)
        _dual_system(milp, task, growth)
        milp.backend = make_backend(milp.structure, interface)
        milp.require_production(None)
        milp.require_growth(growth)
        milp.set_fewest_deletions_objective()
        self.task, self.milp, self.growth, self.nodes = task, milp, growth, nodes
        self.designs: list[CouplingReport] = []
        self.done = False

    def solve(self, seconds: float) -> str:
        """One solve of the MILP (its outcome, see :meth:`MinRNProblem.solve`); on a
        back-end without a node limit, at most ``CLOCK_SECONDS`` per ``NODES`` nodes."""
        return self.milp.solve(seconds, _work(self.nodes))

    def take(self, outcome: str, n_designs: int) -> None:
        """Check the solution of *outcome*, keep it when coupled, cut it off; ``done``
        once *n_designs* are kept or no further solution exists."""
        task, milp = self.task, self.milp
        if outcome not in ("optimal", "incumbent"):
            self.done = True
            return
        deleted, _off = milp.decode()
        report = task.check(deleted)
        if report.coupled:
            self.designs.append(report)
        else:  # numerically off (big-M): say so and go on
            logger.info("%s: a cut set at growth %.3g does not couple (%s)", task.target,
                        self.growth, report.reason)
        cols = [milp.gene_cols[g] for g in deleted if g in milp.gene_cols]
        if cols:
            milp.backend.add_row({c: 1.0 for c in cols}, lb=1.0)  # keep one of them next time
        self.done = not cols or len(self.designs) >= n_designs


def _threads() -> int:
    if THREADS is not None:
        return max(1, THREADS)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _solve_all(levels: list[_Level], seconds: float) -> list[str]:
    """Solve every level once, in threads where HiGHS solves them (it releases the GIL;
    each solve is single-threaded, seeded and limited by nodes, so the outcomes are
    those of solving one after another)."""
    threads = min(_threads(), len(levels))
    if threads < 2 or not all(isinstance(lv.milp.backend, HighsMip) for lv in levels):
        return [lv.solve(seconds) for lv in levels]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(lambda lv: lv.solve(seconds), levels))


def small_model(task: DesignTask) -> bool:
    """Whether *task*'s model has at most ``SMALL_MODEL_GENES`` genes: the models where
    cut sets, the minimal-design MILP start and the MILP rounds' margin completion
    run, and the margin route keeps its longer plateau."""
    return len(task.checker.genes) <= SMALL_MODEL_GENES


def growth_levels(task: DesignTask, shares: tuple[float, ...] = GROWTH_SHARES
                  ) -> dict[float, float]:
    """The distinct growth levels of *shares* of the wild type's growth for *task*
    (``growth_lb`` where a share's level is lower), highest first: {level: the first
    share giving it}."""
    levels: dict[float, float] = {}
    for share in shares:
        levels.setdefault(max(task.growth_lb, share * task.checker.wild_type_growth), share)
    return dict(sorted(levels.items(), reverse=True))


def smallest_designs(task: DesignTask, n_designs: int = 1,
                     shares: tuple[float, ...] | None = None, *,
                     node_budget: int | None = None,
                     first: bool = False) -> list[CouplingReport]:
    """Fewest-deletion designs, up to *n_designs* per growth level (see
    :func:`growth_levels`), each verified weakly coupled; [] for a model with extra
    constraints (see the module docstring).

    *shares* defaults to ``GROWTH_SHARES`` for one design, ``ALTERNATIVE_SHARES`` for
    more. Each level is one MILP of ``NODES`` branch-and-bound nodes, or of an equal
    share of *node_budget* (at least ``NODES``) when given; the levels are solved at
    once in up to ``THREADS`` threads (same designs as one after another). *first*
    keeps only the designs of the first level, highest first, that gives any (levels
    are then solved a batch of ``THREADS`` at a time, and the next batch only when none
    gave a design).
    """
    checker = task.checker
    if not checker.data.plain:
        return []
    rules = checker.rules
    pool = [g for g in rules.in_rules() if g not in task.protected]
    deletable = frozenset(growing(task, sorted(pool)))
    if shares is None:
        shares = ALTERNATIVE_SHARES if n_designs > 1 else GROWTH_SHARES
    levels = growth_levels(task, shares)
    nodes = NODES if node_budget is None else max(NODES, node_budget // len(levels))
    order = list(levels)
    # with *first*, a batch of levels at a time (as many as run at once), highest first
    batch = min(_threads(), len(order)) if first else len(order)
    found: list[CouplingReport] = []
    for start in range(0, len(order), batch):
        if task.clock.expired("smallest designs"):
            break
        milps = [_Level(task, deletable, growth, nodes) for growth in order[start:start + batch]]
        active = milps
        while active and not task.clock.expired("smallest designs"):
            outcomes = _solve_all(active, min(task.clock.left(), 120.0))
            for level, outcome in zip(active, outcomes):
                level.take(outcome, n_designs)
            active = [lv for lv in active if not lv.done]
        per_level = [lv.designs for lv in milps if lv.designs]
        if first and per_level:
            found = per_level[0]
            break
        found += [report for designs in per_level for report in designs]
    logger.info("%s: %d smallest design(s)", task.target, len(found))
    return found
