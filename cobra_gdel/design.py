"""DeletionDesign, the verified result users get back, and the one way a design is finished.

Every stage that produces a design (:mod:`cobra_gdel.search`, :mod:`cobra_gdel.repair`,
:func:`cobra_gdel.trim`, :meth:`DeletionDesign.minimal`) ends in :func:`finish`:
optionally prune deletions that switch off nothing new, re-check, optionally trim to a
minimal design, and build the :class:`DeletionDesign` around its final
:class:`~cobra_gdel.coupling.CouplingReport`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import MappingProxyType

import pandas as pd

from .coupling import check_coupling
from .report import CouplingReport
from .targets import GROWTH_LB, PRODUCTION_LB
from .problem import DesignTask
from .trim import exchange, prune, trim_deletions
from .views import ResultView

logger = logging.getLogger(__name__)

__all__ = ["COUPLED", "NOT_COUPLED", "NO_DESIGN", "DeletionDesign", "DesignSet", "finish",
           "trim"]

#: The three values of :attr:`DeletionDesign.status`.
COUPLED = "coupled"
NOT_COUPLED = "not_coupled"
NO_DESIGN = "no_design"
#: The reason of a design whose trimming was cut short by the time limit.
TRIM_INCOMPLETE = "time limit reached: trimmed design may not be minimal"


@dataclass(frozen=True)
class DeletionDesign(ResultView):
    """A gene-deletion design for growth-coupled production, checked by FBA.

    ``coupled`` is True only when the deletion set was re-checked (maximal growth,
    then minimal production at that growth) and cleared both lower bounds.

    Attributes
    ----------
    report : CouplingReport
        The final check of :attr:`deletions` (every number below comes from it).
    method : str
        How the design was found (e.g. ``"search"``, ``"repair:threshold"``).
    status : str
        ``"coupled"``, ``"not_coupled"``, or ``"no_design"`` when it was proved that
        no deletion set can couple the target (it leaves through reactions that no
        deletable gene controls).
    probabilities : pandas.Series or None
        Gene id → P(deleted) from a predictor, when one was used.
    timings : mapping
        Seconds spent per stage.
    reason : str
        Why the design is not coupled ("" when it is, unless a limit cut it short).
    cut_short : tuple of str
        The stages that the time limit stopped before their own (work) limits; empty
        when every stage ran to its end, and then the same call gives the same design
        on any machine and under any load.
    maximal : DeletionDesign or None
        The verified maximal design a minimal one was chosen from (``predict_deletions``
        by default); None otherwise.
    model_id : str
        Id of the model the design was made for.
    """

    report: CouplingReport
    method: str
    status: str
    probabilities: pd.Series | None = field(default=None, compare=False, repr=False)
    timings: Mapping[str, float] = field(default_factory=dict, compare=False, repr=False)
    reason: str = ""
    cut_short: tuple = field(default=(), compare=False)
    maximal: DeletionDesign | None = field(default=None, compare=False, repr=False)
    model_id: str = ""
    _model: object = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "timings", MappingProxyType(dict(self.timings)))
        if self.status not in (COUPLED, NOT_COUPLED, NO_DESIGN):
            raise ValueError(f"unknown status {self.status!r}")

    # -- the report's numbers -----------------------------------------------------------
    target = property(lambda self: self.report.target, doc="The target metabolite id.")
    production_reaction = property(lambda self: self.report.production_reaction,
                                   doc="The reaction whose flux is the target's production.")
    deletions = property(lambda self: self.report.deletions, doc="Gene ids to delete.")
    coupled = property(lambda self: self.report.coupled, doc="Verified weak growth coupling.")
    growth_rate = property(lambda self: self.report.growth_rate,
                           doc="Maximal growth with the deletions.")
    min_production = property(lambda self: self.report.min_production,
                              doc="Minimal production at maximal growth.")
    max_production = property(lambda self: self.report.max_production,
                              doc="Maximal production at maximal growth.")
    growth_lb = property(lambda self: self.report.growth_lb, doc="Growth bound checked.")
    production_lb = property(lambda self: self.report.production_lb,
                             doc="Production bound checked.")
    disabled_reactions = property(lambda self: self.report.disabled_reactions,
                                  doc="Reactions switched off by the deletions.")

    @property
    def model(self):
        """The model the design was made for (None when it holds none)."""
        return self._model

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def from_report(cls, report: CouplingReport, method: str, *, model=None,
                    probabilities: pd.Series | None = None,
                    timings: Mapping[str, float] | None = None,
                    reason: str | None = None, status: str | None = None,
                    cut_short: tuple = ()) -> DeletionDesign:
        """Build a design around a :class:`~cobra_gdel.report.CouplingReport`."""
        if status is None:
            status = COUPLED if report.coupled else NOT_COUPLED
        return cls(report=report, method=method, status=status, probabilities=probabilities,
                   timings=dict(timings or {}),
                   reason=report.reason if reason is None else reason,
                   cut_short=tuple(cut_short), model_id=getattr(model, "id", "") or "",
                   _model=model)

    def _require_model(self, model):
        model = model if model is not None else self._model
        if model is None:
            raise ValueError("this design holds no model; pass the model it was made for")
        return model

    # -- operations -----------------------------------------------------------------------
    def recheck(self, model=None, *, solver=None) -> CouplingReport:
        """Check the deletions again on *model* (default: the design's model)."""
        return check_coupling(self._require_model(model), self.target, self.deletions,
                              self.growth_lb, self.production_lb, solver=solver)

    def minimal(self, model=None, *, time_limit: float | None = None,
                solver=None) -> DeletionDesign:
        """Trim to a minimal coupled design (restoring any one gene breaks coupling).

        Parameters
        ----------
        model : cobra.Model, optional
            Default: the model the design was made for.
        time_limit : float, optional
            Seconds; when reached, the design trimmed so far (still coupled) is returned.
        solver : str, optional
            optlang solver name for the checks; default: the model's.

        Raises
        ------
        ValueError
            If this design is not coupled (there is nothing verified to trim).
        """
        if not self.coupled:
            raise ValueError(f"the design for {self.target} is not coupled ({self.reason}); "
                             "only coupled designs can be trimmed")
        task = DesignTask.create(self._require_model(model), self.target,
                                 growth_lb=self.growth_lb, production_lb=self.production_lb,
                                 solver=solver, time_limit=time_limit)
        return finish(task, self.report, self.method, probabilities=self.probabilities,
                      timings=self.timings, minimize=True)

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
        genes += sorted(set(self.deletions) - set(genes))
        disables = self.report.to_frame()["disabled_reactions"]
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
            "cut_short": ", ".join(self.cut_short),
        }, name=self.target)

    def to_dict(self) -> dict:
        """JSON-ready dictionary (used by the command line's ``--json``)."""
        out = {k: (v.item() if hasattr(v, "item") else v) for k, v in self.summary().items()}
        out["deletions"] = sorted(self.deletions)
        out["timings"] = dict(self.timings)
        out["model_id"] = self.model_id
        out["growth_lb"], out["production_lb"] = self.growth_lb, self.production_lb
        return out

    def _title(self) -> str:
        return (f"DeletionDesign for {self.target} ({self.production_reaction})"
                + (f" in {self.model_id}" if self.model_id else ""))

    def _lines(self) -> list[tuple[str, str]]:
        lines = [
            ("status", self.status + (f" ({self.reason})" if self.reason else "")),
            ("method", self.method),
            *([("cut short", ", ".join(self.cut_short))] if self.cut_short else []),
            (f"deletions ({len(self.deletions)})", ", ".join(sorted(self.deletions)) or "-"),
            ("growth rate", f"{self.growth_rate:.6g}"),
            ("min production", f"{self.min_production:.6g}"),
            ("max production", f"{self.max_production:.6g}"),
        ]
        if self.timings:
            lines.append(("seconds", ", ".join(f"{k} {v:.3f}" for k, v in self.timings.items())))
        return lines


def finish(task: DesignTask, report: CouplingReport, method: str, *,
           probabilities: pd.Series | None = None, timings: Mapping[str, float] | None = None,
           reason: str | None = None, status: str | None = None, minimize: bool = False,
           prune_order: Iterable[str] | None = None) -> DeletionDesign:
    """The one way a design is finished.

    1. With *prune_order*, drop (in that order) deletions that switch off nothing the
       others do not, and check again (time booked as ``"verify"``);
    2. with *minimize* and a coupled report, trim to a minimal design on the task's
       clock (``"+trim"`` appended to *method*, time booked as ``"trim"``; the reason
       says so when the clock cut the trimming short);
    3. build the :class:`DeletionDesign`. *reason* (when the design is not coupled)
       and *status* (``"no_design"``) override what the report says.
    """
    timings = dict(timings or {})
    if prune_order is not None:
        start = time.perf_counter()
        report = task.check(prune(task.checker.rules, report.deletions, prune_order))
        timings["verify"] = timings.get("verify", 0.0) + time.perf_counter() - start
    note = None
    if minimize and report.coupled:
        start = time.perf_counter()
        trimmed = trim_deletions(task, report.deletions)
        timings["trim"] = timings.get("trim", 0.0) + time.perf_counter() - start
        report, method = trimmed.report, f"{method}+trim"
        note = None if trimmed.complete else TRIM_INCOMPLETE
    if report.coupled:
        reason = note or ""
    return DeletionDesign.from_report(report, method, model=task.model,
                                      probabilities=probabilities, timings=timings,
                                      reason=reason, status=status,
                                      cut_short=tuple(task.clock.root.cuts))


def trim(model, target, deletions: Iterable, *, growth_lb: float = GROWTH_LB,
         production_lb: float = PRODUCTION_LB, time_limit: float | None = None,
         solver=None) -> DeletionDesign:
    """Trim a coupled deletion set to a minimal one (greedy TrimGdel pass).

    Each deleted gene is restored in turn; it stays restored when the design is
    still coupled with ``GR ≥ 0.999·growth_lb`` and ``PRmin ≥ 0.999·production_lb``,
    otherwise it is deleted again. Passes repeat until nothing changes, so restoring
    any one remaining gene breaks coupling (see :func:`cobra_gdel.trim.trim_deletions`).

    Parameters
    ----------
    model : cobra.Model
        The model (not modified).
    target : str or cobra.Metabolite
        The target metabolite.
    deletions : iterable of str or cobra.Gene
        A coupled deletion set.
    growth_lb, production_lb : float
        Lower bounds of the coupling check.
    time_limit : float, optional
        Seconds for the whole call; when reached, the design trimmed so far (still
        coupled) is returned with a reason that says so. None: no limit.
    solver : str, optional
        optlang solver name; default: the model's.

    Returns
    -------
    DeletionDesign
        Method ``"trim"``, timings ``"trim"``.

    Raises
    ------
    ValueError
        If *deletions* is not coupled (nothing verified to trim).
    UnknownTargetError, UnknownGeneError, SolverError
    """
    task = DesignTask.create(model, target, growth_lb=growth_lb, production_lb=production_lb,
                             solver=solver, time_limit=time_limit)
    start = time.perf_counter()
    trimmed = trim_deletions(task, deletions)
    return DeletionDesign.from_report(
        trimmed.report, "trim", model=model, timings={"trim": time.perf_counter() - start},
        reason="" if trimmed.complete or not trimmed.report.coupled else TRIM_INCOMPLETE,
        cut_short=tuple(task.clock.root.cuts))


def improve(model, target, deletions: Iterable, *, growth_lb: float = GROWTH_LB,
            production_lb: float = PRODUCTION_LB, time_limit: float | None = None,
            solver=None) -> DeletionDesign:
    """Look for a smaller or more strongly coupled design near a coupled one.

    Trimming only restores genes, so it stops at the first minimal design on its
    path. This tries the move it can not make: delete one more gene, one that
    switches off a reaction the design's minimal-production flux uses and raises the
    minimal production at maximal growth, then restore as many of the design's own
    genes as coupling allows and trim (:func:`cobra_gdel.trim.exchange`). Rounds
    repeat while they help. On iML1515 (growth ≥ 0.1) it took utp_c's 19-gene design
    to 13 genes at a higher minimal production, in about 30 s (docs/benchmarks.md).
    :func:`predict_deletions` runs it on models of at most 300 genes (on textbook the
    median call took 1.023× as long with it); on larger ones it is this separate call.

    Parameters
    ----------
    model : cobra.Model
        The model (not modified).
    target : str or cobra.Metabolite
        The target metabolite.
    deletions : iterable of str or cobra.Gene
        A coupled deletion set (a minimal one, such as ``design.deletions``).
    growth_lb, production_lb : float
        Lower bounds of the coupling check.
    time_limit : float, optional
        Seconds for the whole call; when reached, the best design so far is returned
        (coupled, never larger than *deletions*). None: no limit.
    solver : str, optional
        optlang solver name; default: the model's.

    Returns
    -------
    DeletionDesign
        Method ``"exchange"`` (``"exchange+trim"`` when *deletions* was not minimal;
        it is trimmed first), timings ``"exchange"``. Fewer knock-outs, or as many with
        a higher minimal production, or *deletions* itself when no move helps.

    Raises
    ------
    ValueError
        If *deletions* is not coupled.
    UnknownTargetError, UnknownGeneError, SolverError
    """
    task = DesignTask.create(model, target, growth_lb=growth_lb, production_lb=production_lb,
                             solver=solver, time_limit=time_limit)
    start = time.perf_counter()
    genes = task.checker.validate_genes(deletions)
    initial = task.check(genes)
    if not initial.coupled:
        raise ValueError(f"the deletions do not couple {task.target} ({initial.reason}); "
                         "only a coupled design can be improved")
    trimmed = trim_deletions(task, genes)
    method = "exchange" if trimmed.report.deletions == genes else "exchange+trim"
    report = exchange(task, trimmed.report)
    return DeletionDesign.from_report(
        report, method, model=model, timings={"exchange": time.perf_counter() - start},
        cut_short=tuple(task.clock.root.cuts))


@dataclass(frozen=True)
class DesignSet(ResultView):
    """Distinct minimal designs for one target, best first (``n_designs`` of
    :func:`cobra_gdel.predict_deletions`).

    Attributes
    ----------
    designs : tuple of DeletionDesign
        The designs, best first (see :mod:`cobra_gdel.practical`).
    maximal : DeletionDesign or None
        The verified maximal design they were found from.
    """

    designs: tuple
    maximal: DeletionDesign | None = field(default=None, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.designs)

    def __iter__(self) -> Iterator[DeletionDesign]:
        return iter(self.designs)

    def __getitem__(self, index: int) -> DeletionDesign:
        return self.designs[index]

    @property
    def best(self) -> DeletionDesign | None:
        """The first design (None when there is none)."""
        return self.designs[0] if self.designs else None

    @property
    def target(self) -> str:
        """The target metabolite id."""
        return self.designs[0].target if self.designs else (
            self.maximal.target if self.maximal is not None else "")

    def to_frame(self) -> pd.DataFrame:
        """One row per design: its genes, size, growth, minimal and maximal production and
        the route that found it."""
        return pd.DataFrame([{
            "rank": i + 1, "deletions": ", ".join(sorted(d.deletions)),
            "n_deletions": len(d.deletions), "growth_rate": d.growth_rate,
            "min_production": d.min_production, "max_production": d.max_production,
            "method": d.method} for i, d in enumerate(self.designs)],
            columns=["rank", "deletions", "n_deletions", "growth_rate", "min_production",
                     "max_production", "method"]).set_index("rank")

    def summary(self) -> pd.Series:
        """Headline numbers: the target, how many designs, the best one's."""
        best = self.best
        return pd.Series({
            "target": self.target, "n_designs": len(self.designs),
            "best_n_deletions": len(best.deletions) if best else None,
            "best_min_production": best.min_production if best else None,
            "maximal_n_deletions": len(self.maximal.deletions) if self.maximal else None,
        }, name=self.target)

    def _title(self) -> str:
        return f"DesignSet for {self.target}: {len(self.designs)} minimal design(s)"

    def _lines(self) -> list[tuple[str, str]]:
        return [(f"#{i + 1} ({len(d.deletions)})",
                 f"{', '.join(sorted(d.deletions)) or '-'}; growth {d.growth_rate:.4g}, "
                 f"min production {d.min_production:.4g}") for i, d in enumerate(self.designs)]

    def plot(self, model=None, points: int = 20, axes=None):
        """Production envelopes of the designs side by side (one panel each, the wild
        type in grey). Needs matplotlib (the ``plot`` extra).

        Returns
        -------
        numpy.ndarray of matplotlib.axes.Axes
        """
        from .plotting import plot_designs

        return plot_designs(list(self.designs), model=model, points=points, axes=axes)
