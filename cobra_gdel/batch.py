"""Designs for many targets: :func:`predict_many`, serial or on a dask cluster.

The result has the shape of cobrapy's deletion results: a :class:`pandas.DataFrame`
with one row per target, and a pandas accessor (``frame.gdel``) that hands back the
:class:`~cobra_gdel.DeletionDesign` of a row (``frame.gdel["succ_e"]``) and the
deletions as a 0/1 strategy table (``frame.gdel.strategies()``).

Without a client the targets run one after another in this process (a tqdm bar shows
progress). With a :class:`dask.distributed.Client` (or a scheduler address) they run
on its workers (:mod:`cobra_gdel.batch_dask`); dask is imported only then.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace

import pandas as pd

from .batch_worker import ERROR, accepts_keyword, check_method_kwargs, design_one, screen
from .design import DeletionDesign
from .seeds import near_seeds, seed_sets
from .targets import GROWTH_LB, PRODUCTION_LB, check_bound, resolve_target

logger = logging.getLogger(__name__)

__all__ = ["COLUMNS", "ERROR", "RETRY_NEAR_SECONDS", "RETRY_PASSES", "RETRY_SECONDS",
           "DesignAccessor", "DesignMap", "batch_seeds", "open_client", "predict_many",
           "producible_targets", "record_row", "results_frame", "target_ids"]

#: Columns of the table :func:`predict_many` returns (index: ``target``).
COLUMNS = ("status", "coupled", "n_deletions", "deletions", "growth_rate", "min_production",
           "max_production", "method", "seconds", "timed_out", "reason")
#: Default seconds per target.
DEFAULT_TIME_LIMIT = 60.0
#: Seconds at most for a retried target (its seeds are checked whatever the clock says).
RETRY_SECONDS = 5.0
#: ... and of a target with near seeds (:func:`cobra_gdel.seeds.near_seeds`): up to three
#: repairs from them, sharing the time (1–5 s each when they coupled).
RETRY_NEAR_SECONDS = 20.0
#: Retry passes at most. After the first (every miss, the batch's designs as seeds), a
#: pass retries the misses near a design that the pass before found, with those designs
#: as seeds: on Salmonella iYS1720, lipopolysaccharide variants that the first retry
#: coupled led repairs of further siblings (docs/benchmarks.md).
RETRY_PASSES = 3
DASK_MISSING = ("predict_many(client=...) runs on dask.distributed, which is not installed: "
                "pip install 'cobra_gdel[dask]' (or call it without a client to run serially)")


class DesignMap(Mapping):
    """Read-only mapping target id → :class:`~cobra_gdel.DeletionDesign` (None for a row
    whose call raised).

    pandas copies a frame's ``attrs`` deeply on most operations; this mapping is
    immutable, so a copy is the mapping itself (a deep copy would copy the model each
    design holds).
    """

    def __init__(self, designs: Mapping[str, DeletionDesign | None]) -> None:
        self._designs = dict(designs)

    def __getitem__(self, target: str) -> DeletionDesign | None:
        return self._designs[target]

    def __iter__(self) -> Iterator[str]:
        return iter(self._designs)

    def __len__(self) -> int:
        return len(self._designs)

    def __repr__(self) -> str:
        return f"DesignMap({len(self)} targets)"

    def __copy__(self) -> DesignMap:
        return self

    def __deepcopy__(self, memo) -> DesignMap:
        return self


@pd.api.extensions.register_dataframe_accessor("gdel")
class DesignAccessor:
    """``frame.gdel``: the designs behind a :func:`predict_many` table.

    Examples
    --------
    >>> table = cobra_gdel.predict_many(model, ["succ_e", "akg_e"])   # doctest: +SKIP
    >>> table.gdel["succ_e"].to_frame()                               # doctest: +SKIP
    >>> table.gdel.strategies()       # targets x genes, 1 = deleted  # doctest: +SKIP
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        if "deletions" not in frame.columns:
            raise AttributeError("frame.gdel needs a table made by cobra_gdel.predict_many "
                                 "(it has no 'deletions' column)")
        self._frame = frame

    @property
    def designs(self) -> DesignMap:
        """Target id → :class:`~cobra_gdel.DeletionDesign` of the rows made in this session.

        Raises
        ------
        KeyError
            The frame holds no designs (a table read back from a file, or one pandas
            dropped ``attrs`` of).
        """
        designs = self._frame.attrs.get("designs")
        if designs is None:
            raise KeyError("this table holds no designs (tables read from files, and some "
                           "pandas operations, drop them); the rows still hold the results")
        return designs

    def __getitem__(self, target: str) -> DeletionDesign | None:
        return self.designs[target]

    def strategies(self, genes: Sequence[str] | None = None,
                   coupled_only: bool = True) -> pd.DataFrame:
        """The deletions as a 0/1 table (rows = targets, columns = genes, 1 = deleted).

        Parameters
        ----------
        genes : sequence of str, optional
            Columns; default: the model's genes (``attrs["genes"]``), else every gene
            deleted in some row.
        coupled_only : bool
            Only rows whose design is coupled (the format of ``strategies.csv``).
        """
        frame = self._frame[self._frame["coupled"].astype(bool)] if coupled_only else self._frame
        deletions = frame["deletions"]
        if genes is None:
            genes = self._frame.attrs.get("genes") or sorted(
                {g for row in deletions for g in row})
        genes = list(genes)
        position = {g: i for i, g in enumerate(genes)}
        table = pd.DataFrame(0, index=pd.Index(list(frame.index), name="metabolite"),
                             columns=genes, dtype="int8")
        for row, deleted in enumerate(deletions):
            columns = [position[g] for g in deleted if g in position]
            table.iloc[row, columns] = 1
        return table


def target_ids(model, targets: Iterable) -> list[str]:
    """Metabolite ids of *targets* (ids or metabolites), duplicates dropped, order kept.

    Raises
    ------
    UnknownTargetError
        A target is not in the model (close ids are suggested).
    TypeError
        *targets* is a single string (pass a list).
    """
    if isinstance(targets, str):
        raise TypeError("targets must be a list of metabolite ids, not one string "
                        f"(did you mean [{targets!r}]?)")
    return list(dict.fromkeys(resolve_target(model, t).id for t in targets))


def record_row(record: Mapping) -> dict:
    """One table row (the :data:`COLUMNS`) from a record of
    :func:`cobra_gdel.batch_worker.design_one`."""
    design = record.get("design")
    if design is None:
        return {"status": record["status"], "coupled": False, "n_deletions": 0,
                "deletions": (), "growth_rate": math.nan, "min_production": math.nan,
                "max_production": math.nan, "method": record.get("method", ""),
                "seconds": record["seconds"], "timed_out": False, "reason": record["reason"]}
    return {"status": design.status, "coupled": bool(design.coupled),
            "n_deletions": len(design.deletions), "deletions": tuple(sorted(design.deletions)),
            "growth_rate": float(design.growth_rate),
            "min_production": float(design.min_production),
            "max_production": float(design.max_production), "method": design.method,
            "seconds": record["seconds"], "timed_out": bool(design.cut_short),
            "reason": design.reason}


def results_frame(rows: Mapping[str, Mapping], designs: Mapping | None = None,
                  genes: Sequence[str] | None = None) -> pd.DataFrame:
    """The :func:`predict_many` table from rows (target → :func:`record_row` dict), in
    the order of *rows*; *designs* and *genes* go to ``attrs``."""
    frame = pd.DataFrame([dict(rows[t]) for t in rows], columns=list(COLUMNS),
                         index=pd.Index(list(rows), name="target"))
    frame = frame.astype({"coupled": bool, "timed_out": bool, "n_deletions": int})
    frame.attrs["designs"] = DesignMap(designs or {})
    if genes is not None:
        frame.attrs["genes"] = list(genes)
    return frame


def _progress_bar(total: int, progress: bool, desc: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, disable=not progress)


def _dask():
    """The dask side of the batch (ImportError with the install hint when missing)."""
    try:
        from . import batch_dask
    except ImportError as exc:
        raise ImportError(DASK_MISSING) from exc
    return batch_dask


@contextlib.contextmanager
def open_client(workers: int | None = None, scheduler: str | None = None) -> Iterator:
    """A dask client for the block: on *scheduler* (an address), or on a local cluster
    of *workers* single-threaded processes; None (serial) when neither is given.

    Raises
    ------
    ValueError
        Both are given, or *workers* < 1.
    ImportError
        dask.distributed is not installed.
    """
    if workers is not None and scheduler is not None:
        raise ValueError("give either workers (a local cluster) or a scheduler address")
    if workers is None and scheduler is None:
        yield None
        return
    batch_dask = _dask()
    if scheduler is not None:
        client, _owned = batch_dask.connect(str(scheduler))
        with client:
            yield client
        return
    if int(workers) < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    with batch_dask.local_client(int(workers)) as client:
        yield client


def _run(model, ids: list[str], method, kwargs: dict, client, collect, bar) -> None:
    """Every target through *collect*, serially or on *client*'s workers."""
    if client is None:
        for target in ids:
            bar.set_postfix_str(target)
            collect(design_one(model, target, method, kwargs))
            bar.update(1)
        return
    batch_dask = _dask()
    client, owned = batch_dask.connect(client)
    try:
        batch_dask.design_targets(client, model, ids, method, kwargs, collect, bar)
    finally:
        if owned:
            client.close()


def predict_many(model, targets: Iterable, *, client=None, method: str | Callable = "predict",
                 time_limit: float | None = DEFAULT_TIME_LIMIT, progress: bool = True,
                 on_result: Callable[[str, dict, DeletionDesign | None], None] | None = None,
                 retry: bool = True, **kwargs) -> pd.DataFrame:
    """Design gene deletions for many targets; one row per target.

    Parameters
    ----------
    model : cobra.Model
        The model; it is left unchanged.
    targets : iterable of str or cobra.Metabolite
        Target metabolites (duplicates are dropped; unknown ids raise before anything
        runs).
    client : dask.distributed.Client or str, optional
        Run on this client's workers (a string is a scheduler address: a client is
        opened and closed for the call). The model, *method* and keywords are shipped
        once per worker (a worker plugin), each target is one task, and torch runs on
        one thread per worker (the MILP already uses one HiGHS thread; start workers
        with one thread each, e.g. ``LocalCluster(threads_per_worker=1)``). None
        (default): serially in this process.
    method : {"predict", "search"} or callable
        ``"predict"``: :func:`cobra_gdel.predict_deletions`; ``"search"``:
        :func:`cobra_gdel.search_deletions` (the gDel_minRN MILP, no predictor; its
        designs are maximal, as the published strategies); or a picklable function
        ``f(model, target, **kwargs) -> DeletionDesign``.
    time_limit : float, optional
        Seconds per target, passed to every call (default 60; None: the method's own
        limits; a custom *method* gets it when it takes a ``time_limit`` keyword). The
        limit guards each call from inside; the first target a worker (or this
        process) runs also builds the model's one-time analyses, which can take minutes
        on a genome-scale model.
    progress : bool
        A tqdm progress bar over targets.
    on_result : callable, optional
        ``on_result(target, row, design)`` as soon as each target is done (in this
        process; ``design`` is None for a row whose call raised).
        :func:`~cobra_gdel.batch_files.design_all` writes its result files with it.
        A retried target (below) is reported again when the retry couples it.
    retry : bool
        With ``method="predict"`` (or a callable that takes ``seeds``; default True):
        once every target has run, each target that was not coupled (and has a design
        for all that is known: not ``no_design``, not ``error``) runs again with the
        batch's coupled designs as ``seeds`` (each minimal design, then its maximal
        set): one that couples it as it is becomes its design (``"+seed[<target>]"``
        in ``method``), and the minimal design is searched from it; else each is
        adapted to it (``"+seed-adapt[<target>]"``: the genes that close its
        production restored, then the margin search), and the designs of targets whose
        predicted networks are nearly its own lead a repair each
        (``"+seed-repair[<target>]"``). Only the seeds are tried (``seeds_only``: the
        repair from the target's own scores already ran in the first pass). The retry
        gets at most ``RETRY_SECONDS`` (5 s),
        ``RETRY_NEAR_SECONDS`` (20 s) with near designs, and its time is added to
        ``seconds``; a row it does not couple keeps its first result. Up to
        ``RETRY_PASSES`` (3) passes: each after the first retries the misses that a
        design the pass before found is near, with those designs as seeds. On Salmonella
        iYS1720, ps160_c's design couples pe180_c and lipa_cold_c as it is, and
        lipopolysaccharide variants are repaired from their siblings' designs, some
        from designs the retry itself found (docs/benchmarks.md). A retried row depends
        on the other targets of the batch; ``retry=False`` leaves each row to its own
        call.
    **kwargs
        Passed to every call: any keyword *method* accepts (``minimize``,
        ``predictor``, ``growth_lb``, ``protected``, ``solver``, ...).

    Returns
    -------
    pandas.DataFrame
        Index ``target`` (in the order given); columns ``status`` (``coupled``,
        ``not_coupled``, ``no_design``, or ``error`` when the call raised or its
        worker died), ``coupled``, ``n_deletions``, ``deletions`` (sorted tuple of gene
        ids), ``growth_rate``, ``min_production``, ``max_production``, ``method``,
        ``seconds`` (wall time of the call), ``timed_out`` (the time limit cut a stage
        short) and ``reason``. A target the model cannot produce while growing gets
        ``no_design`` with the reason. ``frame.gdel[target]`` is the
        :class:`~cobra_gdel.DeletionDesign` (holding *model*);
        ``frame.gdel.strategies()`` the coupled rows as a 0/1 table.

    Raises
    ------
    UnknownTargetError
        A target is not in the model.
    TypeError
        A keyword *method* does not take, or a *client* of the wrong type.
    ImportError
        A client was given and dask.distributed is not installed.

    Examples
    --------
    >>> import cobra, cobra_gdel
    >>> model = cobra.io.load_model("textbook")
    >>> table = cobra_gdel.predict_many(model, ["succ_e", "akg_e"], progress=False)
    >>> bool(table["coupled"].all())
    True
    >>> from dask.distributed import Client, LocalCluster     # doctest: +SKIP
    >>> with LocalCluster(n_workers=2, threads_per_worker=1) as cluster, \\
    ...         Client(cluster) as client:                   # doctest: +SKIP
    ...     table = cobra_gdel.predict_many(model, targets, client=client, method="search")
    """
    if time_limit is not None and accepts_keyword(method, "time_limit"):
        kwargs["time_limit"] = time_limit
    kwargs = check_method_kwargs(method, kwargs)
    ids = target_ids(model, targets)
    if client is not None:
        _dask()  # fail before any work when dask is missing
    rows: dict[str, dict] = {}
    designs: dict[str, DeletionDesign | None] = {}
    label = method if isinstance(method, str) else getattr(method, "__name__", "custom")

    def collect(record: dict) -> None:
        target, design = record["target"], record.get("design")
        if design is not None:
            design = replace(design, _model=model)
        row = record_row({"method": label, **record})
        rows[target], designs[target] = row, design
        if on_result is not None:
            on_result(target, row, design)

    with _progress_bar(len(ids), progress, f"{label} {model.id}") as bar:
        _run(model, ids, method, kwargs, client, collect, bar)
    if retry and accepts_keyword(method, "seeds"):
        _retry(model, ids, method, rows, designs, kwargs, client, collect, progress)
    order = {t: rows[t] for t in ids}
    n_coupled = sum(row["coupled"] for row in order.values())
    logger.info("%d of %d targets coupled", n_coupled, len(ids))
    return results_frame(order, designs, [g.id for g in model.genes])


def batch_seeds(ids: Sequence[str], designs: Mapping[str, DeletionDesign | None]) -> dict:
    """Label → the batch's coupled designs, in batch order: each minimal design (label:
    its target), then its maximal set (``"<target>:maximal"``) when it has one. Designs,
    not gene sets, so that a retried target can tell the near ones by their scores
    (:func:`cobra_gdel.seeds.near_seeds`)."""
    seeds: dict[str, DeletionDesign] = {}
    for target in ids:
        design = designs.get(target)
        if design is None or not design.coupled:
            continue
        # shipped to every worker of a retry: without the model or the nested maximal set
        seeds[target] = replace(design, _model=None, maximal=None)
        if design.maximal is not None and design.maximal.coupled:
            seeds[f"{target}:maximal"] = replace(design.maximal, _model=None, maximal=None)
    return seeds


def _retry(model, ids: list[str], method, rows: dict, designs: dict, kwargs: dict, client,
           collect, progress: bool) -> None:
    """The retry passes of :func:`predict_many` (see its *retry*)."""
    todo = [t for t in ids if rows[t]["status"] == "not_coupled"]
    seeds = batch_seeds(ids, designs)
    if kwargs.get("seeds") is not None:  # the caller's own seeds first
        seeds = {**{label: tuple(genes) for label, genes in seed_sets(kwargs["seeds"])},
                 **seeds}
    for number in range(1, RETRY_PASSES + 1):
        if not todo or not seeds:
            return
        found = _retry_pass(model, todo, method, rows, designs, {**kwargs, "seeds": seeds},
                            client, collect, progress, number)
        todo = [t for t in todo if t not in found]
        seeds = batch_seeds([t for t in ids if t in found], designs)


def _retry_pass(model, todo: list[str], method, rows: dict, designs: dict, kwargs: dict,
                client, collect, progress: bool, number: int) -> set[str]:
    """Retry pass *number* over *todo* with ``kwargs["seeds"]``: the targets it couples.
    After the first pass only the targets with near seeds run."""
    seeds = kwargs["seeds"]
    # a target with near seeds (each may lead a repair) gets the longer retry
    near: dict[str, int] = {}
    for target in todo:
        first = designs.get(target)
        count = 0 if first is None else len(near_seeds(first.probabilities, seeds))
        if count:
            near[target] = count
    groups = [(list(near), RETRY_NEAR_SECONDS)]
    if number == 1:
        groups.append(([t for t in todo if t not in near], RETRY_SECONDS))
    limit = kwargs.get("time_limit")
    # the repair from the target's own scores already failed in the first pass
    if accepts_keyword(method, "seeds_only"):
        kwargs = {**kwargs, "seeds_only": True}
    results: dict[str, dict] = {}

    def keep(record: dict) -> None:
        results[record["target"]] = record

    with _progress_bar(sum(len(g) for g, _ in groups), progress, f"retry {model.id}") as bar:
        for group, seconds in (g for g in groups if g[0]):
            retry_kwargs = dict(kwargs)
            if accepts_keyword(method, "time_limit"):
                retry_kwargs["time_limit"] = seconds if limit is None else min(limit, seconds)
            _run(model, group, method, retry_kwargs, client, keep, bar)
    what = (f"retried with {len(seeds)} designs of the batch as seeds" if number == 1 else
            f"retry {number} with the {len(seeds)} designs retry {number - 1} found")
    found = set()
    for target, record in results.items():
        row = rows[target]
        seconds = row["seconds"] + record["seconds"]
        retried = record.get("design")
        if retried is not None and retried.coupled:
            found.add(target)
            collect({**record, "seconds": seconds})
            continue
        outcome = (f"the retry raised {record['reason']}" if retried is None
                   else "none couples it" + (f", nor does a repair from the {near[target]} "
                                             "near one(s)" if target in near else ""))
        rows[target] = {**row, "seconds": seconds, "reason": f"{row['reason']}; {what}: {outcome}"}
    logger.info("retry %d: %d of %d targets coupled from %d designs", number, len(found),
                len(results), len(seeds))
    return found


def producible_targets(model, *, growth_lb: float = GROWTH_LB,
                       production_lb: float = PRODUCTION_LB, metabolites: Iterable | None = None,
                       client=None, solver=None, progress: bool = True) -> list[str]:
    """Metabolites the model can produce (≥ *production_lb*) while it grows (≥ *growth_lb*).

    One LP per metabolite (the wild type's maximal production at that growth), on a
    coupling checker of its own (the model's cached one keeps its size). Every other
    metabolite has no design at all, so ``cobra-gdel design-all MODEL --targets all``
    designs only these.

    Parameters
    ----------
    model : cobra.Model
    growth_lb, production_lb : float
    metabolites : iterable, optional
        Candidates (default: every metabolite of the model).
    client : dask.distributed.Client or str, optional
        Screen in chunks on its workers.
    solver : str, optional
        optlang solver for the LPs; default: the model's.
    progress : bool
        A tqdm bar over metabolites.

    Returns
    -------
    list of str
        In the model's (or *metabolites*') order. Metabolites whose LP failed are left
        out and logged as warnings.
    """
    growth_lb = check_bound("growth_lb", growth_lb)
    production_lb = check_bound("production_lb", production_lb)
    ids = ([m.id for m in model.metabolites] if metabolites is None
           else target_ids(model, metabolites))
    with _progress_bar(len(ids), progress, f"screen {model.id}") as bar:
        if client is None:
            producible, failed = screen(model, ids, growth_lb, production_lb, solver)
            bar.update(len(ids))
        else:
            batch_dask = _dask()
            client, owned = batch_dask.connect(client)
            try:
                producible, failed = batch_dask.screen_metabolites(
                    client, model, ids, growth_lb, production_lb, solver, bar)
            finally:
                if owned:
                    client.close()
    for met_id, message in failed.items():
        logger.warning("%s left out of the targets: its production LP failed (%s)", met_id,
                       message)
    logger.info("%d of %d metabolites can be produced while %s grows", len(producible),
                len(ids), model.id)
    return producible
