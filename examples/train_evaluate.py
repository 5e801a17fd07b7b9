"""Cross-validate predictors on a strategy data folder, then train one and use it.

    python examples/train_evaluate.py                      # ../shared/data/e_coli_core
    python examples/train_evaluate.py --data path/to/folder --folds 10 --repeats 5

A data folder holds ``strategies.csv`` (one row per target metabolite, one column
per gene id, 1 = deleted), ``proteins.fasta`` (protein sequence per gene) and
``smiles.tsv`` (``metabolite``, ``smiles``); see cobra_gdel.data.StrategyDataset.
Without ``--data`` the e_coli_core folder of ``cobra_gdel.data.data_dir`` is used
(``COBRA_GDEL_DATA`` or ``../shared/data``).

The default settings are small so that the script finishes in well under a minute
on two CPU cores: 5 folds x 1 repeat and a DeepGDel of a few epochs. The protocol
of the published figures is 10 folds x 5 repeats (``--folds 10 --repeats 5``), with
the paper's 100 epochs (``--epochs 100``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import pandas as pd

from cobra_gdel.data import StrategyDataset, data_dir
from cobra_gdel.evaluation import cross_validate, format_table
from cobra_gdel.predictors import load_predictor, make_predictor


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="strategy data folder")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=5, help="DeepGDel's supervised epochs")
    parser.add_argument("--target", default=None, help="target to show predictions for")
    args = parser.parse_args(argv)

    folder = Path(args.data) if args.data else data_dir("e_coli_core")
    if folder is None or not (folder / "strategies.csv").is_file():
        print("no strategy data found: pass --data FOLDER or set COBRA_GDEL_DATA",
              file=sys.stderr)
        return 2
    dataset = StrategyDataset.from_folder(folder)
    print(f"{dataset.model_id}: {dataset.n_targets} targets x {len(dataset.genes)} genes, "
          f"{len(dataset.sequences)} protein sequences; "
          f"{dataset.labels.to_numpy().mean():.0%} of labels are 'deleted'")

    # DeepGDel's fast path: label-free autoencoder pre-training, then Pred-M.
    deepgdel = dict(mode="pretrained", pretrain_epochs=2, epochs=args.epochs,
                    gene_max_len=300, random_state=0)
    tables = []
    for name, params in [("prior", {}), ("bpm", {}), ("knn", {}), ("deepgdel", deepgdel)]:
        tables.append(cross_validate(dataset, name, folds=args.folds, repeats=args.repeats,
                                     params=params, progress=False))
    print(f"\n{args.folds}-fold cross-validation over targets, {args.repeats} repeat(s) "
          "(pre-determined genes not scored):\n")
    print(format_table(pd.concat(tables)))

    # Train on every target, save, load back, and score the genes for one target.
    predictor = make_predictor("deepgdel", progress=False, **deepgdel).fit(dataset)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"deepgdel_{dataset.model_id}.pt"
        predictor.save(path)
        predictor = load_predictor(path)
    target = args.target or dataset.targets[0]
    proba = predictor.predict_proba(target, smiles=dataset.smiles.get(target),
                                    sequences=dataset.sequences, genes=dataset.genes)
    truth = dataset.labels.loc[target] if target in dataset.labels.index else None
    top = proba.sort_values(ascending=False).head(10).to_frame("P(deleted)")
    if truth is not None:
        top["published"] = truth.reindex(top.index).map({1: "deleted", 0: "kept"})
    print(f"\ngenes most likely deleted for {target}:\n")
    print(top.to_string(float_format=lambda x: f"{x:.3f}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
