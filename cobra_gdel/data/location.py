"""Where the strategy data folder lives (for tests, benchmarks, scripts and examples).

Library code never calls :func:`data_dir`: every library function takes its data as
arguments (paths or a :class:`~cobra_gdel.data.StrategyDataset`). This helper only
finds the shared data folder of a development checkout.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["data_dir"]

#: The repository root of a development checkout (``cobra_gdel/data/location.py`` → root).
_CHECKOUT = Path(__file__).resolve().parents[2]


def data_dir(model_id: str | None = None) -> Path | None:
    """Locate the strategy data folder (``COBRA_GDEL_DATA`` or ``../shared/data``).

    Parameters
    ----------
    model_id : str, optional
        A sub-folder (``"e_coli_core"``, ``"iMM904"``, ``"iML1515"``). When given,
        the returned path is that model's folder.

    Returns
    -------
    pathlib.Path or None
        The folder, or None when no data folder is found (callers skip or raise).
    """
    candidates = []
    env = os.environ.get("COBRA_GDEL_DATA")
    if env:
        candidates.append(Path(env))
    candidates += [_CHECKOUT.parent / "shared" / "data", Path.cwd().parent / "shared" / "data"]
    for root in candidates:
        path = root / model_id if model_id else root
        if path.is_dir():
            return path
    return None
