"""Self-made labels against the published strategies (e_coli_core by default).

    nice python benchmarks/selfmade_labels.py --workers 2 --output /tmp/selfmade_ecc
    nice python benchmarks/selfmade_labels.py --output /tmp/selfmade_ecc --write-doc

1. ``build_dataset`` (the same as ``cobra-gdel build-dataset``) labels every target of
   the model's ``strategies.csv`` with the gDel_minRN MILP (maximal designs, each
   re-checked by FBA), on the data folder's model, with its SMILES and protein FASTA.
   The folder resumes: a second run reuses the labels.
2. Label agreement with the published strategies on the genes that are not
   pre-determined (published deletion share strictly between 0.1 and 0.9), and on all
   genes.
3. Each predictor is cross-validated twice with the protocol of
   ``cobra_gdel.evaluation.cross_validate`` (10-fold over targets, ``--repeats`` seeds,
   pre-determined genes left out of the scores, threshold 0.5), always scored on the
   *published* labels of the test targets: once trained on the published labels of
   the training targets, once on the self-made labels of the same targets (a training
   target without a verified self-made design is left out of that training set).
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._report import machine, markdown_table, write_section  # noqa: E402
from cobra_gdel.data import (  # noqa: E402
    StrategyDataset,
    TargetKFold,
    data_dir,
    predetermined_genes,
    score_predictions,
)
from cobra_gdel.evaluation import format_table, summarise  # noqa: E402


def build(model_id: str, output: Path, workers: int | None, time_limit: float):
    """(model, published, self-made canonical, self-made as found, seconds); the
    self-made folder is built (or resumed) now."""
    import cobra

    from cobra_gdel.batch import open_client
    from cobra_gdel.batch_files import design_all
    from cobra_gdel.dataset_builder import build_dataset, verified_labels

    folder = data_dir(model_id)
    if folder is None:
        raise SystemExit(f"no data folder for {model_id}: set COBRA_GDEL_DATA")
    published = StrategyDataset.from_folder(folder, model_id=model_id)
    model = cobra.io.load_json_model(str(folder / "model.json"))
    start = time.perf_counter()
    with open_client(workers) as client:
        selfmade = build_dataset(model, published.targets, output, client=client,
                                 time_limit=time_limit, smiles=folder / "smiles.tsv",
                                 sequences=folder / "proteins.fasta", progress=False)
    seconds = time.perf_counter() - start
    # the same designs (every result file exists: nothing runs), labelled as found
    table = design_all(model, published.targets, output, method="search",
                       time_limit=time_limit, progress=False)
    labels, _left_out = verified_labels(model, table, genes="as_found")
    as_found = StrategyDataset(labels, selfmade.smiles, selfmade.sequences, model_id)
    return model, published, selfmade, as_found, seconds


def switched_off(rules, labels: pd.DataFrame) -> pd.DataFrame:
    """Targets × reactions with a rule, 1 = switched off by the target's deletions."""
    reactions = sorted({r for rs in rules.gene_reactions.values() for r in rs})
    rows = [[1 if r in off else 0 for r in reactions]
            for off in (rules.disabled(labels.columns[labels.loc[t] == 1])
                        for t in labels.index)]
    return pd.DataFrame(rows, index=labels.index, columns=reactions)


def _agreement_rows(kind: str, what: str, pub: pd.DataFrame, own: pd.DataFrame,
                    share: pd.Series) -> list:
    """Rows of :func:`agreement`; *share*: the published share over all strategies."""
    rows = []
    for name, columns in ((f"{what}, not pre-determined",
                           [c for c in pub.columns if 0.1 < share[c] < 0.9]),
                          (f"{what}, all", list(pub.columns))):
        same = (pub[columns].to_numpy() == own[columns].to_numpy())
        rows.append({"labels": kind, "compared": name, "n": len(columns),
                     "targets": len(pub), "agreement_%": 100 * same.mean(),
                     "per_target_min_%": 100 * same.mean(axis=1).min(),
                     "off_published_%": 100 * pub[columns].to_numpy().mean(),
                     "off_selfmade_%": 100 * own[columns].to_numpy().mean()})
    return rows


def agreement(model, published: StrategyDataset, labelled: dict[str, StrategyDataset]
              ) -> pd.DataFrame:
    """Agreement per label kind, on genes (deleted) and on reactions (switched off),
    pooled over the targets labelled by both."""
    from cobra_gdel.gpr import RuleSet

    rules = RuleSet(model)
    reactions = switched_off(rules, published.labels)
    rows = []
    for kind, selfmade in labelled.items():
        common = [t for t in published.targets if t in set(selfmade.targets)]
        pub = published.labels.loc[common]
        own = selfmade.labels.loc[common, pub.columns]
        rows += _agreement_rows(kind, "genes", pub, own, published.labels.mean())
        if kind == "canonical":  # both label kinds switch off the same reactions
            rows += _agreement_rows("both", "reactions", reactions.loc[common],
                                    switched_off(rules, own), reactions.mean())
    return pd.DataFrame(rows)


def cross_validate_on_published(published: StrategyDataset, train_labels: StrategyDataset,
                                predictor: str, folds: int, repeats: int, seed: int
                                ) -> pd.DataFrame:
    """Per-fold scores: fit on *train_labels* of the training targets, score on the
    published labels of the test targets (folds over the published targets)."""
    from cobra_gdel.predictors import make_predictor

    exclude = predetermined_genes(published.labels)
    base = make_predictor(predictor, device="cpu", progress=False)
    if getattr(base, "mode", None) == "pretrained" and hasattr(base, "pretrain"):
        base.pretrain(published.smiles, published.sequences)  # label-free
    labelled = set(train_labels.targets)
    rows = []
    for rep in range(repeats):
        splits = TargetKFold(folds, seed + rep).split(published.n_targets)
        for k, (train, test) in enumerate(splits):
            start = time.perf_counter()
            est = copy.deepcopy(base)
            if "random_state" in est.get_params():
                est.set_params(random_state=(seed + rep) * 1000 + k)
            names = [published.targets[i] for i in train if published.targets[i] in labelled]
            est.fit(train_labels.subset(names))
            test_set = published.subset(test)
            scores = score_predictions(test_set.labels, est.predict_frame(test_set),
                                       exclude=exclude, threshold=0.5)
            rows.append({"predictor": predictor, "repeat": rep, "fold": k,
                         "n_test": len(test), "n_train": len(names),
                         "seconds": time.perf_counter() - start, **scores})
    return pd.DataFrame(rows)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="e_coli_core")
    parser.add_argument("--output", type=Path, default=Path("/tmp/selfmade_e_coli_core"),
                        help="the self-made data folder (outside the repository)")
    parser.add_argument("--workers", type=int, default=None,
                        help="local dask workers for the labels (default serial)")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--predictors", nargs="+", default=["deepgdel_res", "prior", "fpnet"])
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--write-doc", action="store_true",
                        help="write the tables into docs/benchmarks.md")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    model, published, selfmade, as_found, build_s = build(args.model, args.output,
                                                          args.workers, args.time_limit)
    agree = agreement(model, published, {"canonical": selfmade, "as_found": as_found})
    print(f"{selfmade.n_targets} of {published.n_targets} targets labelled "
          f"({build_s:.0f} s; a resumed folder counts only new work)\n")
    print(markdown_table(agree))
    runs = [(p, source, labels) for p in args.predictors
            for source, labels in (("published", published), ("self-made", selfmade))]
    runs.append(("prior", "self-made, as_found", as_found))
    tables, walls = [], {}
    for predictor, source, labels in runs:
        start = time.perf_counter()
        folds = cross_validate_on_published(published, labels, predictor, args.folds,
                                            args.repeats, args.seed)
        walls[f"{predictor} ({source})"] = time.perf_counter() - start
        tables.append(summarise(folds, f"{predictor} ({source})"))
    cv = pd.concat(tables, ignore_index=True)
    print()
    print(format_table(cv))
    accuracy = cv[cv["metric"] == "accuracy"].set_index("predictor")["mean"] * 100
    gaps = {p: accuracy[f"{p} (published)"] - accuracy[f"{p} (self-made)"]
            for p in args.predictors}
    print("\naccuracy gap (published − self-made, points): "
          + ", ".join(f"{p} {g:+.2f}" for p, g in gaps.items()))
    if args.write_doc:
        write_section("selfmade", _markdown(args, published, selfmade, agree, cv, gaps,
                                            walls, build_s))


def _markdown(args, published, selfmade, agree, cv, gaps, walls, build_s) -> str:
    command = (f"python benchmarks/selfmade_labels.py --model {args.model} --output "
               f"{args.output} --repeats {args.repeats} --folds {args.folds}"
               + (f" --workers {args.workers}" if args.workers else "")
               + f" --predictors {' '.join(args.predictors)} --write-doc")
    gap = ", ".join(f"{p} {g:+.2f}" for p, g in gaps.items())
    wall = ", ".join(f"{p} {s:.0f} s" for p, s in walls.items())
    return f"""## Self-made labels against the published strategies ({args.model})

Command: `{command}` ({machine()}; torch {args.threads} thread(s)).

`build_dataset` (= `cobra-gdel build-dataset`) labelled {selfmade.n_targets} of the
{published.n_targets} targets of the published `strategies.csv` with the gDel_minRN MILP
(`search_deletions`, maximal designs, {args.time_limit:g} s per target, each row re-checked
by FBA; the manifest lists the targets left out) in {build_s:.0f} s. Agreement with the
published strategies, pooled over the targets labelled by both; *not pre-determined* =
published share strictly between 0.1 and 0.9; `off_*`: share of 1s (deleted genes,
switched-off reactions):

{markdown_table(agree)}

The two kinds of self-made labels switch off the same reactions; they differ in which
genes say so. Many gene sets switch off one reaction pattern (any one subunit of a
complex; the genes of a reaction whose partners are already off), and which one a MILP
solution marks is its solver's tie-break: the published labels follow CPLEX's, `as_found`
our HiGHS runs'. `canonical` (the default of `build_dataset`) maps each design to the
minimal gene set that switches off the same reactions, preferring the larger gene id
among equivalent genes. That preference was chosen by looking at the published labels:
of the rules tried on these designs (genes as found; every gene whose reactions are all
off; minimal sets preferring the smaller or the larger id, or the last gene of the rule)
it agreed best with them, so the gene-level agreement above is partly fitted, while the
reaction-level rows are not.

Cross-validation by the protocol of `cobra_gdel.evaluation.cross_validate`
({args.folds}-fold over the published targets, {args.repeats} seeds, pre-determined genes
left out of the scores, threshold 0.5), always scored on the **published** labels of the
test targets; `(published)`: trained on the published labels of the training targets,
`(self-made)`: on the self-made labels of the same targets. Mean ± std over folds ×
repeats, in %:

{format_table(cv)}

Accuracy gap (published − self-made, points): {gap}. Wall time per row: {wall}."""


if __name__ == "__main__":
    main()
