"""Weak growth coupling: the production reaction and the two-LP check.

Definitions (see ``docs/concepts``): a deletion set ``D`` is applied through the
GPR rules; ``GR`` is the maximal growth; with growth fixed at ``GR`` (less a tiny
tolerance) the target's production is minimised (``PRmin``) and maximised
(``PRmax``). ``D`` is weakly growth-coupled when ``GR >= growth_lb`` and
``PRmin >= production_lb``.

The check never edits the user's model: a :class:`CouplingChecker` builds its
own LP from the model once and is cached per model and target, so repeated
checks only change variable bounds.
"""

from __future__ import annotations

import difflib
import logging
import math
import operator
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd
from cobra import Metabolite, Reaction
from cobra.util.context import get_context
from cobra.util.solver import linear_reaction_coefficients

from .gpr import RuleSet
from .lp import DEFAULT_LP_TIME_LIMIT, FluxProblem, solver_interface
from .views import ResultView
from .exceptions import (
    InfeasibleModelError,
    NoProductionRouteError,
    UnknownGeneError,
    UnknownTargetError,
)

logger = logging.getLogger(__name__)

__all__ = [
    "CouplingChecker",
    "CouplingReport",
    "better_report",
    "check_bound",
    "check_coupling",
    "clear_cache",
    "get_checker",
    "production_reaction",
    "production_spec",
    "protected_genes",
    "resolve_target",
]

#: Default lower bounds (the thresholds the bundled strategies were computed with).
GROWTH_LB = 0.001
PRODUCTION_LB = 0.001
#: Growth is fixed this far (relative, at least absolute 1e-9) below its maximum.
GROWTH_TOLERANCE = 1e-6
#: Slack on the final comparisons against the lower bounds.
EPS = 1e-9


# -- targets ------------------------------------------------------------------------------
def resolve_target(model, target) -> Metabolite:
    """Return the model's metabolite for *target* (an id or a Metabolite).

    Raises
    ------
    UnknownTargetError
        With the closest metabolite ids when *target* is not in the model.
    """
    if isinstance(target, Metabolite):
        target = target.id
    if not isinstance(target, str):
        raise TypeError(f"target must be a metabolite id or Metabolite, not {type(target).__name__}")
    try:
        return model.metabolites.get_by_id(target)
    except KeyError:
        pass
    hint = ""
    if target in model.reactions:
        mets = [m.id for m in model.reactions.get_by_id(target).metabolites]
        hint = f" {target!r} is a reaction; pass one of its metabolites: {mets}."
    else:
        close = difflib.get_close_matches(target, [m.id for m in model.metabolites], n=5, cutoff=0.6)
        if close:
            hint = f" Did you mean {', '.join(map(repr, close))}?"
    raise UnknownTargetError(f"metabolite {target!r} is not in model {model.id!r}.{hint}")


def production_spec(model, metabolite: Metabolite) -> tuple[str, dict[str, float], bool]:
    """(reaction id, stoichiometry, auxiliary?) of the target's production reaction."""
    for prefix in ("EX_", "DM_"):
        rid = prefix + metabolite.id
        if rid in model.reactions:
            reaction = model.reactions.get_by_id(rid)
            stoich = {m.id: c for m, c in reaction.metabolites.items()}
            if stoich.get(metabolite.id, 0) < 0:
                return rid, stoich, False
            logger.warning("%s does not consume %s; not used as its production reaction.",
                           rid, metabolite.id)
    return "DM_" + metabolite.id, {metabolite.id: -1.0}, True


def production_reaction(model, target) -> Reaction:
    """The reaction whose flux is the target's production.

    ``EX_<met>`` if the model has it, else ``DM_<met>``, else a new irreversible
    sink ``DM_<met>`` (``<met> -->``, bounds 0 to 1000). The new sink is added to
    the model only inside a ``with model:`` block (and removed when it ends);
    outside one it is returned unattached and the model is left unchanged.

    Parameters
    ----------
    model : cobra.Model
        The model.
    target : str or cobra.Metabolite
        The target metabolite.

    Returns
    -------
    cobra.Reaction
    """
    metabolite = resolve_target(model, target)
    rid, _stoich, auxiliary = production_spec(model, metabolite)
    if not auxiliary:
        return model.reactions.get_by_id(rid)
    reaction = Reaction(rid, name=f"cobra_gdel auxiliary sink of {metabolite.id}",
                        lower_bound=0.0, upper_bound=1000.0)
    reaction.add_metabolites({metabolite: -1.0})
    if get_context(model) is not None:
        model.add_reactions([reaction])
    return reaction


def protected_genes(model, protected: Iterable = ()) -> frozenset[str]:
    """Genes that are never part of a returned design.

    Spontaneous pseudo-genes (BiGG's ``s0001``, or a gene whose name or
    annotation says "spontaneous") and the genes the user lists.
    """
    out = {_gene_id(g) for g in protected}
    unknown = sorted(g for g in out if g not in model.genes)
    if unknown:
        raise UnknownGeneError(f"protected genes not in model {model.id!r}: {unknown}")
    for gene in model.genes:
        text = f"{gene.name} {gene.annotation}".lower()
        if gene.id.lower() == "s0001" or "spontaneous" in text:
            out.add(gene.id)
    return frozenset(out)


def _gene_id(gene) -> str:
    return gene if isinstance(gene, str) else gene.id


def check_bound(name: str, value) -> float:
    """*value* as a finite float >= 0 (ValueError naming *name* otherwise)."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if math.isnan(value) or value < 0 or math.isinf(value):
        raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    return value


# -- report -------------------------------------------------------------------------------
@dataclass(frozen=True)
class CouplingReport(ResultView):
    """Outcome of one weak growth-coupling check.

    Attributes
    ----------
    target, production_reaction : str
        Metabolite id and the id of the reaction whose flux is its production.
    deletions : frozenset of str
        The deleted genes.
    coupled : bool
        ``growth_rate >= growth_lb`` and ``min_production >= production_lb``.
    growth_rate : float
        Maximal growth with the deletions (0 if no flux distribution is feasible).
    min_production, max_production : float
        Production range with growth fixed at ``growth_rate`` (NaN when infeasible).
    disabled_reactions : frozenset of str
        Reactions whose GPR rule is false once the deleted genes are false.
    growth_lb, production_lb : float
        The thresholds used.
    reason : str
        Why the set is not coupled ("" when it is).
    gene_reactions : mapping
        Gene id -> the reactions in its GPR rules (for :meth:`to_frame`).
    """

    target: str
    production_reaction: str
    deletions: frozenset = field(repr=False)
    coupled: bool
    growth_rate: float
    min_production: float
    max_production: float
    disabled_reactions: frozenset = field(repr=False)
    growth_lb: float = GROWTH_LB
    production_lb: float = PRODUCTION_LB
    reason: str = ""

    gene_reactions: Mapping = field(default_factory=dict, compare=False, repr=False)

    def summary(self) -> pd.Series:
        """The check's headline numbers as a Series."""
        return pd.Series({
            "target": self.target, "production_reaction": self.production_reaction,
            "coupled": self.coupled, "n_deletions": len(self.deletions),
            "growth_rate": self.growth_rate, "min_production": self.min_production,
            "max_production": self.max_production,
            "n_disabled_reactions": len(self.disabled_reactions), "reason": self.reason,
        }, name=self.target)

    def to_frame(self) -> pd.DataFrame:
        """One row per deleted gene: the reactions its deletion helps to disable."""
        genes = sorted(self.deletions)
        disables = [", ".join(sorted(set(self.gene_reactions.get(g, ())) & self.disabled_reactions))
                    for g in genes]
        return pd.DataFrame({"deleted": [True] * len(genes), "disabled_reactions": disables},
                            index=pd.Index(genes, name="gene"))

    def to_dict(self) -> dict:
        """JSON-ready dictionary (the command line's ``check --json``)."""
        out = {k: (v.item() if hasattr(v, "item") else v) for k, v in self.summary().items()}
        out["deletions"] = sorted(self.deletions)
        out["growth_lb"], out["production_lb"] = self.growth_lb, self.production_lb
        return out

    def _title(self) -> str:
        return (f"CouplingReport for {self.target} ({self.production_reaction}): "
                + ("COUPLED" if self.coupled else "NOT coupled"))


# -- checker ------------------------------------------------------------------------------
class CouplingChecker:
    """Reusable weak growth-coupling checks on one model, for any target.

    Builds its own LP from *model* once (one variable per reaction, bounds capped
    at ±1000); each check changes only the bounds of reactions whose disabled
    state differs from the previous check, and an auxiliary sink is added to the
    LP (closed unless its target is being checked) the first time a target
    without an ``EX_``/``DM_`` reaction is seen. The model itself is never
    modified; edits made to it later are not seen by this object (use
    :func:`get_checker`, which notices them).

    Parameters
    ----------
    model : cobra.Model
        The model.
    solver : str, optional
        An optlang solver name ("glpk", "hybrid", "cplex", "gurobi"); default:
        the model's solver.
    time_limit : float
        Wall-clock limit of each LP solve, seconds.

    Raises
    ------
    InfeasibleModelError
        If the model without deletions is infeasible or cannot grow.
    """

    def __init__(self, model, *, solver=None, time_limit: float = DEFAULT_LP_TIME_LIMIT) -> None:
        self.model_id = model.id
        self._model = weakref.ref(model)
        self.growth_coefs = {r.id: float(c) for r, c in linear_reaction_coefficients(model).items()}
        if not self.growth_coefs:
            raise InfeasibleModelError(f"model {model.id!r} has no (linear) growth objective")
        self.genes = frozenset(g.id for g in model.genes)
        self.rules = RuleSet(model)
        self.interface = solver_interface(model, solver)
        self.lp = FluxProblem(model, self.interface, time_limit=time_limit)
        self.lp.add_constraint("growth_fix", self.growth_coefs, lb=None, ub=None)
        self._disabled: frozenset[str] = frozenset()
        self._targets: dict[str, tuple[str, dict[str, float]]] = {}
        self._sinks: set[str] = set()
        self._open_sink: str | None = None
        wild = self.lp.solve(self.growth_coefs, "max")
        if wild is None:
            raise InfeasibleModelError(
                f"model {model.id!r} is infeasible without any deletion (check its bounds "
                "and medium)")
        if wild <= EPS:
            raise InfeasibleModelError(f"model {model.id!r} cannot grow without any deletion")
        self.wild_type_growth = wild
        #: Analyses derived from this checker's model (flux ranges, single-deletion
        #: growth, exit routes), filled by :mod:`cobra_gdel.analysis`.
        self.cache: dict = {}

    # -- targets and genes --------------------------------------------------------------
    def production(self, target) -> tuple[str, dict[str, float]]:
        """(production reaction id, objective coefficients) of *target*; opens its sink."""
        key = target.id if isinstance(target, Metabolite) else target
        spec = self._targets.get(key)
        if spec is None:
            model = self._model()
            if model is None:
                raise ReferenceError("the model of this checker no longer exists")
            metabolite = resolve_target(model, target)
            rid, stoich, auxiliary = production_spec(model, metabolite)
            if auxiliary:
                self.lp.add_reaction(rid, stoich, 0.0, 0.0)
                self._sinks.add(rid)
            spec = self._targets[key] = (rid, {rid: -stoich[metabolite.id]})
        rid = spec[0]
        if rid in self._sinks and self._open_sink != rid:
            if self._open_sink is not None:
                self.lp.set_bounds(self._open_sink, 0.0, 0.0)
            self.lp.set_bounds(rid, 0.0, 1000.0)
            self._open_sink = rid
        elif rid not in self._sinks and self._open_sink is not None:
            self.lp.set_bounds(self._open_sink, 0.0, 0.0)
            self._open_sink = None
        return spec

    def validate_genes(self, deletions: Iterable) -> frozenset[str]:
        """Gene ids of *deletions* (ids or Gene objects); unknown ids raise UnknownGeneError."""
        if isinstance(deletions, str):
            deletions = [deletions]
        ids = frozenset(_gene_id(g) for g in deletions)
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
        _rid, coefs = self.production(target)
        self.apply(self.rules.disabled(self.validate_genes(deletions)))
        return self._production_range(coefs, growth_lb)

    def _production_range(self, coefs, growth_lb: float,
                          after_growth: bool = False) -> tuple[float, float]:
        """(min, max) production with growth ≥ *growth_lb* on the current bounds.

        *after_growth*: the last solve maximised growth on these same bounds and
        *growth_lb* lies just below its optimum, so that basis is primal feasible
        and GLPK's primal simplex finishes from it faster than the dual simplex (the
        values agree; ``tests/test_coupling.py`` compares the two).
        """
        self.lp.set_constraint_bounds("growth_fix", growth_lb, None)
        try:
            low = self.lp.solve(coefs, "min", primal=after_growth)
            high = (self.lp.solve(coefs, "max", primal=after_growth) if low is not None
                    else None)
        finally:
            self.lp.set_constraint_bounds("growth_fix", None, None)
        nan = float("nan")
        return (nan, nan) if low is None or high is None else (low, high)

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
        _rid, coefs = self.production(target)
        self.apply(self.rules.disabled(self.validate_genes(deletions)))
        top = self.lp.solve(self.growth_coefs, "max")
        rows = []
        if top is not None:
            for growth in [max(0.0, top) * i / (points - 1) for i in range(points)]:
                self.lp.set_constraint_bounds("growth_fix", growth, growth)
                try:
                    low = self.lp.solve(coefs, "min")
                    high = self.lp.solve(coefs, "max") if low is not None else None
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
        rid, _coefs = self.production(target)
        _low, high = self.production_range(target, (), growth_lb)
        if not high >= production_lb:  # also NaN
            name = target.id if isinstance(target, Metabolite) else target
            raise NoProductionRouteError(
                f"model {self.model_id!r} cannot produce {name} at >= {production_lb:g} "
                f"while growing at >= {growth_lb:g} (maximal production {high:.4g} via "
                f"{rid}); no deletion set can couple it")
        return high

    def check(self, target, deletions: Iterable = (), growth_lb: float = GROWTH_LB,
              production_lb: float = PRODUCTION_LB) -> CouplingReport:
        """Weak growth-coupling check of *deletions* for *target* (see the module docstring).

        The LPs warm-start from the previous check's basis (GLPK: dual simplex on a
        fresh factorisation). An inconsistent outcome (production infeasible at the
        growth just found) is solved again from a fresh basis, then a fresh problem.
        """
        growth_lb = check_bound("growth_lb", growth_lb)
        production_lb = check_bound("production_lb", production_lb)
        rid, coefs = self.production(target)
        name = target.id if isinstance(target, Metabolite) else target
        deleted = self.validate_genes(deletions)
        disabled = self.rules.disabled(deleted)
        self.apply(disabled)
        values = self._evaluate(coefs)
        reason = _verdict(*values, growth_lb, production_lb)
        growth, low, high = values
        rules = self.rules.gene_reactions
        if math.isnan(growth):
            return CouplingReport(name, rid, deleted, False, 0.0, low, high, disabled, growth_lb,
                                  production_lb, reason, rules)
        return CouplingReport(name, rid, deleted, not reason, float(growth), float(low),
                              float(high), disabled, growth_lb, production_lb, reason, rules)

    def _evaluate(self, coefs) -> tuple[float, float, float]:
        """(max growth, min and max production at that growth); NaN where infeasible."""
        nan = float("nan")
        for attempt in range(3):
            if attempt == 1:
                logger.info("production infeasible at the maximal growth; fresh basis")
                self.lp.reset_basis()
            elif attempt == 2:
                logger.warning("production infeasible at the maximal growth; fresh problem")
                self.lp.rebuild()
            growth = self.lp.solve(self.growth_coefs, "max")
            if growth is None:
                return nan, nan, nan
            # Solver noise around zero (GLPK's tolerances; the warm-start basis decides
            # whether a blocked network reports 0 or 6e-14) is reported as 0.
            growth = growth if growth > EPS else 0.0
            low, high = self._production_range(
                coefs, growth - max(EPS, GROWTH_TOLERANCE * growth), after_growth=True)
            if not math.isnan(low):
                break
        return growth, low, high


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


def better_report(a: CouplingReport | None, b: CouplingReport) -> bool:
    """Whether report *b* is a better attempt than *a*: coupled first, then growth
    above its bound, then the higher minimal production (ties keep *a*)."""
    if a is None:
        return True

    def key(r: CouplingReport) -> tuple:
        low = r.min_production if not math.isnan(r.min_production) else -math.inf
        return (r.coupled, r.growth_rate + 1e-9 >= r.growth_lb, low)

    return key(b) > key(a)


# -- cache and the public function ---------------------------------------------------------
_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _fingerprint(model, solver) -> tuple:
    """Cheap summary of what a checker depends on; a change triggers a rebuild."""
    reactions = model.reactions
    try:  # cobra's private fields: ~10x faster than the public properties
        bounds = tuple(map(_BOUNDS, reactions))
        rules = tuple(map(id, map(_GPR, reactions)))
        entries = sum(map(len, map(_STOICH, reactions)))
    except AttributeError:  # pragma: no cover - a cobra without them
        bounds = tuple(r.bounds for r in reactions)
        rules = tuple(id(r.gpr) for r in reactions)
        entries = sum(len(r.metabolites) for r in reactions)
    return (bounds, rules, entries, len(model.metabolites), len(model.genes),
            _objective_signature(model), solver_interface(model, solver).__name__)


_BOUNDS = operator.attrgetter("_lower_bound", "_upper_bound")
_GPR = operator.attrgetter("_gpr")
_STOICH = operator.attrgetter("_metabolites")


def _objective_signature(model) -> tuple:
    objective = model.solver.objective
    coefs = objective.get_linear_coefficients(objective.variables)
    return (objective.direction, tuple(sorted((v.name, c) for v, c in coefs.items() if c)))


def get_checker(model, *, solver=None,
                time_limit: float = DEFAULT_LP_TIME_LIMIT) -> CouplingChecker:
    """A cached :class:`CouplingChecker` for *model*.

    The cache holds the model weakly and builds a new checker when the model's
    bounds, rules, stoichiometry size, objective or solver have changed.
    """
    per_model = _CACHE.setdefault(model, {})
    key = (solver_interface(model, solver).__name__, time_limit)
    fingerprint = _fingerprint(model, solver)
    cached = per_model.get(key)
    if cached is not None and cached[0] == fingerprint:
        return cached[1]
    checker = CouplingChecker(model, solver=solver, time_limit=time_limit)
    per_model[key] = (fingerprint, checker)
    return checker


def clear_cache() -> None:
    """Forget every cached checker (they are rebuilt on the next call)."""
    _CACHE.clear()


def check_coupling(model, target, deletions: Iterable = (), growth_lb: float = GROWTH_LB,
                   production_lb: float = PRODUCTION_LB, *, solver=None) -> CouplingReport:
    """Check whether deleting *deletions* weakly couples *target* to growth.

    Parameters
    ----------
    model : cobra.Model
        The model; it is not modified.
    target : str or cobra.Metabolite
        The target metabolite.
    deletions : iterable of str or cobra.Gene
        Genes to delete (through the GPR rules).
    growth_lb, production_lb : float
        Lower bounds on growth and on minimal production at maximal growth.
    solver : str, optional
        optlang solver name; default: the model's.

    Returns
    -------
    CouplingReport

    Raises
    ------
    UnknownTargetError, UnknownGeneError, InfeasibleModelError, ValueError, SolverError

    Examples
    --------
    >>> import cobra, cobra_gdel
    >>> model = cobra.io.load_model("textbook")
    >>> cobra_gdel.check_coupling(model, "succ_e").coupled
    False
    """
    growth_lb = check_bound("growth_lb", growth_lb)
    production_lb = check_bound("production_lb", production_lb)
    resolve_target(model, target)
    checker = get_checker(model, solver=solver)
    return checker.check(target, deletions, growth_lb, production_lb)
