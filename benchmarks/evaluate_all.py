"""Run the cross-validation protocol for several predictors and models; write CSVs.

Usage (one model at a time; rows of the same label in the CSV are replaced)::

    nice python -m benchmarks.evaluate_all --model iMM904 \
        --run prior --run bpm --run dnn \
        --run 'deepgdel-fast=deepgdel:{"mode": "pretrained"}' --repeats 5

Each ``--run`` is ``LABEL[=NAME[:JSON-PARAMS]]``. Results go to
``docs/results/cv_<model>.csv`` (columns ``predictor, metric, mean, std`` plus the
protocol: ``folds, repeats, name, params, training, wall_s``) and per-fold scores to
``docs/results/folds/cv_<model>_<label>.csv``.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
import warnings
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "docs" / "results"


def parse_run(spec: str) -> tuple[str, str, dict]:
    label, _, rest = spec.partition("=")
    if not rest:
        return label, label, {}
    name, _, params = rest.partition(":")
    return label, name, json.loads(params) if params else {}


PAPER_ACCURACY = {"e_coli_core": 71.90, "iMM904": 79.78, "iML1515": 67.24}
MODELS = ("e_coli_core", "iMM904", "iML1515")


def report(commands: str = "") -> str:
    """Markdown of every ``docs/results/cv_<model>.csv``: mean ± std per metric."""
    from benchmarks._report import machine

    lines = [
        "## Cross-validation (DESIGN.md protocol)",
        "",
        f"Machine: {machine()}; 1 torch thread. 10-fold CV over target metabolites; "
        "`repeats` seeds (5 = full protocol); pre-determined genes (share over all "
        "strategies ≥ 0.9 or ≤ 0.1) left out of the scores but trained on; threshold 0.5; "
        "mean ± std over folds × repeats, in %. `training`: joint = every part trained "
        "together (faithful); pretrained = fast path (label-free autoencoder pre-training "
        "on all sequences once, Pred-M fitted per fold on cached latents). The paper's "
        "DeepGDel accuracy is shown for comparison (its protocol balanced classes and did "
        "not drop pre-determined genes, so it is not directly comparable). `@structure`: "
        "the same protocol with targets of identical canonical SMILES (one compound in "
        "several compartments) kept in one fold. `knn` is not in the paper: Tanimoto "
        "nearest training targets blended with the prior, k and α chosen by leave-one-out "
        "on the training targets. `fpnet` is not in the paper either: a learned Morgan-"
        "fingerprint encoder × learned gene vectors on the prior's logit, trained on the "
        "labels only (supervised); `fpnet_small` is the same with 1024 bits and 64 hidden "
        "units. `wall` = the whole CV run (all folds × repeats).",
        "",
    ]
    for model in MODELS:
        path = RESULTS / f"cv_{model}.csv"
        if not path.exists():
            continue
        t = pd.read_csv(path, keep_default_na=False)
        lines += [f"### {model} (paper DeepGDel accuracy {PAPER_ACCURACY[model]:.2f} %)", "",
                  "| predictor | training | repeats | accuracy | precision | recall | f1 | auc | wall (s) |",
                  "|---|---|---|---|---|---|---|---|---|"]
        order = ["prior", "bpm", "dnn", "deepgdel_joint", "deepgdel_fast", "deepgdel_res", "knn", "fpnet",
                 "fpnet_small"]

        def _rank(label: str) -> tuple[int, int, str]:
            base, _, group = label.partition("@")
            return (1 if group else 0, order.index(base) if base in order else len(order), label)

        for label in sorted(dict.fromkeys(t["predictor"]), key=_rank):
            sub = t[t["predictor"] == label].set_index("metric")
            cells = [f"{100 * sub.loc[m, 'mean']:.2f} ± {100 * sub.loc[m, 'std']:.2f}"
                     for m in ("accuracy", "precision", "recall", "f1", "auc")]
            first = sub.iloc[0]
            lines.append(f"| {label} | {first['training'] or 'n/a'} | {int(first['repeats'])} | " + " | ".join(cells)
                         + f" | {float(first['wall_s']):.0f} |")
        lines.append("")
    if commands:
        lines += ["Commands:", "", "```", commands.strip(), "```"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    import torch

    from cobra_gdel.data import StrategyDataset, data_dir
    from cobra_gdel.evaluation import cross_validate_folds, format_table, summarise

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model")
    ap.add_argument("--run", action="append")
    ap.add_argument("--report", metavar="COMMANDS_FILE", nargs="?", const="",
                    help="write the CV tables of docs/results into docs/benchmarks.md (section 'cv') and exit")
    ap.add_argument("--folds", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--progress", action="store_true")
    ap.add_argument("--groups", choices=["structure"], default=None,
                    help="keep targets with the same canonical SMILES in one fold (labels get a '@structure' suffix)")
    args = ap.parse_args(argv)
    if args.report is not None:
        from benchmarks._report import write_section

        commands = Path(args.report).read_text() if args.report else ""
        md = report(commands)
        print(md)
        write_section("cv", md)
        return
    if not args.model or not args.run:
        ap.error("--model and --run are required")
    torch.set_num_threads(args.threads)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    warnings.filterwarnings("ignore", message=".*without a protein sequence.*")
    folder = data_dir(args.model)
    if folder is None:
        raise SystemExit(f"no data folder for {args.model}")
    ds = StrategyDataset.from_folder(folder, args.model)
    out_csv = RESULTS / f"cv_{args.model}.csv"
    (RESULTS / "folds").mkdir(parents=True, exist_ok=True)
    for spec in args.run:
        label, name, params = parse_run(spec)
        if args.groups:
            label = f"{label}@{args.groups}"
        t0 = time.perf_counter()
        folds = cross_validate_folds(
            ds, name, folds=args.folds, repeats=args.repeats, seed=args.seed, device="cpu",
            params=params, progress=args.progress, groups=args.groups,
        )
        wall = time.perf_counter() - t0
        folds.insert(0, "label", label)
        folds.to_csv(RESULTS / "folds" / f"cv_{args.model}_{label.replace('@', '__')}.csv", index=False)
        summary = summarise(folds, label)
        training = "n/a"
        if name in ("dnn",):
            training = "joint"
        elif name == "fpnet":
            training = "supervised"
        elif name.startswith("deepgdel"):
            mode = params.get("mode", "pretrained" if name == "deepgdel_res" else "joint")
            training = mode + ("+finetune" if params.get("finetune_epochs") else "")
        summary = summary.assign(
            folds=args.folds, repeats=args.repeats, name=name, params=json.dumps(params, sort_keys=True),
            training=training, wall_s=round(wall, 1),
        )
        old = pd.read_csv(out_csv) if out_csv.exists() else None
        if old is not None:
            old = old[old["predictor"] != label]
            summary = pd.concat([old, summary], ignore_index=True)
        summary.to_csv(out_csv, index=False)
        logging.info("%s %s: %.1f s\n%s", args.model, label, wall, format_table(summarise(folds, label)))


if __name__ == "__main__":
    main()
