"""Derive the bundled reference designs: one minimal design per training target.

For each target of ``strategies.csv`` of a training model, the published (maximal)
strategy is trimmed to a minimal design on that model by the ``trim`` route of
:mod:`cobra_gdel.practical` (block restores in :func:`cobra_gdel.trim.restore_order`,
then the greedy pass), at the package's default bounds, and written to::

    cobra_gdel/bundled/<model_id>.designs.tsv   target, deletions (comma-separated)

``predict_deletions`` tries the design of the same target id first on a model that the
bundled predictor fits by gene overlap but was not trained on (iJO1366 with iML1515's
predictor): gene by gene, a minimal design avoids the lethal combinations a maximal one
carries into a related organism. Only designs that pass the coupling check are written.

Usage::

    nice python scripts/reference_designs.py --models iML1515 [--workers 2]
"""

from __future__ import annotations

import argparse
import logging
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "cobra_gdel" / "bundled"

logger = logging.getLogger("reference_designs")


def _folder(model_id: str) -> Path:
    """The model's data folder (model.json, strategies.csv)."""
    from cobra_gdel.data import data_dir

    folder = data_dir(model_id)
    if folder is None:
        raise SystemExit(f"no data folder for {model_id} (set COBRA_GDEL_DATA)")
    return folder


def _designs(model_id: str, targets: list[str]) -> list[tuple[str, str, str]]:
    """(target, comma-separated deletions or '', note) for *targets*."""
    from cobra_gdel.cli import load_model
    from cobra_gdel.data.readers import read_strategies
    from cobra_gdel.problem import DesignTask
    from cobra_gdel.trim import restore_order, shrink, trim_deletions

    folder = _folder(model_id)
    model = load_model(str(folder / "model.json"))
    strategies = read_strategies(folder / "strategies.csv")
    rows = []
    for target in targets:
        row = strategies.loc[target]
        deleted = frozenset(str(g) for g in row.index[row.to_numpy() == 1])
        task = DesignTask.create(model, target)
        if not task.check(deleted).coupled:
            rows.append((target, "", "published strategy not coupled here"))
            continue
        order = restore_order(task.checker.rules, deleted)
        report = trim_deletions(task, shrink(task, deleted, order)).report
        rows.append((target, ",".join(sorted(report.deletions)) if report.coupled else "",
                     "" if report.coupled else "trimmed design not coupled"))
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=["iML1515"])
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    from cobra_gdel.data.readers import read_strategies

    for model_id in args.models:
        started = time.perf_counter()
        targets = [str(t) for t in read_strategies(_folder(model_id) / "strategies.csv").index]
        chunks = [targets[i::args.workers] for i in range(args.workers)]
        with ProcessPoolExecutor(args.workers) as pool:
            parts = list(pool.map(_designs, [model_id] * len(chunks), chunks))
        rows = {target: (genes, note) for part in parts for target, genes, note in part}
        path = BUNDLED / f"{model_id}.designs.tsv"
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w") as handle:
            handle.write("target\tdeletions\n")
            for target in targets:
                genes, note = rows[target]
                if genes:
                    handle.write(f"{target}\t{genes}\n")
                else:
                    logger.warning("%s %s: %s", model_id, target, note)
        tmp.replace(path)
        logger.info("%s: %d of %d targets written to %s in %.0f s", model_id,
                    sum(1 for g, _n in rows.values() if g), len(targets), path,
                    time.perf_counter() - started)


if __name__ == "__main__":
    main()
