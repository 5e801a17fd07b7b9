"""Two moves beyond the exchange of ``cobra_gdel.improve``, probed on minimal designs.

Issue 15 asks for iML1515 designs of at most 10 knock-outs; the minimal designs there
have a median of 20 (docs/benchmarks.md, *Design quality*). ``cobra_gdel.trim.exchange``
adds one gene that raises the minimal production, then restores. This probe measures
whether two wider moves would find smaller designs:

``free``
    one gene in, *whatever* it does to the minimal production: every gene (not deleted,
    not protected) that switches off a reaction of the design's minimal-production flux
    and keeps the design coupled is added; the design's own genes are then restored
    where coupling allows (``restore_order``, the added gene last) and the rest trimmed.
``swap``
    two out, one in: for every pair of the design's genes, both are restored (the design
    is minimal, so that breaks coupling); the minimal-production flux of what is left
    shows where production escapes, and every gene that switches off a reaction of that
    escape (one the design's own flux does not use) is added and checked. A coupled
    result is one gene smaller than the design, then trimmed.

Each target's design is ``predict_deletions(model, target, growth_lb=0.1,
time_limit=60)``, the design-quality benchmark's call. The table gives, per target and
move, the candidates checked, the seconds, how many candidates ended smaller than the
design, and the smallest result (with its minimal production at maximal growth).

Usage::

    python benchmarks/exchange_probe.py --targets ps140_c adp_c utp_c [--write]

iML1515 is read from the data folder (``COBRA_GDEL_DATA`` or ``../shared/data``); the
probe exits with a message without it.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import sys
import time
import warnings
from pathlib import Path

import cobra
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._report import machine, markdown_table, write_section  # noqa: E402
from cobra_gdel.data import data_dir  # noqa: E402
from cobra_gdel.heuristics import active_reactions, min_production_flux  # noqa: E402
from cobra_gdel.predict import predict_deletions  # noqa: E402
from cobra_gdel.problem import DesignTask  # noqa: E402
from cobra_gdel.trim import additions, restore_around, trim_deletions  # noqa: E402

logger = logging.getLogger("benchmarks.exchange_probe")
GROWTH_LB = 0.1
PRODUCTION_LB = 0.001
#: Targets of the design-quality sample (docs/benchmarks.md) whose designs have 18–21
#: knock-outs, one per family of phospholipids, and nucleotides.
DEFAULT_TARGETS = ("ps140_c", "pe120_p", "2agpg161_c", "pgp140_p", "thymd_e", "paps_c",
                   "adp_c", "utp_c")
#: The eight genes that trap fumarate in many iML1515 designs (fumA, fumB, fumC, frdD,
#: dcuA, dcuB, dcuC, dauA): the ``trap`` column says whether a design deletes them all.
FUMARATE_TRAP = frozenset({"b1612", "b4122", "b1611", "b4151", "b4138", "b4123", "b0621",
                           "b1206"})


def free_move(task: DesignTask, design: set[str]) -> tuple[list[tuple[int, float]], int]:
    """(size, minimal production) of every design the free exchange reaches, and the
    number of genes tried."""
    own = active_reactions(min_production_flux(task, task.check(design)))
    results, tried = [], 0
    for gene in additions(task, design, own):
        tried += 1
        if not task.check(design | {gene}, quick=True).coupled:
            continue
        report = trim_deletions(task, restore_around(task, design, gene)).report
        results.append((len(report.deletions), report.min_production))
    return results, tried


def swap_move(task: DesignTask, design: set[str]) -> tuple[list[tuple[int, float]], int]:
    """(size, minimal production) of every coupled two-out-one-in swap, trimmed, and
    the number of swaps tried."""
    own = active_reactions(min_production_flux(task, task.check(design)))
    results, tried = [], 0
    for pair in itertools.combinations(sorted(design), 2):
        rest = design - set(pair)
        report = task.check(rest)
        if report.coupled:  # not minimal after all: a pair restores freely
            results.append((len(rest), report.min_production))
            continue
        escape = active_reactions(min_production_flux(task, report)) - own
        for gene in additions(task, rest, escape):
            if gene in pair:  # restoring it is what opened the escape
                continue
            tried += 1
            if task.check(rest | {gene}, quick=True).coupled:
                trimmed = trim_deletions(task, rest | {gene}).report
                results.append((len(trimmed.deletions), trimmed.min_production))
    return results, tried


def probe(model, target: str) -> list[dict]:
    """The two moves on *target*'s minimal design: one row per move."""
    design = predict_deletions(model, target, growth_lb=GROWTH_LB, time_limit=60)
    if not design.coupled:
        logger.warning("%s: no coupled design (%s); skipped", target, design.status)
        return []
    genes = set(design.deletions)
    rows = []
    for name, move in (("free", free_move), ("swap", swap_move)):
        task = DesignTask.create(model, target, growth_lb=GROWTH_LB,
                                 production_lb=PRODUCTION_LB)
        started = time.perf_counter()
        results, tried = move(task, genes)
        seconds = time.perf_counter() - started
        best = min(results, key=lambda r: (r[0], -r[1]), default=(None, float("nan")))
        rows.append({"target": target, "design_KOs": len(genes),
                     "trap": FUMARATE_TRAP <= genes,
                     "design_min_prod": design.min_production, "move": name,
                     "tried": tried, "coupled_candidates": len(results),
                     "smaller": sum(size < len(genes) for size, _ in results),
                     "best_KOs": best[0], "best_min_prod": best[1], "seconds": seconds})
        logger.info("%s %s: %s", target, name, rows[-1])
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", nargs="+", default=list(DEFAULT_TARGETS))
    parser.add_argument("--write", action="store_true", help="write docs/benchmarks.md")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    folder = data_dir("iML1515")
    if folder is None:
        raise SystemExit("no iML1515 data: set COBRA_GDEL_DATA or add ../shared/data")
    started = time.perf_counter()
    model = cobra.io.load_json_model(str(folder / "model.json"))
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for target in args.targets:
            rows.extend(probe(model, target))
    frame = pd.DataFrame(rows)
    print(frame.to_string(index=False))
    if args.write:
        command = "python benchmarks/exchange_probe.py --targets " + " ".join(args.targets)
        wall = (time.perf_counter() - started) / 60
        write_section("exchange-probe", f"""### Wider exchange moves (benchmarks/exchange_probe.py)

Command: `{command} --write` ({machine()}; wall time {wall:.1f} min).
iML1515, growth ≥ {GROWTH_LB}: each target's minimal design from `predict_deletions`, then
*free* (one gene in whatever it does to the minimal production, own genes restored,
trimmed) and *swap* (two of the design's genes out, one gene that closes the escape
flux in). `trap`: the design deletes the eight fumarate-trap genes. `tried`: genes
added (free) or swaps checked (swap); `coupled_candidates`: moves that ended coupled;
`smaller`: of those, how many with fewer knock-outs than the design; `best`: the
smallest, then strongest.

{markdown_table(frame, floatfmt=".3g")}
""")


if __name__ == "__main__":
    main()
