"""The model's solver problem as plain data: what every LP and MILP of cobra_gdel copies.

cobra keeps two variables per reaction (forward and reverse) in ``model.solver``, one
mass-balance constraint per metabolite, and whatever else a user or a tool added:
enzyme pools (ECMpy, sMOMENT, GECKO as constraints), kcat constraints, variables of
their own, hand-made constraints. :func:`read_model` reads all of it once, quickly
(optlang's own ``to_json``/``clone`` take seconds on genome-scale models), into a
:class:`ModelData` from which :mod:`cobra_gdel.lp` and :mod:`cobra_gdel.milp` build
their problems with the model's own bounds.

Columns are named by the model's variable names. A reaction whose forward and reverse
variables only ever appear as its net flux ``forward - reverse`` (every reaction of a
plain cobra model) gets one column, named by the reaction id, with the net bounds;
a reaction that a constraint or the objective weighs otherwise (an enzyme pool
weighs ``forward + reverse``) is *split* into its two columns, named as in the model.
"""

from __future__ import annotations

import logging
import math
import operator
from dataclasses import dataclass, field

from .exceptions import UnsupportedModelError

logger = logging.getLogger(__name__)

__all__ = ["ModelData", "extra_bounds", "model_signature", "read_model"]


@dataclass(frozen=True)
class ModelData:
    """A linear copy of a model's solver problem (see the module docstring).

    Attributes
    ----------
    model_id : str
    reactions : tuple of str
        Reaction ids in model order.
    reverse : dict
        Reaction id → the name of its reverse variable.
    stoich : dict
        Reaction id → {metabolite id: coefficient}.
    bounds : dict
        Reaction id → (lower, upper) net bounds as the model has them (±inf allowed).
    row_bounds : dict
        Metabolite id → (lower, upper) bounds of its mass-balance row (normally 0, 0).
    split : frozenset of str
        Reactions with separate forward and reverse columns.
    extra_variables : dict
        Name → (lower, upper) of variables that belong to no reaction.
    extra_rows : tuple
        (name, {column: coefficient}, lower, upper) of constraints that are no mass balance.
    balance_extra : dict
        Metabolite id → {extra variable: coefficient} inside its mass-balance row.
    objective : dict
        Column → coefficient of the model's (linear, maximised) objective.
    """

    model_id: str
    reactions: tuple
    reverse: dict
    stoich: dict
    bounds: dict
    row_bounds: dict
    split: frozenset
    extra_variables: dict = field(default_factory=dict)
    extra_rows: tuple = ()
    balance_extra: dict = field(default_factory=dict)
    objective: dict = field(default_factory=dict)

    @property
    def plain(self) -> bool:
        """Whether the problem is stoichiometry and bounds alone (nothing extra)."""
        return not (self.split or self.extra_variables or self.extra_rows)

    def columns_of(self, rid: str) -> tuple[str, ...]:
        """The columns of reaction *rid*: (rid,) or (rid, reverse name) when split."""
        return (rid, self.reverse[rid]) if rid in self.split else (rid,)

    def net_terms(self, coefs) -> dict[str, float]:
        """Column coefficients of a linear expression in net reaction fluxes."""
        out: dict[str, float] = {}
        for rid, coef in coefs.items():
            if rid in self.split:
                out[rid] = out.get(rid, 0.0) + coef
                out[self.reverse[rid]] = out.get(self.reverse[rid], 0.0) - coef
            else:
                out[rid] = out.get(rid, 0.0) + coef
        return out


def _linear(expression_owner, what: str) -> dict:
    """{variable name: coefficient} of a linear optlang constraint or objective."""
    if not expression_owner.is_Linear:
        raise UnsupportedModelError(
            f"the model's {what} is not linear; cobra_gdel's coupling checks are linear "
            "programs and can not carry it (remove it or linearise it)")
    variables = expression_owner.variables
    coefs = expression_owner.get_linear_coefficients(variables)
    return {v.name: float(c) for v, c in coefs.items() if c}


def read_model(model) -> ModelData:
    """Read *model*'s solver problem (see :class:`ModelData`).

    Raises
    ------
    UnsupportedModelError
        A non-linear (e.g. quadratic) objective or constraint, an integer variable,
        or a minimised objective.
    """
    solver = model.solver
    reactions = tuple(r.id for r in model.reactions)
    reverse = {r.id: r.reverse_id for r in model.reactions}
    owner = {rid: rid for rid in reactions}
    owner.update({rev: rid for rid, rev in reverse.items()})
    stoich = {r.id: {m.id: float(c) for m, c in r.metabolites.items()} for r in model.reactions}
    bounds = {r.id: (float(r.lower_bound), float(r.upper_bound)) for r in model.reactions}
    metabolites = [m.id for m in model.metabolites]
    rows = solver.constraints
    row_bounds = {}
    for met in metabolites:
        row = rows[met] if met in rows else None
        row_bounds[met] = (0.0, 0.0) if row is None else (_num(row.lb, -math.inf),
                                                          _num(row.ub, math.inf))
    objective = solver.objective
    if objective.direction != "max":
        raise UnsupportedModelError(
            f"model {model.id!r} minimises its objective; cobra_gdel maximises growth (set "
            "the growth reaction as the objective, direction 'max')")
    objective_coefs = _linear(objective, "objective")
    met_names = set(metabolites)
    extra_rows = []
    for constraint in rows:
        if constraint.name in met_names:
            continue
        extra_rows.append((constraint.name, _linear(constraint, f"constraint {constraint.name!r}"),
                           _num(constraint.lb, -math.inf), _num(constraint.ub, math.inf)))
    extra_variables = {}
    for variable in solver.variables:
        if variable.name in owner:
            continue
        if variable.type != "continuous":
            raise UnsupportedModelError(
                f"variable {variable.name!r} of model {model.id!r} is {variable.type}; the "
                "coupling checks are linear programs")
        extra_variables[variable.name] = (_num(variable.lb, -math.inf), _num(variable.ub, math.inf))
    balance_extra = _balance_extra(rows, metabolites, solver, extra_variables)
    split = _split_reactions([objective_coefs] + [c for _n, c, _l, _u in extra_rows], owner)
    data = ModelData(
        model.id, reactions, reverse, stoich, bounds, row_bounds, split, extra_variables,
        tuple((name, _columns(coefs, owner, split), lb, ub) for name, coefs, lb, ub in extra_rows),
        balance_extra, _columns(objective_coefs, owner, split))
    if not data.plain:
        logger.info("model %s: %d extra constraint(s), %d extra variable(s), %d split "
                    "reaction(s) are part of every check", model.id, len(extra_rows),
                    len(extra_variables), len(split))
    return data


def _num(value, default: float) -> float:
    return default if value is None else float(value)


def _balance_extra(rows, metabolites, solver, extra_variables) -> dict:
    """Coefficients of extra variables inside mass-balance rows."""
    if not extra_variables:
        return {}
    variables = [solver.variables[name] for name in extra_variables]
    out = {}
    for met in metabolites:
        if met not in rows:
            continue
        coefs = rows[met].get_linear_coefficients(variables)
        found = {v.name: float(c) for v, c in coefs.items() if c}
        if found:
            out[met] = found
    return out


def _split_reactions(expressions, owner) -> frozenset:
    """Reactions some expression weighs other than by their net flux."""
    split = set()
    for coefs in expressions:
        per_reaction: dict[str, list[float]] = {}
        for name, coef in coefs.items():
            rid = owner.get(name)
            if rid is None:
                continue
            pair = per_reaction.setdefault(rid, [0.0, 0.0])
            pair[0 if name == rid else 1] += coef
        for rid, (forward, backward) in per_reaction.items():
            if abs(forward + backward) > 1e-12 * max(1.0, abs(forward)):
                split.add(rid)
    return frozenset(split)


def _columns(coefs, owner, split) -> dict[str, float]:
    """Model-variable coefficients → column coefficients."""
    out: dict[str, float] = {}
    for name, coef in coefs.items():
        rid = owner.get(name)
        if rid is None or rid in split:
            out[name] = out.get(name, 0.0) + coef
        elif name == rid:
            out[rid] = out.get(rid, 0.0) + coef
        # the reverse variable of a net reaction: its weight is -forward's (checked)
    return out


_BOUNDS = operator.attrgetter("_lower_bound", "_upper_bound")
_GPR = operator.attrgetter("_gpr")
_STOICH = operator.attrgetter("_metabolites")


def model_signature(model) -> tuple:
    """Cheap summary of what a copy of *model*'s problem depends on (a change means it
    must be read again): the reactions' bounds, rules and stoichiometry size, the
    metabolites and genes, the objective and the solver problem's size."""
    reactions = model.reactions
    try:  # cobra's private fields: ~10x faster than the public properties
        bounds = tuple(map(_BOUNDS, reactions))
        rules = tuple(map(id, map(_GPR, reactions)))
        entries = sum(map(len, map(_STOICH, reactions)))
    except AttributeError:  # pragma: no cover - a cobra without them
        bounds = tuple(r.bounds for r in reactions)
        rules = tuple(id(r.gpr) for r in reactions)
        entries = sum(len(r.metabolites) for r in reactions)
    solver_problem = model.solver
    objective = solver_problem.objective
    coefs = objective.get_linear_coefficients(objective.variables)
    return (bounds, rules, entries, len(model.metabolites), len(model.genes),
            objective.direction, tuple(sorted((v.name, c) for v, c in coefs.items() if c)),
            len(solver_problem.variables), len(solver_problem.constraints))


def extra_bounds(model, data: ModelData) -> tuple:
    """The bounds, as they are now in *model*, of the extra constraints and variables
    that *data* copied (None for one that is gone)."""
    constraints, variables = model.solver.constraints, model.solver.variables
    rows = tuple((constraints[n].lb, constraints[n].ub) if n in constraints else None
                 for n, _c, _l, _u in data.extra_rows)
    columns = tuple((variables[n].lb, variables[n].ub) if n in variables else None
                    for n in data.extra_variables)
    return rows + columns
