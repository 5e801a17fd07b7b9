"""Does the check answer for the user's model as it is? Verdicts against cobra's own FBA.

1. Every published strategy of the data (e_coli_core, iMM904, iML1515) on the
   unmodified model: ``check_coupling`` against cobra's own check (``with model:``,
   gene knock-outs, maximal growth, growth fixed 1e-6 below it, minimal production),
   both on GLPK: verdicts and growth (within 1e-4 relative).
2. The e_coli_core strategies with an enzyme pool added to ``model.solver`` (the pool of
   ``examples/enzyme_constrained.py``: growth 0.874 → 0.648): the same comparison.
3. ``predict_deletions`` on the pooled textbook model for every target of the
   e_coli_core strategies: every coupled design re-checked by cobra's own FBA on the
   constrained model.

Usage::

    python benchmarks/fidelity.py [--models e_coli_core iMM904 iML1515] [--no-write]
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import sys
import time
import warnings
from pathlib import Path

import cobra
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._report import machine, markdown_table, write_section  # noqa: E402
from cobra_gdel import check_coupling, predict_deletions  # noqa: E402
from cobra_gdel.data import data_dir, read_strategies  # noqa: E402
from cobra_gdel.exceptions import CobraGdelError  # noqa: E402
from cobra_gdel.reference import cobra_check  # noqa: E402
from cobra_gdel.targets import protected_genes  # noqa: E402


def _example():
    spec = importlib.util.spec_from_file_location(
        "enzyme_constrained", ROOT / "examples" / "enzyme_constrained.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def compare(model, strategies: pd.DataFrame, label: str) -> tuple[dict, pd.DataFrame]:
    rows = []
    for target in strategies.index:
        deletions = list(strategies.columns[strategies.loc[target].to_numpy() == 1])
        ours = check_coupling(model, target, deletions)
        growth, low, coupled = cobra_check(model, target, deletions)
        rows.append({"target": target, "ours_coupled": ours.coupled,
                     "ours_growth": ours.growth_rate, "ours_min": ours.min_production,
                     "cobra_coupled": coupled, "cobra_growth": growth, "cobra_min": low})
    frame = pd.DataFrame(rows)
    relative = ((frame.ours_growth - frame.cobra_growth).abs()
                / frame.cobra_growth.abs().clip(lower=1e-9))
    frame["growth_agrees"] = relative <= 1e-4
    frame["cobra_failed"] = frame.cobra_growth.isna() | (frame.cobra_growth.ge(0.001)
                                                         & frame.cobra_min.isna())
    summary = {"case": label, "strategies": len(frame),
               "ours_coupled": int(frame.ours_coupled.sum()),
               "cobra_coupled": int(frame.cobra_coupled.sum()),
               "verdicts_agree": int((frame.ours_coupled == frame.cobra_coupled).sum()),
               "growth_agrees_1e-4": int(frame.growth_agrees.sum()),
               "cobra_solve_failed": int(frame.cobra_failed.sum())}
    return summary, frame


def pooled_designs(targets) -> dict:
    """predict_deletions on the pooled textbook model; every design checked by cobra."""
    example = _example()
    model = cobra.io.load_model("textbook")
    example.add_enzyme_pool(model, 288.4)
    results = {"designed": 0, "coupled": 0, "cobra_confirms": 0, "no_design": 0, "errors": 0}
    seconds = []
    for target in targets:
        if target not in model.metabolites:
            continue
        start = time.perf_counter()
        try:
            design = predict_deletions(model, target)
        except CobraGdelError:
            results["errors"] += 1
            continue
        seconds.append(time.perf_counter() - start)
        results["designed"] += 1
        results["no_design"] += design.status == "no_design"
        if design.coupled:
            results["coupled"] += 1
            growth, low, coupled = cobra_check(model, target, design.deletions)
            results["cobra_confirms"] += coupled and math.isclose(
                growth, design.growth_rate, rel_tol=1e-4)
    results["median_s"] = float(pd.Series(seconds).median()) if seconds else float("nan")
    return results


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=["e_coli_core", "iMM904", "iML1515"])
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    summaries, disagreements = [], []
    for model_id in args.models:
        folder = data_dir(model_id)
        if folder is None:
            raise SystemExit(f"no data for {model_id}: set COBRA_GDEL_DATA")
        model = cobra.io.load_json_model(str(folder / "model.json"))
        strategies = read_strategies(folder / "strategies.csv")
        summary, frame = compare(model, strategies, f"{model_id} (unmodified)")
        summaries.append(summary)
        bad = frame[~frame.growth_agrees | (frame.ours_coupled != frame.cobra_coupled)]
        disagreements += [dict(case=summary["case"], **row) for row in bad.to_dict("records")]
        if model_id == "e_coli_core":
            _example().add_enzyme_pool(model, 288.4)
            summary, frame = compare(model, strategies, "e_coli_core + enzyme pool")
            summaries.append(summary)
            bad = frame[~frame.growth_agrees | (frame.ours_coupled != frame.cobra_coupled)]
            disagreements += [dict(case=summary["case"], **r) for r in bad.to_dict("records")]
            keep = protected_genes(model)
            pooled = pooled_designs([t for t in strategies.index if t not in keep])
    table = pd.DataFrame(summaries)
    print(table.to_string(index=False))
    extra = pd.DataFrame(disagreements)
    if len(extra):
        print(extra.to_string(index=False))
    if "e_coli_core" in args.models:
        print("predict_deletions on the pooled textbook model:", pooled)
    if args.no_write:
        return
    command = "python benchmarks/fidelity.py --models " + " ".join(args.models)
    body = (f"## Verdicts against cobra's own FBA\n\nCommand: `{command}` ({machine()}, GLPK).\n"
            "*ours*: `check_coupling` on its copy of the model's problem (own bounds, every "
            "constraint); *cobra*: `with model:` + gene knock-outs + two `slim_optimize` "
            "calls. `cobra_solve_failed`: cobra's own solve gave no value.\n\n"
            + markdown_table(table))
    if len(extra):
        body += "\n\nDisagreements:\n\n" + markdown_table(extra, floatfmt=".6g")
    if "e_coli_core" in args.models:
        body += ("\n\n`predict_deletions` on the pooled textbook model (every e_coli_core "
                 "strategy target): " + ", ".join(f"{k} {v:.3g}" if isinstance(v, float)
                                                   else f"{k} {v}" for k, v in pooled.items()))
    write_section("fidelity", body)


if __name__ == "__main__":
    main()
