"""Find a coupled gene-deletion design with the gDel_minRN MILP, then trim it.

    python examples/search_design.py
    python examples/search_design.py --target akg_e --no-minimize

The model's solver is used (GLPK unless you choose another: ``--solver hybrid`` for
HiGHS, from the ``highs`` extra). ``--plot FILE`` saves the production envelope as a
PNG (needs matplotlib).
"""

from __future__ import annotations

import argparse
import sys

from cobra_gdel import search_deletions
from cobra_gdel.cli import load_model


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="textbook", help="model file or cobra model name")
    parser.add_argument("--target", default="succ_e", help="target metabolite id")
    parser.add_argument("--no-minimize", action="store_true", help="keep the maximal design")
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds")
    parser.add_argument("--solver", default=None, help="glpk, hybrid (HiGHS), cplex, gurobi")
    parser.add_argument("--plot", default=None, help="save the production envelope here (PNG)")
    args = parser.parse_args(argv)

    model = load_model(args.model)
    design = search_deletions(model, args.target, minimize=not args.no_minimize,
                              time_limit=args.time_limit, solver=args.solver)
    print(design)
    print()
    print(design.to_frame().to_string())

    if args.plot:
        import matplotlib
        matplotlib.use("Agg")
        from cobra_gdel.plotting import plot_design

        ax = plot_design(design)
        ax.figure.savefig(args.plot, dpi=100, bbox_inches="tight")
        print(f"\nproduction envelope saved to {args.plot}")
    return 0 if design.coupled else 1


if __name__ == "__main__":
    sys.exit(main())
