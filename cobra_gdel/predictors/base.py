"""The predictor interface shared by every model, and its checkpoint format.

A predictor follows the scikit-learn estimator contract: hyper-parameters are the
arguments of ``__init__`` (stored unchanged), learned state ends in an underscore,
``fit`` does no I/O. One checkpoint file (``torch.save`` of a plain dict) holds::

    {"format": "cobra_gdel.predictor", "format_version": 1, "class": "<class name>",
     "params": {...}, "state": {...}}

where ``state`` is class-specific (vocabularies, ``state_dict``, gene ids, cached gene and
metabolite latents, ...). Loading validates all of it and raises
:class:`cobra_gdel.exceptions.CheckpointError` with a readable message otherwise.
"""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..exceptions import CheckpointError

logger = logging.getLogger(__name__)

__all__ = ["BasePredictor", "FORMAT", "FORMAT_VERSION", "REGISTRY"]

FORMAT = "cobra_gdel.predictor"
FORMAT_VERSION = 1
#: Class name -> class, filled by :meth:`BasePredictor.__init_subclass__`.
REGISTRY: dict[str, type[BasePredictor]] = {}


class BasePredictor:
    """Base class: ``fit`` / ``predict_proba`` / ``predict_frame`` / ``save`` / ``load``."""

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

    def _gene_prior_logits(self, genes: Sequence[str]) -> np.ndarray | None:
        """Logit of the (smoothed) training deletion share of each of *genes*, the mean
        share's logit for genes not seen in training; None for predictors that keep
        no prior (``gene_prior_logit_``)."""
        logits = getattr(self, "gene_prior_logit_", None)
        if logits is None:
            return None
        index = {g: i for i, g in enumerate(self.genes_)}
        values = np.full(len(genes), float(self.default_prior_logit_), dtype=np.float32)
        rows = [i for i, g in enumerate(genes) if g in index]
        if rows:
            known = np.asarray(logits.detach().cpu().numpy(), dtype=np.float32)
            values[rows] = known[[index[genes[i]] for i in rows]]
        return values

    def _prior_proba(self, genes: Sequence[str]) -> pd.Series | None:
        """The frequency prior this predictor learned on, as P(deleted) per gene (see
        :meth:`_gene_prior_logits`), or None. :func:`cobra_gdel.predict_deletions`
        repairs from it when repair from the predicted scores fails."""
        logits = self._gene_prior_logits(genes)
        if logits is None:
            return None
        return pd.Series(1.0 / (1.0 + np.exp(-logits.astype(float))),
                         index=pd.Index(list(genes), name="gene"))

    def _check_fitted(self) -> None:
        if not getattr(self, "genes_", None):
            raise RuntimeError(f"{type(self).__name__} is not fitted; call fit(dataset) first")

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
        klass = REGISTRY.get(name) if isinstance(name, str) else None
        if klass is None:
            raise CheckpointError(f"{source}: unknown predictor class {name!r}")
        if cls is not BasePredictor and not issubclass(klass, cls):
            raise CheckpointError(f"{source}: holds a {name}, not a {cls.__name__}")
        params = data.get("params")
        state = data.get("state")
        if not isinstance(params, dict) or not isinstance(state, dict):
            raise CheckpointError(f"{source}: checkpoint lacks 'params' or 'state'")
        unknown = set(params) - set(klass._param_names())
        if unknown:
            raise CheckpointError(f"{source}: parameters {sorted(unknown)} unknown to {name}")
        if device is not None and "device" in klass._param_names():
            from ._torch import resolve_device

            resolve_device(device)  # an unknown/unavailable device is a ValueError, not a bad file
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
