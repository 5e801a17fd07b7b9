"""A batch on disk: one JSON file per target, resumable, and a summary table.

:func:`design_all` runs :func:`cobra_gdel.predict_many` on the targets that have no
result file yet and writes each result as soon as it is back (a temporary file renamed
into place, so a stopped run never leaves a half-written file); run it again with the
same folder and it carries on where it stopped. ``summary.csv`` (one row per target)
is written at the end. ``cobra-gdel design-all`` is this function.

Folder layout::

    OUTPUT/designs/<target>.json   one result per target (the row, timings, settings)
    OUTPUT/summary.csv             the table, deletions separated by spaces
    OUTPUT/screen.json             the producible metabolites (``targets="all"``)
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from .batch import (
    COLUMNS,
    DEFAULT_TIME_LIMIT,
    ERROR,
    predict_many,
    producible_targets,
    results_frame,
    target_ids,
)
from .targets import GROWTH_LB, PRODUCTION_LB

logger = logging.getLogger(__name__)

__all__ = ["RESULTS", "SCREEN", "SUMMARY", "design_all", "read_results", "read_target_list",
           "result_path", "write_json", "write_text"]

RESULTS = "designs"
SUMMARY = "summary.csv"
SCREEN = "screen.json"
#: Settings a resumed run must share with the files it finds (they change the designs).
SETTING_KEYS = ("model_id", "method", "growth_lb", "production_lb", "minimize")
_PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write *text* atomically: a temporary file in the same folder, then a rename."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _plain(value):
    """JSON-ready: NaN/inf → None, tuples and sets → lists, numpy scalars → Python."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value) if isinstance(value, (set, frozenset)) else value
        return [_plain(v) for v in items]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)  # e.g. a cobra.Gene passed in protected=


def write_json(path: str | os.PathLike, data: Mapping) -> None:
    """Write *data* as JSON atomically (NaN written as null)."""
    write_text(path, json.dumps(_plain(data), indent=1, allow_nan=False) + "\n")


def result_path(folder: str | os.PathLike, target: str) -> Path:
    """The result file of *target* in *folder* (ids that are not plain file names are
    percent-encoded)."""
    name = target if _PLAIN.fullmatch(target) else quote(target, safe="")
    return Path(folder) / f"{name}.json"


def read_target_list(spec: str | os.PathLike) -> list[str]:
    """Target ids from a file: a CSV/TSV with a ``metabolite`` column (such as
    ``strategies.csv``), or one id per line (blank lines and ``#`` comments skipped).

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    ValueError
        It holds no target id.
    """
    path = Path(spec)
    if not path.is_file():
        raise FileNotFoundError(f"targets file {path} does not exist")
    text = path.read_text(encoding="utf-8")
    first = text.splitlines()[0] if text.strip() else ""
    if re.split(r"[,\t]", first)[0].strip() == "metabolite":
        frame = pd.read_csv(path, sep="\t" if "\t" in first else ",", dtype=str)
        ids = [t.strip() for t in frame["metabolite"].dropna()]
    else:
        ids = [line.split("#")[0].strip() for line in text.splitlines()]
    ids = [t for t in ids if t]
    if not ids:
        raise ValueError(f"{path}: no target ids")
    return list(dict.fromkeys(ids))


def _settings(model, method, kwargs: Mapping) -> dict:
    return {"model_id": model.id,
            "method": method if isinstance(method, str) else getattr(method, "__name__", "custom"),
            "growth_lb": float(kwargs.get("growth_lb", GROWTH_LB)),
            "production_lb": float(kwargs.get("production_lb", PRODUCTION_LB)),
            "minimize": bool(kwargs.get("minimize", method == "predict"))}


def _result(target: str, row: Mapping, design, settings: Mapping, time_limit) -> dict:
    """The JSON content of one result file."""
    out = {"target": target, **row}
    if design is not None:
        out.update(production_reaction=design.production_reaction,
                   timings=dict(design.timings), cut_short=list(design.cut_short))
    out["settings"] = {**settings, "time_limit": time_limit}
    return out


def read_results(folder: str | os.PathLike, targets: Iterable[str]) -> dict[str, dict]:
    """Target → stored result (its JSON) for the targets of *targets* that have a file."""
    out = {}
    for target in targets:
        path = result_path(folder, target)
        if path.is_file():
            out[target] = json.loads(path.read_text(encoding="utf-8"))
    return out


def _row(stored: Mapping) -> dict:
    row = {k: stored.get(k) for k in COLUMNS}
    row["deletions"] = tuple(row["deletions"] or ())
    for key in ("growth_rate", "min_production", "max_production", "seconds"):
        row[key] = math.nan if row[key] is None else float(row[key])
    return row


def _finished(stored: Mapping[str, dict], settings: Mapping, retry_errors: bool
              ) -> dict[str, dict]:
    """The stored results a resumed run keeps (ValueError when their settings differ)."""
    for target, result in stored.items():
        old = result.get("settings", {})
        differ = {k: (old.get(k), settings[k]) for k in SETTING_KEYS if old.get(k) != settings[k]}
        if differ:
            raise ValueError(f"the result of {target} was made with other settings "
                             f"(stored, now): {differ}; use another output folder")
    return {t: r for t, r in stored.items() if not (retry_errors and r.get("status") == ERROR)}


def _resolve_targets(model, targets, folder: Path, client, kwargs: Mapping,
                     progress: bool) -> list[str]:
    """Target ids; ``"all"``: the producible metabolites (screened once per folder)."""
    if not (isinstance(targets, str) and targets == "all"):
        return target_ids(model, targets)
    growth_lb = float(kwargs.get("growth_lb", GROWTH_LB))
    production_lb = float(kwargs.get("production_lb", PRODUCTION_LB))
    key = {"model_id": model.id, "growth_lb": growth_lb, "production_lb": production_lb,
           "n_metabolites": len(model.metabolites)}
    path = folder / SCREEN
    if path.is_file():
        stored = json.loads(path.read_text(encoding="utf-8"))
        if all(stored.get(k) == v for k, v in key.items()):
            logger.info("producible metabolites read from %s", path)
            return list(stored["producible"])
    producible = producible_targets(model, growth_lb=growth_lb, production_lb=production_lb,
                                    client=client, solver=kwargs.get("solver"),
                                    progress=progress)
    write_json(path, {**key, "producible": producible})
    return producible


def design_all(model, targets, output: str | os.PathLike, *, client=None,
               method: str | Callable = "predict",
               time_limit: float | None = DEFAULT_TIME_LIMIT, retry_errors: bool = False,
               progress: bool = True, **kwargs) -> pd.DataFrame:
    """Design every target, one result file each; resumes a stopped run.

    Parameters
    ----------
    model : cobra.Model
        The model (left unchanged).
    targets : iterable of str, or "all"
        Target ids; ``"all"``: every metabolite the model can produce while it grows
        (:func:`cobra_gdel.batch.producible_targets`, one LP each; the list is kept
        in ``screen.json`` for the next run).
    output : path
        The folder (created when missing). Targets that already have a result file
        are skipped.
    client, method, time_limit, progress, **kwargs
        As :func:`cobra_gdel.predict_many`.
    retry_errors : bool
        Run again the targets whose stored result is an error (a call that raised,
        a worker that died).

    Returns
    -------
    pandas.DataFrame
        The :func:`~cobra_gdel.predict_many` table over all *targets* (stored results
        included), also written to ``summary.csv``. ``frame.gdel`` holds the designs
        made by this call only.

    Raises
    ------
    ValueError
        The folder holds results made with other settings (model, method, bounds,
        ``minimize``).
    UnknownTargetError, TypeError, ImportError
        As :func:`~cobra_gdel.predict_many`.
    """
    folder = Path(output)
    results = folder / RESULTS
    results.mkdir(parents=True, exist_ok=True)
    ids = _resolve_targets(model, targets, folder, client, kwargs, progress)
    settings = _settings(model, method, kwargs)
    done = _finished(read_results(results, ids), settings, retry_errors)
    todo = [t for t in ids if t not in done]
    logger.info("%s: %d of %d targets have results already; %d to run", folder, len(done),
                len(ids), len(todo))

    def write(target: str, row: dict, design) -> None:
        write_json(result_path(results, target), _result(target, row, design, settings,
                                                         time_limit))

    fresh = predict_many(model, todo, client=client, method=method, time_limit=time_limit,
                         progress=progress, on_result=write, **kwargs) if todo else None
    rows = {t: _row(done[t]) if t in done else fresh.loc[t].to_dict() for t in ids}
    designs = dict(fresh.gdel.designs) if fresh is not None else {}
    table = results_frame(rows, designs, [g.id for g in model.genes])
    csv = table.assign(deletions=[" ".join(d) for d in table["deletions"]])
    write_text(folder / SUMMARY, csv.to_csv())
    return table
