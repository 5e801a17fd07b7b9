"""Gene-deletion predictors with one interface (see :class:`BasePredictor`).

=============== =========================================================== =========
name            class                                                       learned
=============== =========================================================== =========
``prior``       :class:`PriorPredictor` (training deletion share per gene)   no
``bpm``         :class:`BPMPredictor` (paper's proportion-threshold rule)    no
``dnn``         :class:`DNNPredictor` (paper's DNN baseline)                 yes
``deepgdel``    :class:`DeepGDelPredictor` (paper's model; ``mode="joint"``) yes
``deepgdel_res`` DeepGDel, fast path, Pred-M as a residual on the prior's    yes
                logit (``mode="pretrained", prior_residual=True``)
``knn``         :class:`KNNPredictor`: Tanimoto-nearest training targets      no
                blended with the prior; k, α by leave-one-out on training
``fpnet``       :class:`FingerprintNetPredictor`: learned Morgan-fingerprint yes
                encoder × learned gene vectors, on the prior's logit
``network``     :class:`NetworkPredictor`: the model's own minimal           no
                production networks (LPs); transferable, bound to a model
                with ``fit(model=model)``
``gated``       :class:`GatedPredictor`: a learned predictor (``fpnet``),    yes
                with ``network`` for targets whose networks are novel;
                ``fit(dataset, model=model)``
=============== =========================================================== =========

Every predictor follows the scikit-learn estimator contract (``__init__`` stores its
arguments unchanged, ``fit`` validates them and learns state ending in ``_``; a
predictor used before ``fit`` raises :class:`~cobra_gdel.exceptions.NotFittedError`)
and offers, beside ``fit`` / ``predict_proba`` / ``predict_frame`` / ``save`` /
``load``, what :func:`cobra_gdel.predict_deletions` asks of it:
:meth:`~BasePredictor.prior_proba`, :meth:`~BasePredictor.unscorable_genes`,
:meth:`~BasePredictor.knows_target` and :meth:`~BasePredictor.known_metabolites`.

Modules: ``base`` (the interface and the checkpoint format), ``device`` (torch
devices), ``latent`` (inference and persistence of the predictors that pair a target
latent with gene latents), ``torch_pair`` (training of the DeepGDel family),
``torch_utils`` (network building blocks), one module per predictor.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .base import RENAMED_PARAMS, TORCH_CLASSES, BasePredictor, predictor_class
from .bpm import BPMPredictor
from .gated import GatedPredictor
from .knn import KNNPredictor
from .network import NetworkPredictor
from .prior import PriorPredictor

if TYPE_CHECKING:
    from .deepgdel import DeepGDelPredictor
    from .dnn import DNNPredictor
    from .fpnet import FingerprintNetPredictor


def __getattr__(name: str) -> Any:
    if name in TORCH_CLASSES:  # imported on first use (see base.TORCH_CLASSES)
        return predictor_class(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _Registry(Mapping):
    """name → (class, default parameters); a torch-based class is imported when its
    entry is read."""

    def __init__(self, entries: dict[str, tuple[str, dict[str, Any]]]) -> None:
        self._entries = entries

    def __getitem__(self, key: str) -> tuple[type[BasePredictor], dict[str, Any]]:
        class_name, defaults = self._entries[key]
        return predictor_class(class_name), dict(defaults)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


__all__ = [
    "BasePredictor",
    "PriorPredictor",
    "BPMPredictor",
    "DNNPredictor",
    "DeepGDelPredictor",
    "KNNPredictor",
    "FingerprintNetPredictor",
    "NetworkPredictor",
    "GatedPredictor",
    "PREDICTORS",
    "make_predictor",
    "load_predictor",
]

#: name -> (class, default parameters); read-only
PREDICTORS: Mapping[str, tuple[type[BasePredictor], dict[str, Any]]] = _Registry({
    "prior": ("PriorPredictor", {}),
    "bpm": ("BPMPredictor", {}),
    "dnn": ("DNNPredictor", {}),
    "deepgdel": ("DeepGDelPredictor", {}),
    "deepgdel_res": ("DeepGDelPredictor", {"mode": "pretrained", "prior_residual": True}),
    "knn": ("KNNPredictor", {}),
    "fpnet": ("FingerprintNetPredictor", {}),
    "network": ("NetworkPredictor", {}),
    "gated": ("GatedPredictor", {}),
})


def make_predictor(name: str, **params: Any) -> BasePredictor:
    """Create a predictor by name.

    Parameters
    ----------
    name : str
        One of ``"prior"``, ``"bpm"``, ``"dnn"``, ``"deepgdel"``, ``"deepgdel_res"``, ``"knn"``,
        ``"fpnet"``, ``"network"``, ``"gated"`` (case-insensitive; ``-`` is read as ``_``). A
        ``"network"`` predictor is bound to a model, not trained:
        ``make_predictor("network").fit(model=model)``.
    **params
        Hyper-parameters. ``device``, ``progress`` and ``random_state`` are accepted
        (and ignored) by the predictors that do not take them, so callers can pass
        them uniformly. ``seed`` is read as ``random_state`` (deprecated).

    Raises
    ------
    ValueError
        Unknown name or parameter.
    """
    key = name.lower().replace("-", "_")
    if key not in PREDICTORS:
        raise ValueError(f"unknown predictor {name!r}; choose from {sorted(PREDICTORS)}")
    klass, defaults = PREDICTORS[key]
    valid = set(klass._param_names())
    params = dict(params)
    for old, new in RENAMED_PARAMS.items():
        if old in params and old not in valid and new not in params:
            warnings.warn(f"make_predictor: parameter {old!r} is now called {new!r}",
                          DeprecationWarning, stacklevel=2)
            params[new] = params.pop(old)
    for soft in ("device", "progress", "random_state"):
        if soft in params and soft not in valid:
            params.pop(soft)
    unknown = set(params) - valid
    if unknown:
        raise ValueError(f"predictor {name!r} has no parameter(s) {sorted(unknown)}")
    return klass(**{**defaults, **params})


def load_predictor(path: Any, device: str | None = None) -> BasePredictor:
    """Load any predictor saved with :meth:`BasePredictor.save`."""
    return BasePredictor.load(path, device=device)
