"""Design quality: cobra_gdel against StrainDesign (minimal cut sets), same run, same check.

For every target the two methods design a gene-deletion set for weak growth coupling
(at maximal growth, the target's minimal production is at least ``--production-lb``,
while growth is at least ``--growth-lb``), and every design is evaluated by the same
check, :func:`cobra_gdel.check_coupling` (maximal growth, then minimal and maximal
production at that growth). Recorded per target and method: design found or not,
the genes, their number (KOs), growth, minimal production and wall-clock seconds.

*ours*: ``predict_deletions(model, target, growth_lb=…, time_limit=…)`` (a minimal design,
the default)
(see :func:`_ours`).

*peer*: StrainDesign ``compute_strain_designs`` with gene knock-outs, GLPK and
``solution_approach="best"`` (fewest knock-outs first), ``max_solutions=1``, two
modules (see :func:`_peer_modules`):

* SUPPRESS, ``inner_objective`` = the growth reaction(s) (maximised): suppress the
  growth-maximal flux states with production ≤ ``production_lb`` (weak coupling);
* PROTECT: keep growth ≥ ``growth_lb`` feasible.

Spontaneous pseudo-genes (``s0001``) are not knock-out candidates of the peer
(``gko_cost`` lists every other gene), since cobra_gdel never deletes them; pass
``--peer-spontaneous`` to allow them. Of the equally small designs the peer returns for
its one MILP solution (one per decompressed alternative), the first is taken. GLPK has
no indicator constraints, so StrainDesign writes them with big-M, by default M = the
largest model bound (1000); ``--peer-big-m`` sets M (on the textbook M = 1000 misses some
smallest designs, e.g. succ_c's 3 knock-outs, that M = 1e5 finds).

Targets: on the textbook model (cobra's ``textbook``, E. coli core), every metabolite
the model can produce at ≥ ``production_lb`` while growing at ≥ ``growth_lb`` (one LP
per metabolite). The production reaction is ``EX_<met>``, else ``DM_<met>``, else an
irreversible sink consuming it, added inside ``with model:`` (cobra_gdel's rule,
:func:`cobra_gdel.targets.production_reaction`). With ``--model iML1515`` (or another
data folder) the targets are the first ``--sample`` targets of its ``strategies.csv``
in a seeded random order, and only ours runs unless ``--peer`` is given.

Published TrimGdel designs are printed as fixed reference rows (numbers only).

StrainDesign is not a dependency of cobra_gdel; install it beside it for the peer
(``pip install straindesign==1.19.1``; it leaves cobra and optlang as they are). Both
methods run single-process (``cobra.Configuration().processes = 1``).

Usage::

    OMP_NUM_THREADS=1 nice python benchmarks/design_quality.py [--limit 5] \\
        [--time-limit 60] [--csv FILE] [--write]
    OMP_NUM_THREADS=1 nice python benchmarks/design_quality.py --model iML1515 \\
        --sample 30 [--peer] [--csv FILE]
"""

from __future__ import annotations

import argparse
import logging
import math
import shlex
import sys
import time
import warnings
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import cobra
import numpy as np
import pandas as pd
from cobra.util.solver import linear_reaction_coefficients

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cobra_gdel  # noqa: E402
from benchmarks._report import machine, markdown_table, write_section  # noqa: E402
from cobra_gdel.targets import production_reaction, protected_genes  # noqa: E402
from cobra_gdel.data import data_dir  # noqa: E402
from cobra_gdel.predict import resolve_predictor  # noqa: E402

logger = logging.getLogger("benchmarks.design_quality")

#: Published TrimGdel designs (deletions, minimal production at maximal growth).
REFERENCES = [
    {"model": "e_coli_core", "target": "succ_e", "kos": 5, "min_production": 6.93},
    {"model": "e_coli_core", "target": "etoh_e", "kos": 3, "min_production": 13.44},
    {"model": "iML1515", "target": "succ_e", "kos": 2, "min_production": 0.274},
]


# ----------------------------------------------------------------------------- models


def load_model(model_id: str):
    """cobra's bundled textbook model, or ``<data_dir>/<model_id>/model.json``."""
    if model_id == "textbook":
        return cobra.io.load_model("textbook")
    folder = data_dir(model_id)
    if folder is None:
        raise SystemExit(f"no data for {model_id}: set COBRA_GDEL_DATA or add ../shared/data")
    return cobra.io.load_json_model(str(folder / "model.json"))


def growth_objective(model) -> dict[str, float]:
    """The model's (linear) growth objective as {reaction id: coefficient}."""
    return {r.id: float(c) for r, c in linear_reaction_coefficients(model).items()}


def max_production(model, target: str, growth_lb: float) -> float:
    """Maximal production of *target* with growth ≥ *growth_lb* (one LP; NaN if infeasible)."""
    growth = growth_objective(model)
    with model:
        reaction = production_reaction(model, target)  # a sink is added inside `with`
        model.add_cons_vars(model.problem.Constraint(
            sum(c * model.reactions.get_by_id(r).flux_expression for r, c in growth.items()),
            lb=growth_lb, name="design_quality_growth_lb"))
        model.objective = {reaction: 1.0}
        model.objective_direction = "max"
        return model.slim_optimize(error_value=float("nan"))


def producible_targets(model, growth_lb: float, production_lb: float) -> tuple[list[str], dict]:
    """Metabolites producible at ≥ *production_lb* while growing at ≥ *growth_lb*."""
    targets, best = [], {}
    for metabolite in model.metabolites:
        value = max_production(model, metabolite.id, growth_lb)
        best[metabolite.id] = value
        if value >= production_lb:
            targets.append(metabolite.id)
    return targets, best


def sampled_targets(model_id: str, n: int | None, seed: int) -> list[str]:
    """The first *n* targets of ``strategies.csv`` in a seeded random order."""
    folder = data_dir(model_id)
    table = pd.read_csv(folder / "strategies.csv", index_col=0, usecols=[0])
    order = np.random.default_rng(seed).permutation(len(table.index))
    targets = [str(table.index[i]) for i in order]
    return targets if n is None else targets[:n]


# ----------------------------------------------------------------------------- methods


def _ours(model, target: str, args):
    """cobra_gdel's design for *target*: (genes, found, method/status text)."""
    design = cobra_gdel.predict_deletions(model, target, growth_lb=args.growth_lb,
                                          production_lb=args.production_lb,
                                          time_limit=args.time_limit)
    note = design.method if design.coupled else f"{design.method}: {design.reason}"
    return sorted(design.deletions), design.coupled, note


def _improved(model, target: str, args, genes: list[str], coupled: bool):
    """``cobra_gdel.improve`` of *ours*' design *genes* (its seconds are improve's alone)."""
    if not coupled:
        return [], False, "no coupled design of ours to improve"
    design = cobra_gdel.improve(model, target, genes, growth_lb=args.growth_lb,
                                production_lb=args.production_lb, time_limit=args.time_limit)
    return sorted(design.deletions), design.coupled, design.method


def _peer_modules(sd, model, production: str, args):
    """StrainDesign modules for weak growth coupling of *production* (a reaction id)."""
    growth = growth_objective(model)
    suppress = sd.SDModule(model, sd.names.SUPPRESS, inner_objective=dict(growth),
                           constraints=[[{production: 1.0}, "<=", args.production_lb]])
    protect = sd.SDModule(model, sd.names.PROTECT,
                          constraints=[[dict(growth), ">=", args.growth_lb]])
    return [suppress, protect]


def _peer(model, target: str, args):
    """StrainDesign's smallest gene-KO minimal cut set: (genes, found, status text).

    *model* is the benchmark's own copy (StrainDesign may rename genes that start
    with a digit); the auxiliary sink, if needed, lives only inside ``with model:``.
    """
    import straindesign as sd

    spontaneous = set() if args.peer_spontaneous else protected_genes(model)
    candidates = [g.id for g in model.genes if g.id not in spontaneous]
    with model:
        production = production_reaction(model, target).id
        modules = _peer_modules(sd, model, production, args)
        kwargs = dict(sd_modules=modules, solver="glpk", time_limit=args.time_limit,
                      max_solutions=1, solution_approach="best", seed=args.seed,
                      gko_cost={g: 1.0 for g in candidates})
        if args.peer_max_cost is not None:
            kwargs["max_cost"] = args.peer_max_cost
        if args.peer_big_m is not None:
            kwargs["M"] = args.peer_big_m
        solutions = sd.compute_strain_designs(model, **kwargs)
    status = str(solutions.status)
    if status == "unbounded":  # StrainDesign's name for GLPK stopping undefined, no solution
        status = "no solution (GLPK stopped undefined, e.g. at the time limit; status 'unbounded')"
    if solutions.get_num_sols() == 0:
        return [], False, status
    costs = solutions.get_strain_design_costs()
    best = int(np.argmin(costs))
    by_name = {g.name: g.id for g in model.genes}
    design = solutions.get_gene_sd(best)[0]
    genes = sorted(g if g in model.genes else by_name.get(g, g)
                   for g, value in design.items() if value < 0)
    return genes, True, f"{status}; {solutions.get_num_sols()} equally small design(s)"


@contextmanager
def _quiet_root(level=logging.ERROR):
    """StrainDesign logs to the root logger; keep its INFO/WARNING lines out of ours."""
    root = logging.getLogger()
    old = root.level
    root.setLevel(level)
    try:
        yield
    finally:
        root.setLevel(old)


# ----------------------------------------------------------------------------- one target


def evaluate(method, name: str, model, work, target: str, args) -> dict:
    """Run *method* on *target*, then check its design with check_coupling."""
    row = {f"{name}_found": False, f"{name}_kos": math.nan, f"{name}_genes": "",
           f"{name}_coupled": False, f"{name}_growth": math.nan,
           f"{name}_min_production": math.nan, f"{name}_max_production": math.nan,
           f"{name}_s": math.nan, f"{name}_note": ""}
    start = time.perf_counter()
    try:
        with warnings.catch_warnings(), _quiet_root():
            warnings.simplefilter("ignore")
            genes, found, note = method(work, target, args)
    except Exception as exc:  # one target's failure is a row, not a crash
        row[f"{name}_s"] = time.perf_counter() - start
        row[f"{name}_note"] = f"error: {type(exc).__name__}: {exc}"[:300]
        logger.warning("%s %s: %s", name, target, row[f"{name}_note"])
        return row
    row[f"{name}_s"] = time.perf_counter() - start
    row[f"{name}_note"] = note
    if not found:
        return row
    row.update({f"{name}_found": True, f"{name}_kos": len(genes),
                f"{name}_genes": " ".join(genes)})
    try:
        report = cobra_gdel.check_coupling(model, target, genes, growth_lb=args.growth_lb,
                                           production_lb=args.production_lb)
    except Exception as exc:
        row[f"{name}_note"] += f"; check error: {type(exc).__name__}: {exc}"
        return row
    row.update({f"{name}_coupled": report.coupled, f"{name}_growth": report.growth_rate,
                f"{name}_min_production": report.min_production,
                f"{name}_max_production": report.max_production})
    if not report.coupled:
        row[f"{name}_note"] += f"; check: {report.reason}"
    return row


# ----------------------------------------------------------------------------- report


def _kos_cell(row, name: str) -> str:
    if not row.get(f"{name}_found", False):
        return "err" if str(row.get(f"{name}_note", "")).startswith("error") else "—"
    kos = int(row[f"{name}_kos"])
    return str(kos) if row[f"{name}_coupled"] else f"{kos} ✗"


def _num(value, fmt=".3g") -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) \
        else format(value, fmt)


def target_table(frame: pd.DataFrame, methods: list[str]) -> pd.DataFrame:
    """One row per target: KOs (✗ = fails the check, — = none), growth, min prod, s."""
    rows = []
    for _, row in frame.iterrows():
        out = {"target": row["target"]}
        for name in methods:
            out[f"{name}: KOs"] = _kos_cell(row, name)
            out[f"{name}: growth"] = _num(row.get(f"{name}_growth"), ".3f")
            out[f"{name}: min prod"] = _num(row.get(f"{name}_min_production"), ".3g")
            out[f"{name}: s"] = _num(row.get(f"{name}_s"), ".1f")
        rows.append(out)
    return pd.DataFrame(rows)


def summarize(frame: pd.DataFrame, methods: list[str]) -> list[tuple[str, str]]:
    """Summary lines (label, value)."""
    lines = [("targets", str(len(frame)))]
    for name in methods:
        found = int(frame[f"{name}_found"].sum())
        coupled = int(frame[f"{name}_coupled"].sum())
        errors = int(frame[f"{name}_note"].astype(str).str.startswith("error").sum())
        lines.append((f"{name}: design found / passes the check / errors",
                      f"{found} / {coupled} / {errors}"))
        lines.append((f"{name}: median seconds (all targets)",
                      _num(frame[f"{name}_s"].median(), ".2f")))
        if coupled:
            lines.append((f"{name}: median KOs (designs passing the check)",
                          _num(frame.loc[frame[f"{name}_coupled"], f"{name}_kos"].median(), "g")))
    if len(methods) == 2:
        a, b = methods
        both_found = frame[f"{a}_found"] & frame[f"{b}_found"]
        both = frame[frame[f"{a}_coupled"] & frame[f"{b}_coupled"]]
        lines.append(("both found a design", str(int(both_found.sum()))))
        lines.append(("both found a design that passes the check", str(len(both))))
        if len(both):
            lines.append((f"  median KOs {a} / {b}",
                          f"{both[f'{a}_kos'].median():g} / {both[f'{b}_kos'].median():g}"))
            lines.append((f"  {a} no larger than {b} (KOs ≤)",
                          f"{int((both[f'{a}_kos'] <= both[f'{b}_kos']).sum())}/{len(both)}"
                          f" (smaller {int((both[f'{a}_kos'] < both[f'{b}_kos']).sum())},"
                          f" larger {int((both[f'{a}_kos'] > both[f'{b}_kos']).sum())})"))
            tol = 1e-6
            ge = both[f"{a}_min_production"] >= both[f"{b}_min_production"] - tol
            lines.append((f"  {a} min production ≥ {b}'s", f"{int(ge.sum())}/{len(both)}"))
            lines.append((f"  median seconds {a} / {b}",
                          f"{both[f'{a}_s'].median():.2f} / {both[f'{b}_s'].median():.2f}"))
        only = {name: int((frame[f"{name}_coupled"] & ~frame[f"{other}_coupled"]).sum())
                for name, other in ((a, b), (b, a))}
        lines.append(("passes the check for one method only",
                      ", ".join(f"{k} {v}" for k, v in only.items())))
    return lines


def reference_table() -> pd.DataFrame:
    return pd.DataFrame([{"model": r["model"], "target": r["target"], "TrimGdel KOs": r["kos"],
                          "TrimGdel min prod": r["min_production"]} for r in REFERENCES])


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for package in ("cobra_gdel", "cobra", "optlang", "straindesign", "swiglpk"):
        try:
            out.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            out.append(f"{package} (not installed)")
    return ", ".join(out)


# ----------------------------------------------------------------------------- main


def run(args) -> tuple[pd.DataFrame, list[str], dict]:
    cobra.Configuration().processes = 1  # both methods single-process (StrainDesign's FVA)
    model = load_model(args.model)
    info = {"model_id": model.id, "genes": len(model.genes), "reactions": len(model.reactions)}
    if args.targets:
        targets = list(args.targets)
    elif args.model == "textbook":
        start = time.perf_counter()
        targets, best = producible_targets(model, args.growth_lb, args.production_lb)
        info["screened"] = len(model.metabolites)
        info["screen_s"] = time.perf_counter() - start
        logger.info("%d of %d metabolites producible at >= %g with growth >= %g (%.1f s): %s",
                    len(targets), len(model.metabolites), args.production_lb, args.growth_lb,
                    info["screen_s"], " ".join(targets))
    else:
        targets = sampled_targets(args.model, args.sample, args.seed)
    if args.limit is not None:
        targets = targets[:args.limit]
    info["targets"] = targets
    use_peer = args.peer if args.peer is not None else args.model == "textbook"
    methods = ["ours", "peer"] if use_peer else ["ours"]
    if args.improve:
        methods.append("improved")
    if use_peer:
        import straindesign  # noqa: F401  (import time not charged to the first target)

    start = time.perf_counter()
    resolve_predictor(model)  # bundled predictor loaded once, not per target
    info["ours_load_s"] = time.perf_counter() - start
    work = model.copy()  # the peer's copy; the check always runs on `model`

    rows = []
    for i, target in enumerate(targets, 1):
        row = {"model": args.model, "target": target}
        try:
            row["wt_max_production"] = max_production(model, target, args.growth_lb)
        except Exception as exc:
            row["wt_max_production"] = math.nan
            logger.warning("%s: %s", target, exc)
        row.update(evaluate(_ours, "ours", model, model, target, args))
        if use_peer:
            row.update(evaluate(_peer, "peer", model, work, target, args))
        if args.improve:
            method = partial(_improved, genes=row["ours_genes"].split(),
                             coupled=bool(row["ours_coupled"]))
            row.update(evaluate(method, "improved", model, model, target, args))
        rows.append(row)
        logger.info("[%d/%d] %s: %s", i, len(targets), target, "; ".join(
            f"{m} {_kos_cell(row, m)} KOs, min prod {_num(row[f'{m}_min_production'])}, "
            f"{row[f'{m}_s']:.1f} s" for m in methods))
    return pd.DataFrame(rows), methods, info


def report(frame, methods, info, args, command: str, wall: float) -> str:
    table = markdown_table(target_table(frame, methods))
    summary = "\n".join(f"| {k} | {v} |" for k, v in summarize(frame, methods))
    peer_text = ""
    if "peer" in methods:
        peer_text = (
            "*peer*: StrainDesign `compute_strain_designs(model, sd_modules=[SUPPRESS, PROTECT], "
            f"solver='glpk', gko_cost={{every gene{'' if args.peer_spontaneous else ' but s0001'}: 1}}, "
            f"solution_approach='best', max_solutions=1, time_limit={args.time_limit:g}"
            + (f", M={args.peer_big_m:g}" if args.peer_big_m is not None else "")
            + (f", max_cost={args.peer_max_cost}" if args.peer_max_cost is not None else "")
            + ")` with "
            "SUPPRESS(inner_objective = growth (max), constraint "
            f"production ≤ {args.production_lb:g}) and PROTECT(growth ≥ {args.growth_lb:g}); "
            "the first of its equally small gene designs is taken. ")
    if "improved" in methods:
        peer_text += (f"*improved*: `cobra_gdel.improve(model, target, ours' genes, "
                      f"growth_lb={args.growth_lb:g}, time_limit={args.time_limit:g})` "
                      "(exchange moves: one gene in, as many out as coupling allows); its "
                      "seconds are improve's alone, on top of ours'. ")
    screened = (f" ({len(info['targets'])} of {info['screened']} metabolites can be produced "
                f"at ≥ {args.production_lb:g} while growing at ≥ {args.growth_lb:g}; one LP each)"
                if "screened" in info else "")
    return f"""## Design quality: ours vs StrainDesign ({args.model})

Command: `{command}` ({machine()}, GLPK, CPU; {versions()}; wall time of the whole
command {wall / 60:.1f} min).

Model `{info['model_id']}` ({info['genes']} genes, {info['reactions']} reactions){screened}.
*ours*: `predict_deletions(model, target, growth_lb={args.growth_lb:g},
time_limit={args.time_limit:g})`, a minimal design (the default; bundled predictor loaded once beforehand,
{info['ours_load_s']:.1f} s, not charged to any target). {peer_text}Every design is then
checked by `check_coupling(model, target, genes, growth_lb={args.growth_lb:g},
production_lb={args.production_lb:g})`: maximal growth, then minimal production at that
growth. KOs: number of deleted genes (✗: the design fails the check; —: none found);
seconds: wall clock per target and method.

{table}

| summary | |
|---|---|
{summary}

Published TrimGdel designs (reference numbers only, not re-run here):

{markdown_table(reference_table(), floatfmt='g')}
"""


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="textbook",
                        help="'textbook' (cobra's E. coli core) or a data folder id (iML1515)")
    parser.add_argument("--sample", type=int, default=30,
                        help="data-folder models: first N targets of strategies.csv (seeded order)")
    parser.add_argument("--targets", nargs="+", default=None, help="these targets only")
    parser.add_argument("--limit", type=int, default=None, help="at most this many targets")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per target and method")
    parser.add_argument("--growth-lb", type=float, default=0.1)
    parser.add_argument("--production-lb", type=float, default=0.001)
    parser.add_argument("--seed", type=int, default=0)
    peer = parser.add_mutually_exclusive_group()
    peer.add_argument("--peer", dest="peer", action="store_true", default=None,
                      help="run StrainDesign too (default on textbook only)")
    peer.add_argument("--no-peer", dest="peer", action="store_false")
    parser.add_argument("--peer-spontaneous", action="store_true",
                        help="let the peer knock out spontaneous pseudo-genes (s0001)")
    parser.add_argument("--peer-max-cost", type=int, default=None,
                        help="the peer's max_cost (largest design size)")
    parser.add_argument("--peer-big-m", type=float, default=None,
                        help="the peer's big-M (GLPK has no indicator constraints; StrainDesign's "
                             "default is the largest model bound, 1000); too small an M can hide "
                             "the smallest designs")
    parser.add_argument("--improve", action="store_true",
                        help="also run cobra_gdel.improve on our designs (column 'improved')")
    parser.add_argument("--csv", default=None, help="write per-target rows to this CSV")
    parser.add_argument("--write", action="store_true", help="write the section in docs/benchmarks.md")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")
    logger.setLevel(logging.INFO)

    command = "python benchmarks/design_quality.py " + " ".join(map(shlex.quote, sys.argv[1:] if argv is None else argv))
    started = time.perf_counter()
    frame, methods, info = run(args)
    wall = time.perf_counter() - started
    if args.csv:
        frame.to_csv(args.csv, index=False)
    text = report(frame, methods, info, args, command.strip(), wall)
    print(text, flush=True)
    if args.write:
        write_section(f"design_quality-{args.model}", text)


if __name__ == "__main__":
    main()
