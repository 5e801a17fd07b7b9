"""Which reactions without a gene rule a coupled design needs.

A verified design couples in the model as the user has it, and that includes its
*orphan* reactions: reactions that no gene rule encodes, which the model asserts
without genetic evidence. When a design's coupling needs one, the design holds in the
organism only if the organism really has that activity. On iML1515, 13 of 30 minimal
designs of a sample need ``DHORDfum`` (a fumarate-dependent dihydroorotate
dehydrogenase that E. coli's own enzyme, *pyrD*, is not) and ``CITt3pp``, a gene-less
citrate exporter (docs/benchmarks.md, *What the minimal designs rest on*).
:func:`orphan_dependencies` lists them for one design.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import pandas as pd
from cobra.flux_analysis import flux_variability_analysis

from .coupling import GROWTH_TOLERANCE, check_coupling
from .exceptions import InfeasibleModelError
from .targets import GROWTH_LB, PRODUCTION_LB, check_bound, production_reaction, resolve_target

logger = logging.getLogger(__name__)

__all__ = ["FORCED_FLUX", "orphan_dependencies"]

#: A flux range that excludes zero by more than this is forced.
FORCED_FLUX = 1e-6
#: Columns of the table :func:`orphan_dependencies` returns.
COLUMNS = ["name", "reaction", "minimum", "maximum", "needed_for"]


def orphan_dependencies(model, target, deletions: Iterable,
                        growth_lb: float = GROWTH_LB,
                        production_lb: float = PRODUCTION_LB) -> pd.DataFrame:
    """The reactions without a gene rule that a coupled design needs.

    A reaction is listed when (1) it has no gene rule, is not an exchange, demand or
    sink and its own bounds allow zero flux (ATPM's maintenance demand is not listed),
    (2) the wild type grows at ≥ *growth_lb* without it, so the design is what makes it
    matter, (3) its flux cannot be zero at the design's maximal growth (flux
    variability with growth fixed at that maximum, as in the coupling check), and
    (4) closing it in the design stops growth below *growth_lb* (``needed_for`` =
    ``"growth"``) or keeps growth but loses the coupling (``"coupling"``). Every
    verdict is :func:`~cobra_gdel.check_coupling` on the model as it is (its own
    solver, bounds and extra constraints); the model is left unchanged.

    Parameters
    ----------
    model : cobra.Model
    target : str or cobra.Metabolite
        The target metabolite.
    deletions : iterable of str or cobra.Gene
        The design's deleted genes (e.g. ``design.deletions``).
    growth_lb, production_lb : float
        The bounds the design was verified with.

    Returns
    -------
    pandas.DataFrame
        Indexed by reaction id (model order), columns ``name``, ``reaction`` (its
        equation), ``minimum`` and ``maximum`` (its flux range at the design's maximal
        growth) and ``needed_for``; empty when the design needs no orphan reaction.

    Raises
    ------
    ValueError
        When the deletions do not couple the target (there is no coupling to rest on).
    UnknownTargetError, UnknownGeneError, InfeasibleModelError

    Examples
    --------
    In cobra's textbook model no gene encodes the succinate exporter, so every design
    that secretes succinate needs it:

    >>> import cobra, cobra_gdel
    >>> model = cobra.io.load_model("textbook")
    >>> table = cobra_gdel.orphan_dependencies(model, "succ_e", ["b0114", "b0721", "b0767"])
    >>> table["needed_for"].to_dict()
    {'SUCCt3': 'coupling'}
    """
    growth_lb = check_bound("growth_lb", growth_lb)
    production_lb = check_bound("production_lb", production_lb)
    metabolite = resolve_target(model, target)
    genes = list(deletions) if not isinstance(deletions, str) else [deletions]
    report = check_coupling(model, metabolite, genes, growth_lb, production_lb)
    if not report.coupled:
        raise ValueError(f"the deletions do not couple {metabolite.id} ({report.reason}): "
                         "no coupling to rest on")
    genes = sorted(report.deletions)
    candidates = [r.id for r in model.reactions if _orphan(r)]
    ranges = _design_ranges(model, metabolite, genes, candidates)
    rows = {}
    for rid in candidates:  # forced in the design first: one range sweep, then few LPs
        low, high = ranges.loc[rid, "minimum"], ranges.loc[rid, "maximum"]
        if low <= FORCED_FLUX and high >= -FORCED_FLUX:
            continue
        reaction = model.reactions.get_by_id(rid)
        if not _wild_type_can_lose(model, reaction, growth_lb):
            continue
        needed = _needed_for(model, metabolite, genes, rid, growth_lb, production_lb)
        if needed is not None:
            rows[rid] = [reaction.name, reaction.reaction, float(low), float(high), needed]
    logger.info("%s: %d orphan reactions, %d needed by the design", metabolite.id,
                len(candidates), len(rows))
    table = pd.DataFrame.from_dict(rows, orient="index", columns=COLUMNS)
    table.index.name = "reaction_id"
    return table


def _orphan(reaction) -> bool:
    """No gene rule, not an exchange, demand or sink, and not forced by its own bounds
    (a maintenance requirement such as ATPM is the model's demand, not an activity)."""
    return (not reaction.genes and not reaction.boundary
            and reaction.lower_bound <= 0.0 <= reaction.upper_bound)


def _wild_type_can_lose(model, reaction, growth_lb: float) -> bool:
    """Whether the model grows at ≥ *growth_lb* with *reaction* closed."""
    with model:
        reaction.bounds = (0.0, 0.0)
        growth = model.slim_optimize(error_value=0.0)
    return growth >= growth_lb


def _design_ranges(model, metabolite, genes: list[str], reactions: list[str]) -> pd.DataFrame:
    """Flux ranges of *reactions* with *genes* deleted and growth at its maximum (the
    target's production reaction present, as in the check)."""
    if not reactions:
        return pd.DataFrame(columns=["minimum", "maximum"], dtype=float)
    with model:
        production_reaction(model, metabolite)  # adds an auxiliary sink inside the block
        for gene in genes:
            model.genes.get_by_id(gene).knock_out()
        return flux_variability_analysis(model, reactions, processes=1,
                                         fraction_of_optimum=1.0 - GROWTH_TOLERANCE)


def _needed_for(model, metabolite, genes: list[str], rid: str, growth_lb: float,
                production_lb: float) -> str | None:
    """``"growth"`` or ``"coupling"`` when the design loses it with *rid* closed."""
    with model:
        model.reactions.get_by_id(rid).bounds = (0.0, 0.0)
        try:
            report = check_coupling(model, metabolite, genes, growth_lb, production_lb)
        except InfeasibleModelError:  # the closed model can not grow at all
            return "growth"
    if report.growth_rate < growth_lb:
        return "growth"
    return None if report.coupled else "coupling"
