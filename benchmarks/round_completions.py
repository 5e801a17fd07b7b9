"""What the settings of gDel_minRN's MILP rounds do on genome-scale models.

Two comparisons (``--compare``), each running ``search_deletions`` (its defaults but
the time limit) on each target twice in this process, the order alternating from
target to target, after one untimed call that builds the per-model caches. It prints
how many targets each variant couples, the median wall time on the targets both couple
and its ratio.

* ``margin`` (default): when a MILP round's design fails the coupling check with
  growth intact, :mod:`cobra_gdel.search` completes it by greedy route closing, then
  the margin search. Since session 26 the margin search runs there only on models of at
  most ``SMALL_MODEL_GENES`` (300) genes. ``margin``: completed by the margin search on
  every model (the code before); ``no_margin``: the default.
* ``optimal``: ``first``, the default (each MILP solve stops at its first improving
  solution within 50 nodes); ``optimal``, ``to_optimum=True`` (on a model of more than
  300 genes each solve runs to the optimum, within ``OPTIMUM_NODES`` nodes), which
  ``predict_deletions`` runs over every gene since session 27.

Usage::

    python benchmarks/round_completions.py --model iMM904 --sample 35 --time-limit 10 [--write]
    python benchmarks/round_completions.py --compare optimal --model iMM904 --sample 35 --time-limit 10 [--write]

Targets: the data model's strategy targets in file order (``--sample`` first ones),
or ``--targets``.
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._report import machine, markdown_table, write_section  # noqa: E402
from benchmarks.escape_cut import ab_arguments, ab_command, alternating, summary  # noqa: E402
from benchmarks.transfer import _data  # noqa: E402
from cobra_gdel import cutsets  # noqa: E402


@contextmanager
def _margin_everywhere():
    """The rounds as before session 26: the margin completion on every model."""
    kept = cutsets.SMALL_MODEL_GENES
    cutsets.SMALL_MODEL_GENES = 10**9
    try:
        yield
    finally:
        cutsets.SMALL_MODEL_GENES = kept


#: --compare → (variants: label → context manager, section title, what the labels mean,
#: keyword options per label)
COMPARISONS = {
    "margin": ({"margin": _margin_everywhere, "no_margin": nullcontext},
               "The MILP rounds' margin completion",
               "`margin` with the margin search completing a failing round's design on "
               "every model (before session 26), `no_margin` as shipped (the margin "
               "completion only on models of at most 300 genes; the greedy route "
               "closing stays)", {}),
    "optimal": ({"first": nullcontext, "optimal": nullcontext},
                "The MILP rounds' solves: first incumbent or optimum",
                "`first` as shipped (every MILP solve stopped at its first improving "
                "solution within 50 nodes), `optimal` with `to_optimum=True` (each solve "
                "to the optimum, within 1000 nodes: what `predict_deletions` runs over "
                "every gene on a model of more than 300 genes since session 27)",
                {"optimal": {"to_optimum": True}}),
}


def main(argv=None) -> None:
    args = ab_arguments(argv, __doc__, "iMM904", 35, 10.0,
                        compare=("margin", sorted(COMPARISONS)))  # --seed unused: file order
    started = time.perf_counter()
    variants, title, meaning, options = COMPARISONS[args.compare]
    labels = tuple(variants)
    dataset, model = _data(args.model)
    sample = dataset.targets[: args.sample]  # file order
    frame = alternating(args.model, model, list(args.targets or sample), args.time_limit,
                        variants, options)
    table = summary(frame, labels)
    print(frame.to_string(index=False))
    print(table.to_string(index=False))
    if args.write:
        key = "" if args.compare == "margin" else f"-{args.compare}"
        script = "round_completions.py" + (f" --compare {args.compare}" if key else "")
        command = ab_command(script, args, seeded=False)
        write_section(f"round-completions{key}-{args.model}", f"""## {title} (benchmarks/round_completions.py)

Command: `{command}` ({machine()}; wall time {(time.perf_counter() - started) / 60:.1f} min).
`search_deletions` on each target twice in one process: {meaning}. `ratio_both`:
median seconds of `{labels[0]}` over `{labels[1]}` on the targets both couple.

{markdown_table(frame.drop(columns=["model"]))}

{markdown_table(table)}
""")


if __name__ == "__main__":
    main()
