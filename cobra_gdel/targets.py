"""What a design is about: the target, its production reaction, the genes never deleted.

- :func:`resolve_target`: a metabolite id or object → the model's metabolite (close
  ids are suggested for a typo);
- :func:`production_spec` / :func:`production_reaction`: ``EX_<met>`` if the model has
  it, else ``DM_<met>``, else an auxiliary irreversible sink;
- :func:`protected_genes`: spontaneous pseudo-genes and the user's list;
- the default lower bounds of the coupling check and their validation.
"""

from __future__ import annotations

import difflib
import logging
import math
from collections.abc import Iterable

from cobra import Metabolite, Reaction
from cobra.util.context import get_context

from .exceptions import UnknownGeneError, UnknownTargetError

logger = logging.getLogger(__name__)

__all__ = ["GROWTH_LB", "PRODUCTION_LB", "check_bound", "gene_id", "production_reaction",
           "production_spec", "protected_genes", "resolve_target"]

#: Default lower bounds (the thresholds the bundled strategies were computed with).
GROWTH_LB = 0.001
PRODUCTION_LB = 0.001


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
    out = {gene_id(g) for g in protected}
    unknown = sorted(g for g in out if g not in model.genes)
    if unknown:
        raise UnknownGeneError(f"protected genes not in model {model.id!r}: {unknown}")
    for gene in model.genes:
        text = f"{gene.name} {gene.annotation}".lower()
        if gene.id.lower() == "s0001" or "spontaneous" in text:
            out.add(gene.id)
    return frozenset(out)


def gene_id(gene) -> str:
    """The id of a gene given as an id or a cobra Gene (TypeError for anything else)."""
    if isinstance(gene, str):
        return gene
    identifier = getattr(gene, "id", None)
    if not isinstance(identifier, str):
        raise TypeError(f"genes must be gene ids or cobra Genes, not {type(gene).__name__} "
                        f"({gene!r})")
    return identifier


def check_bound(name: str, value) -> float:
    """*value* as a finite float >= 0 (ValueError naming *name* otherwise)."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if math.isnan(value) or value < 0 or math.isinf(value):
        raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    return value
