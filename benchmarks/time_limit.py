"""Does ``predict_deletions`` keep its ``time_limit``?

Runs ``model.predict_deletions(target, time_limit=T)`` with its defaults on targets that
ran past the limit before (docs/benchmarks.md: iMM904 aspsa_c and 2hpmhmbq_m, Salmonella
LPS48__L_e) and on a seeded sample of each model's metabolites, one call after the
other in this process, and prints each call's wall time over its limit. The per-model
caches (bundled predictor, LPs) are built by one untimed call first. A ratio of 1.0 is
the limit; the stages that decide a returned design (its verification, the last
restore) still finish after it, so a call may end somewhat later.

Usage::

    python benchmarks/time_limit.py                      # the models below, 20 s
    python benchmarks/time_limit.py --sample 8 --time-limit 20 --write

iMM904 is read from the data folder (``COBRA_GDEL_DATA`` or ``../shared/data``) and
skipped without it; Salmonella (iYS1720) ships with cobra.
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import time
from pathlib import Path

import cobra
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._report import machine, markdown_table, write_section  # noqa: E402
import cobra_gdel  # noqa: E402,F401  (adds Model.predict_deletions)
from cobra_gdel.data import data_dir  # noqa: E402
from cobra_gdel.exceptions import CobraGdelError  # noqa: E402

logger = logging.getLogger("benchmarks.time_limit")

#: model → targets that overran the limit before this benchmark existed.
KNOWN = {"iMM904": ["aspsa_c", "2hpmhmbq_m"], "salmonella": ["LPS48__L_e"]}
#: an untimed first call per model (builds its caches).
WARM_UP = {"iMM904": "glyc_e", "salmonella": "mal__L_c"}


def _load(name: str) -> cobra.Model | None:
    if name == "salmonella":
        return cobra.io.load_model("salmonella")
    folder = data_dir(name)
    if folder is None:
        logger.warning("no data folder for %s: skipped", name)
        return None
    return cobra.io.load_json_model(str(folder / "model.json"))


def _targets(model: cobra.Model, name: str, sample: int, seed: int) -> list[str]:
    pool = sorted(m.id for m in model.metabolites if m.id not in KNOWN.get(name, []))
    return KNOWN.get(name, []) + random.Random(seed).sample(pool, sample)


def _call(model: cobra.Model, target: str, limit: float) -> dict:
    start = time.perf_counter()
    try:
        design = model.predict_deletions(target, time_limit=limit)
        outcome = "coupled" if design.coupled else design.status
    except CobraGdelError as exc:  # no production route, unknown target …
        outcome = type(exc).__name__
    wall = time.perf_counter() - start
    return {"target": target, "outcome": outcome, "wall_s": wall, "limit_s": limit,
            "ratio": wall / limit}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["iMM904", "salmonella"])
    parser.add_argument("--sample", type=int, default=8, help="random metabolites per model")
    parser.add_argument("--time-limit", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write", action="store_true", help="write docs/benchmarks.md")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    started = time.perf_counter()
    rows = []
    for name in args.models:
        model = _load(name)
        if model is None:
            continue
        _call(model, WARM_UP[name], args.time_limit)
        for target in _targets(model, name, args.sample, args.seed):
            row = {"model": name, **_call(model, target, args.time_limit)}
            print(row, flush=True)
            rows.append(row)
    if not rows:
        raise SystemExit("no call was timed (no model could be loaded)")
    frame = pd.DataFrame(rows)
    summary = pd.DataFrame([{
        "model": name, "calls": len(group), "max_ratio": group["ratio"].max(),
        "median_ratio": group["ratio"].median(),
        "over_1.1": int((group["ratio"] > 1.1).sum())} for name, group in frame.groupby(
            "model", sort=False)])
    print(frame.to_string(index=False))
    print(summary.to_string(index=False))
    if args.write:
        argv_text = " ".join(sys.argv[1:])
        write_section("time-limit", f"""## time_limit kept (benchmarks/time_limit.py)

Command: `python benchmarks/time_limit.py {argv_text}` ({machine()}; wall time
{(time.perf_counter() - started) / 60:.1f} min). `ratio`: the call's wall time over its
`time_limit`.

{markdown_table(frame, floatfmt=".2f")}

{markdown_table(summary, floatfmt=".2f")}
""")


if __name__ == "__main__":
    main()
