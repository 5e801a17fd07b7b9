"""The weak-coupling check written with cobra's own objects: slow, for comparisons.

:func:`cobra_check` is what a COBRApy user would write: ``with model:``, the target's
production reaction (a demand reaction added when the model has no ``EX_``), the
genes knocked out with ``gene.knock_out()``, growth maximised with ``slim_optimize``,
fixed 1e-6 below its maximum, and production minimised. ``tests/test_fidelity.py``
and ``benchmarks/fidelity.py`` compare :func:`cobra_gdel.check_coupling` with it,
``benchmarks/coupling.py`` times both.
"""

from __future__ import annotations

from collections.abc import Iterable

from cobra.util.solver import linear_reaction_coefficients

from .targets import GROWTH_LB, PRODUCTION_LB

__all__ = ["cobra_check"]


def cobra_check(model, target: str, deletions: Iterable[str], growth_lb: float = GROWTH_LB,
                production_lb: float = PRODUCTION_LB) -> tuple[float, float, bool]:
    """(maximal growth, minimal production at that growth, coupled) by cobra's own FBA.

    The model is changed only inside a ``with`` block. Growth is NaN when cobra's solve
    gave no value; production is NaN when growth is below *growth_lb* or its solve gave
    no value.
    """
    with model:
        metabolite = model.metabolites.get_by_id(target)
        rid = "EX_" + target
        production = (model.reactions.get_by_id(rid) if rid in model.reactions
                      else model.add_boundary(metabolite, type="demand"))
        for gene in deletions:
            model.genes.get_by_id(gene).knock_out()
        growth = model.slim_optimize(error_value=float("nan"))
        if not growth >= growth_lb:
            return growth, float("nan"), False
        (biomass,) = linear_reaction_coefficients(model)
        biomass.lower_bound = growth * (1 - 1e-6)
        model.objective = production
        model.objective_direction = "min"
        low = model.slim_optimize(error_value=float("nan"))
        return growth, low, bool(low + 1e-9 >= production_lb)
