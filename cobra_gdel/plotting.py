"""Plots of deletion designs (needs matplotlib: ``pip install "cobra_gdel[plot]"``).

:func:`plot_design` draws the production envelope of a design beside the wild
type's: for growth rates from 0 to the maximum, the minimal and maximal
production of the target (a filled band between them). A weakly growth-coupled
design is one whose band has a strictly positive lower edge at its own maximal
growth, the operating point marked on the plot.
"""

from __future__ import annotations

import logging
import math

logger = logging.getLogger(__name__)

__all__ = ["plot_design", "plot_designs"]

#: Colours of the wild-type and design envelopes.
WILD_TYPE_COLOR = "0.55"
DESIGN_COLOR = "C0"


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "plotting needs matplotlib, which is not installed; install it with "
            "`pip install \"cobra_gdel[plot]\"` (the 'plot' extra) or `pip install matplotlib`"
        ) from exc
    return plt


def _model_of(design, model):
    model = model if model is not None else getattr(design, "model", None)
    if model is None:
        raise ValueError("this design holds no model; pass the model it was made for "
                         "(plot_design(design, model=model))")
    return model


def _band(ax, frame, color, label, zorder):
    """Filled band between min and max production, with both edges drawn."""
    if frame.empty:
        return
    growth = frame["growth"].to_numpy()
    low = frame["min_production"].to_numpy()
    high = frame["max_production"].to_numpy()
    ax.fill_between(growth, low, high, color=color, alpha=0.25, linewidth=0, label=label,
                    zorder=zorder)
    ax.plot(growth, high, color=color, linewidth=1.5, zorder=zorder + 0.1)
    ax.plot(growth, low, color=color, linewidth=1.5, linestyle="--", zorder=zorder + 0.1)


def plot_design(design, model=None, ax=None, points: int = 20):
    """Plot the production envelope of a design and of the wild type.

    For ``points`` growth rates evenly spaced from 0 to the maximal growth, the
    minimal and maximal production of the design's target are computed by FBA
    (with the growth fixed) and drawn as a filled band: grey for the wild type
    (no deletion), coloured for the design. The design's operating point,
    ``(design.growth_rate, design.min_production)``, is marked; a design is
    weakly growth-coupled when that point lies above ``design.production_lb``.

    Parameters
    ----------
    design : DeletionDesign
        The design to draw.
    model : cobra.Model, optional
        The model the design was made for (default: the one the design holds).
        It is not modified.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default: a new figure's.
    points : int
        Number of growth rates per envelope (at least 2).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on: x is the growth rate, y the flux of
        ``design.production_reaction``.

    Raises
    ------
    ImportError
        If matplotlib is not installed (install the ``plot`` extra).
    ValueError
        If no model is given and the design holds none, or ``points < 2``.

    Examples
    --------
    >>> import cobra
    >>> from cobra_gdel import check_coupling, DeletionDesign
    >>> from cobra_gdel.plotting import plot_design
    >>> model = cobra.io.load_model("textbook")
    >>> genes = ["b1611", "b1612", "b4122", "b2297", "b2458", "b1602", "b3962"]
    >>> report = check_coupling(model, "succ_e", genes)
    >>> design = DeletionDesign.from_report(report, "manual", model=model)
    >>> ax = plot_design(design)            # doctest: +SKIP
    >>> ax.figure.savefig("succ_e.png")     # doctest: +SKIP
    """
    from .coupling import get_checker

    points = int(points)
    if points < 2:
        raise ValueError(f"points must be >= 2, got {points}")
    model = _model_of(design, model)
    plt = _pyplot()
    checker = get_checker(model)
    wild = checker.production_envelope(design.target, (), points)
    mutant = checker.production_envelope(design.target, design.deletions, points)
    if ax is None:
        _fig, ax = plt.subplots(figsize=(6, 4))

    _band(ax, wild, WILD_TYPE_COLOR, "wild type", zorder=1)
    n = len(design.deletions)
    _band(ax, mutant, DESIGN_COLOR, f"design ({n} deletion{'s' if n != 1 else ''})", zorder=2)
    if mutant.empty:
        logger.warning("the deletions of the %s design leave no feasible flux distribution; "
                       "only the wild type is drawn", design.target)
    if math.isfinite(design.growth_rate) and math.isfinite(design.min_production):
        ax.plot([design.growth_rate], [design.min_production], linestyle="none", marker="o",
                markersize=8, color="C3", zorder=3,
                label=f"operating point ({'coupled' if design.coupled else 'not coupled'})")
    ax.axhline(design.production_lb, color="C3", linewidth=0.8, linestyle=":", zorder=0,
               label=f"production_lb = {design.production_lb:g}")
    ax.set_xlabel("growth rate [1/h]")
    ax.set_ylabel(f"{design.production_reaction} flux [mmol/gDW/h]")
    ax.set_title(f"Production envelope of {design.target}")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_designs(designs, model=None, points: int = 20, axes=None):
    """Production envelopes of several designs side by side (see :func:`plot_design`).

    Parameters
    ----------
    designs : sequence of DeletionDesign
        The designs (e.g. a :class:`~cobra_gdel.DesignSet`).
    model : cobra.Model, optional
        Default: the model each design holds.
    points : int
        Number of growth rates per envelope.
    axes : sequence of matplotlib.axes.Axes, optional
        One per design; default: a new row of panels sharing the y-axis.

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes
    """
    import numpy as np

    designs = list(designs)
    if not designs:
        raise ValueError("no designs to plot")
    plt = _pyplot()
    if axes is None:
        _fig, axes = plt.subplots(1, len(designs), figsize=(4.5 * len(designs), 4),
                                  sharey=True, squeeze=False)
        axes = axes[0]
    axes = np.asarray(axes).ravel()
    if len(axes) != len(designs):
        raise ValueError(f"{len(designs)} designs need {len(designs)} axes, got {len(axes)}")
    for i, (design, ax) in enumerate(zip(designs, axes)):
        plot_design(design, model=model, ax=ax, points=points)
        ax.set_title(f"#{i + 1}: {len(design.deletions)} deletions, min "
                     f"{design.min_production:.3g}", fontsize="medium")
    return axes
