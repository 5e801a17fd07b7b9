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
Inference and persistence of the latents are those of
:class:`~cobra_gdel.predictors.latent.LatentPairPredictor`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from ..features import DIPEPTIDES, canonical_smiles, dipeptide_composition, morgan_fingerprints
from .latent import LatentPairPredictor
from .torch_utils import (
    Dropout,
    build_module,
    dropout_generator,
    make_generators,
    reset_default_parameters,
)

logger = logging.getLogger(__name__)

__all__ = ["FingerprintNet", "FingerprintNetPredictor"]


class FingerprintNet(nn.Module):
    """The two encoders and the pair score (see the module docstring)."""

    def __init__(self, n_bits: int, n_genes: int, latent_dim: int, hidden_dim: int, dropout: float) -> None:
        super().__init__()
        self.metabolite = nn.Sequential(
            Dropout(dropout), nn.Linear(n_bits, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, latent_dim)
        )
        self.gene_id = nn.Parameter(0.01 * torch.randn(n_genes, latent_dim))
        self.gene_seq = nn.Linear(len(DIPEPTIDES), latent_dim, bias=False)
        nn.init.zeros_(self.gene_seq.weight)

    @torch.no_grad()
    def reset_parameters(self, generator: torch.Generator) -> None:
        """Initialise as the constructor does, drawing from *generator*."""
        reset_default_parameters(self.metabolite, generator)
        self.gene_id.copy_(0.01 * torch.randn(self.gene_id.shape, generator=generator))
        reset_default_parameters(self.gene_seq, generator)
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


class FingerprintNetPredictor(LatentPairPredictor):
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
    random_state : int
        Seed of the initial weights and the dropout masks (local generators: torch's
        global generator is left alone).
    device : str
        ``"cpu"``, ``"cuda"`` or ``"auto"`` (checked by :meth:`fit` and ``load``).
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
        random_state: int = 0,
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
        self.random_state = random_state
        self.device = device

    def _net(self, n_genes: int) -> FingerprintNet:
        return FingerprintNet(self.n_bits, n_genes, self.latent_dim, self.hidden_dim, self.dropout)

    # ---------------------------------------------------------------- training
    def fit(self, dataset: Any) -> FingerprintNetPredictor:
        """Train on *dataset* (targets without a SMILES train the gene part only
        through the prior; they are left out of the pairs).

        Raises
        ------
        ValueError
            An invalid hyper-parameter (e.g. an unknown or unavailable ``device``), a
            dataset without targets, or an invalid SMILES of a target.
        """
        self._validate_params()
        labels = dataset.labels
        if labels.shape[0] == 0:
            raise ValueError("cannot fit on a dataset without targets")
        targets = list(labels.index)
        smiles = {t: dataset.smiles.get(t) for t in targets}
        canon = {t: canonical_smiles(s, t) if s else None for t, s in smiles.items()}
        self.genes_ = list(labels.columns)
        self._fit_prior_logits(labels)
        comp = torch.from_numpy(dipeptide_composition([dataset.sequences.get(g) for g in self.genes_]))
        with_smiles = [i for i, t in enumerate(targets) if canon[t]]
        init_gen, dropout_gen = make_generators(self.random_state, self.device_)
        net = build_module(lambda: self._net(len(self.genes_)), init_gen).to(self.device_)
        losses: list[float] = []
        if with_smiles:
            x = _fingerprints([canon[targets[i]] for i in with_smiles], self.radius, self.n_bits)
            y = labels.to_numpy(dtype=np.float32)[with_smiles]
            with dropout_generator(net, dropout_gen):
                losses = self._train(net, torch.from_numpy(x), torch.from_numpy(y), comp)
        self.net_ = net.eval()
        dev = self.device_
        with torch.no_grad():
            self.gene_latents_ = net.encode_genes(comp.to(dev), torch.arange(len(self.genes_), device=dev)).cpu()
        self.training_ = {"mode": "supervised", "epochs": self.epochs, "n_pairs_targets": len(with_smiles),
                          "final_loss": losses[-1] if losses else None}
        self.metabolites_ = []
        self.metabolite_latents_ = torch.zeros((0, self.latent_dim))
        self._index_metabolites()
        self.embed_metabolites(dataset.smiles)  # targets' SMILES were validated above
        # labelled targets without a structure keep the zero latent: the frequency prior
        blank = [t for t in targets if not canon[t]]
        if blank:
            self.metabolite_latents_ = torch.cat([self.metabolite_latents_, torch.zeros((len(blank), self.latent_dim))])
            self.metabolites_ = self.metabolites_ + blank
            self._index_metabolites()
        logger.info("fpnet: %d targets, %d genes, final loss %.4f", len(targets), len(self.genes_),
                    losses[-1] if losses else float("nan"))
        return self

    def _train(self, net: FingerprintNet, x: torch.Tensor, y: torch.Tensor, comp: torch.Tensor) -> list[float]:
        """Full-batch AdamW epochs on fingerprints *x* × all genes; the losses."""
        dev = self.device_
        x, y, comp = x.to(dev), y.to(dev), comp.to(dev)
        prior = self.gene_prior_logit_.to(dev)
        rows = torch.arange(len(self.genes_), device=dev)
        opt = torch.optim.AdamW(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        net.train()
        losses = []
        for _ in range(self.epochs):
            opt.zero_grad()
            logits = net.encode_metabolites(x) @ net.encode_genes(comp, rows).T + prior
            loss = nn.functional.binary_cross_entropy_with_logits(logits, y)
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
        return losses

    # ---------------------------------------------------------------- encoders
    @torch.no_grad()
    def _encode_smiles(self, smiles: Sequence[str | None]) -> torch.Tensor:
        if not smiles:
            return torch.zeros((0, self.latent_dim))
        x = torch.from_numpy(_fingerprints(smiles, self.radius, self.n_bits)).to(self.device_)
        return self.net_.encode_metabolites(x).cpu()

    @torch.no_grad()
    def _encode_new_genes(self, genes: Sequence[str], sequences: Mapping[str, str]) -> torch.Tensor:
        """Genes not seen in training are embedded from their sequence alone (a gene
        without one gets the zero vector: the prior's mean)."""
        comp = dipeptide_composition([sequences.get(g) for g in genes])
        return self.net_.encode_genes(torch.from_numpy(comp).to(self.device_)).cpu()

    def _pair_proba(self, zm: torch.Tensor, zg: torch.Tensor, prior: torch.Tensor) -> np.ndarray:
        return torch.sigmoid(zm @ zg.T + prior[None, :]).double().numpy()

    def _blank_target_latent(self) -> torch.Tensor:
        """A target without a SMILES gets the zero latent: it is scored by the prior."""
        return torch.zeros(self.latent_dim)

    # ---------------------------------------------------------------- persistence
    def _get_state(self) -> dict[str, Any]:
        return {
            "state_dict": {k: v.detach().cpu() for k, v in self.net_.state_dict().items()},
            **self._latent_state(),
        }

    def _set_state(self, state: Mapping[str, Any], device: str | None) -> None:
        n_genes = len(state["gene_ids"])
        net = build_module(lambda: self._net(n_genes), None).to(self.device_)
        net.load_state_dict(state["state_dict"], strict=True)
        self.net_ = net.eval()
        self._set_latent_state(state)
