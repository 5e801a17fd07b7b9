"""The predictor interface shared by every model, and its checkpoint format.

A predictor follows the scikit-learn estimator contract: hyper-parameters are the
arguments of ``__init__`` (stored unchanged), learned state ends in an underscore,
``fit`` validates them and does no I/O; a predictor used before ``fit`` (or ``load``)
raises :class:`cobra_gdel.exceptions.NotFittedError`. This module does not import
torch (``save`` and ``load`` import it when called). One checkpoint file (``torch.save`` of a plain dict) holds::

    {"format": "cobra_gdel.predictor", "format_version": 1, "class": "<class name>",
     "params": {...}, "state": {...}}

where ``state`` is class-specific (vocabularies, ``state_dict``, gene ids, cached gene and
metabolite latents, ...). Loading validates all of it and raises
:class:`cobra_gdel.exceptions.CheckpointError` with a readable message otherwise.
Checkpoints written before a hyper-parameter was renamed (:data:`RENAMED_PARAMS`,
e.g. ``seed`` → ``random_state``) load under the new name.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import os
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import pandas as pd

from ..exceptions import CheckpointError, NotFittedError
from .device import check_device

logger = logging.getLogger(__name__)

__all__ = ["BasePredictor", "FORMAT", "FORMAT_VERSION", "REGISTRY", "RENAMED_PARAMS",
           "TORCH_CLASSES", "predictor_class"]

FORMAT = "cobra_gdel.predictor"
FORMAT_VERSION = 1
#: Class name -> class, filled by :meth:`BasePredictor.__init_subclass__`.
REGISTRY: dict[str, type[BasePredictor]] = {}
#: The predictor classes built on torch: class name → module of this package. They
#: register themselves when that module is first imported (:func:`predictor_class`), so
#: a call that needs none of them (the transferable ``network`` predictor, on a model no
#: bundled predictor fits) does not import torch: about 1.8 s of a first call.
TORCH_CLASSES = {"DNNPredictor": "dnn", "DeepGDelPredictor": "deepgdel",
                 "FingerprintNetPredictor": "fpnet"}
#: Hyper-parameters renamed since checkpoints were first written: old -> new name.
#: Checkpoints that hold an old name load with the new one (same value).
RENAMED_PARAMS = {"seed": "random_state"}


def predictor_class(name: str) -> type[BasePredictor] | None:
    """The registered predictor class called *name* (a class of ``TORCH_CLASSES`` is
    imported, with torch, now), or None for an unknown name."""
    if name not in REGISTRY and name in TORCH_CLASSES:
        importlib.import_module(f"{__package__}.{TORCH_CLASSES[name]}")
    return REGISTRY.get(name)


class BasePredictor:
    """Base class: ``fit`` / ``predict_proba`` / ``predict_frame`` / ``save`` / ``load``.

    What :func:`cobra_gdel.predict_deletions` asks of a fitted predictor beside
    :meth:`predict_proba`: :meth:`prior_proba` (its frequency prior, for the
    fallback), :meth:`unscorable_genes`, :meth:`knows_target` and
    :meth:`known_metabolites`.
    """

    #: Short name used by :func:`cobra_gdel.predictors.make_predictor`.
    name: ClassVar[str] = "base"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        REGISTRY[cls.__name__] = cls

    # ------------------------------------------------------------------ params
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p for p in sig.parameters if p != "self"]

    def get_params(self) -> dict[str, Any]:
        """Hyper-parameters (the ``__init__`` arguments) as a dict."""
        return {p: getattr(self, p) for p in self._param_names()}

    def set_params(self, **params: Any) -> BasePredictor:
        """Set hyper-parameters; unknown names raise ValueError."""
        valid = set(self._param_names())
        for key, value in params.items():
            if key not in valid:
                raise ValueError(f"{type(self).__name__} has no parameter {key!r}")
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # ------------------------------------------------------------------ API
    def fit(self, dataset: Any) -> BasePredictor:  # pragma: no cover - abstract
        """Learn from a :class:`cobra_gdel.data.StrategyDataset`; returns self."""
        raise NotImplementedError

    def predict_proba(
        self,
        target: str,
        *,
        smiles: str | None = None,
        sequences: Mapping[str, str] | None = None,
        genes: Sequence[str] | None = None,
    ) -> pd.Series:  # pragma: no cover - abstract
        """P(deleted) per gene for one target (index gene id, name = target)."""
        raise NotImplementedError

    def predict_frame(self, dataset: Any, targets: Sequence[str] | None = None) -> pd.DataFrame:
        """P(deleted) for several targets (rows) × the dataset's genes (columns).

        The default calls :meth:`predict_proba` per target; learned predictors batch.
        """
        targets = list(dataset.targets if targets is None else targets)
        rows = [
            self.predict_proba(
                t, smiles=dataset.smiles.get(t), sequences=dataset.sequences, genes=dataset.genes
            )
            for t in targets
        ]
        return pd.DataFrame(rows, index=pd.Index(targets, name="metabolite"))

    # ------------------------------------------------------------------ what it can score
    def prior_proba(self, genes: Sequence[str]) -> pd.Series | None:
        """The frequency prior this predictor learned on, as P(deleted) per gene.

        :func:`cobra_gdel.predict_deletions` repairs from it when repair from the
        predicted scores fails.

        Parameters
        ----------
        genes : sequence of str

        Returns
        -------
        pandas.Series or None
            Index gene id; None for predictors that keep no prior of their own (the
            default).
        """
        self._check_fitted()
        return None

    def unscorable_genes(self, genes: Sequence[str],
                         sequences: Mapping[str, str] | None = None) -> list[str]:
        """Genes of *genes* this predictor can not score.

        Parameters
        ----------
        genes : sequence of str
        sequences : mapping, optional
            Protein sequences that would be passed to :meth:`predict_proba`.

        Returns
        -------
        list of str
            In the order of *genes*. The default (predictors that score any gene) is
            ``[]``; a predictor with learned gene embeddings lists the genes with
            neither an embedding nor a sequence in *sequences*.
        """
        self._check_fitted()
        return []

    def knows_target(self, metabolite_id: str) -> bool:
        """Whether :meth:`predict_proba` can score *metabolite_id* without a SMILES.

        True by default (predictors that ignore the target); predictors that read the
        target's structure say whether they cached it.
        """
        self._check_fitted()
        return True

    def known_metabolites(self) -> list[str]:
        """Ids of the metabolites the predictor has cached (scored without a SMILES);
        ``[]`` for predictors that ignore the target."""
        self._check_fitted()
        return []

    def scored_by(self, target: str) -> str | None:
        """The name :func:`cobra_gdel.predict_deletions` records in ``design.method``
        (``"predict[<name>]+…"``) for *target*: None for a learned predictor (plain
        ``"predict+…"``), its own name for one that reads the model."""
        return self.name if getattr(self, "reads_model", False) else None

    def _check_fitted(self) -> None:
        if not getattr(self, "genes_", None):
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit(dataset) first")

    # ------------------------------------------------------------------ persistence
    def _get_state(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _set_state(self, state: Mapping[str, Any], device: str | None) -> None:  # pragma: no cover
        raise NotImplementedError

    def to_checkpoint(self) -> dict[str, Any]:
        """The dict :meth:`save` writes."""
        self._check_fitted()
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "class": type(self).__name__,
            "params": self.get_params(),
            "state": self._get_state(),
        }

    def save(self, path: str | os.PathLike) -> None:
        """Write the fitted predictor to one file (``torch.save`` of a plain dict)."""
        import torch

        torch.save(self.to_checkpoint(), os.fspath(path))

    @classmethod
    def from_checkpoint(cls, data: Any, device: str | None = None, source: str = "<dict>") -> BasePredictor:
        """Rebuild a predictor from a checkpoint dict (see :meth:`to_checkpoint`)."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise CheckpointError(f"{source}: not a cobra_gdel predictor checkpoint")
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            raise CheckpointError(
                f"{source}: checkpoint format version {version!r}, this cobra_gdel reads {FORMAT_VERSION}"
            )
        name = data.get("class")
        klass = predictor_class(name) if isinstance(name, str) else None
        if klass is None:
            raise CheckpointError(f"{source}: unknown predictor class {name!r}")
        if cls is not BasePredictor and not issubclass(klass, cls):
            raise CheckpointError(f"{source}: holds a {name}, not a {cls.__name__}")
        params = data.get("params")
        state = data.get("state")
        if not isinstance(params, dict) or not isinstance(state, dict):
            raise CheckpointError(f"{source}: checkpoint lacks 'params' or 'state'")
        params = _renamed(params, klass._param_names())
        unknown = set(params) - set(klass._param_names())
        if unknown:
            raise CheckpointError(f"{source}: parameters {sorted(unknown)} unknown to {name}")
        if device is not None and "device" in klass._param_names():
            check_device(device)  # an unknown/unavailable device is a ValueError, not a bad file
            params = {**params, "device": device}
        try:
            obj = klass(**params)
            obj._set_state(state, device)
        except CheckpointError:
            raise
        except Exception as exc:  # mismatched shapes, missing keys, wrong types
            raise CheckpointError(f"{source}: state does not match {name}: {exc}") from exc
        return obj

    @classmethod
    def load(cls, path: str | os.PathLike, device: str | None = None) -> BasePredictor:
        """Read a file written by :meth:`save`.

        Parameters
        ----------
        path : str or path-like
        device : str, optional
            ``"auto"``, ``"cpu"`` or ``"cuda"``; overrides the saved device.

        Raises
        ------
        cobra_gdel.exceptions.CheckpointError
            If the file is missing, corrupt, truncated, from another format version,
            holds another predictor class, or its state does not fit the model.
        ValueError
            If *device* is unknown or unavailable.
        """
        import torch

        source = os.fspath(path)
        try:
            data = torch.load(source, map_location="cpu", weights_only=True)
        except FileNotFoundError as exc:
            raise CheckpointError(f"{source}: no such checkpoint file") from exc
        except Exception as exc:  # truncated zip, pickle errors, ...
            raise CheckpointError(f"{source}: cannot read checkpoint ({type(exc).__name__}: {exc})") from exc
        return cls.from_checkpoint(data, device=device, source=source)


def _renamed(params: Mapping[str, Any], valid: Sequence[str]) -> dict[str, Any]:
    """*params* with the old names of :data:`RENAMED_PARAMS` replaced by the new ones
    (where the class takes the new name and the checkpoint does not hold it already)."""
    out = dict(params)
    for old, new in RENAMED_PARAMS.items():
        if old in out and old not in valid and new in valid and new not in out:
            out[new] = out.pop(old)
    return out
