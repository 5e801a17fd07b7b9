"""GLPK specifics of :class:`cobra_gdel.lp.FluxProblem`, read through swiglpk directly.

optlang reads a GLPK solution column by column, looking each one up by name, which on
a genome-scale model costs more than a warm-started solve; and it has no way to keep a
simplex basis and start from it again. These helpers do both by column and row index,
calling swiglpk's compiled functions through :func:`map` (no Python-level wrapper call
or loop step per row or column: a genome-scale basis has about 9,000 statuses, and a
check switches bases twice).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import repeat

import numpy as np

__all__ = ["ColumnMap", "column_indices", "column_map", "column_values", "fast_simplex",
           "objective_value", "read_basis", "standard_basis", "write_basis"]


def _lib():
    """swiglpk's compiled module (its Python functions only forward to it)."""
    import swiglpk

    return getattr(swiglpk, "_swiglpk", swiglpk)


def column_indices(prob, names: Iterable[str]) -> list[int]:
    """GLPK column indices of the named columns (valid until columns are added or removed)."""
    find = _lib().glp_find_col
    return [find(prob, name) for name in names]


@dataclass(frozen=True)
class ColumnMap:
    """Keys and the GLPK column indices whose difference is each key's value (index 0,
    a zero, where a key has one column)."""

    keys: tuple
    first: np.ndarray
    second: np.ndarray


def column_map(columns: Iterable[tuple]) -> ColumnMap:
    """A :class:`ColumnMap` of ``(key, index[, index])`` tuples: the key's value is its
    first column minus its second, if any."""
    columns = list(columns)
    return ColumnMap(tuple(c[0] for c in columns),
                     np.array([c[1] for c in columns], dtype=np.intp),
                     np.array([c[2] if len(c) == 3 else 0 for c in columns], dtype=np.intp))


def column_values(prob, columns: ColumnMap) -> dict[str, float]:
    """{key: value} of the last solve for the keys of *columns*: every column's primal
    value is read in one pass (no Python loop step per column), then differenced."""
    lib = _lib()
    count = lib.glp_get_num_cols(prob)
    values = np.zeros(count + 1)
    values[1:] = np.fromiter(map(lib.glp_get_col_prim, repeat(prob, count),
                                 range(1, count + 1)), dtype=float, count=count)
    return dict(zip(columns.keys, (values[columns.first] - values[columns.second]).tolist()))


def read_basis(prob) -> tuple[list[int], list[int]]:
    """The statuses of every row and column (the simplex basis) of *prob*."""
    lib = _lib()
    rows, cols = lib.glp_get_num_rows(prob), lib.glp_get_num_cols(prob)
    return (list(map(lib.glp_get_row_stat, repeat(prob, rows), range(1, rows + 1))),
            list(map(lib.glp_get_col_stat, repeat(prob, cols), range(1, cols + 1))))


def write_basis(prob, basis: tuple[list[int], list[int]]) -> None:
    """Give *prob* a basis read by :func:`read_basis` from a problem of the same rows and
    columns (GLPK corrects a non-basic status that the current bounds do not allow)."""
    lib = _lib()
    rows, cols = basis
    # any() drives each map to its end (the setters return None)
    any(map(lib.glp_set_row_stat, repeat(prob, len(rows)), range(1, len(rows) + 1), rows))
    any(map(lib.glp_set_col_stat, repeat(prob, len(cols)), range(1, len(cols) + 1), cols))


def fast_simplex(problem, primal: bool = False) -> str:
    """Solve an optlang GLPK *problem* by the simplex without optlang's per-solve
    re-scaling (it is scaled once per build); the dual simplex unless *primal*.

    A fresh LU factorisation of the warm-start basis comes first: GLPK's updated factors
    drift over many bound changes, and the dual simplex then reported wrong optima.
    Returns optlang's status string (also set on *problem*).
    """
    run = getattr(problem, "_run_glp_simplex", None)
    if run is None:  # a future optlang without the private helper
        return problem.optimize()
    problem.update()
    import swiglpk

    prob = problem.problem
    if swiglpk.glp_bf_exists(prob) and swiglpk.glp_factorize(prob) != 0:
        swiglpk.glp_std_basis(prob)
    smcp = problem.configuration._smcp
    if primal:
        smcp.meth = swiglpk.GLP_PRIMAL
    try:
        status = run()
    finally:
        smcp.meth = swiglpk.GLP_DUALP
    problem._status = status
    return status


def objective_value(prob) -> float:
    """The objective value of the last solve of the GLPK problem *prob*."""
    return _lib().glp_get_obj_val(prob)


def standard_basis(prob) -> None:
    """Set the GLPK problem *prob*'s basis to the standard one (all rows basic)."""
    _lib().glp_std_basis(prob)
