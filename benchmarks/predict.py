"""predict → verify → repair in a cross-validated mode, against MILP-only search.

For each model, targets are cut into 10 folds (seeded). For each fold a fresh
predictor is fitted on the other folds' strategies only, then every target of
the fold goes through ``predict_deletions`` with that predictor — so no target's
own strategy was ever seen by the predictor that designs for it. Recorded per
target: verified-coupled, seconds split into predict / repair / verify,
deletions against the published strategy, and the predictor's label accuracy on
the genes that are not pre-determined (deletion share over all strategies in
(0.1, 0.9)) beside the fold's frequency prior. In the same run, on the same
targets (all, or ``--milp-targets`` of them), ``search_deletions`` (the MILP
alone) gives the speed ratio.

Usage::

    python benchmarks/predict.py --model e_coli_core --model iMM904 --model iML1515 \
        [--predictor deepgdel_res] [--folds 10] [--milp-targets 20] [--milp-time-limit 120]
"""

from __future__ import annotations

import argparse
import copy
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
from cobra_gdel.data import (  # noqa: E402
    StrategyDataset,
    TargetKFold,
    data_dir,
    predetermined_genes,
)
from cobra_gdel.evaluation import fit_predictor  # noqa: E402
from cobra_gdel.exceptions import CobraGdelError  # noqa: E402
from cobra_gdel.predict import predict_deletions  # noqa: E402
from cobra_gdel.predictors import make_predictor  # noqa: E402
from cobra_gdel.search import search_deletions  # noqa: E402

logger = logging.getLogger("benchmarks.predict")


def _accuracy(scores: pd.Series, truth: pd.Series, genes: list[str]) -> float:
    return float(((scores[genes] >= 0.5).astype(int) == truth[genes]).mean())


#: Whether predict_deletions returns the minimal design (its default) or the verified
#: maximal one; set from --minimal (the coupled counts and the predict+repair times of
#: earlier rows are of maximal designs).
MINIMIZE = False


def run_model(model_id: str, predictor_name: str, folds: int, seed: int,
              milp_targets: int, milp_time_limit: float, limit: int | None) -> tuple[pd.DataFrame, dict]:
    folder = data_dir(model_id)
    if folder is None:
        raise SystemExit(f"no data for {model_id}: set COBRA_GDEL_DATA")
    dataset = StrategyDataset.from_folder(folder)
    model = cobra.io.load_json_model(str(folder / "model.json"))
    free = [g for g in dataset.genes if g not in set(predetermined_genes(dataset.labels))]
    rows, fit_seconds = [], []
    _label, name, params = parse_run(predictor_name)  # "label=name:{json params}" or a name
    base = make_predictor(name, progress=False, random_state=seed, **params)
    pretrain_seconds = 0.0
    if getattr(base, "mode", None) == "pretrained" and hasattr(base, "pretrain"):
        # label-free (SMILES and protein sequences only): shared by every fold, no leakage
        start = time.perf_counter()
        base.pretrain(dataset.smiles, dataset.sequences)
        pretrain_seconds = time.perf_counter() - start
        logger.info("%s: pre-trained encoders in %.1f s", model_id, pretrain_seconds)
    for fold, (train, test) in enumerate(TargetKFold(folds, seed).split(dataset.n_targets)):
        if limit is not None and len(rows) >= limit:
            break
        start = time.perf_counter()
        train_set = dataset.subset(train)
        predictor = fit_predictor(copy.deepcopy(base), train_set, model)
        prior = make_predictor("prior").fit(train_set)
        fit_seconds.append(time.perf_counter() - start)
        logger.info("%s fold %d: fitted in %.1f s", model_id, fold, fit_seconds[-1])
        for index in test:
            target = dataset.targets[index]
            truth = dataset.labels.loc[target]
            row = {"model": model_id, "fold": fold, "target": target,
                   "published_deletions": int(truth.sum())}
            smiles = dataset.smiles.get(target)
            if not smiles:
                row["status"] = "no_smiles"
                rows.append(row)
                continue
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    design = predict_deletions(model, target, smiles=smiles, predictor=predictor,
                                               minimize=MINIMIZE)
            except CobraGdelError as exc:
                row["status"] = type(exc).__name__
                rows.append(row)
                continue
            scores = design.probabilities.reindex(dataset.genes).fillna(0.0)
            prior_scores = prior.predict_proba(target, genes=dataset.genes)
            row.update({
                "status": design.status, "coupled": design.coupled, "method": design.method,
                "no_design": design.status == "no_design",
                "deletions": len(design.deletions),
                "predict_s": design.timings.get("predict", 0.0),
                "repair_s": design.timings.get("repair", 0.0),
                "verify_s": design.timings.get("verify", 0.0),
                # "milp" is a part of "repair"; "trim" comes after it.
                "total_s": sum(design.timings.get(k, 0.0)
                               for k in ("predict", "repair", "verify", "trim")),
                "acc_model": _accuracy(scores, truth, free),
                "acc_prior": _accuracy(prior_scores, truth, free),
            })
            rows.append(row)
            if limit is not None and len(rows) >= limit:
                break
    frame = pd.DataFrame(rows)

    designed = frame[frame["status"].isin(["coupled", "not_coupled", "no_design"])]
    milp_rows = []
    for target in list(designed["target"])[:milp_targets]:
        start = time.perf_counter()
        try:
            design = search_deletions(model, target, time_limit=milp_time_limit)
            coupled = design.coupled
        except CobraGdelError as exc:
            logger.info("MILP %s: %s", target, exc)
            coupled = False
        milp_rows.append({"target": target, "milp_s": time.perf_counter() - start,
                          "milp_coupled": coupled})
    milp = pd.DataFrame(milp_rows)
    same = designed.set_index("target").loc[milp["target"]] if len(milp) else designed.iloc[:0]
    summary = {
        "model": model_id,
        "targets": len(frame),
        "designed": len(designed),
        "no_smiles": int((frame["status"] == "no_smiles").sum()),
        "coupled_%": 100 * designed["coupled"].mean() if len(designed) else float("nan"),
        "no_design": int(designed["no_design"].sum()),
        "by_prior": int(designed["method"].str.startswith("predict+prior").sum()),
        "coupled_%_possible": (100 * designed["coupled"].sum() / max(1, len(designed) - designed["no_design"].sum())),
        "median_s": designed["total_s"].median(),
        "p95_s": designed["total_s"].quantile(0.95),
        "median_predict_s": designed["predict_s"].median(),
        "median_repair_s": designed["repair_s"].median(),
        "median_verify_s": designed["verify_s"].median(),
        "median_deletions": designed["deletions"].median(),
        "median_published": designed["published_deletions"].median(),
        "acc_model_%": 100 * designed["acc_model"].mean(),
        "acc_prior_%": 100 * designed["acc_prior"].mean(),
        "fit_s_per_fold": float(np.mean(fit_seconds)),
        "pretrain_s": pretrain_seconds,
        "milp_targets": len(milp),
        "milp_coupled_%": 100 * milp["milp_coupled"].mean() if len(milp) else float("nan"),
        "milp_median_s": milp["milp_s"].median() if len(milp) else float("nan"),
        "ours_median_s_same": same["total_s"].median() if len(milp) else float("nan"),
    }
    summary["speedup_vs_milp"] = summary["milp_median_s"] / summary["ours_median_s_same"]
    return frame, summary


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", action="append", default=None)
    parser.add_argument("--predictor", default="deepgdel_res",
                        help="a predictor name, or 'label=name:{json params}'")
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--milp-targets", type=int, default=20)
    parser.add_argument("--milp-time-limit", type=float, default=120.0)
    parser.add_argument("--minimal", action="store_true",
                        help="measure the minimal designs (predict_deletions' default) instead "
                             "of the verified maximal ones")
    parser.add_argument("--limit", type=int, default=None, help="at most this many targets")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--csv", default=None, help="write per-target rows to this CSV")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")
    logger.setLevel(logging.INFO)
    global MINIMIZE
    MINIMIZE = args.minimal
    models = args.model or ["e_coli_core", "iMM904", "iML1515"]
    frames, summaries = [], []
    started = time.perf_counter()
    for model_id in models:
        frame, summary = run_model(model_id, args.predictor, args.folds, args.seed,
                                   args.milp_targets, args.milp_time_limit, args.limit)
        frames.append(frame)
        summaries.append(summary)
        print(pd.DataFrame([summary]).T.to_string(header=False), flush=True)
    wall = time.perf_counter() - started
    if args.csv:
        pd.concat(frames).to_csv(args.csv, index=False)
    if args.no_write:
        return
    head = ["model", "targets", "designed", "no_smiles", "coupled_%", "by_prior", "no_design", "coupled_%_possible",
            "median_s", "p95_s",
            "median_predict_s", "median_repair_s", "median_verify_s", "median_deletions",
            "median_published", "acc_model_%", "acc_prior_%"]
    milp = ["model", "milp_targets", "milp_coupled_%", "milp_median_s", "ours_median_s_same",
            "speedup_vs_milp", "pretrain_s", "fit_s_per_fold"]
    for model_id, row in zip(models, summaries):
        one = pd.DataFrame([row])
        command = (f"python benchmarks/predict.py --model {model_id} --predictor {args.predictor}"
                   f" --folds {args.folds} --seed {args.seed} --milp-targets {args.milp_targets}"
                   f" --milp-time-limit {args.milp_time_limit:g}"
                   + (f" --limit {args.limit}" if args.limit else "")
                   + (" --minimal" if args.minimal else ""))
        write_section(f"predict-{model_id}", f"""### {model_id}

Command: `{command}` ({machine()}, GLPK, CPU; wall time of the whole command
{wall / 60:.1f} min).

{markdown_table(one[head])}

MILP-only `search_deletions` (GLPK, {args.milp_time_limit:g} s limit per target) on the first
`milp_targets` designed targets, beside our median on the same targets:

{markdown_table(one[milp])}
""")
    write_section("predict", _PREDICT_INTRO.format(predictor=args.predictor, folds=args.folds))


_PREDICT_INTRO = """## predict_deletions, cross-validated (benchmarks/predict.py)

{folds}-fold CV over targets: each target is designed by a `{predictor}` predictor fitted
without its own strategy (a DeepGDel predictor's label-free encoders are pre-trained once
per model on all SMILES and protein sequences), then verified and repaired. `coupled_%` is
over designed targets, each verified by the two-LP check; targets without a SMILES
(`no_smiles`) cannot be embedded by a fold's predictor and are not designed. `no_design`:
designed targets that repair proves no deletion design can couple (the target can leave
through reactions no deletable gene controls; e_coli_core's acald_c and co2_c while the
spontaneous s0001 is protected); `coupled_%_possible` leaves them out. `by_prior`: coupled
targets whose design came from the fallback to the predictor's frequency prior (repair from
the predicted scores failed first). Seconds are per target, split into
predict / repair / verify. `acc_model_%` / `acc_prior_%`: label accuracy of the predictor
(threshold 0.5) and of the fold's frequency prior on genes that are not pre-determined,
against the published strategy. The per-model tables follow."""


if __name__ == "__main__":
    main()
