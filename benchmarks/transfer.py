"""Transfer benchmarks of issue 16: designs and labels on models without training data.

Four parts, each writing its own section of docs/benchmarks.md:

``lomo``
    Leave one model out over the three data models: the transferable ``network``
    predictor (six-variant mean, and the single "primary" variant) on the genes that
    are not pre-determined, beside the reaction-id-transferred prior of the other
    two models and the best constant answer (chosen on the held-out labels); and the
    network predictor's cost per target.
``variants``
    The network predictor's LP variants (growth bound, production levels, re-weighting
    rounds) scored leave-one-model-out, and the variant each held-out model gets when
    it is chosen on the other two models' labels.
``cluster``
    10-fold CV with structure-cluster folds (single linkage, Morgan r = 2, 2048 bits,
    Tanimoto ≥ 0.7) for the given predictors, each beside the fold prior on the same
    folds.
``unseen``
    ``predict_deletions`` (the default: predict → verify → repair → minimal) on models
    that no bundled predictor was trained on: e_coli_core with every gene id and the
    model id renamed, Salmonella iYS1720 and iJO1366. Beside it, in the same run and on
    the same targets, repair from uninformative scores (every gene 0.5, ``minimize=False``).

Usage::

    python benchmarks/transfer.py lomo
    python benchmarks/transfer.py variants
    python benchmarks/transfer.py cluster --model iML1515 --run prior --run fpnet --run network
    python benchmarks/transfer.py unseen --model e_coli_core-renamed --uniform
    python benchmarks/transfer.py unseen --model salmonella --targets 40 --uniform
    python benchmarks/transfer.py unseen --model iJO1366 --targets 40
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import warnings
from pathlib import Path

import cobra
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._report import machine, markdown_table, write_section  # noqa: E402
from benchmarks.evaluate_all import parse_run  # noqa: E402
from cobra_gdel.data import StrategyDataset, data_dir  # noqa: E402
from cobra_gdel.exceptions import NoProductionRouteError  # noqa: E402

logger = logging.getLogger("benchmarks.transfer")
RESULTS = Path(__file__).resolve().parent.parent / "docs" / "results"
DATA_MODELS = ("e_coli_core", "iMM904", "iML1515")


def _data(model_id: str) -> tuple[StrategyDataset, cobra.Model]:
    folder = data_dir(model_id)
    if folder is None:
        raise SystemExit(f"no data for {model_id}: set COBRA_GDEL_DATA")
    return (StrategyDataset.from_folder(folder),
            cobra.io.load_json_model(str(folder / "model.json")))


# ----------------------------------------------------------------------------- lomo
def run_lomo(args) -> None:
    from cobra_gdel import bundled
    from cobra_gdel.evaluation import leave_one_model_out
    from cobra_gdel.predictors import NetworkPredictor

    pairs = [_data(m) for m in DATA_MODELS]
    datasets, models = [p[0] for p in pairs], [p[1] for p in pairs]
    shipped = bundled.transferable().params  # what predict_deletions uses on a new model
    lps_only = {**shipped, "milp_genes": 0}
    unit = {**lps_only, "weights": "unit"}  # the LPs as shipped before session 33
    ranges = {**lps_only, "weights": "ranges"}
    started = time.perf_counter()
    table = leave_one_model_out(datasets, models, "network", params=shipped)
    variants = [("network (LPs only)", lps_only),
                ("network (LPs only, unit weights)", unit),
                ("network (LPs only, range weights)", ranges),
                ("network (primary)", {"levels": ["abs"], "reweights": [1]})]
    for label, params in variants:
        rows = leave_one_model_out(datasets, models, "network", params=params)
        table = pd.concat([table, rows[rows["predictor"] == "network"].assign(predictor=label)],
                          ignore_index=True)
    costs = []
    for dataset, model in zip(datasets, models):
        settings = [("network", shipped)]
        if len(model.genes) <= shipped.get("milp_genes", 0):
            settings.append(("network (LPs only)", lps_only))
        settings.append(("network (LPs only, unit weights)", unit))
        for label, params in settings:
            fresh = model.copy()  # a new network: timed from a cold cache
            start = time.perf_counter()
            predictor = NetworkPredictor(**params).fit(model=fresh)
            build = time.perf_counter() - start
            seconds = []
            for target in dataset.targets:
                start = time.perf_counter()
                predictor.predict_proba(target)
                seconds.append(time.perf_counter() - start)
            costs.append({"model": dataset.model_id, "predictor": label, "build_s": build,
                          "targets": len(seconds), "median_s": float(np.median(seconds)),
                          "p90_s": float(np.percentile(seconds, 90)),
                          "max_s": float(np.max(seconds))})
    ties = pd.DataFrame([_tie_break_agreement(d, m) for d, m in zip(datasets, models)])
    wall = time.perf_counter() - started
    RESULTS.mkdir(parents=True, exist_ok=True)
    table.to_csv(RESULTS / "transfer_lomo.csv", index=False)
    shown = table.copy()
    for metric in ("accuracy", "precision", "recall", "f1", "auc"):
        shown[metric] = (100 * shown[metric]).round(2)
    shown = shown.sort_values(["held_out", "predictor"], kind="stable")
    verdict = []
    for held, group in table.groupby("held_out", sort=False):
        acc = group.set_index("predictor")["accuracy"]
        best = max(acc["reaction prior"], acc["constant"])
        verdict.append({"held_out": held, "network": 100 * acc["network"],
                        "best_baseline": 100 * best, "margin": 100 * (acc["network"] - best),
                        "target_met (>= +5)": bool(acc["network"] - best >= 0.05),
                        "margin (LPs only)": 100 * (acc["network (LPs only)"] - best),
                        "margin (unit weights)":
                            100 * (acc["network (LPs only, unit weights)"] - best),
                        "margin (range weights)":
                            100 * (acc["network (LPs only, range weights)"] - best)})
    print(shown.to_string(index=False))
    write_section("transfer-lomo", f"""## Leave one model out (benchmarks/transfer.py lomo)

Command: `python benchmarks/transfer.py lomo` ({machine()}; HiGHS; wall time {wall / 60:.1f} min).

The transferable `network` predictor reads only the held-out model (it never sees any
strategy); `reaction prior` scores a gene by the mean share with which its reactions are
disabled in the other two models' strategies (per model, then averaged); `constant` is the
better of "all deleted" and "all kept", chosen on the held-out labels (an upper bound of
any constant answer; it has no AUC). Scored on the genes that are not pre-determined
(`n_genes_scored`), threshold 0.5, in %. `network` is the shipped setting
(`cobra_gdel/bundled/network.json`: `{json.dumps(shipped)}`): the mean of twelve LP
variants, six with every reaction that has a gene rule weighted 1 in the L1 LPs and six
with it weighted 1/M_j (`"weights": ["unit", "ranges"]`; M_j its flux range at growth ≥
0.001, gDel_minRN's big-M constant, clipped to [1, 1000]: the LP relaxation of
gDel_minRN's objective), led on a model of at most 300 genes
(e_coli_core here) by the model's own gDel_minRN design as ALGORITHMS.md specifies it
(every gene a candidate, the spontaneous s0001 too; every solve to the optimum), weight
0.75, so that design decides at the threshold;
`network (LPs only)` the twelve-variant mean alone;
`network (LPs only, unit weights)` the six unit-weight variants alone (the shipped
setting before session 33, and before session 32 without the lead);
`network (LPs only, range weights)` the six range-weight variants alone;
`network (primary)` the single variant (production ≥ 0.001, one re-weighting, unit weights).

{markdown_table(shown)}

Against the better baseline (target: +5 points on every held-out model):

{markdown_table(pd.DataFrame(verdict))}

Cost of the network predictor per target (a fresh copy of each model, so the build is
timed too: with range weights it includes the model's flux ranges, computed once
per model and reused by the gDel_minRN MILP; iML1515 runs 7 LPs of 5424 columns per
target and weighting):

{markdown_table(pd.DataFrame(costs), floatfmt=".3f")}

Which of equivalent genes the published strategies mark deleted (the tie-break of the
canonical form that `network` reads its gDel_minRN design in): each published
strategy is mapped to the canonical gene set of its own switched-off reactions under
each preference, and compared with itself on the genes that are not pre-determined
(mean agreement per target, in %). The shipped preference, latest in `model.genes`, is
the network decode's convention and the best on iML1515; e_coli_core's own column is
not used to choose it. The last column is not a minimal form: every gene whose
deletion switches off nothing more is deleted too (the labels' own convention on the
genome-scale models, where it agrees almost everywhere).

{markdown_table(ties)}
""")


def _tie_break_agreement(dataset: StrategyDataset, model: cobra.Model) -> dict:
    """Agreement (%) of each published strategy with the canonical form of its own
    switched-off reactions, per tie-break preference (see the LOMO section)."""
    from cobra_gdel.dataset_builder import canonical_deletions
    from cobra_gdel.evaluation import predetermined_genes
    from cobra_gdel.gpr import RuleSet

    rules, genes = RuleSet(model), [g.id for g in model.genes]
    excluded = set(predetermined_genes(dataset.labels, 0.1, 0.9))
    free = [g for g in dataset.genes if g not in excluded]
    orders = {"larger id": None, "latest in model.genes": genes,
              "smaller id": sorted(genes, reverse=True),
              "earliest in model.genes": genes[::-1]}
    forms = {name: (lambda deleted, order=order: canonical_deletions(rules, deleted,
                                                                    order=order))
             for name, order in orders.items()}
    forms["maximal (every free gene deleted)"] = lambda deleted: _every_free_gene(
        rules, deleted, genes)
    labels = dataset.labels[free].to_numpy() > 0.5
    marked = [{g for g in dataset.labels.columns[labels_row > 0.5] if g in rules.gene_reactions}
              for labels_row in dataset.labels.loc[dataset.targets].to_numpy()]
    row = {"model": dataset.model_id, "genes_scored": len(free)}
    for name, form in forms.items():
        agreement = []
        for i, deleted in enumerate(marked):
            widened = form(deleted)
            agreement.append(np.mean([g in widened for g in free] == labels[i]))
        row[name] = round(100 * float(np.mean(agreement)), 2)
    return row


def _every_free_gene(rules, deleted: set, order: list) -> set:
    """*deleted* and every gene (latest in *order* first) whose deletion on top switches
    off no further reaction: the largest gene set with the same reactions off."""
    deleted, off = set(deleted), rules.disabled(deleted)
    for gene in reversed(order):
        if gene not in deleted and gene in rules.gene_reactions and \
                not rules.newly_disabled(deleted, off, gene):
            deleted.add(gene)
    return deleted


# ----------------------------------------------------------------------------- variants
#: The variant grid: growth bounds of the L1 LPs, production levels, re-weighting rounds.
VARIANT_GROWTH = (0.1, 0.01)
VARIANT_LEVELS = ("abs", 0.1, 0.5, 0.9)
VARIANT_SETS = [("abs", 0.1, 0.5), ("abs",), ("abs", 0.1, 0.5, 0.9), (0.1, 0.5), (0.5,),
                (0.9,), (0.5, 0.9), (0.1, 0.5, 0.9)]
VARIANT_ROUNDS = [(0, 1), (1,), (0,)]


def run_variants(args) -> None:
    """The network predictor's LP variants, scored leave-one-model-out, and the variant
    each held-out model gets when it is chosen on the other two models' labels."""
    from cobra_gdel.evaluation import leave_one_model_out, predetermined_genes, score_predictions
    from cobra_gdel.network_features import MinimalNetwork, variant_scores

    pairs = [_data(m) for m in DATA_MODELS]
    started = time.perf_counter()
    base = leave_one_model_out([p[0] for p in pairs], [p[1] for p in pairs], "network")
    rows = []
    for dataset, model in pairs:
        exclude = predetermined_genes(dataset.labels, 0.1, 0.9)
        for growth in VARIANT_GROWTH:
            network = MinimalNetwork(model, growth_levels=(growth, 0.001))
            sets = {t: {} for t in dataset.targets}
            for target in dataset.targets:  # each level from a cold start
                for level in VARIANT_LEVELS:
                    sets[target].update(network.active_sets(target, (level,), (0, 1)))
            for levels in VARIANT_SETS:
                for rounds in VARIANT_ROUNDS:
                    keys = {(level, r) for level in levels for r in rounds}
                    frame = pd.DataFrame(
                        [pd.Series(variant_scores(network, [v for k, v in sets[t].items()
                                                            if k in keys]),
                                   index=network.genes).reindex(dataset.genes).fillna(0.5)
                         for t in dataset.targets],
                        index=dataset.labels.index, columns=dataset.labels.columns)
                    metrics = score_predictions(dataset.labels, frame, exclude=exclude)
                    rows.append({"model": dataset.model_id, "growth": growth,
                                 "levels": "/".join(map(str, levels)),
                                 "rounds": "/".join(map(str, rounds)),
                                 "accuracy": 100 * metrics["accuracy"],
                                 "auc": 100 * metrics["auc"]})
        logger.info("%s: variants done", dataset.model_id)
    grid = pd.DataFrame(rows)
    accuracy = base.set_index(["held_out", "predictor"])["accuracy"]
    best = {held: 100 * max(accuracy[held, "reaction prior"], accuracy[held, "constant"])
            for held in DATA_MODELS}
    grid["margin"] = grid["accuracy"] - grid["model"].map(best)
    wide = grid.pivot_table(index=["growth", "levels", "rounds"], columns="model",
                            values="margin").reset_index()
    nested = []
    for held in DATA_MODELS:
        others = [m for m in DATA_MODELS if m != held]
        for rule in ("mean", "min"):
            pick = wide.loc[wide[others].agg(rule, axis=1).idxmax()]
            nested.append({"held_out": held, "chosen by": f"{rule} margin on {' + '.join(others)}",
                           "growth": pick["growth"], "levels": pick["levels"],
                           "rounds": pick["rounds"], "held-out margin": pick[held]})
    nested = pd.DataFrame(nested)
    wall = time.perf_counter() - started
    print(wide.to_string(index=False))
    print(nested.to_string(index=False))
    write_section("transfer-variants", f"""### The network's LP variants, chosen leave-one-model-out

Command: `python benchmarks/transfer.py variants` ({machine()}; HiGHS; wall time
{wall / 60:.1f} min).

Margin (accuracy points) over the better baseline of each held-out model (the reaction-id
prior or the best constant, as in the table above) for every variant set of the network
predictor: growth bound of the L1 LPs, production levels (`abs`: ≥ 0.001, a share of
PRmax otherwise) and re-weighting rounds kept; each level solved from a cold start. The
shipped setting is growth 0.1, `abs/0.1/0.5`, rounds `0/1`.

{markdown_table(wide)}

Chosen on the other two models' labels (the variant with the best mean, or the best
worst, margin there), scored on the held-out one:

{markdown_table(nested)}
""")


# ----------------------------------------------------------------------------- cluster
def run_cluster(args) -> None:
    import torch

    from cobra_gdel.evaluation import cross_validate_folds, summarise

    torch.set_num_threads(1)
    dataset, model = _data(args.model)
    out = RESULTS / f"transfer_cluster_{args.model}.csv"
    old = pd.read_csv(out) if out.exists() else None
    rows = []
    for spec in args.run:
        label, name, params = parse_run(spec)
        start = time.perf_counter()
        folds = cross_validate_folds(dataset, name, folds=args.folds, repeats=args.repeats,
                                     seed=args.seed, params=params, progress=False,
                                     groups=args.groups, model=model, baseline=True)
        wall = time.perf_counter() - start
        for scorer, per_fold in folds.groupby("predictor", sort=False):
            summary = summarise(per_fold, scorer).set_index("metric")
            shown = label if scorer == name else "fold prior"
            if any(r["predictor"] == shown for r in rows):
                continue  # the same folds for every predictor: one fold-prior row
            rows.append({"predictor": shown,
                         "groups": args.groups, "folds": args.folds, "repeats": args.repeats,
                         **{m: summary.loc[m, "mean"] for m in summary.index},
                         **{f"{m}_std": summary.loc[m, "std"] for m in summary.index},
                         "wall_s": wall if scorer == name else 0.0})
        logger.info("%s %s: %.0f s", args.model, label, wall)
    table = pd.DataFrame(rows)
    if old is not None:
        old = old[~old["predictor"].isin(table["predictor"]) | (old["groups"] != args.groups)]
        table = pd.concat([old, table], ignore_index=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False)
    print(table.to_string(index=False))
    _write_cluster_section()


def _write_cluster_section() -> None:
    parts = []
    for model_id in DATA_MODELS:
        path = RESULTS / f"transfer_cluster_{model_id}.csv"
        if not path.exists():
            continue
        table = pd.read_csv(path)
        shown = pd.DataFrame({
            "predictor": table["predictor"], "groups": table["groups"],
            "repeats": table["repeats"],
            **{m: [f"{100 * a:.2f} ± {100 * s:.2f}" for a, s in zip(table[m], table[f"{m}_std"])]
               for m in ("accuracy", "f1", "auc")},
            "wall_s": table["wall_s"].round(0)})
        parts.append(f"### {model_id}\n\n{markdown_table(shown)}\n")
    write_section("transfer-cluster", "## Cluster-split cross-validation "
                  "(benchmarks/transfer.py cluster)\n\n" + _CLUSTER_INTRO.format(
                      machine=machine()) + "\n\n" + "\n".join(parts))


_CLUSTER_INTRO = """10 folds over targets; a fold holds whole single-linkage clusters of
structurally similar targets (Morgan radius 2, 2048 bits, Tanimoto ≥ 0.7; a target without
SMILES is its own group; 29 / 56 / 187 groups on e_coli_core / iMM904 / iML1515), so no
compartment copy, epimer or chain homologue of a test target is trained on. `fold prior`
is scored on the same folds (each gene's deletion share in the fold's training targets;
every predictor of a model sees the same folds). Genes that are not
pre-determined, threshold 0.5, mean ± std over folds (× repeats), in %. {machine}; one
torch thread. Commands (each row's `repeats` says how many seeds):

```
python benchmarks/transfer.py cluster --model e_coli_core --run deepgdel_res --run fpnet --run network
python benchmarks/transfer.py cluster --model e_coli_core --run 'network (+gDel_minRN)=network:{{"milp_genes": 300}}'
python benchmarks/transfer.py cluster --model iMM904 --run deepgdel_res --run fpnet --run network
python benchmarks/transfer.py cluster --model iMM904 --run knn
python benchmarks/transfer.py cluster --model iML1515 --run fpnet --run network
python benchmarks/transfer.py cluster --model iMM904 --run network --run gated
python benchmarks/transfer.py cluster --model e_coli_core --run network --run gated --run 'gated (deepgdel_res)=gated:{{"base": "deepgdel_res"}}' --run 'network (+gDel_minRN)=network:{{"milp_genes": 300}}'
python benchmarks/transfer.py cluster --model iML1515 --run network --run gated
python benchmarks/transfer.py cluster --model e_coli_core --run 'gated (0.03)=gated:{{"threshold": 0.03}}' --run 'gated (0.04)=gated:{{"threshold": 0.04}}' --run 'gated (0.06)=gated:{{"threshold": 0.06}}' --run 'gated (0.08)=gated:{{"threshold": 0.08}}' --run 'gated (0.10)=gated:{{"threshold": 0.10}}'
```

`gated` (:class:`GatedPredictor`, base `fpnet` unless named) scores a test target with
the network predictor when the genes its minimal production network keeps are at Jaccard
distance ≥ 0.05 from those of every training target's network, else with the learned
predictor. The threshold was chosen on e_coli_core with `fpnet` (the rows `gated (0.03)` …
`gated (0.10)`: 65.39 / 65.83 / 65.83 / 65.83 / 65.76 / 65.09 % at 0.03 / 0.04 / 0.05 /
0.06 / 0.08 / 0.10, against 64.03 % for `fpnet` alone; 0.05 is the middle of the best
plateau) and applied unchanged to iMM904 and iML1515. On iMM904 it gates the ten peroxisomal acyl-CoA esters (one
structure cluster, one fold; novelty 0.10–0.11, every other target ≤ 0.07): their
strategies keep most genes that every other strategy deletes, so `fpnet` and the fold
prior score 16.7 % on that fold and the network predictor 68.5 %. On iML1515 no target
reaches 0.05 (the scores are `fpnet`'s). The rows `network` and `gated` were run after the
network decode's tie-break stopped following the string-hash order of the process
(session 22): their accuracies came out as before."""


# ----------------------------------------------------------------------------- unseen
class UniformScores:
    """Uninformative scores: every gene 0.5 (the comparison for the network predictor)."""

    name = "uniform"

    def predict_proba(self, target, *, smiles=None, sequences=None, genes=None):
        return pd.Series(0.5, index=pd.Index(list(genes), name="gene"), name=target)


def _renamed(model: cobra.Model) -> cobra.Model:
    from cobra.manipulation import rename_genes

    copy = model.copy()
    rename_genes(copy, {g.id: f"orgX_{i:04d}" for i, g in enumerate(copy.genes)})
    copy.id = "my_organism"
    return copy


def _unseen_model(name: str, n_targets: int | None, seed: int) -> tuple[cobra.Model, list[str], str]:
    """(model, targets, how the targets were chosen)."""
    if name == "e_coli_core-renamed":
        dataset, model = _data("e_coli_core")
        return _renamed(model), dataset.targets, "the 35 e_coli_core strategy targets"
    if name == "iJO1366":
        model = cobra.io.load_model("iJO1366")
        dataset, _ = _data("iML1515")
        pool = [t for t in dataset.targets if t in model.metabolites]
        how = f"iML1515 strategy targets that iJO1366 has ({len(pool)} of {dataset.n_targets})"
        return model, _sample(pool, n_targets, seed), how
    if name == "salmonella":
        model = cobra.io.load_model("salmonella")
        dataset, _ = _data("iML1515")
        pool = [t for t in dataset.targets if t in model.metabolites]
        how = (f"iML1515 strategy targets that iYS1720 has ({len(pool)} of "
               f"{dataset.n_targets}: a design exists in the sister organism)")
        return model, _sample(pool, n_targets, seed), how
    if name == "salmonella-random":
        model = cobra.io.load_model("salmonella")
        return model, [m.id for m in model.metabolites], "random producible metabolites"
    raise SystemExit(f"unknown model {name!r}")


def _sample(pool: list[str], n: int | None, seed: int) -> list[str]:
    if n is None or n >= len(pool):
        return pool
    order = np.random.default_rng(seed).permutation(len(pool))
    return [pool[i] for i in order]


def _design_row(design, seconds: float) -> dict:
    minimal = design.timings.get("minimal", 0.0)
    # everything but the minimal-design search: predict, repair (its MILP and LP
    # heuristics included) and the verification of the maximal design
    return {"status": design.status, "coupled": design.coupled, "method": design.method,
            "deletions": len(design.deletions), "total_s": seconds,
            "predict_repair_verify_s": seconds - minimal, "minimal_s": minimal}


def run_unseen(args) -> None:
    from cobra_gdel.predict import predict_deletions

    logging.getLogger("cobra_gdel").setLevel(logging.ERROR)  # the expected warnings
    model, pool, how = _unseen_model(args.model, args.targets, args.seed)
    rows, started = [], time.perf_counter()
    if args.batch:
        rows = _batch_rows(model, pool, args)
        pool = []
    for target in pool:
        if args.targets is not None and len(rows) >= args.targets:
            break
        row = {"target": target}
        start = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                design = predict_deletions(model, target, time_limit=args.time_limit)
        except NoProductionRouteError:
            continue
        row.update(_design_row(design, time.perf_counter() - start))
        if args.uniform:
            start = time.perf_counter()
            flat = predict_deletions(model, target, predictor=UniformScores(), minimize=False,
                                     time_limit=args.time_limit)
            row.update({f"uniform_{k}": v for k, v in
                        _design_row(flat, time.perf_counter() - start).items()})
        rows.append(row)
        logger.info("%s %s: %s %.1f s%s", args.model, target, row["status"], row["total_s"],
                    f" (uniform {row['uniform_status']} {row['uniform_total_s']:.1f} s)"
                    if args.uniform else "")
    wall = time.perf_counter() - started
    frame = pd.DataFrame(rows)
    RESULTS.mkdir(parents=True, exist_ok=True)
    key = args.model + (f"-{args.tag}" if args.tag else "")
    frame.to_csv(RESULTS / f"transfer_unseen_{key}.csv", index=False)
    summary = _unseen_summary(args.model, frame, args.uniform)
    print(pd.DataFrame([summary]).T.to_string(header=False))
    command = (f"python benchmarks/transfer.py unseen --model {args.model}"
               + (f" --targets {args.targets}" if args.targets else "")
               + (" --uniform" if args.uniform else "") + (" --batch" if args.batch else "")
               + f" --seed {args.seed} --time-limit {args.time_limit:g}"
               + (f" --tag {args.tag}" if args.tag else ""))
    write_section(f"transfer-unseen-{key}", f"""### {args.model}{f" ({args.tag})" if args.tag else ""}

Command: `{command}` ({machine()}; wall time {wall / 60:.1f} min). Targets: {how}.

{markdown_table(pd.DataFrame([summary]))}
""")


def _batch_rows(model, pool: list[str], args) -> list[dict]:
    """The same targets (the first ``--targets`` producible ones of *pool*) through
    ``predict_many`` (serial; its retry seeds the misses with the batch's designs)."""
    from cobra_gdel import predict_many
    from cobra_gdel.batch import producible_targets

    if args.uniform:
        raise SystemExit("--batch runs the default call only (no --uniform)")
    targets = producible_targets(model, metabolites=pool, progress=False)[:args.targets]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = predict_many(model, targets, time_limit=args.time_limit, progress=False)
    rows = []
    for target in targets:
        row, design = table.loc[target], table.gdel[target]
        minimal = design.timings.get("minimal", 0.0) if design is not None else 0.0
        rows.append({"target": target, "status": row["status"], "coupled": bool(row["coupled"]),
                     "method": row["method"], "deletions": int(row["n_deletions"]),
                     "total_s": float(row["seconds"]),
                     "predict_repair_verify_s": float(row["seconds"]) - minimal,
                     "minimal_s": minimal})
        logger.info("%s %s: %s %.1f s", args.model, target, row["status"], row["seconds"])
    return rows


def _unseen_summary(name: str, frame: pd.DataFrame, uniform: bool) -> dict:
    possible = frame[frame["status"] != "no_design"]
    coupled = frame[frame["coupled"]]
    out = {"model": name, "targets": len(frame), "no_design": len(frame) - len(possible),
           "coupled": int(frame["coupled"].sum()),
           "coupled_%_possible": 100 * possible["coupled"].mean() if len(possible) else np.nan,
           "median_s": frame["total_s"].median(),
           "median_predict_repair_verify_s": frame["predict_repair_verify_s"].median(),
           "median_s_coupled": coupled["total_s"].median(),
           "median_deletions_coupled": coupled["deletions"].median()}
    if uniform:
        both = frame[frame["coupled"] & frame["uniform_coupled"]]
        out.update({
            "uniform_coupled": int(frame["uniform_coupled"].sum()),
            "both_coupled": len(both),
            "network_median_s_both": both["predict_repair_verify_s"].median(),
            "uniform_median_s_both": both["uniform_predict_repair_verify_s"].median()})
        out["speedup_both"] = out["uniform_median_s_both"] / out["network_median_s_both"]
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="part", required=True)
    sub.add_parser("lomo").set_defaults(func=run_lomo)
    sub.add_parser("variants").set_defaults(func=run_variants)
    p = sub.add_parser("cluster")
    p.add_argument("--model", required=True, choices=DATA_MODELS)
    p.add_argument("--run", action="append", required=True,
                   help="LABEL[=NAME[:JSON-PARAMS]], e.g. fpnet or network")
    p.add_argument("--groups", default="cluster", choices=["none", "structure", "cluster"])
    p.add_argument("--folds", type=int, default=10)
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run_cluster)
    p = sub.add_parser("unseen")
    p.add_argument("--model", required=True)
    p.add_argument("--targets", type=int, default=None, help="at most this many (seeded sample)")
    p.add_argument("--uniform", action="store_true", help="also repair from all-0.5 scores")
    p.add_argument("--batch", action="store_true",
                   help="the targets through predict_many (its retry from the batch's designs)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--time-limit", type=float, default=60.0)
    p.add_argument("--tag", default="", help="appended to the docs section and CSV names "
                   "(a second run of one model with other settings)")
    p.set_defaults(func=run_unseen)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")
    logger.setLevel(logging.INFO)
    args.func(args)


if __name__ == "__main__":
    main()
