"""Probes for the designs the package's search misses: margins, an exact MILP, exchanges.

Three subcommands, each on any model ``cobra.io.load_model`` knows or a model file:

``margins MODEL TARGET GENES...``
    For a known design: μP (maximal growth with production ≥ ``--production-lb``) and
    μ0 (maximal growth with production ≤ it), :func:`cobra_gdel.heuristics.growth_pair`,
    for the wild type, the design, the design with each gene restored, and each of its
    genes deleted alone. A design is weakly coupled exactly when μ0 < μP; how far μ0
    sits below μP is how much room a search that moves one gene at a time (the margin
    search, route closing, trimming) has to see it coming.

``milp MODEL TARGET``
    The exact weak-coupling MILP, solved by HiGHS: a producing flux (the *witness*, with
    the gene switches of :class:`cobra_gdel.milp.MinRNProblem`: growth ≥ ``--growth-lb``,
    production ≥ ``--production-lb``) and an LP-dual certificate that every flux with
    production ≤ ``--production-lb`` grows at most ``(1 − rho)`` times the witness's
    growth (the dual of that maximal-growth LP, whose bounds on switched reactions
    vanish with their switch: big-M ``--big-m`` on those duals). A solution is a
    design whose maximal growth is reached only with production, i.e. weak coupling;
    the objective keeps as many genes as possible (fewest knock-outs), ``--k`` caps the
    knock-outs, ``--feasibility`` drops the objective. Bounds below 1e-6 in size are set
    to 0. Every design found is re-checked by
    :func:`cobra_gdel.check_coupling`; an "infeasible" from HiGHS is reported, never
    taken as a proof (the big-M and the cleaned bounds make it none).
    ``--candidates refs`` restricts the knock-outs to the genes of the model's bundled
    reference designs (``cobra_gdel.bundled.reference_designs``), a file restricts them
    to the gene ids in it; ``--fix`` fixes the binaries to a given design (a check of
    the formulation: a known design must be feasible).

``exchange MODEL TARGET GENES...``
    :func:`cobra_gdel.improve` of a known design (exchange moves: for a minimal design
    D, every gene g, not deleted and not protected, that switches off a reaction
    carrying flux in D's minimal-production solution at maximal growth is added and
    D ∪ {g} checked; the additions that raise the minimal production most are kept
    while D's own genes are restored, g last, then trimmed), one log line per round
    (genes scored, how many raise the minimal production).

Nothing here is used by the package (``exchange`` calls it); see docs/benchmarks.md
for what it measured.

Usage::

    python benchmarks/exact_design.py margins salmonella 23dhbzs_c STM0150 STM0152 ...
    python benchmarks/exact_design.py milp textbook succ_e --solutions 2
    python benchmarks/exact_design.py milp iML1515 utp_c --candidates refs --k 10 --feasibility
    python benchmarks/exact_design.py exchange iML1515 utp_c b0621 b0910 ... --growth-lb 0.1
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import cobra_gdel  # noqa: E402
from benchmarks.design_quality import data_dir, load_model as load_data_model  # noqa: E402
from cobra_gdel import bundled, check_coupling  # noqa: E402
from cobra_gdel.cli import load_model as cli_load_model  # noqa: E402
from cobra_gdel.heuristics import growth_pair  # noqa: E402
from cobra_gdel.lp import solver_interface  # noqa: E402
from cobra_gdel.milp import MinRNProblem  # noqa: E402
from cobra_gdel.mip import HighsMip  # noqa: E402
from cobra_gdel.problem import DesignTask  # noqa: E402
from cobra_gdel.search import _deletable  # noqa: E402

logger = logging.getLogger("benchmarks.exact_design")

#: Bounds smaller than this in size are set to 0 (HiGHS warns of "excessively small
#: bounds" otherwise).
TINY = 1e-6


def margins(args) -> None:
    model = load_model(args.model)
    task = DesignTask.create(model, args.target, growth_lb=args.growth_lb,
                             production_lb=args.production_lb)
    genes = list(args.genes)

    def row(label: str, deleted) -> None:
        (mu_p, _fp), (mu_0, _f0) = growth_pair(task, deleted)
        ratio = "-" if mu_p is None or mu_0 is None else f"{mu_0 / mu_p:.6f}"
        print(f"| {label} | {_fmt(mu_p)} | {_fmt(mu_0)} | {ratio} |")

    print("| deletions | μP | μ0 | μ0/μP |\n|---|---|---|---|")
    row("wild type", [])
    row(f"design ({len(genes)} genes)", genes)
    for gene in genes:
        row(f"design, {gene} restored", [g for g in genes if g != gene])
    for gene in genes:
        row(f"{gene} alone", [gene])
    report = check_coupling(model, args.target, genes, growth_lb=args.growth_lb,
                            production_lb=args.production_lb)
    print(f"\ncheck_coupling: coupled {report.coupled}, growth {report.growth_rate:.6g}, "
          f"minimal production {report.min_production:.6g}")


def exchange(args) -> None:
    """``cobra_gdel.improve`` of the given design, its rounds logged."""
    model = load_model(args.model)
    start = time.perf_counter()
    report = check_coupling(model, args.target, args.genes, growth_lb=args.growth_lb,
                            production_lb=args.production_lb)
    if not report.coupled:
        raise SystemExit(f"the design is not coupled: {report.reason}")
    print(f"start: {len(report.deletions)} genes, minimal production "
          f"{report.min_production:.4g}", flush=True)
    logging.getLogger("cobra_gdel.trim").setLevel(logging.INFO)  # one line per round
    design = cobra_gdel.improve(model, args.target, args.genes, growth_lb=args.growth_lb,
                                production_lb=args.production_lb)
    print(f"result: {len(design.deletions)} genes {' '.join(sorted(design.deletions))}; "
          f"growth {design.growth_rate:.4g}, minimal production {design.min_production:.4g}; "
          f"{time.perf_counter() - start:.1f} s")


def load_model(name: str):
    """A training model from the data folder, else what ``cobra-gdel`` loads (a model
    file, or a model cobra ships)."""
    if name != "textbook" and data_dir(name) is not None:
        return load_data_model(name)
    return cli_load_model(name)


def _number(text: str):
    """An option value: int, float, or the text itself."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.6f}"


def _candidates(model, spec: str | None):
    if spec is None:
        return None
    if spec == "refs":
        designs = bundled.reference_designs(model.id)
        return set().union(*map(set, designs.values()))
    return set(Path(spec).read_text().split())


class ExactMilp:
    """The witness (MinRNProblem's structure) plus the dual certificate."""

    def __init__(self, task: DesignTask, deletable, big_m: float, rho: float,
                 cap: float = float("inf")) -> None:
        start = time.perf_counter()
        interface = solver_interface(task.model, "hybrid")
        p = self.problem = MinRNProblem(task, deletable, interface, build=False)
        s = p.structure
        flux = [i for i, (name, *_rest) in enumerate(s.columns) if name.startswith("v:")]
        switch_of = {}
        for switch in p.switches:
            for rid in switch.reactions:
                switch_of[p._col(rid)] = switch.col
                if rid in p.split:
                    switch_of[p._col(p._reverse[rid])] = switch.col
        fset = set(flux)
        rows = [i for i, (coefs, _lb, _ub) in enumerate(s.rows)
                if i not in (p.growth_row, p.production_row) and coefs and set(coefs) <= fset]
        self.dual_cost: dict[int, float] = {}
        self.terms: dict[int, dict[int, float]] = {j: {} for j in flux}
        for i in rows + [p.production_row]:
            coefs, lb, ub = s.rows[i]
            if i == p.production_row:  # the inner LP: production at most the bound
                lb, ub = None, task.production_lb
            self._row_duals(s, i, coefs, lb, ub)
        for j in flux:
            self._bound_duals(s, j, switch_of.get(j), big_m, cap)
        growth = dict(p.growth)
        for j in flux:
            s.row(self.terms[j], lb=growth.get(j, 0.0), ub=growth.get(j, 0.0))
        certificate = dict(self.dual_cost)
        for j, c in growth.items():
            certificate[j] = certificate.get(j, 0.0) - (1.0 - rho) * c
        s.row(certificate, ub=0.0)
        self.build_seconds = time.perf_counter() - start

    def _add(self, j: int, col: int, coef: float) -> None:
        self.terms[j][col] = self.terms[j].get(col, 0.0) + coef

    def _row_duals(self, s, i: int, coefs: dict, lb, ub) -> None:
        if lb is not None and ub is not None and lb == ub:
            y = s.col(f"y{i}", None, None)
            if lb:
                self.dual_cost[y] = lb
            for j, c in coefs.items():
                self._add(j, y, c)
            return
        for bound, sign, tag in ((ub, 1.0, "yu"), (lb, -1.0, "yl")):
            if bound is None:
                continue
            y = s.col(f"{tag}{i}", 0.0, None)
            if bound:
                self.dual_cost[y] = sign * bound
            for j, c in coefs.items():
                self._add(j, y, sign * c)

    def _bound_duals(self, s, j: int, switch: int | None, big_m: float,
                     cap: float) -> None:
        name, lb, ub, _integer = s.columns[j]
        lb = 0.0 if lb is not None and abs(lb) < TINY else lb
        ub = 0.0 if ub is not None and abs(ub) < TINY else ub
        s.columns[j] = (name, lb, ub, False)
        for bound, sign, tag in ((ub, 1.0, "a"), (lb, -1.0, "b")):
            if bound is None:
                continue
            if abs(bound) < cap:
                x = s.col(f"{tag}{j}", 0.0, None)
                if bound:
                    self.dual_cost[x] = sign * bound
                self._add(j, x, sign)
            if switch is not None and bound != 0:
                # The bound's dual is free of cost when the reaction is switched off:
                # w ≤ M·(1 − z). A bound at the cap has only this part: the inner LP
                # treats it as no bound while the reaction is on.
                w = s.col(f"{tag}z{j}", 0.0, big_m)
                self._add(j, w, sign)
                s.row({w: 1.0, switch: big_m}, ub=big_m)


def milp(args) -> None:
    model = load_model(args.model)
    start = time.perf_counter()
    task = DesignTask.create(model, args.target, growth_lb=args.growth_lb,
                             production_lb=args.production_lb)
    deletable = _deletable(task, _candidates(model, args.candidates), frozenset())
    exact = ExactMilp(task, deletable, args.big_m, args.rho, args.cap)
    p, s = exact.problem, exact.problem.structure
    genes = p.gene_cols
    if args.k is not None:
        s.row({c: 1.0 for c in genes.values()}, lb=len(genes) - args.k)
    print(f"{model.id} {args.target}: {len(deletable)} deletable genes, {len(genes)} gene "
          f"binaries, {len(p.switches)} switches; MILP {len(s.columns)} columns, "
          f"{len(s.rows)} rows, built in {time.perf_counter() - start:.1f} s", flush=True)
    backend = HighsMip(s)
    backend.set_objective({} if args.feasibility else {c: 1.0 for c in genes.values()},
                          "max")
    backend.h.setOptionValue("output_flag", bool(args.verbose))
    for option in args.option:
        name, value = option.split("=", 1)
        backend.h.setOptionValue(name, _number(value))
    if args.fix:
        fixed = set(args.fix)
        unknown = sorted(fixed - set(genes))
        if unknown:
            raise SystemExit(f"--fix genes without a binary (not deletable, or stood for "
                             f"by an interchangeable gene): {unknown}")
        for gene, col in genes.items():
            value = 0.0 if gene in fixed else 1.0
            backend.set_bounds(col, value, value)
    if args.write_mps:
        backend.h.writeModel(args.write_mps)
        print(f"written to {args.write_mps}; gene binaries: "
              + " ".join(f"{g}=c{c}" for g, c in sorted(genes.items())))
        return
    for _ in range(args.solutions):
        left = args.time_limit - (time.perf_counter() - start)
        if left < 1.0:
            break
        status = backend.solve(left, None)
        print(f"HiGHS: {status} after {time.perf_counter() - start:.1f} s", flush=True)
        if status not in ("optimal", "incumbent"):
            break
        values = backend.values()
        deleted = sorted(g for g, c in genes.items() if values[c] < 0.5)
        report = check_coupling(model, args.target, deleted, growth_lb=args.growth_lb,
                                production_lb=args.production_lb)
        print(f"design: {len(deleted)} genes {' '.join(deleted)}; check_coupling: coupled "
              f"{report.coupled}, growth {report.growth_rate:.4g}, minimal production "
              f"{report.min_production:.4g}", flush=True)
        backend.add_row({genes[g]: 1.0 for g in deleted}, lb=1.0)  # another design next


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("margins", "milp", "exchange"):
        p = sub.add_parser(name)
        p.add_argument("model")
        p.add_argument("target")
        p.add_argument("--growth-lb", type=float, default=0.001)
        p.add_argument("--production-lb", type=float, default=0.001)
        if name in ("margins", "exchange"):
            p.add_argument("genes", nargs="+")
            p.set_defaults(run=margins if name == "margins" else exchange)
            continue
        p.add_argument("--candidates", default=None, help="'refs' or a file of gene ids")
        p.add_argument("--k", type=int, default=None, help="at most this many knock-outs")
        p.add_argument("--feasibility", action="store_true", help="no objective")
        p.add_argument("--fix", nargs="+", default=None, help="fix the binaries to this design")
        p.add_argument("--big-m", type=float, default=100.0)
        p.add_argument("--rho", type=float, default=1e-4)
        p.add_argument("--cap", type=float, default=float("inf"),
                       help="bounds at least this large get no costed dual (999: the "
                            "±1000 cap; a relaxation of the inner LP)")
        p.add_argument("--solutions", type=int, default=1)
        p.add_argument("--time-limit", type=float, default=300.0)
        p.add_argument("--verbose", action="store_true", help="HiGHS's log")
        p.add_argument("--write-mps", default=None, metavar="FILE",
                       help="write the MILP (with --fix/--k) as MPS and stop")
        p.add_argument("--option", action="append", default=[], metavar="NAME=VALUE",
                       help="a HiGHS option (repeatable)")
        p.set_defaults(run=milp)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    args.run(args)


if __name__ == "__main__":
    main()
