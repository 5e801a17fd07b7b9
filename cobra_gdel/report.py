"""The outcome of a coupling check (:class:`CouplingReport`) and how attempts compare."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from .targets import GROWTH_LB, PRODUCTION_LB
from .views import ResultView

__all__ = ["CouplingReport", "better_report"]


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



def better_report(a: CouplingReport | None, b: CouplingReport) -> bool:
    """Whether report *b* is a better attempt than *a*: coupled first, then growth
    above its bound, then the higher minimal production (ties keep *a*)."""
    if a is None:
        return True

    def key(r: CouplingReport) -> tuple:
        low = r.min_production if not math.isnan(r.min_production) else -math.inf
        return (r.coupled, r.growth_rate + 1e-9 >= r.growth_lb, low)

    return key(b) > key(a)
