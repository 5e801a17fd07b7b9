"""Check whether a set of gene deletions couples a target's production to growth.

    python examples/check_deletions.py
    python examples/check_deletions.py --model path/to/model.xml --target succ_e \
        --genes b1611,b1612,b4122

Prints the coupling report (maximal growth, minimal and maximal production at that
growth) and exits with status 0 when the deletion set is weakly growth-coupled.
"""

from __future__ import annotations

import argparse
import sys

import cobra_gdel
from cobra_gdel.cli import load_model

#: fumarase (fumA, fumB, fumC), phosphotransacetylase (pta, eutD), transhydrogenases
#: (pntB, sthA): a minimal coupled design for succinate in E. coli core.
DEFAULT_GENES = "b1611,b1612,b4122,b2297,b2458,b1602,b3962"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="textbook", help="model file or cobra model name")
    parser.add_argument("--target", default="succ_e", help="target metabolite id")
    parser.add_argument("--genes", default=DEFAULT_GENES, help="comma-separated gene ids")
    args = parser.parse_args(argv)

    model = load_model(args.model)
    genes = [g for g in args.genes.split(",") if g]

    wild_type = cobra_gdel.check_coupling(model, args.target)
    print(f"wild type: coupled={wild_type.coupled} ({wild_type.reason or 'ok'})")

    report = cobra_gdel.check_coupling(model, args.target, genes)
    print(report.summary().to_string())
    for gene in sorted(report.deletions):
        names = model.genes.get_by_id(gene).name
        blocked = sorted(r.id for r in model.genes.get_by_id(gene).reactions
                         if r.id in report.disabled_reactions)
        print(f"  {gene} ({names}) is needed to block: {', '.join(blocked) or '-'}")
    return 0 if report.coupled else 1


if __name__ == "__main__":
    sys.exit(main())
