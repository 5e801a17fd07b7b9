"""GPR rules as disjunctive normal form, and the reactions a deletion set disables.

cobra stores each rule as a Python AST (``reaction.gpr.body``). Here a rule is
turned once into DNF, a tuple of AND-terms (frozensets of gene ids): the
reaction is active while at least one term has all of its genes present.
:class:`RuleSet` answers every GPR question the design code asks: which
reactions a deletion set disables, and which ones one more deletion or one
restore switches off or back on.
"""

from __future__ import annotations

import ast
import logging
from collections.abc import Iterable, Mapping

logger = logging.getLogger(__name__)

Term = frozenset  # frozenset[str]: genes that must all be present
Rule = tuple  # tuple[Term, ...]: the reaction is active if any term is

# A rule whose DNF would exceed this many terms is kept as its AST and
# evaluated directly (only for the disabled-reaction check).
_MAX_TERMS = 4096


def minimise_terms(terms: Iterable[frozenset]) -> tuple[frozenset, ...]:
    """Drop duplicate terms and terms that contain another term (absorption)."""
    unique = sorted(set(terms), key=len)
    kept: list[frozenset] = []
    for term in unique:
        if not any(other <= term for other in kept):
            kept.append(term)
    return tuple(kept)


def _dnf(node: ast.AST) -> tuple[frozenset, ...]:
    if isinstance(node, ast.Name):
        return (frozenset((node.id,)),)
    if isinstance(node, ast.BoolOp):
        parts = [_dnf(value) for value in node.values]
        if isinstance(node.op, ast.Or):
            return minimise_terms(term for part in parts for term in part)
        terms: tuple[frozenset, ...] = (frozenset(),)
        for part in parts:
            terms = minimise_terms(a | b for a in terms for b in part)
            if len(terms) > _MAX_TERMS:
                raise OverflowError("GPR rule too large for DNF")
        return terms
    if isinstance(node, ast.Expression):
        return _dnf(node.body)
    raise ValueError(f"unsupported GPR node {ast.dump(node)}")


def rule_to_dnf(gpr) -> tuple[frozenset, ...] | None:
    """Convert a cobra ``GPR`` into DNF.

    Parameters
    ----------
    gpr : cobra.core.gene.GPR
        The reaction's rule.

    Returns
    -------
    tuple of frozenset or None
        The AND-terms, ``()`` for a reaction without a rule, or None when the
        DNF is too large to enumerate.
    """
    body = getattr(gpr, "body", None)
    if body is None:
        return ()
    try:
        return _dnf(body)
    except OverflowError:
        logger.warning("GPR rule %s has too many DNF terms; evaluating it directly.", gpr)
        return None


#: Genes by which a deletion set may differ from the last one :meth:`RuleSet.disabled`
#: answered (at least; a quarter of the set on large sets) for it to start from that answer.
_INCREMENTAL_GENES = 16

#: Most branches :func:`_fewest_hitting` explores before it settles for the greedy bound.
_HITTING_NODES = 20000


def _fewest_hitting(terms: tuple[frozenset, ...]) -> int:
    """Size of the smallest gene set that meets every term of *terms* (branch and bound
    on the genes of an unmet term; the greedy answer when the search is too large)."""
    left = list(terms)
    greedy = 0
    while left:  # greedy upper bound: the gene in most unmet terms
        counts: dict[str, int] = {}
        for term in left:
            for gene in term:
                counts[gene] = counts.get(gene, 0) + 1
        gene = min(counts, key=lambda g: (-counts[g], g))
        left = [term for term in left if gene not in term]
        greedy += 1
    best = greedy
    nodes = 0

    def search(unmet: list[frozenset], size: int) -> None:
        nonlocal best, nodes
        nodes += 1
        if not unmet:
            best = min(best, size)
            return
        if size + 1 >= best or nodes > _HITTING_NODES:
            return
        term = min(unmet, key=len)
        for gene in sorted(term):
            search([t for t in unmet if gene not in t], size + 1)

    search(list(terms), 0)
    return best


class RuleSet:
    """The GPR rules of a model, compiled once for fast knock-out evaluation.

    Parameters
    ----------
    model : cobra.Model
        The model whose rules are compiled.
    """

    def __init__(self, model) -> None:
        self.rules: dict[str, tuple[frozenset, ...]] = {}
        self._ast: dict[str, object] = {}
        gene_reactions: dict[str, list[str]] = {gene.id: [] for gene in model.genes}
        for reaction in model.reactions:
            terms = rule_to_dnf(reaction.gpr)
            if terms is None:
                self._ast[reaction.id] = reaction.gpr
                genes = {g.id for g in reaction.genes}
            elif not terms:
                continue
            else:
                self.rules[reaction.id] = terms
                genes = set().union(*terms)
            for gene in genes:
                gene_reactions.setdefault(gene, []).append(reaction.id)
        self.gene_reactions: Mapping[str, tuple[str, ...]] = {
            g: tuple(r) for g, r in gene_reactions.items()
        }
        self._costs: dict[str, int] = {}
        # the last answer of disabled(): (deleted, disabled), the base of the next one
        self._last: tuple[frozenset, frozenset] = (frozenset(), frozenset())

    def knockout_cost(self, rid: str) -> int:
        """The fewest gene deletions that switch reaction *rid* off (the smallest set
        of genes that meets every AND-term: 1 for a single gene or a complex, the
        number of isozymes for isozymes; 0 for a reaction without a rule)."""
        cost = self._costs.get(rid)
        if cost is None:
            terms = self.rules.get(rid)
            cost = (len(self.rule_genes(rid)) if terms is None
                    else _fewest_hitting(terms))
            self._costs[rid] = cost
        return cost

    def rule_off(self, rid: str, deleted) -> bool:
        """Whether reaction *rid*'s rule is false once the genes in *deleted* are false."""
        terms = self.rules.get(rid)
        if terms is not None:
            return all(not term.isdisjoint(deleted) for term in terms)
        return not self._ast[rid].eval(knockouts=deleted)

    def rule_genes(self, rid: str) -> frozenset[str]:
        """Genes that occur in reaction *rid*'s rule (empty for a reaction without one)."""
        terms = self.rules.get(rid)
        if terms is not None:
            return frozenset().union(*terms)
        gpr = self._ast.get(rid)
        return frozenset(gpr.genes) if gpr is not None else frozenset()

    def newly_disabled(self, deleted: set, disabled: frozenset, gene: str) -> set[str]:
        """Reactions that deleting *gene* on top of *deleted* switches off.

        *disabled* must be ``self.disabled(deleted)``; only *gene*'s own reactions
        can change.
        """
        after = deleted | {gene}
        return {r for r in self.gene_reactions.get(gene, ())
                if r not in disabled and self.rule_off(r, after)}

    def reenabled(self, deleted: set, disabled: frozenset, gene: str) -> set[str]:
        """Reactions that restoring *gene* (a member of *deleted*) switches back on.

        *disabled* must be ``self.disabled(deleted)``.
        """
        rest = deleted - {gene}
        return {r for r in self.gene_reactions.get(gene, ())
                if r in disabled and not self.rule_off(r, rest)}

    def in_rules(self) -> frozenset[str]:
        """Genes that occur in at least one rule (deleting any other gene changes nothing)."""
        return frozenset(g for g, rxns in self.gene_reactions.items() if rxns)

    def disabled(self, deleted: Iterable[str]) -> frozenset[str]:
        """Reactions whose rule is false once the *deleted* genes are false.

        Worked out from the previous answer when *deleted* differs from its genes in
        few genes (only their reactions can change: a restore tried by trimming, a
        deletion scored by a search), else from scratch.
        """
        deleted = frozenset(deleted)
        base, off = self._last
        changed = deleted ^ base
        if len(changed) <= max(_INCREMENTAL_GENES, len(deleted) // 4):
            touched = self._reactions_of(changed)
            result = frozenset((off - touched) | self._off(touched, deleted))
        else:
            result = frozenset(self._off(self._reactions_of(deleted), deleted))
        self._last = (deleted, result)
        return result

    def _reactions_of(self, genes: Iterable[str]) -> set[str]:
        reactions = self.gene_reactions
        return set().union(*[reactions[g] for g in genes if g in reactions])

    def _off(self, reactions: Iterable[str], deleted: frozenset) -> set[str]:
        """The *reactions* whose rule is false once the *deleted* genes are false."""
        rules, intact = self.rules, deleted.isdisjoint
        out = set()
        for rid in reactions:
            terms = rules.get(rid)
            if terms is not None:
                # false when no AND-term is left intact (map: no generator per rule)
                if not any(map(intact, terms)):
                    out.add(rid)
            elif not self._ast[rid].eval(knockouts=deleted):
                out.add(rid)
        return out
