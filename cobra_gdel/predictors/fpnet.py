"""Fingerprint network: a learned metabolite embedding × learned gene embeddings.

Not in the DeepGDel paper; it keeps DeepGDel's shape (a metabolite encoder, a gene
encoder, and a score for every metabolite–gene pair) but swaps the two LSTM
autoencoders for encoders trained only on the deletion labels:

- metabolite: RDKit Morgan fingerprint (radius 2, 2048 bits) → Dropout → Linear →
  ReLU → Linear → ``z_t`` (``latent_dim``);
- gene: a learned per-gene vector plus a learned linear map of the protein's
  dipeptide composition (400 frequencies), so a gene that was not in training is
  embedded from its sequence alone;
- score: ``logit P(deleted) = logit(prior share of g) + z_t · e_g`` — a residual on
  the frequency prior, as in ``deepgdel_res``.

Training is full-batch AdamW on the binary cross-entropy over all training
(target, gene) pairs, a fixed number of epochs (no label of a test target is
seen). The network stores no per-target memory: only the encoder weights, one
vector per training gene, and the latent of every metabolite embedded at fit time
(labelled or not), so :meth:`predict_proba` needs no RDKit for those. A labelled
target without a SMILES keeps the zero latent, i.e. it is scored by the prior.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from ..exceptions import MissingInputError
from ..features import DIPEPTIDES, canonical_smiles, dipeptide_composition, morgan_fingerprints
from ._torch import _logit, resolve_device
from .base import BasePredictor

logger = logging.getLogger(__name__)

__all__ = ["FingerprintNet", "FingerprintNetPredictor"]

class FingerprintNet(nn.Module):
    """The two encoders and the pair score (see the module docstring)."""

    def __init__(self, n_bits: int, n_genes: int, latent_dim: int, hidden_dim: int, dropout: float) -> None:
        super().__init__()
        self.metabolite = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(n_bits, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, latent_dim)
        )
        self.gene_id = nn.Parameter(0.01 * torch.randn(n_genes, latent_dim))
        self.gene_seq = nn.Linear(len(DIPEPTIDES), latent_dim, bias=False)
        nn.init.zeros_(self.gene_seq.weight)

    def encode_metabolites(self, fingerprints: torch.Tensor) -> torch.Tensor:
        return self.metabolite(fingerprints)

    def encode_genes(self, composition: torch.Tensor, rows: torch.Tensor | None = None) -> torch.Tensor:
        """Gene vectors from *composition*; *rows* (−1 = unknown gene) add the id part."""
        z = self.gene_seq(composition)
        if rows is not None:
            known = rows >= 0
            z = z + torch.where(known[:, None], self.gene_id[rows.clamp(min=0)], torch.zeros_like(z))
        return z


def _fingerprints(smiles: Sequence[str | None], radius: int, n_bits: int) -> np.ndarray:
    return morgan_fingerprints(smiles, radius, n_bits).astype(np.float32)


class FingerprintNetPredictor(BasePredictor):
    """Learned fingerprint encoder × learned gene embeddings, on the prior's logit.

    Parameters
    ----------
    latent_dim : int
        Size of the metabolite and gene vectors.
    hidden_dim : int
        Hidden units of the metabolite encoder.
    dropout : float
        Dropout on the fingerprint bits during training.
    weight_decay, lr : float
        AdamW settings.
    epochs : int
        Full-batch training epochs.
    radius, n_bits : int
        Morgan fingerprint settings.
    seed : int
        Seed of the initial weights.
    device : str
        ``"cpu"``, ``"cuda"`` or ``"auto"``.
    """

    name = "fpnet"

    def __init__(
        self,
        latent_dim: int = 32,
        hidden_dim: int = 256,
        dropout: float = 0.5,
        weight_decay: float = 1e-4,
        lr: float = 3e-3,
        epochs: int = 300,
        radius: int = 2,
        n_bits: int = 2048,
        seed: int = 0,
        device: str = "cpu",
    ) -> None:
        self.latent_dim = latent_dim
        self.hidden_dim = hidden_dim
        self.dropout = dropout
        self.weight_decay = weight_decay
        self.lr = lr
        self.epochs = epochs
        self.radius = radius
        self.n_bits = n_bits
        self.seed = seed
        self.device = device
        resolve_device(device)  # unknown device -> ValueError now

    @property
    def device_(self) -> torch.device:
        """The torch device in use."""
        return resolve_device(self.device)

    def _net(self, n_genes: int) -> FingerprintNet:
        return FingerprintNet(self.n_bits, n_genes, self.latent_dim, self.hidden_dim, self.dropout)

    # ---------------------------------------------------------------- training
    def fit(self, dataset: Any) -> FingerprintNetPredictor:
        """Train on *dataset* (targets without a SMILES train the gene part only
        through the prior; they are left out of the pairs)."""
        labels = dataset.labels
        if labels.shape[0] == 0:
            raise ValueError("cannot fit on a dataset without targets")
        targets = list(labels.index)
        smiles = {t: dataset.smiles.get(t) for t in targets}
        canon = {t: canonical_smiles(s, t) if s else None for t, s in smiles.items()}
        n = labels.shape[0]
        share = (labels.sum(axis=0).to_numpy(dtype=float) + 1.0) / (n + 2.0)
        self.genes_ = list(labels.columns)
        self.gene_prior_logit_ = torch.tensor(_logit(share), dtype=torch.float32)
        self.default_prior_logit_ = float(_logit(np.array([labels.to_numpy().mean()]))[0])
        comp = torch.from_numpy(dipeptide_composition([dataset.sequences.get(g) for g in self.genes_]))

        with_smiles = [i for i, t in enumerate(targets) if canon[t]]
        torch.manual_seed(self.seed)
        net = self._net(len(self.genes_)).to(self.device_)
        dev = self.device_
        losses: list[float] = []
        if with_smiles:
            x = torch.from_numpy(_fingerprints([canon[targets[i]] for i in with_smiles], self.radius,
                                               self.n_bits)).to(dev)
            y = torch.from_numpy(labels.to_numpy(dtype=np.float32)[with_smiles]).to(dev)
            prior = self.gene_prior_logit_.to(dev)
            rows = torch.arange(len(self.genes_), device=dev)
            comp_d = comp.to(dev)
            opt = torch.optim.AdamW(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
            net.train()
            for _ in range(self.epochs):
                opt.zero_grad()
                logits = net.encode_metabolites(x) @ net.encode_genes(comp_d, rows).T + prior
                loss = nn.functional.binary_cross_entropy_with_logits(logits, y)
                loss.backward()
                opt.step()
                losses.append(float(loss.detach()))
        self.net_ = net.eval()
        with torch.no_grad():
            self.gene_latents_ = net.encode_genes(comp.to(dev), torch.arange(len(self.genes_), device=dev)).cpu()
        self.training_ = {"mode": "supervised", "epochs": self.epochs, "n_pairs_targets": len(with_smiles),
                          "final_loss": losses[-1] if losses else None}
        self.metabolites_: list[str] = []
        self.metabolite_latents_ = torch.zeros((0, self.latent_dim))
        self._met_index: dict[str, int] = {}
        self.embed_metabolites(dataset.smiles)  # targets' SMILES were validated above
        # labelled targets without a structure keep the zero latent: the frequency prior
        blank = [t for t in targets if not canon[t]]
        if blank:
            self.metabolite_latents_ = torch.cat([self.metabolite_latents_, torch.zeros((len(blank), self.latent_dim))])
            for t in blank:
                self._met_index[t] = len(self.metabolites_)
                self.metabolites_.append(t)
        logger.info("fpnet: %d targets, %d genes, final loss %.4f", n, len(self.genes_),
                    losses[-1] if losses else float("nan"))
        return self

    # ---------------------------------------------------------------- inference
    @torch.no_grad()
    def _encode_smiles(self, smiles: Sequence[str]) -> torch.Tensor:
        if not smiles:
            return torch.zeros((0, self.latent_dim))
        x = torch.from_numpy(_fingerprints(smiles, self.radius, self.n_bits)).to(self.device_)
        return self.net_.encode_metabolites(x).cpu()

    def embed_metabolites(self, smiles: Mapping[str, str | None]) -> list[str]:
        """Cache latents for more metabolites so that :meth:`predict_proba` needs no
        SMILES for them; unparsable SMILES are skipped with a warning. Returns the
        ids added or refreshed."""
        ids, canon, skipped = [], [], []
        for met, smi in smiles.items():
            if not smi:
                continue
            try:
                canon.append(canonical_smiles(smi, met))
                ids.append(met)
            except ValueError:
                skipped.append(met)
        if skipped:
            logger.warning("unparsable SMILES skipped: %s", skipped[:20])
        z = self._encode_smiles(canon)
        lat = list(self.metabolite_latents_)
        for row, m in enumerate(ids):
            if m in self._met_index:
                lat[self._met_index[m]] = z[row]
            else:
                self._met_index[m] = len(self.metabolites_)
                self.metabolites_.append(m)
                lat.append(z[row])
        self.metabolite_latents_ = torch.stack(lat) if lat else torch.zeros((0, self.latent_dim))
        return ids

    def _target_latents(self, targets: Sequence[str], smiles: Mapping[str, str | None],
                        strict: bool) -> torch.Tensor:
        out: list[torch.Tensor | None] = []
        todo: list[tuple[int, str]] = []
        for i, t in enumerate(targets):
            if t in self._met_index:
                out.append(self.metabolite_latents_[self._met_index[t]])
                continue
            smi = smiles.get(t)
            if not smi:
                if strict:
                    raise MissingInputError(f"target {t!r} was not seen in training; pass its SMILES (smiles=...)")
                logger.debug("target %s has no SMILES: it gets the prior", t)
                out.append(torch.zeros(self.latent_dim))
                continue
            out.append(None)
            todo.append((i, canonical_smiles(smi, t)))
        z = self._encode_smiles([s for _, s in todo])
        for row, (i, _) in enumerate(todo):
            out[i] = z[row]
        return torch.stack(out) if out else torch.zeros((0, self.latent_dim))  # type: ignore[arg-type]

    @torch.no_grad()
    def _gene_vectors(self, genes: Sequence[str], sequences: Mapping[str, str] | None
                      ) -> tuple[torch.Tensor, torch.Tensor]:
        """Learned vectors of training genes; others embedded from their sequence."""
        index = {g: i for i, g in enumerate(self.genes_)}
        z = torch.zeros((len(genes), self.latent_dim))
        prior = torch.from_numpy(self._gene_prior_logits(genes))
        known = [i for i, g in enumerate(genes) if g in index]
        if known:
            z[known] = self.gene_latents_[torch.tensor([index[genes[i]] for i in known])]
        new = [i for i, g in enumerate(genes) if g not in index]
        if new:
            comp = dipeptide_composition([(sequences or {}).get(genes[i]) for i in new])
            z[new] = self.net_.encode_genes(torch.from_numpy(comp).to(self.device_)).cpu()
        return z, prior

    def _proba(self, zm: torch.Tensor, genes: Sequence[str], sequences: Mapping[str, str] | None) -> np.ndarray:
        zg, prior = self._gene_vectors(genes, sequences)
        return torch.sigmoid(zm @ zg.T + prior[None, :]).double().numpy()

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
            Metabolite id; its cached latent is used when it was embedded at fit
            time, otherwise *smiles* is required.
        smiles : str, optional
            SMILES of a target without a cached latent.
        sequences : mapping, optional
            Protein sequences of genes without a learned embedding (a gene with
            neither gets the prior's mean).
        genes : sequence of str, optional
            Genes to score; defaults to the training genes.

        Raises
        ------
        cobra_gdel.exceptions.MissingInputError
            An unseen target without a SMILES.
        ValueError
            An invalid SMILES (the message names *target*).
        """
        self._check_fitted()
        genes = list(self.genes_ if genes is None else genes)
        zm = self._target_latents([target], {target: smiles} if smiles else {}, strict=True)
        return pd.Series(self._proba(zm, genes, sequences)[0], index=pd.Index(genes, name="gene"), name=target)

    def predict_frame(self, dataset: Any, targets: Sequence[str] | None = None) -> pd.DataFrame:
        """P(deleted) for *targets* (default: the dataset's) × the dataset's genes;
        a target without a latent or SMILES gets the prior."""
        self._check_fitted()
        targets = list(dataset.targets if targets is None else targets)
        zm = self._target_latents(targets, dataset.smiles, strict=False)
        return pd.DataFrame(self._proba(zm, dataset.genes, dataset.sequences),
                            index=pd.Index(targets, name="metabolite"),
                            columns=pd.Index(dataset.genes, name="gene"))

    # ---------------------------------------------------------------- persistence
    def _get_state(self) -> dict[str, Any]:
        return {
            "state_dict": {k: v.detach().cpu() for k, v in self.net_.state_dict().items()},
            "gene_ids": list(self.genes_),
            "gene_latents": self.gene_latents_.cpu(),
            "gene_prior_logit": self.gene_prior_logit_.cpu(),
            "default_prior_logit": float(self.default_prior_logit_),
            "metabolite_ids": list(self.metabolites_),
            "metabolite_latents": self.metabolite_latents_.cpu(),
            "training": dict(self.training_),
        }

    def _set_state(self, state: Mapping[str, Any], device: str | None) -> None:
        self.genes_ = list(state["gene_ids"])
        net = self._net(len(self.genes_))
        net.load_state_dict(state["state_dict"], strict=True)
        self.net_ = net.to(self.device_).eval()
        self.gene_latents_ = state["gene_latents"].float()
        self.gene_prior_logit_ = state["gene_prior_logit"].float()
        self.default_prior_logit_ = float(state["default_prior_logit"])
        self.metabolites_ = list(state["metabolite_ids"])
        self.metabolite_latents_ = state["metabolite_latents"].float()
        self.training_ = dict(state["training"])
        n = len(self.genes_)
        if self.gene_latents_.shape[0] != n or len(self.gene_prior_logit_) != n:
            raise ValueError("gene arrays do not match the gene ids")
        if self.metabolite_latents_.shape[0] != len(self.metabolites_):
            raise ValueError("metabolite latents do not match the metabolite ids")
        self._met_index = {m: i for i, m in enumerate(self.metabolites_)}
