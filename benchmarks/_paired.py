"""Both ways in one process: the loop of the benchmarks that time a change against the
code it replaced (``warm_start.py``, ``check_speed.py``)."""

from __future__ import annotations

import logging
from typing import Callable, Iterable

import pandas as pd

from cobra_gdel.exceptions import NoProductionRouteError

logger = logging.getLogger("benchmarks.paired")


def paired_runs(name: str, model, pool: Iterable[str], n: int,
                call: Callable[[object, str, bool], dict], *,
                warm_up: Callable[[object, str], None] | None = None,
                extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """Each of the first *n* targets of *pool* that has a production route, designed
    the old way and the new way, the order alternating from target to target.

    ``call(model, target, new)`` designs *target* (``new`` False: the replaced code)
    and returns a dict with ``seconds``, ``status``, ``coupled``, ``method``, ``genes``
    (a frozenset), ``size`` and the keys in *extra*; it raises NoProductionRouteError
    for a target without a route (skipped). One untimed new-way call on the first
    target builds the per-model caches; ``warm_up(model, target)``, when given, runs
    untimed before each target's pair.

    Returns one row per target: ``before_*`` and ``after_*`` of seconds (``_s``),
    ``coupled``, ``size`` and each *extra* key, and ``identical`` (the same genes,
    status and method).
    """
    rows, warmed = [], False
    for target in pool:
        if len(rows) >= n:
            break
        try:
            if not warmed:  # untimed: the per-model caches (predictor, LPs, analyses)
                call(model, target, True)
                warmed = True
            if warm_up is not None:
                warm_up(model, target)
            runs = {}
            for new in ((False, True) if len(rows) % 2 == 0 else (True, False)):
                runs[new] = call(model, target, new)
        except NoProductionRouteError:
            continue
        old, new = runs[False], runs[True]
        row = {"model": name, "target": target, "before_s": old["seconds"],
               "after_s": new["seconds"]}
        for key in extra:
            row[f"before_{key}"], row[f"after_{key}"] = old[key], new[key]
        row.update({"before_coupled": old["coupled"], "after_coupled": new["coupled"],
                    "before_size": old["size"], "after_size": new["size"],
                    "identical": (old["genes"], old["status"], old["method"])
                    == (new["genes"], new["status"], new["method"])})
        rows.append(row)
        logger.info("%s %s: %.2f s -> %.2f s (%s)", name, target, old["seconds"],
                    new["seconds"], "same design" if row["identical"] else "differs")
    return pd.DataFrame(rows)


def models_frame(names: Iterable[str], run_model: Callable[[str], pd.DataFrame],
                 csv: str | None = None) -> pd.DataFrame:
    """``run_model(name)`` for each model, concatenated (written to *csv* when given);
    a model whose data folder is missing (SystemExit) is skipped with a warning."""
    frames = []
    for name in names:
        try:
            frames.append(run_model(name))
        except SystemExit as exc:  # no data folder for a data model
            logger.warning("%s skipped: %s", name, exc)
    if not frames:
        raise SystemExit("no model could be loaded")
    frame = pd.concat(frames, ignore_index=True)
    if csv:
        frame.to_csv(csv, index=False)
    return frame


def paired_summary(frame: pd.DataFrame,
                   columns: Callable[[pd.DataFrame, pd.DataFrame], dict]) -> pd.DataFrame:
    """One row per model of *frame* (rows of :func:`paired_runs`): targets, coupled
    either way, identical designs, then ``columns(part, both)`` of the model's rows and
    of those both ways couple."""
    rows = []
    for name, part in frame.groupby("model", sort=False):
        both = part[part["before_coupled"] & part["after_coupled"]]
        rows.append({"model": name, "targets": len(part),
                     "coupled_before": int(part["before_coupled"].sum()),
                     "coupled_after": int(part["after_coupled"].sum()),
                     "identical_designs": int(part["identical"].sum()),
                     **columns(part, both)})
    return pd.DataFrame(rows)
