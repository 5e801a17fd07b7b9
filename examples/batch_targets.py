"""Design deletions for several targets and write one row per target to a CSV file.

    python examples/batch_targets.py                       # textbook, three targets
    python examples/batch_targets.py --targets succ_e,akg_e,ac_e,for_e --output designs.csv
    python examples/batch_targets.py --method predict      # predictor + repair

``--method search`` runs the gDel_minRN MILP per target; ``--method predict`` uses
``model.predict_deletions`` (a bundled predictor, verified and repaired by FBA).
Targets that cannot be designed (unknown id, no production route) get a row with
the error instead of stopping the batch.
"""

from __future__ import annotations

import argparse
import sys
import time

import pandas as pd

import cobra_gdel  # noqa: F401 - registers Model.predict_deletions
from cobra_gdel import CobraGdelError, search_deletions
from cobra_gdel.cli import load_model


def design_one(model, target: str, method: str, minimize: bool, time_limit: float):
    if method == "search":
        return search_deletions(model, target, minimize=minimize, time_limit=time_limit)
    # predict -> verify -> repair
    return model.predict_deletions(target, minimize=minimize, time_limit=time_limit)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="textbook", help="model file or cobra model name")
    parser.add_argument("--targets", default="succ_e,akg_e,ac_e",
                        help="comma-separated target metabolite ids")
    parser.add_argument("--method", choices=["search", "predict"], default="search")
    parser.add_argument("--minimize", action="store_true", help="trim each design")
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds per target")
    parser.add_argument("--solver", default=None, help="glpk, hybrid (HiGHS), cplex, gurobi")
    parser.add_argument("--output", default="designs.csv", help="CSV file to write")
    args = parser.parse_args(argv)

    model = load_model(args.model)
    if args.solver:
        model.solver = args.solver

    rows = []
    for target in [t.strip() for t in args.targets.split(",") if t.strip()]:
        start = time.perf_counter()
        try:
            design = design_one(model, target, args.method, args.minimize, args.time_limit)
        except CobraGdelError as exc:
            rows.append({"target": target, "status": "error", "coupled": False,
                         "reason": str(exc), "seconds": time.perf_counter() - start})
            print(f"{target:>12}  error: {exc}")
            continue
        row = design.summary().to_dict()
        row["seconds"] = time.perf_counter() - start
        row["deletions"] = " ".join(sorted(design.deletions))
        rows.append(row)
        print(f"{target:>12}  {design.status:<11}  {len(design.deletions):3d} deletions  "
              f"growth {design.growth_rate:.3f}  min production {design.min_production:.3f}")

    table = pd.DataFrame(rows)
    if "n_deletions" in table:
        table["n_deletions"] = table["n_deletions"].astype("Int64")
    table.to_csv(args.output, index=False)
    n_coupled = int(table["coupled"].sum())
    print(f"\n{n_coupled} of {len(table)} targets coupled; table written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
