"""Minimal production networks of a model, and the genes they need.

The transferable predictor (:class:`cobra_gdel.predictors.NetworkPredictor`) reads
nothing but the model. For a target it asks which reactions a small network that
grows and produces the target would use, and which genes that network needs:

1. **The LP.** The model's stoichiometry and bounds (every bound capped to ±1000),
   each flux split as ``v = p − n`` with ``p, n ≥ 0``; a row keeps the model's
   objective (its growth) at least ``growth_lb``. The target's production is
   ``EX_<met>``, else ``DM_<met>``, else an irreversible sink, expressed as the
   metabolite's mass-balance row opened to ``[level, 1000]`` (no column is added).
2. **PRmax.** The most production at growth ≥ ``growth_lb`` (0.1: at 0.001 trace
   biomass precursors carry fluxes below the LP tolerances and the decoded network
   cannot grow); below 0.001 it retries at growth ≥ 0.001; still below: no design.
3. **L1 LPs.** For each production level (``"abs"``: ≥ 0.001; a float f:
   ≥ max(0.001, f · PRmax)), minimise ``Σ w_j |v_j|`` with w = 1e-4 for reactions
   without a gene rule and, for those with one, w = 1 (``weights="unit"``) or
   w = 1/M_j (``weights="ranges"``: M_j the reaction's largest absolute flux at growth
   ≥ 0.001, the big-M constant of the gDel_minRN MILP, clipped to [1, 1000]; rescaled
   so that the smallest rule weight is 1). With ``z_j ≥ |v_j|/M_j`` that is the LP
   relaxation of gDel_minRN's objective (enable as few reactions as possible), read
   per reaction. Then re-weight ``w_j / (|v_j| + 1e-3)`` (rescaled likewise) and solve
   again. Each solution (after 0 or 1 re-weightings) is a *variant*; its active set is
   the rule reactions with ``|v_j| > 1e-10``.
4. **Decode** (:func:`decode_kept`, the "maximal" convention of the genome-scale
   strategies): the genes of every single-term active reaction are kept; each
   multi-term active reaction without a kept term keeps the term that enables the
   fewest rule reactions outside the active set, then adds the fewest genes, then
   holds the gene latest in ``model.genes``. Spontaneous pseudo-genes are kept.

The LPs are solved by the :mod:`cobra_gdel.mip` back-ends (HiGHS driven directly
when ``highspy`` is installed, else optlang with the model's solver), from a cold
start for every target, so that a target's answer depends neither on the targets
scored before nor on the load of the machine; the AND-terms of every rule are held
in a fixed order, so that the decode's ties do not follow the string hashes of the
process. A :class:`MinimalNetwork` is built once per model (held weakly, rebuilt when
the model's bounds, rules or objective change) and remembers the scores of every
target it has answered.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from .exceptions import SolverError, UnknownTargetError
from .gpr import rule_to_dnf
from .mip import HighsMip, MipStructure, OptlangMip
from .targets import production_spec, protected_genes

logger = logging.getLogger(__name__)

__all__ = ["BOUND_CAP", "LEVELS", "REWEIGHTS", "WEIGHTS", "MinimalNetwork", "decode_kept",
           "network_for", "variant_scores"]

#: Every bound of the LP is capped to ±BOUND_CAP.
BOUND_CAP = 1000.0
#: Production below this is no production (the strategies' PRLB).
PRODUCTION_LB = 0.001
#: Growth bounds tried in turn for PRmax (see the module docstring).
GROWTH_LEVELS = (0.1, 0.001)
#: Production levels of the L1 variants: "abs" (PRODUCTION_LB) and shares of PRmax.
LEVELS = ("abs", 0.1, 0.5)
#: Re-weighting rounds kept as variants.
REWEIGHTS = (0, 1)
#: L1 weights of the rule reactions: "unit", or "ranges" (1/M_j, see the module).
WEIGHTS = ("unit", "ranges")
#: Growth bound of the flux ranges M_j (gDel_minRN's GRLB, the MILP's default).
RANGE_GROWTH = 0.001
#: M_j is clipped to [RANGE_MIN, BOUND_CAP]: weights spread over at most three orders of
#: magnitude. At 0.1 (0.01), HiGHS ended 'error' on 3 (43) re-weighted LPs of iMM904's
#: 86 targets; at 1 on none of the three data models (docs/benchmarks.md).
RANGE_MIN = 1.0
#: L1 weight of a reaction without a gene rule.
NO_RULE_WEIGHT = 1e-4
#: Added to |v| in the re-weighting.
REWEIGHT_OFFSET = 1e-3
#: A flux above this is active.
ACTIVE_FLUX = 1e-10
#: Seconds allowed to one LP solve.
LP_SECONDS = 60.0


class MinimalNetwork:
    """A model compiled for the minimal-network LPs (see the module docstring).

    Built by :func:`network_for`; holds no reference to the model.

    Parameters
    ----------
    model : cobra.Model
    growth_levels : sequence of float
        Growth bounds tried in turn for PRmax; the first also bounds the L1 LPs
        (default ``GROWTH_LEVELS``; other values are for benchmarks).

    Attributes
    ----------
    model_id : str
    genes : list of str
        Gene ids in model order.
    rules : dict
        Reaction index → DNF terms (frozensets of gene ids), for reactions with a rule.
    spontaneous : frozenset of str
        Pseudo-genes that are always kept.
    backend : str
        ``"highs"`` or ``"optlang"``.
    """

    def __init__(self, model, growth_levels: Sequence[float] = GROWTH_LEVELS) -> None:
        self.model_id = model.id
        self.growth_levels = tuple(float(g) for g in growth_levels)
        self.reactions = [r.id for r in model.reactions]
        self.index = {rid: j for j, rid in enumerate(self.reactions)}
        self.metabolites = [m.id for m in model.metabolites]
        self.genes = [g.id for g in model.genes]
        self.gene_index = {g: i for i, g in enumerate(self.genes)}
        self.spontaneous = protected_genes(model)
        self.rules = _rules(model)
        self._has_rule = np.zeros(len(self.reactions), dtype=bool)
        self._has_rule[list(self.rules)] = True
        self.gene_reactions: dict[str, list[int]] = {g: [] for g in self.genes}
        for j, terms in self.rules.items():
            for gene in frozenset().union(*terms):
                self.gene_reactions.setdefault(gene, []).append(j)
        self.production = {m.id: _production(model, m, self.index) for m in model.metabolites}
        self._growth = _growth_terms(model, self.index)
        self._stoich = _stoichiometry(model)
        self._build_lp(model)
        self._lock = threading.Lock()
        self._scores: dict[tuple, np.ndarray] = {}
        #: 1/M_j per reaction, for ``weights="ranges"`` (set by :meth:`use_ranges`).
        self.range_weights: np.ndarray | None = None
        #: L1 weights before any re-weighting, per weighting (see the module docstring).
        self._base = {"unit": np.where(self._has_rule, 1.0, NO_RULE_WEIGHT)}
        #: Target → its gDel_minRN design as 0/1 per gene, or None (filled by
        #: :class:`~cobra_gdel.predictors.NetworkPredictor` on small models).
        self.designs: dict[str, np.ndarray | None] = {}

    # ------------------------------------------------------------------ the LP
    def _build_lp(self, model) -> None:
        structure = MipStructure()
        n = len(self.reactions)
        lower = np.array([_cap(r.lower_bound) for r in model.reactions])
        upper = np.array([_cap(r.upper_bound) for r in model.reactions])
        self._p_bounds = list(zip(np.maximum(lower, 0.0), np.maximum(upper, 0.0)))
        self._n_bounds = list(zip(np.maximum(-upper, 0.0), np.maximum(-lower, 0.0)))
        for j in range(n):
            structure.col(f"p{j}", *self._p_bounds[j])
        for j in range(n):
            structure.col(f"n{j}", *self._n_bounds[j])
        for coefs in self._stoich:
            structure.row(self._split(coefs), 0.0, 0.0)
        self._growth_row = structure.row(self._split(self._growth), self.growth_levels[0],
                                         None)
        try:
            import highspy  # noqa: F401

            self._lp = HighsMip(structure)
            self.backend = "highs"
        except ImportError:
            self._lp = OptlangMip(structure, model.solver.interface)
            self.backend = "optlang"

    def _split(self, coefs: Mapping[int, float]) -> dict[int, float]:
        """Column coefficients of Σ coef · v_j (v = p − n)."""
        n = len(self.reactions)
        out = {j: c for j, c in coefs.items() if c}
        out.update({n + j: -c for j, c in coefs.items() if c})
        return out

    def _solve(self, costs: Mapping[int, float], sense: str) -> np.ndarray | None:
        """Column values of an optimal solve, None when infeasible."""
        self._lp.set_objective(dict(costs), sense)
        status = self._lp.solve(LP_SECONDS, None)
        if status == "infeasible":
            return None
        if status != "optimal":
            raise SolverError(f"minimal-network LP of {self.model_id!r} ended {status!r}")
        return self._lp.values()

    def _cold_start(self) -> None:
        """A new solver object from the structure: every target is solved from the same
        start (and HiGHS' time limit counts from its object's creation: 15 ms on iML1515)."""
        self._lp.fresh()

    def _flux(self, x: np.ndarray) -> np.ndarray:
        n = len(self.reactions)
        return x[:n] - x[n:2 * n]

    # ------------------------------------------------------------------ production
    def _set_production(self, target: str, level: float | None) -> None:
        """Open the target's production at ≥ *level* (None: closed as in the model)."""
        kind, where = self.production[target]
        n = len(self.reactions)
        if kind == "row":
            self._lp.set_row_bounds(where, 0.0 if level is None else level,
                                    0.0 if level is None else BOUND_CAP)
        elif level is None:
            self._lp.set_bounds(where, *self._p_bounds[where])
            self._lp.set_bounds(n + where, *self._n_bounds[where])
        else:
            low, high = self._p_bounds[where]
            self._lp.set_bounds(where, max(low, level), max(high, level))
            self._lp.set_bounds(n + where, 0.0, 0.0)

    def _production_costs(self, target: str) -> dict[int, float]:
        kind, where = self.production[target]
        if kind == "row":
            return self._split(self._stoich[where])
        return self._split({where: 1.0})

    def _max_production(self, target: str) -> tuple[float, float]:
        """(PRmax, the growth bound it was found at)."""
        for growth in self.growth_levels:
            self._lp.set_row_bounds(self._growth_row, growth, None)
            self._set_production(target, 0.0)
            x = self._solve(self._production_costs(target), "max")
            best = 0.0 if x is None else float(self._lp.objective_value())
            if best >= PRODUCTION_LB:
                return best, growth
        return 0.0, self.growth_levels[-1]

    # ------------------------------------------------------------------ variants
    def use_ranges(self, model) -> None:
        """Compute the weights of ``weights="ranges"`` from *model* (the model this
        network was built from), once: the flux ranges at growth ≥ ``RANGE_GROWTH`` of
        :func:`cobra_gdel.analysis.flux_ranges`, cached on the model's checker, where
        the gDel_minRN MILP finds them too."""
        if self.range_weights is not None:
            return
        from .analysis import flux_ranges
        from .coupling import get_checker

        ranges = flux_ranges(get_checker(model), RANGE_GROWTH)
        capacity = np.array([max(abs(ranges[r][0]), abs(ranges[r][1])) if r in ranges
                             else BOUND_CAP for r in self.reactions])
        weights = 1.0 / np.clip(capacity, RANGE_MIN, BOUND_CAP)
        rule = weights / weights[self._has_rule].min()
        self._base["ranges"] = np.where(self._has_rule, rule, NO_RULE_WEIGHT)
        self.range_weights = weights

    def _base_weights(self, weights: str) -> np.ndarray:
        """L1 weights of *weights* before any re-weighting."""
        if weights not in WEIGHTS:
            raise ValueError(f"weights must be one of {WEIGHTS}, not {weights!r}")
        if weights not in self._base:
            raise ValueError(f"weights={weights!r} needs use_ranges(model) first")
        return self._base[weights]

    def active_sets(self, target: str, levels: Sequence = LEVELS,
                    reweights: Sequence[int] = REWEIGHTS,
                    weights: str = "unit") -> dict[tuple, frozenset]:
        """Active rule reactions of each variant ``(level, reweighting)`` for *target*
        (empty when the model cannot produce it while growing)."""
        if target not in self.production:
            raise UnknownTargetError(f"metabolite {target!r} is not in model {self.model_id!r}")
        base = self._base_weights(weights)
        with self._lock:
            self._cold_start()
            try:
                return self._active_sets(target, tuple(levels), tuple(reweights), base)
            finally:
                self._set_production(target, None)
                self._lp.set_row_bounds(self._growth_row, self.growth_levels[0], None)

    def _active_sets(self, target: str, levels: tuple, reweights: tuple,
                     base: np.ndarray) -> dict[tuple, frozenset]:
        prmax, growth = self._max_production(target)
        if prmax < PRODUCTION_LB:
            return {}
        has_rule = self._has_rule
        out = {}
        for level in levels:
            value = PRODUCTION_LB if level == "abs" else max(PRODUCTION_LB, float(level) * prmax)
            self._lp.set_row_bounds(self._growth_row, growth, None)
            self._set_production(target, value)
            weights = base
            for rounds in range(max(reweights) + 1):
                x = self._solve(_l1_costs(weights), "min")
                if x is None:
                    break
                flux = self._flux(x)
                if rounds in reweights:
                    active = np.flatnonzero((np.abs(flux) > ACTIVE_FLUX) & has_rule)
                    out[(level, rounds)] = frozenset(active.tolist())
                weights = base / (np.abs(flux) + REWEIGHT_OFFSET)
                weights = weights / weights[has_rule].min()
        return out

    def scores(self, target: str, levels: Sequence = LEVELS,
               reweights: Sequence[int] = REWEIGHTS, weights: str = "unit") -> np.ndarray:
        """P(deleted) of every gene (model order) for *target*: 1 − the share of variants
        whose decoded network keeps the gene; 0.5 for every gene when no design exists.
        Remembered per target and settings."""
        key = (target, tuple(levels), tuple(reweights), weights)
        cached = self._scores.get(key)
        if cached is None:
            sets = self.active_sets(target, levels, reweights, weights)
            cached = variant_scores(self, sets.values())
            self._scores[key] = cached
        return cached.copy()


def _l1_costs(weights: np.ndarray) -> dict[int, float]:
    """Costs Σ w_j (p_j + n_j)."""
    n = len(weights)
    costs = {j: float(w) for j, w in enumerate(weights)}
    costs.update({n + j: float(w) for j, w in enumerate(weights)})
    return costs


def variant_scores(network: MinimalNetwork, active_sets: Iterable[frozenset]) -> np.ndarray:
    """1 − the share of *active_sets* whose decoded network keeps each gene (0.5 for
    every gene when there is none)."""
    sets = list(active_sets)
    if not sets:
        return np.full(len(network.genes), 0.5)
    kept = np.zeros(len(network.genes))
    for active in sets:
        for gene in decode_kept(network, active) | network.spontaneous:
            kept[network.gene_index[gene]] += 1
    return 1.0 - kept / len(sets)


def decode_kept(network: MinimalNetwork, active: Iterable[int]) -> set[str]:
    """Genes a network of the *active* rule reactions keeps (see the module docstring)."""
    active = {j for j in active if j in network.rules}
    rules = network.rules
    kept: set[str] = set()
    for j in active:
        if len(rules[j]) == 1:
            kept |= rules[j][0]
    order = network.gene_index
    multi = sorted((j for j in active if len(rules[j]) > 1), key=lambda j: (len(rules[j]), j))
    for j in multi:
        if any(term <= kept for term in rules[j]):
            continue
        best = min(rules[j], key=lambda term: (
            len(_newly_enabled(network, kept, term) - active), len(term - kept),
            -max(order[g] for g in term)))
        kept |= best
    return kept


def _newly_enabled(network: MinimalNetwork, kept: set, term: frozenset) -> set[int]:
    """Rule reactions that keeping *term* on top of *kept* enables."""
    after = kept | term
    touched = {j for g in term - kept for j in network.gene_reactions.get(g, ())}
    rules = network.rules
    return {j for j in touched if any(t <= after for t in rules[j])
            and not any(t <= kept for t in rules[j])}


# ---------------------------------------------------------------------- compiling
def _cap(value: float) -> float:
    return float(min(BOUND_CAP, max(-BOUND_CAP, value)))


def _rules(model) -> dict[int, tuple[frozenset, ...]]:
    """Reaction index → DNF terms; a rule too large for DNF counts as one term of all its
    genes (a network that uses the reaction keeps them all)."""
    out = {}
    for j, reaction in enumerate(model.reactions):
        terms = rule_to_dnf(reaction.gpr)
        if terms is None:
            terms = (frozenset(g.id for g in reaction.genes),)
        if terms:
            # a fixed order: the decode's tie-breaks must not follow the string hashes
            # of this process (PYTHONHASHSEED), or the scores change from run to run
            out[j] = tuple(sorted(terms, key=lambda term: (len(term), sorted(term))))
    return out


def _stoichiometry(model) -> list[dict[int, float]]:
    """Per metabolite (model order): reaction index → coefficient, by reaction index."""
    row_of = {m.id: i for i, m in enumerate(model.metabolites)}
    rows: list[dict[int, float]] = [{} for _ in model.metabolites]
    for j, reaction in enumerate(model.reactions):
        for metabolite, coef in reaction.metabolites.items():
            if coef:
                rows[row_of[metabolite.id]][j] = float(coef)
    return rows


def _production(model, metabolite, index: Mapping[str, int]) -> tuple[str, int]:
    """("reaction", column) of the production reaction, or ("row", metabolite row)."""
    rid, _stoich, auxiliary = production_spec(model, metabolite)
    if auxiliary:
        return "row", model.metabolites.index(metabolite)
    return "reaction", index[rid]


def _growth_terms(model, index: Mapping[str, int]) -> dict[int, float]:
    """Reaction index → coefficient of the model's (linear) objective."""
    from cobra.util.solver import linear_reaction_coefficients

    coefs = {index[r.id]: float(c) for r, c in linear_reaction_coefficients(model).items() if c}
    if not coefs:
        raise ValueError(f"model {model.id!r} has no objective (growth) reaction")
    return coefs


# ---------------------------------------------------------------------- cache
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_CACHE_LOCK = threading.Lock()


def _signature(model) -> tuple:
    """What a :class:`MinimalNetwork` depends on: reactions, bounds, rules, metabolites,
    genes and the objective."""
    from cobra.util.solver import linear_reaction_coefficients

    return (tuple((r.id, r.lower_bound, r.upper_bound, id(r.gpr), len(r.metabolites))
                  for r in model.reactions),
            len(model.metabolites), len(model.genes),
            tuple(sorted((r.id, c) for r, c in linear_reaction_coefficients(model).items())))


def network_for(model) -> MinimalNetwork:
    """The :class:`MinimalNetwork` of *model*, built once and held while the model lives
    (rebuilt when its reactions, bounds, rules or objective change)."""
    signature = _signature(model)
    with _CACHE_LOCK:
        cached = _CACHE.get(model)
    if cached is not None and cached[0] == signature:
        return cached[1]
    network = MinimalNetwork(model)
    with _CACHE_LOCK:
        _CACHE[model] = (signature, network)
    logger.info("minimal-network LP of %s built (%d reactions, %d genes, %s)", model.id,
                len(network.reactions), len(network.genes), network.backend)
    return network
