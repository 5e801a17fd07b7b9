"""What relaxing gDel_minRN's no-good cut by the failing design's escape gains.

After a MILP solution fails the coupling check with growth intact,
:mod:`cobra_gdel.search` cuts it off. gDel_minRN's no-good cut asks that at least one
of its repressed reactions come back, which also excludes every superset of the
solution, the coupled ones that close its escape included. The escape cut
(``search_deletions(..., escape_cuts=True)``) excludes only the supersets that keep every
reaction of the escape (a minimal-production flux distribution at maximal growth)
switchable on: those fail for the same reason.

This runs ``search_deletions`` (the MILP over every gene, its defaults but the time
limit) on each target twice in this process, with the plain no-good cut (the
baseline) and with the escape cut, the order alternating from target to target, after
one untimed call per model that builds the per-model caches. It prints how many
targets each couples, the median wall time on the targets both couple and its ratio.

Usage::

    python benchmarks/escape_cut.py --model salmonella --targets hemeO_c ps160_c \\
        --time-limit 60 [--write]

Without ``--targets``: a seeded sample of ``--sample`` targets, as
``benchmarks/transfer.py unseen`` (Salmonella) or the data model's strategy targets.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._report import machine, markdown_table, write_section  # noqa: E402
from benchmarks.warm_start import _model_and_targets  # noqa: E402
from cobra_gdel.exceptions import NoProductionRouteError  # noqa: E402
from cobra_gdel.search import search_deletions  # noqa: E402

logger = logging.getLogger("benchmarks.escape_cut")


def _call(model, target: str, limit: float, **options) -> dict:
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        design = search_deletions(model, target, time_limit=limit, **options)
    return {"seconds": time.perf_counter() - start, "coupled": design.coupled,
            "method": design.method, "size": len(design.deletions),
            "min_production": design.min_production}


def alternating(name: str, model, targets: list[str], limit: float,
                variants: dict[str, Callable[[], AbstractContextManager]],
                options: dict[str, dict] | None = None) -> pd.DataFrame:
    """One row per target: ``search_deletions`` under each of the two *variants*
    (label → a context manager to run the call in, with the label's keyword
    *options*), the order alternating from target to target, after one untimed call
    that builds the per-model caches. Columns ``<label>_coupled``, ``_s``,
    ``_method``, ``_size``."""
    options = options or {}
    labels = list(variants)
    rows = []
    for target in targets:
        try:
            if not rows:  # untimed: the per-model caches (LPs, analyses)
                with variants[labels[-1]]():
                    _call(model, target, limit, **options.get(labels[-1], {}))
            runs = {}
            for label in (labels if len(rows) % 2 == 0 else labels[::-1]):
                with variants[label]():
                    runs[label] = _call(model, target, limit, **options.get(label, {}))
        except NoProductionRouteError:
            continue
        row = {"model": name, "target": target}
        for key in ("coupled", "s", "method", "size"):
            for label in labels:
                row[f"{label}_{key}"] = runs[label]["seconds" if key == "s" else key]
        rows.append(row)
        logger.info("%s %s: %s", name, target, ", ".join(
            f"{label} {runs[label]['coupled']} {runs[label]['seconds']:.1f} s"
            for label in labels))
    return pd.DataFrame(rows)


def run(name: str, model, targets: list[str], limit: float) -> pd.DataFrame:
    """One row per target: both cuts' seconds, outcome and size."""
    return alternating(name, model, targets, limit,
                       {"no_good": nullcontext, "escape": nullcontext},
                       {"escape": {"escape_cuts": True}})


def summary(frame: pd.DataFrame, labels: tuple[str, str] = ("no_good", "escape")
            ) -> pd.DataFrame:
    """Targets coupled by each variant, and the median seconds on those both couple
    (``ratio_both``: the first label's over the second's)."""
    old, new = labels
    both = frame[frame[f"{old}_coupled"] & frame[f"{new}_coupled"]]
    return pd.DataFrame([{
        "model": frame["model"].iloc[0], "targets": len(frame),
        f"coupled_{old}": int(frame[f"{old}_coupled"].sum()),
        f"coupled_{new}": int(frame[f"{new}_coupled"].sum()),
        "coupled_both": len(both),
        f"median_s_both_{old}": both[f"{old}_s"].median(),
        f"median_s_both_{new}": both[f"{new}_s"].median(),
        "ratio_both": both[f"{old}_s"].median() / both[f"{new}_s"].median()}])


def ab_arguments(argv, doc: str, model: str, sample: int, limit: float,
                 **choices: tuple[str, list[str]]) -> argparse.Namespace:
    """The command line of an alternating A/B benchmark (``--model``, ``--targets``,
    ``--sample``, ``--seed``, ``--time-limit``, ``--write``, and ``--<name>`` for each
    ``name=(default, choices)`` of *choices*); per-target progress logged, cobra_gdel's
    own log quiet."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    for name, (default, options) in choices.items():
        parser.add_argument(f"--{name}", default=default, choices=options)
    parser.add_argument("--model", default=model)
    parser.add_argument("--targets", nargs="*", default=None)
    parser.add_argument("--sample", type=int, default=sample)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=limit)
    parser.add_argument("--write", action="store_true", help="write docs/benchmarks.md")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("cobra_gdel").setLevel(logging.ERROR)
    return args


def ab_command(script: str, args: argparse.Namespace, seeded: bool = True) -> str:
    """The command line that reproduces a run of :func:`ab_arguments`' *args*."""
    chosen = (f"--targets {' '.join(args.targets)}" if args.targets
              else f"--sample {args.sample}" + (f" --seed {args.seed}" if seeded else ""))
    return (f"python benchmarks/{script} --model {args.model} {chosen} "
            f"--time-limit {args.time_limit:g} --write")


def main(argv=None) -> None:
    args = ab_arguments(argv, __doc__, "salmonella", 10, 60.0)
    started = time.perf_counter()
    model, sample = _model_and_targets(args.model, args.sample, args.seed)
    frame = run(args.model, model, list(args.targets or sample), args.time_limit)
    table = summary(frame)
    print(frame.to_string(index=False))
    print(table.to_string(index=False))
    if args.write:
        command = ab_command("escape_cut.py", args)
        shown = frame.drop(columns=["model"])
        write_section(f"escape-cut-{args.model}", f"""### {args.model}

Command: `{command}` ({machine()}; wall time {(time.perf_counter() - started) / 60:.1f} min).
`search_deletions` on each target twice in one process: `no_good` with gDel_minRN's
plain no-good cut (the default), `escape` with the cut relaxed by the failing design's
escape (`escape_cuts=True`). Sizes are maximal designs (no
trimming). `ratio_both`: median seconds of `no_good` over `escape` on the targets both
couple.

{markdown_table(shown)}

{markdown_table(table)}
""")


if __name__ == "__main__":
    main()
