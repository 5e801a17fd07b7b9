"""GLPK specifics of :class:`cobra_gdel.lp.FluxProblem`, read through swiglpk directly.

optlang reads a GLPK solution column by column, looking each one up by name, which on
a genome-scale model costs more than a warm-started solve; and it has no way to keep a
simplex basis and start from it again. These helpers do both by column and row index.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["column_indices", "column_values", "read_basis", "write_basis"]


def column_indices(prob, names: Iterable[str]) -> list[int]:
    """GLPK column indices of the named columns (valid until columns are added or removed)."""
    import swiglpk

    return [swiglpk.glp_find_col(prob, name) for name in names]


def column_values(prob, columns: list[tuple]) -> dict[str, float]:
    """{key: value of its first column minus that of its second, if any} of the last
    solve, for *columns* given as ``(key, index[, index])`` tuples."""
    import swiglpk

    get = swiglpk.glp_get_col_prim
    return {key: get(prob, cols[0]) - get(prob, cols[1]) if len(cols) == 2
            else get(prob, cols[0]) for key, *cols in columns}


def read_basis(prob) -> tuple[list[int], list[int]]:
    """The statuses of every row and column (the simplex basis) of *prob*."""
    import swiglpk

    return ([swiglpk.glp_get_row_stat(prob, i)
             for i in range(1, swiglpk.glp_get_num_rows(prob) + 1)],
            [swiglpk.glp_get_col_stat(prob, j)
             for j in range(1, swiglpk.glp_get_num_cols(prob) + 1)])


def write_basis(prob, basis: tuple[list[int], list[int]]) -> None:
    """Give *prob* a basis read by :func:`read_basis` from a problem of the same rows and
    columns (GLPK corrects a non-basic status that the current bounds do not allow)."""
    import swiglpk

    rows, cols = basis
    for i, stat in enumerate(rows, 1):
        swiglpk.glp_set_row_stat(prob, i, stat)
    for j, stat in enumerate(cols, 1):
        swiglpk.glp_set_col_stat(prob, j, stat)
