"""Predict a gene-deletion design with the bundled predictor, verified and repaired by FBA.

    python examples/predict_design.py
    python examples/predict_design.py --model path/to/iML1515.xml --target succ_e --minimize

``model.predict_deletions(target)`` scores every gene with the predictor bundled for
the model, checks the predicted deletion set for weak growth coupling and repairs it
when the check fails; ``design.coupled`` is True only for a verified design.
"""

from __future__ import annotations

import argparse
import sys

import cobra_gdel  # noqa: F401 - registers Model.predict_deletions
from cobra_gdel.cli import load_model


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="textbook", help="model file or cobra model name")
    parser.add_argument("--target", default="succ_e", help="target metabolite id")
    parser.add_argument("--smiles", default=None, help="SMILES of a target the predictor "
                                                       "does not know")
    parser.add_argument("--minimize", action="store_true", help="trim to a minimal design")
    parser.add_argument("--top", type=int, default=10, help="genes to list")
    args = parser.parse_args(argv)

    model = load_model(args.model)
    design = model.predict_deletions(args.target, smiles=args.smiles, minimize=args.minimize)
    print(design)

    frame = design.to_frame()
    print(f"\n{args.top} genes with the highest P(deleted):\n")
    print(frame.sort_values("probability", ascending=False).head(args.top).to_string())
    print(f"\nthe design deletes {int(frame['deleted'].sum())} genes; "
          f"the predictor alone would delete {int((frame['probability'] >= 0.5).sum())}")
    return 0 if design.coupled else 1


if __name__ == "__main__":
    sys.exit(main())
