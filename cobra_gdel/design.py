"""DeletionDesign: the verified result users get back."""

from __future__ import annotations

import html
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import pandas as pd

from .coupling import GROWTH_LB, PRODUCTION_LB, CouplingReport

logger = logging.getLogger(__name__)

__all__ = ["DeletionDesign"]

COUPLED = "coupled"
NOT_COUPLED = "not_coupled"


@dataclass(frozen=True)
class DeletionDesign:
    """A gene-deletion design for growth-coupled production, checked by FBA.

    ``coupled`` is True only when the deletion set was re-checked (maximal
    growth, then minimal production at that growth) and cleared both lower
    bounds.

    Attributes
    ----------
    target : str
        The target metabolite id.
    production_reaction : str
        The reaction whose flux is the target's production.
    deletions : frozenset of str
        Gene ids to delete.
    coupled : bool
        Verified weak growth coupling.
    growth_rate : float
        Maximal growth with the deletions.
    min_production, max_production : float
        Production range at that growth.
    status : str
        ``"coupled"`` or ``"not_coupled"``.
    method : str
        How the design was found (e.g. ``"search"``, ``"repair:threshold"``).
    probabilities : pandas.Series or None
        Gene id → P(deleted) from a predictor, when one was used.
    timings : mapping
        Seconds spent per stage.
    reason : str
        Why the design is not coupled ("" when it is).
    growth_lb, production_lb : float
        The thresholds the design was checked against.
    disabled_reactions : frozenset of str
        Reactions switched off by the deletions through the GPR rules.
    model_id : str
        Id of the model the design was made for.
    """

    target: str
    production_reaction: str
    deletions: frozenset
    coupled: bool
    growth_rate: float
    min_production: float
    max_production: float
    status: str
    method: str
    probabilities: pd.Series | None = field(default=None, compare=False, repr=False)
    timings: Mapping[str, float] = field(default_factory=dict, compare=False, repr=False)
    reason: str = ""
    growth_lb: float = GROWTH_LB
    production_lb: float = PRODUCTION_LB
    disabled_reactions: frozenset = field(default=frozenset(), compare=False, repr=False)
    model_id: str = ""
    _model: object = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "deletions", frozenset(self.deletions))
        object.__setattr__(self, "timings", MappingProxyType(dict(self.timings)))

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def from_report(cls, report: CouplingReport, method: str, *, model=None,
                    probabilities: pd.Series | None = None,
                    timings: Mapping[str, float] | None = None,
                    reason: str | None = None) -> "DeletionDesign":
        """Build a design from a :class:`~cobra_gdel.coupling.CouplingReport`."""
        return cls(
            target=report.target, production_reaction=report.production_reaction,
            deletions=report.deletions, coupled=report.coupled,
            growth_rate=report.growth_rate, min_production=report.min_production,
            max_production=report.max_production,
            status=COUPLED if report.coupled else NOT_COUPLED, method=method,
            probabilities=probabilities, timings=dict(timings or {}),
            reason=report.reason if reason is None else reason,
            growth_lb=report.growth_lb, production_lb=report.production_lb,
            disabled_reactions=report.disabled_reactions,
            model_id=getattr(model, "id", "") or "", _model=model)

    def _require_model(self, model):
        model = model if model is not None else self._model
        if model is None:
            raise ValueError("this design holds no model; pass the model it was made for")
        return model

    # -- operations -----------------------------------------------------------------------
    def recheck(self, model=None) -> CouplingReport:
        """Check the deletions again on *model* (default: the design's model)."""
        from .coupling import check_coupling

        return check_coupling(self._require_model(model), self.target, self.deletions,
                              self.growth_lb, self.production_lb)

    def minimal(self, model=None, *, time_limit: float | None = None) -> "DeletionDesign":
        """Trim to a minimal coupled design (restoring any one gene breaks coupling).

        Parameters
        ----------
        model : cobra.Model, optional
            Default: the model the design was made for.
        time_limit : float, optional
            Seconds; when reached, the design trimmed so far (still coupled) is returned.

        Raises
        ------
        ValueError
            If this design is not coupled (there is nothing verified to trim).
        """
        from .search import trim

        if not self.coupled:
            raise ValueError(f"the design for {self.target} is not coupled ({self.reason}); "
                             "only coupled designs can be trimmed")
        model = self._require_model(model)
        trimmed = trim(model, self.target, self.deletions, growth_lb=self.growth_lb,
                       production_lb=self.production_lb, time_limit=time_limit)
        timings = dict(self.timings)
        timings["trim"] = trimmed.timings.get("trim", 0.0)
        return replace(trimmed, method=f"{self.method}+trim", probabilities=self.probabilities,
                       timings=timings)

    @contextmanager
    def apply(self, model=None) -> Iterator[object]:
        """Knock the design's genes out of *model* for the duration of a ``with`` block.

        Examples
        --------
        >>> with design.apply(model) as m:          # doctest: +SKIP
        ...     m.slim_optimize()
        """
        model = self._require_model(model)
        with model:
            for gene in self.deletions:
                model.genes.get_by_id(gene).knock_out()
            yield model

    def plot(self, ax=None, model=None, points: int = 20):
        """Draw the production envelope of the wild type and of the design.

        Growth rate on the x-axis, target production on the y-axis, with the
        design's operating point (growth_rate, min_production) marked. Needs
        matplotlib (the ``plot`` extra).

        Returns
        -------
        matplotlib.axes.Axes
        """
        from .plotting import plot_design

        return plot_design(self, model=self._require_model(model), ax=ax, points=points)

    # -- views ----------------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """One row per gene: probability, whether deleted, reactions it disables.

        Genes are all scored genes when probabilities exist, else the deleted ones.
        """
        genes = list(self.probabilities.index) if self.probabilities is not None else []
        genes += sorted(g for g in self.deletions if g not in set(genes))
        model = self._model
        disables = {}
        if model is not None:
            for gene in self.deletions:
                if gene in model.genes:
                    rxns = {r.id for r in model.genes.get_by_id(gene).reactions}
                    disables[gene] = ", ".join(sorted(rxns & self.disabled_reactions))
        frame = pd.DataFrame({
            "probability": (self.probabilities.reindex(genes).astype(float)
                            if self.probabilities is not None else float("nan")),
            "deleted": [g in self.deletions for g in genes],
            "disabled_reactions": [disables.get(g, "") for g in genes],
        }, index=pd.Index(genes, name="gene"))
        return frame.sort_values(["deleted", "probability"], ascending=False)

    def summary(self) -> pd.Series:
        """The design's headline numbers as a Series."""
        return pd.Series({
            "target": self.target, "production_reaction": self.production_reaction,
            "status": self.status, "coupled": self.coupled, "n_deletions": len(self.deletions),
            "growth_rate": self.growth_rate, "min_production": self.min_production,
            "max_production": self.max_production, "method": self.method,
            "seconds": sum(self.timings.values()), "reason": self.reason,
        }, name=self.target)

    def to_dict(self) -> dict:
        """JSON-ready dictionary (used by the command line's ``--json``)."""
        out = {k: (v.item() if hasattr(v, "item") else v) for k, v in self.summary().items()}
        out["deletions"] = sorted(self.deletions)
        out["timings"] = dict(self.timings)
        out["model_id"] = self.model_id
        out["growth_lb"], out["production_lb"] = self.growth_lb, self.production_lb
        return out

    def to_string(self) -> str:
        """Plain-text summary (what ``print(design)`` shows)."""
        lines = [
            f"DeletionDesign for {self.target} ({self.production_reaction})"
            + (f" in {self.model_id}" if self.model_id else ""),
            f"  status          {self.status}" + (f" ({self.reason})" if self.reason else ""),
            f"  method          {self.method}",
            f"  deletions ({len(self.deletions)})  {', '.join(sorted(self.deletions)) or '-'}",
            f"  growth rate     {self.growth_rate:.6g}",
            f"  min production  {self.min_production:.6g}",
            f"  max production  {self.max_production:.6g}",
        ]
        if self.timings:
            lines.append("  seconds         " + ", ".join(
                f"{k} {v:.3f}" for k, v in self.timings.items()))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_string()

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
            f"<td style='text-align:left'>{html.escape(str(v))}</td></tr>"
            for k, v in [
                ("Target", f"{self.target} ({self.production_reaction})"),
                ("Status", self.status + (f": {self.reason}" if self.reason else "")),
                ("Method", self.method),
                (f"Deletions ({len(self.deletions)})", ", ".join(sorted(self.deletions)) or "-"),
                ("Growth rate", f"{self.growth_rate:.6g}"),
                ("Production at max growth",
                 f"{self.min_production:.6g} – {self.max_production:.6g}"),
                ("Seconds", f"{sum(self.timings.values()):.3f}"),
            ])
        return f"<table><caption>DeletionDesign</caption>{rows}</table>"
