"""What minimal designs rest on: the genes they share and the gene-less reactions they need.

Reads the per-target CSV that ``benchmarks/design_quality.py --csv FILE`` writes and, for
every design in it that passes :func:`cobra_gdel.check_coupling`, lists the reactions
without a gene rule that the design needs (:func:`cobra_gdel.orphan_dependencies`:
forced at the design's maximal growth, and closing one stops its growth, **growth**, or
keeps growth but loses the coupling, **coupling**). A design that needs one holds in
the organism only if the organism has that activity. Then the genes deleted in at
least ``--share`` of the designs of ``--min-kos`` knock-outs or more (the mechanisms
they share).

Usage::

    python benchmarks/design_quality.py --model iML1515 --sample 30 --time-limit 60 \\
        --csv /tmp/dq.csv
    python benchmarks/design_mechanisms.py --model iML1515 --csv /tmp/dq.csv [--write]
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._report import machine, markdown_table, write_section  # noqa: E402
from benchmarks.design_quality import load_model  # noqa: E402
from cobra_gdel import check_coupling, orphan_dependencies  # noqa: E402

logger = logging.getLogger("benchmarks.design_mechanisms")


def analyse(model, frame: pd.DataFrame, args) -> pd.DataFrame:
    """One row per coupled design of *frame* (see the module docstring)."""
    rows = []
    for row in frame.itertuples():
        genes = str(row.ours_genes).split() if isinstance(row.ours_genes, str) else []
        if not genes:
            continue
        start = time.perf_counter()
        report = check_coupling(model, row.target, genes, growth_lb=args.growth_lb,
                                production_lb=args.production_lb)
        if not report.coupled:
            continue
        needs = orphan_dependencies(model, row.target, genes, growth_lb=args.growth_lb,
                                    production_lb=args.production_lb)["needed_for"]
        rows.append({"target": row.target, "KOs": len(genes), "genes": " ".join(genes),
                     "min prod": report.min_production,
                     "growth needs": " ".join(needs.index[needs == "growth"]),
                     "coupling needs": " ".join(needs.index[needs == "coupling"]),
                     "s": time.perf_counter() - start})
        logger.info("%s: %s", row.target, rows[-1])
    return pd.DataFrame(rows)


def shared_genes(model, designs: pd.DataFrame, share: float, min_kos: int) -> pd.DataFrame:
    """Genes deleted in at least *share* of the designs of *min_kos* knock-outs or more."""
    large = designs[designs["KOs"] >= min_kos]
    counts: dict[str, int] = {}
    for genes in large["genes"]:
        for gene in genes.split():
            counts[gene] = counts.get(gene, 0) + 1
    rows = []
    for gene, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        if count < share * len(large):
            break
        item = model.genes.get_by_id(gene)
        rows.append({"gene": gene, "name": item.name, "designs": count,
                     "reactions": " ".join(sorted(r.id for r in item.reactions)[:6])
                     + (" …" if len(item.reactions) > 6 else "")})
    return pd.DataFrame(rows)


def needing(designs: pd.DataFrame) -> pd.DataFrame:
    """Per gene-less reaction some design needs: how many designs, their median size."""
    rows = []
    for column in ("growth needs", "coupling needs"):
        for reaction in sorted({r for cell in designs[column] for r in cell.split()}):
            mask = designs[column].str.split().apply(lambda cell, r=reaction: r in cell)
            rows.append({"reaction": reaction, "closing it loses": column.split()[0],
                         "designs": int(mask.sum()),
                         "median KOs": float(designs.loc[mask, "KOs"].median()),
                         "targets": " ".join(designs.loc[mask, "target"])})
    return pd.DataFrame(rows)


def report(model, designs: pd.DataFrame, args, command: str, wall: float) -> str:
    """The markdown section."""
    shown = designs.drop(columns=["genes"]).copy()
    shown["min prod"] = shown["min prod"].map(lambda v: f"{v:.3g}")
    shown["s"] = shown["s"].map(lambda v: f"{v:.1f}")
    rests = designs[(designs["growth needs"] != "") | (designs["coupling needs"] != "")]
    others = designs.drop(rests.index)
    cores = shared_genes(model, designs, args.share, args.min_kos)
    needs = needing(designs)
    return f"""## What the minimal designs rest on ({args.model})

Command: `{command}` ({machine()}; wall time {wall / 60:.1f} min). The designs are those of
the `--csv` file of the design-quality run above (`ours_genes`), re-checked here with
`check_coupling(model, target, genes, growth_lb={args.growth_lb:g},
production_lb={args.production_lb:g})`, and `orphan_dependencies` with the same
bounds: reactions without a gene rule (no exchanges, sinks or bound-forced demands such
as ATPM) that the wild type can grow without and whose flux cannot be zero at the
design's maximal growth; *growth needs* / *coupling needs*: those whose closure stops
the design's growth below the bound / keeps growth but loses the coupling.

{markdown_table(shown)}

Gene-less reactions the designs need ({len(rests)} of {len(designs)} designs need at
least one; median {rests['KOs'].median() if len(rests) else float('nan'):g} knock-outs
against {others['KOs'].median() if len(others) else float('nan'):g} for the others):

{markdown_table(needs) if len(needs) else "(none)"}

Genes deleted in at least {args.share:.0%} of the {int((designs['KOs'] >= args.min_kos).sum())}
designs of {args.min_kos} knock-outs or more:

{markdown_table(cores) if len(cores) else "(none)"}
"""


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="iML1515")
    parser.add_argument("--csv", required=True, help="per-target CSV of design_quality.py")
    parser.add_argument("--growth-lb", type=float, default=0.1)
    parser.add_argument("--production-lb", type=float, default=0.001)
    parser.add_argument("--share", type=float, default=1 / 3)
    parser.add_argument("--min-kos", type=int, default=10)
    parser.add_argument("--out", default=None, help="write the per-design rows to this CSV")
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("cobra_gdel").setLevel(logging.WARNING)
    started = time.perf_counter()
    model = load_model(args.model)
    frame = pd.read_csv(args.csv)
    designs = analyse(model, frame, args)
    if designs.empty:
        raise SystemExit("no coupled design in the CSV")
    if args.out:
        designs.to_csv(args.out, index=False)
    wall = time.perf_counter() - started
    command = "python benchmarks/design_mechanisms.py " + shlex.join(
        a for a in (argv if argv is not None else sys.argv[1:]) if a != "--write")
    text = report(model, designs, args, command, wall)
    print(text)
    print("median KOs:", float(np.median(designs["KOs"])))
    if args.write:
        write_section(f"design_mechanisms-{args.model}", text)


if __name__ == "__main__":
    main()
