"""Inference and persistence shared by the predictors that pair a target latent with
gene latents (the DeepGDel family and fpnet).

Such a predictor keeps, after ``fit`` or ``load``:

``genes_``, ``gene_latents_``
    The training genes and their latents (n_genes, d).
``gene_prior_logit_``, ``default_prior_logit_``
    Logit of each training gene's Laplace-smoothed deletion share, and of the mean
    share (for genes not seen in training).
``metabolites_``, ``metabolite_latents_``
    Every metabolite whose latent is cached (labelled or not), so that it can be
    scored without a SMILES.
``training_``
    A summary of the training run.

A subclass says how to encode: :meth:`LatentPairPredictor._encode_smiles` (canonical
SMILES → latents), :meth:`LatentPairPredictor._encode_new_genes` (genes not seen in
training, from their sequences), :meth:`LatentPairPredictor._pair_proba` (latents →
P(deleted)) and :meth:`LatentPairPredictor._blank_target_latent` (a target without a
SMILES in batch prediction).
"""

from __future__ import annotations

import logging
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch

from ..exceptions import MissingInputError
from ..features import canonical_smiles, canonical_smiles_map
from .base import BasePredictor
from .device import check_device, resolve_device
from .torch_utils import logit

logger = logging.getLogger(__name__)

__all__ = ["LatentPairPredictor"]


class LatentPairPredictor(BasePredictor):
    """Base of the predictors that score (target latent, gene latent) pairs."""

    device: str
    random_state: int

    @property
    def device_(self) -> torch.device:
        """The torch device in use."""
        return resolve_device(self.device)

    def _validate_params(self) -> None:
        """Check the hyper-parameters before ``fit`` does any work (ValueError)."""
        check_device(self.device)
        if not isinstance(self.random_state, numbers.Integral) or isinstance(self.random_state, bool):
            raise ValueError(f"random_state must be an integer, not {self.random_state!r}")

    # ---------------------------------------------------------------- subclass hooks
    def _encode_smiles(self, smiles: Sequence[str | None]) -> torch.Tensor:  # pragma: no cover
        """Latents (n, d), on the CPU, of canonical SMILES (None: no structure)."""
        raise NotImplementedError

    def _encode_new_genes(
        self, genes: Sequence[str], sequences: Mapping[str, str]
    ) -> torch.Tensor:  # pragma: no cover
        """Latents (n, d), on the CPU, of genes not seen in training."""
        raise NotImplementedError

    def _pair_proba(
        self, zm: torch.Tensor, zg: torch.Tensor, prior: torch.Tensor
    ) -> np.ndarray:  # pragma: no cover
        """P(deleted), float64 (n_targets, n_genes), of target latents × gene latents."""
        raise NotImplementedError

    def _blank_target_latent(self) -> torch.Tensor | None:
        """Latent of an unseen target without a SMILES in :meth:`predict_frame`; None
        encodes the placeholder (``_encode_smiles([None])``)."""
        return None

    # ---------------------------------------------------------------- learned prior
    def _fit_prior_logits(self, labels: pd.DataFrame) -> None:
        """Set the prior logits from the training labels (Laplace-smoothed shares)."""
        n = labels.shape[0]
        share = (labels.sum(axis=0).to_numpy(dtype=float) + 1.0) / (n + 2.0)
        self.gene_prior_logit_ = torch.tensor(logit(share), dtype=torch.float32)
        self.default_prior_logit_ = float(logit(np.array([labels.to_numpy().mean()]))[0])

    def _gene_prior_logits(self, genes: Sequence[str]) -> np.ndarray:
        """Prior logit of each of *genes*; the mean share's logit for unseen ones."""
        index = {g: i for i, g in enumerate(self.genes_)}
        values = np.full(len(genes), float(self.default_prior_logit_), dtype=np.float32)
        rows = [i for i, g in enumerate(genes) if g in index]
        if rows:
            known = np.asarray(self.gene_prior_logit_.detach().cpu().numpy(), dtype=np.float32)
            values[rows] = known[[index[genes[i]] for i in rows]]
        return values

    def prior_proba(self, genes: Sequence[str]) -> pd.Series:
        """The smoothed training deletion share of each of *genes* (the mean share for
        genes not seen in training): the frequency prior this predictor learned on."""
        self._check_fitted()
        logits = self._gene_prior_logits(genes)
        return pd.Series(1.0 / (1.0 + np.exp(-logits.astype(float))),
                         index=pd.Index(list(genes), name="gene"))

    # ---------------------------------------------------------------- what it can score
    def knows_target(self, metabolite_id: str) -> bool:
        """True when *metabolite_id* has a cached latent (no SMILES needed)."""
        self._check_fitted()
        return metabolite_id in self._met_index

    def known_metabolites(self) -> list[str]:
        """Ids of the metabolites with a cached latent."""
        self._check_fitted()
        return list(self.metabolites_)

    def unscorable_genes(self, genes: Sequence[str],
                         sequences: Mapping[str, str] | None = None) -> list[str]:
        """Genes of *genes* with neither a learned latent nor a sequence in *sequences*."""
        self._check_fitted()
        known = set(self.genes_)
        return [g for g in genes if g not in known and not (sequences and g in sequences)]

    # ---------------------------------------------------------------- latents
    def _index_metabolites(self) -> None:
        self._met_index = {m: i for i, m in enumerate(self.metabolites_)}

    def _gene_inputs(
        self, genes: Sequence[str], sequences: Mapping[str, str] | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Gene latents and prior logits for *genes* (cached, or encoded from *sequences*)."""
        index = {g: i for i, g in enumerate(self.genes_)}
        zg = torch.zeros((len(genes), self.gene_latents_.shape[1]))
        prior = torch.from_numpy(self._gene_prior_logits(genes))
        rows = [i for i, g in enumerate(genes) if g in index]
        if rows:
            zg[rows] = self.gene_latents_[torch.tensor([index[genes[i]] for i in rows])]
        new = [i for i, g in enumerate(genes) if g not in index]
        if new:
            zg[new] = self._encode_new_genes([genes[i] for i in new], sequences or {})
        return zg, prior

    def _target_latents(
        self, targets: Sequence[str], smiles: Mapping[str, str | None], strict: bool
    ) -> torch.Tensor:
        """Latents of *targets*: cached, else encoded from *smiles*.

        An unseen target without a SMILES raises MissingInputError when *strict*, else
        gets :meth:`_blank_target_latent` (logged).
        """
        out: list[torch.Tensor | None] = []
        todo: list[tuple[int, str | None]] = []
        for i, t in enumerate(targets):
            if t in self._met_index:
                out.append(self.metabolite_latents_[self._met_index[t]])
                continue
            smi = smiles.get(t)
            if not smi:
                if strict:
                    raise MissingInputError(
                        f"target {t!r} was not seen in training; pass its SMILES (smiles=...)")
                blank = self._blank_target_latent()
                logger.info("target %s has no SMILES: using the %s", t,
                            "placeholder" if blank is None else "prior")
                if blank is not None:
                    out.append(blank)
                    continue
            out.append(None)
            todo.append((i, canonical_smiles(smi, t) if smi else None))
        if todo:
            z = self._encode_smiles([s for _, s in todo])
            for row, (i, _) in enumerate(todo):
                out[i] = z[row]
        if not out:
            return torch.zeros((0, self.metabolite_latents_.shape[1]))
        return torch.stack(out)  # type: ignore[arg-type]

    def embed_metabolites(self, smiles: Mapping[str, str | None]) -> list[str]:
        """Cache latents for more metabolites (e.g. unlabelled ones).

        Afterwards :meth:`predict_proba` needs no SMILES for them.

        Parameters
        ----------
        smiles : mapping
            Metabolite id to SMILES; None entries and unparsable SMILES (with a
            warning) are skipped.

        Returns
        -------
        list of str
            The ids added or refreshed.
        """
        self._check_fitted()
        canon = canonical_smiles_map(smiles)
        ids = [m for m, s in canon.items() if s]
        if not ids:
            return []
        z = self._encode_smiles([canon[m] for m in ids])
        # New objects, never in-place changes: a copy of this predictor (a bundled one
        # handed out by cobra_gdel.bundled.load) keeps its own metabolites.
        lat = self.metabolite_latents_.clone()
        mets = list(self.metabolites_)
        index = dict(self._met_index)
        added = []
        for row, m in enumerate(ids):
            if m in index:
                lat[index[m]] = z[row]
            else:
                index[m] = len(mets)
                mets.append(m)
                added.append(z[row])
        if added:
            lat = torch.cat([lat, torch.stack(added)])
        self.metabolites_, self.metabolite_latents_, self._met_index = mets, lat, index
        return ids

    # ---------------------------------------------------------------- inference
    def predict_proba(
        self,
        target: str,
        *,
        smiles: str | None = None,
        sequences: Mapping[str, str] | None = None,
        genes: Sequence[str] | None = None,
    ) -> pd.Series:
        """P(deleted) per gene for one target.

        Parameters
        ----------
        target : str
            Metabolite id. Its cached latent is used when it has one (see
            :meth:`knows_target`); otherwise *smiles* is required.
        smiles : str, optional
            SMILES of a target without a cached latent.
        sequences : mapping, optional
            Protein sequences of genes not seen in training.
        genes : sequence of str, optional
            Genes to score; defaults to the training genes.

        Returns
        -------
        pandas.Series
            Index gene id, values P(deleted), name *target*.

        Raises
        ------
        cobra_gdel.exceptions.NotFittedError
            Before ``fit`` or ``load``.
        cobra_gdel.exceptions.MissingInputError
            An unseen target without a SMILES.
        ValueError
            An invalid SMILES (the message names *target*).
        """
        self._check_fitted()
        genes = list(self.genes_ if genes is None else genes)
        zm = self._target_latents([target], {target: smiles} if smiles else {}, strict=True)
        zg, prior = self._gene_inputs(genes, sequences)
        p = self._pair_proba(zm, zg, prior)[0]
        return pd.Series(p, index=pd.Index(genes, name="gene"), name=target)

    def predict_frame(self, dataset: Any, targets: Sequence[str] | None = None) -> pd.DataFrame:
        """P(deleted) for *targets* (default: the dataset's) × the dataset's genes, batched.

        Targets with a cached latent use it; others are encoded from
        ``dataset.smiles``; one without a SMILES gets :meth:`_blank_target_latent`.
        """
        self._check_fitted()
        targets = list(dataset.targets if targets is None else targets)
        zm = self._target_latents(targets, dataset.smiles, strict=False)
        zg, prior = self._gene_inputs(dataset.genes, dataset.sequences)
        return pd.DataFrame(
            self._pair_proba(zm, zg, prior),
            index=pd.Index(targets, name="metabolite"),
            columns=pd.Index(dataset.genes, name="gene"),
        )

    # ---------------------------------------------------------------- persistence
    def _latent_state(self) -> dict[str, Any]:
        """The checkpoint entries of the learned latents, prior and training summary."""
        return {
            "gene_ids": list(self.genes_),
            "gene_latents": self.gene_latents_.cpu(),
            "gene_prior_logit": self.gene_prior_logit_.cpu(),
            "default_prior_logit": float(self.default_prior_logit_),
            "metabolite_ids": list(self.metabolites_),
            "metabolite_latents": self.metabolite_latents_.cpu(),
            "training": {k: (float(v) if isinstance(v, float) else v)
                         for k, v in self.training_.items()},
        }

    def _set_latent_state(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`_latent_state` wrote; ValueError when shapes disagree."""
        self.genes_ = list(state["gene_ids"])
        self.gene_latents_ = state["gene_latents"].float()
        self.gene_prior_logit_ = state["gene_prior_logit"].float()
        self.default_prior_logit_ = float(state["default_prior_logit"])
        self.metabolites_ = list(state["metabolite_ids"])
        self.metabolite_latents_ = state["metabolite_latents"].float()
        self.training_ = dict(state["training"])
        n = len(self.genes_)
        if self.gene_latents_.shape[0] != n or len(self.gene_prior_logit_) != n:
            raise ValueError("gene latents do not match the gene ids")
        if self.metabolite_latents_.shape[0] != len(self.metabolites_):
            raise ValueError("metabolite latents do not match the metabolite ids")
        self._index_metabolites()
