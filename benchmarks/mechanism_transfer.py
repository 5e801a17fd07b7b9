"""Does a training model's design mechanism hold in another organism?

For each target, the bundled minimal design of a training model (``--source``, default
iML1515: its published strategy trimmed, ``cobra_gdel.bundled.reference_designs``) is
carried to another model (``--model``, default Salmonella iYS1720) **at the reaction
level**: every reaction the design switches off in the source and that the other model
has (same BiGG id) is closed there, whatever the genes. Then, in that model:

1. **restored**: closed reactions whose closure (in id order, the others closed) leaves
   growth below ``--growth-lb``, reopened: the organism needs them (another biomass,
   another route);
2. **growth / min prod / max prod**: :func:`cobra_gdel.check_coupling` of the model
   with the rest closed and no gene deleted (maximal growth, then minimal and maximal
   production at that growth): the weak growth-coupling check of ALGORITHMS.md,
   applied to a reaction pattern instead of a gene set;
3. **gene-less escapes** (where the pattern grows but does not couple): reactions
   without a gene rule that carry flux in a minimal-production solution
   and whose closure, one at a time, keeps ``ESCAPE_GROWTH`` of the growth and couples
   the pattern (screened with one LP pair each, confirmed by the check). No gene
   deletion can close such a reaction, so the mechanism can not couple the target in
   this organism while that route is open (it may still couple by another mechanism);
4. **genes**: the pattern (less the restored reactions) mapped to the model's own genes,
   for each AND-term of each rule still true the gene of fewest reactions, and
   **also off**: the reactions those genes switch off beyond the pattern (the first
   ``SHOWN``, then their number); **gene check**:
   :func:`cobra_gdel.check_coupling` of those genes (C: coupled, with its minimal
   production).

A mechanism that fails at step 1 or 2 needs more than a better gene mapping; one that
fails only at step 3 is blocked by the organism's own gene-less reactions; one that
couples as a pattern but not as genes (step 4) is blocked by the organism's rules (a
gene that the pattern needs deleted also carries a reaction it needs). This explains
misses of the transferable predictor; it finds no designs and proves none impossible.

Usage::

    python benchmarks/mechanism_transfer.py --targets g3pg_e 2agpg161_p 23dhbzs_c [--write]
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
import time
from pathlib import Path

import cobra
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._report import machine, markdown_table, write_section  # noqa: E402
from benchmarks.design_quality import load_model  # noqa: E402
from cobra_gdel import bundled, check_coupling  # noqa: E402
from cobra_gdel.coupling import GROWTH_TOLERANCE  # noqa: E402
from cobra_gdel.gpr import RuleSet, rule_to_dnf  # noqa: E402
from cobra_gdel.targets import production_reaction, protected_genes  # noqa: E402

logger = logging.getLogger("benchmarks.mechanism_transfer")

#: Reactions listed in the "also off" column (then their number).
SHOWN = 8
#: Production values below this (solver noise) are shown as 0.
ZERO = 1e-9
#: Compiled rules per model (id) of this run.
_RULES: dict[int, RuleSet] = {}
#: An escape's closure must keep this share of the pattern's growth (closing water or
#: CO2 exchange "couples" too, by crippling growth).
ESCAPE_GROWTH = 0.9


def _load(model_id: str) -> cobra.Model:
    if model_id in ("salmonella", "iJO1366", "textbook"):
        return cobra.io.load_model(model_id)
    return load_model(model_id)


def switched_off(model: cobra.Model, genes) -> list[str]:
    """Reactions of *model* whose gene rule is false once *genes* are knocked out
    (:meth:`cobra_gdel.gpr.RuleSet.disabled`; the rules are compiled once per model)."""
    rules = _RULES.get(id(model))
    if rules is None:
        rules = _RULES[id(model)] = RuleSet(model)
    return sorted(rules.disabled(genes))


def _growth_reaction(model: cobra.Model) -> cobra.Reaction:
    return next(r for r in model.reactions if r.objective_coefficient)


def _min_production(model: cobra.Model, production: cobra.Reaction, growth: float):
    """Minimal production with growth fixed just below *growth* (as the check fixes it)
    and its fluxes; (NaN, None) when infeasible."""
    with model:
        _growth_reaction(model).lower_bound = growth * (1.0 - GROWTH_TOLERANCE)
        model.objective = {production: 1.0}
        model.objective_direction = "min"
        solution = model.optimize()
    if solution.status != "optimal":
        return float("nan"), None
    return solution.objective_value, solution.fluxes


def _escapes(model: cobra.Model, target: str, production: cobra.Reaction, growth: float,
             args) -> list[str]:
    """Reactions without a gene rule whose closure alone couples the current pattern
    (module docstring, step 3)."""
    _low, fluxes = _min_production(model, production, growth)
    if fluxes is None:
        return []
    found = []
    for reaction in model.reactions:
        if (reaction.genes or reaction is production or reaction.objective_coefficient
                or abs(fluxes[reaction.id]) <= ZERO):
            continue
        with model:
            reaction.bounds = (0.0, 0.0)
            closed = model.slim_optimize(error_value=0.0)
            if closed < max(args.growth_lb, ESCAPE_GROWTH * growth):
                continue
            if not _min_production(model, production, closed)[0] >= args.production_lb:
                continue
            if check_coupling(model, target, (), args.growth_lb, args.production_lb).coupled:
                found.append(reaction.id)
    return found


def _shown(value: float) -> float:
    """*value*, or 0 where it is solver noise (NaN stays NaN)."""
    return 0.0 if abs(value) < ZERO else value


def greedy_genes(model: cobra.Model, reactions) -> list[str]:
    """Genes of *model* that switch off *reactions*: for each AND-term not yet false, its
    gene of fewest reactions (ties by id). Spontaneous pseudo-genes are never chosen
    (:func:`cobra_gdel.targets.protected_genes`); a term of those alone stays true."""
    kept = protected_genes(model)
    genes: set[str] = set()
    for rid in reactions:
        for term in rule_to_dnf(model.reactions.get_by_id(rid).gpr) or ():
            free = term - kept
            if free and not term & genes:
                genes.add(min(free, key=lambda g: (len(model.genes.get_by_id(g).reactions), g)))
    return sorted(genes)


def carry(source, model, target: str, genes, args) -> dict:
    """One table row: the source design's reaction pattern in *model* (module docstring)."""
    start = time.perf_counter()
    pattern = switched_off(source, genes)
    common = [r for r in pattern if r in model.reactions]
    row = {"target": target, "source KOs": len(genes), "off in source": len(pattern),
           "shared": len(common)}
    with model:
        production = production_reaction(model, target)
        restored = []
        for rid in common:
            reaction = model.reactions.get_by_id(rid)
            bounds = reaction.bounds
            reaction.bounds = (0.0, 0.0)
            if model.slim_optimize(error_value=0.0) < args.growth_lb:
                reaction.bounds = bounds
                restored.append(rid)
        report = check_coupling(model, target, (), args.growth_lb, args.production_lb)
        row.update({"restored": " ".join(restored) or "-", "growth": report.growth_rate,
                    "min prod": _shown(report.min_production),
                    "max prod": report.max_production})
        escapes = []
        if report.growth_rate >= args.growth_lb and not report.coupled:
            escapes = _escapes(model, target, production, report.growth_rate, args)
        row["gene-less escapes"] = " ".join(escapes) or "-"
    wanted = [r for r in common if r not in restored]
    genes = greedy_genes(model, wanted)
    row["genes"] = len(genes)
    extra = sorted(set(switched_off(model, genes)) - set(wanted))
    row["also off"] = (" ".join(extra[:SHOWN]) + (f" … ({len(extra)})" if len(extra) > SHOWN
                                                  else "")) or "-"
    report = check_coupling(model, target, genes, growth_lb=args.growth_lb,
                            production_lb=args.production_lb)
    low = _shown(report.min_production)
    row["gene check"] = (f"C {low:.3g}" if report.coupled else
                         f"growth {report.growth_rate:.3g}, min prod {low:.3g}")
    row["s"] = time.perf_counter() - start
    logger.info("%s", row)
    return row


def main(argv=None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="iML1515")
    parser.add_argument("--model", default="salmonella")
    parser.add_argument("--targets", nargs="+", required=True)
    parser.add_argument("--growth-lb", type=float, default=0.001)
    parser.add_argument("--production-lb", type=float, default=0.001)
    parser.add_argument("--write", action="store_true",
                        help="write the table into docs/benchmarks.md")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    wall = time.perf_counter()
    source, model = _load(args.source), _load(args.model)
    designs = bundled.reference_designs(args.source)
    rows = []
    for target in args.targets:
        if target not in designs or target not in model.metabolites:
            logger.warning("%s: no bundled %s design or not in %s; skipped", target,
                           args.source, args.model)
            continue
        rows.append(carry(source, model, target, sorted(designs[target]), args))
    frame = pd.DataFrame(rows)
    table = markdown_table(frame, floatfmt=".4g")
    print(table)
    if args.write:
        command = "python benchmarks/mechanism_transfer.py " + shlex.join(argv or sys.argv[1:])
        write_section(f"mechanism_transfer-{args.model}", "\n".join([
            f"### Carrying {args.source}'s design mechanisms to {args.model}", "",
            f"Command: `{command}` ({machine()}; wall time "
            f"{(time.perf_counter() - wall) / 60:.1f} min).", "",
            f"Columns as in the script's docstring: {args.source}'s bundled minimal design, "
            f"switched off reaction by reaction in {args.model} (*shared*: the reactions "
            "it has); the reactions growth needs reopened (*restored*); the coupling check "
            "on that pattern (growth, min and max production at maximal growth); reactions "
            "without a gene rule whose closure alone would couple it (*gene-less escapes*); "
            "the pattern mapped to genes (greedily: per AND-term, its gene of fewest "
            "reactions), what those genes also switch off, and "
            "their coupling check (C: coupled, with the minimal production).", "",
            table]))
    return frame


if __name__ == "__main__":
    main()
