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
from itertools import repeat

__all__ = ["column_indices", "column_values", "read_basis", "write_basis"]


def _lib():
    """swiglpk's compiled module (its Python functions only forward to it)."""
    import swiglpk

    return getattr(swiglpk, "_swiglpk", swiglpk)


def column_indices(prob, names: Iterable[str]) -> list[int]:
    """GLPK column indices of the named columns (valid until columns are added or removed)."""
    find = _lib().glp_find_col
    return [find(prob, name) for name in names]


def column_values(prob, columns: list[tuple]) -> dict[str, float]:
    """{key: value of its first column minus that of its second, if any} of the last
    solve, for *columns* given as ``(key, index[, index])`` tuples."""
    get = _lib().glp_get_col_prim
    return {key: get(prob, cols[0]) - get(prob, cols[1]) if len(cols) == 2
            else get(prob, cols[0]) for key, *cols in columns}


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
