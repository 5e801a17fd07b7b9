"""What the margin completion of gDel_minRN's MILP rounds costs on genome-scale models.

When a MILP round's design fails the coupling check with growth intact,
:mod:`cobra_gdel.search` tries to complete it: greedy route closing, then the margin
search. Since session 26 the margin search runs there only on models of at most
``SMALL_MODEL_GENES`` (300) genes. This runs ``search_deletions`` (its defaults but the
time limit) on each target twice in this process: ``margin``, the rounds completed by
the margin search on every model (the code before), and ``no_margin``, the default; the
order alternates from target to target, after one untimed call that builds the
per-model caches. It prints how many targets each couples, the median wall time on the
targets both couple and its ratio.

Usage::

    python benchmarks/round_completions.py --model iMM904 --sample 35 --time-limit 10 [--write]

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

LABELS = ("margin", "no_margin")


@contextmanager
def _margin_everywhere():
    """The rounds as before session 26: the margin completion on every model."""
    kept = cutsets.SMALL_MODEL_GENES
    cutsets.SMALL_MODEL_GENES = 10**9
    try:
        yield
    finally:
        cutsets.SMALL_MODEL_GENES = kept


def main(argv=None) -> None:
    args = ab_arguments(argv, __doc__, "iMM904", 35, 10.0)  # --seed unused: file order
    started = time.perf_counter()
    dataset, model = _data(args.model)
    sample = dataset.targets[: args.sample]  # file order
    variants = {"margin": _margin_everywhere, "no_margin": nullcontext}
    frame = alternating(args.model, model, list(args.targets or sample), args.time_limit,
                        variants)
    table = summary(frame, LABELS)
    print(frame.to_string(index=False))
    print(table.to_string(index=False))
    if args.write:
        command = ab_command("round_completions.py", args, seeded=False)
        write_section(f"round-completions-{args.model}", f"""## The MILP rounds' margin completion (benchmarks/round_completions.py)

Command: `{command}` ({machine()}; wall time {(time.perf_counter() - started) / 60:.1f} min).
`search_deletions` on each target twice in one process: `margin` with the margin
search completing a failing round's design on every model (before session 26),
`no_margin` as shipped (the margin completion only on models of at most 300 genes;
the greedy route closing stays). `ratio_both`: median seconds of `margin` over
`no_margin` on the targets both couple.

{markdown_table(frame.drop(columns=["model"]))}

{markdown_table(table)}
""")


if __name__ == "__main__":
    main()
