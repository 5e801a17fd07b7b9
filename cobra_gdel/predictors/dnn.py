"""The DeepGDel paper's DNN baseline (section IV-D)."""

from __future__ import annotations

import logging

import torch
from torch import nn

from .torch_pair import PairNet, TorchPairPredictor
from .torch_utils import Dropout, masked_mean, reset_default_parameters

logger = logging.getLogger(__name__)

__all__ = ["DNNNet", "DNNPredictor"]


class DNNNet(PairNet):
    """Separate embeddings of the two token sequences, concatenated, two ReLU layers.

    Each sequence is mapped by its own embedding layer and mean-pooled over its real
    tokens (padding masked) to one vector; the pair's two vectors are concatenated and
    passed through ``Linear → ReLU → Linear → ReLU → Linear`` (sigmoid in the loss /
    at prediction). The first layer is applied to each half separately and summed,
    which equals it applied to the concatenation but needs one pass per sequence.
    """

    def __init__(self, n_smiles_tokens: int, n_gene_tokens: int, embedding_dim: int = 32, hidden: int = 64,
                 dropout: float = 0.1) -> None:
        super().__init__()
        self.smiles_embedding = nn.Embedding(n_smiles_tokens, embedding_dim, padding_idx=0)
        self.gene_embedding = nn.Embedding(n_gene_tokens, embedding_dim, padding_idx=0)
        self.first_m = nn.Linear(embedding_dim, hidden)
        self.first_g = nn.Linear(embedding_dim, hidden, bias=False)
        self.rest = nn.Sequential(nn.ReLU(), Dropout(dropout), nn.Linear(hidden, hidden), nn.ReLU(),
                                  nn.Linear(hidden, 1))

    def reset_parameters(self, generator: torch.Generator) -> None:
        """Initialise as the constructor does, drawing from *generator*."""
        reset_default_parameters(self, generator)

    def encode_metabolites(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return masked_mean(self.smiles_embedding(tokens), lengths)

    def encode_genes(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return masked_mean(self.gene_embedding(tokens), lengths)

    def pair_logits(self, zm: torch.Tensor, zg: torch.Tensor) -> torch.Tensor:
        h = self.first_m(zm)[:, None, :] + self.first_g(zg)[None, :, :]
        return self.rest(h).squeeze(-1)

    def pair_logits_flat(self, zm: torch.Tensor, zg: torch.Tensor) -> torch.Tensor:
        return self.rest(self.first_m(zm) + self.first_g(zg)).squeeze(-1)


class DNNPredictor(TorchPairPredictor):
    """DNN baseline: BCE only, no reconstruction, trained on targets × genes batches.

    Parameters
    ----------
    embedding_dim : int
        Token embedding size (32).
    hidden : int
        Width of the two hidden layers.
    dropout : float
        Dropout between the hidden layers.

    Notes
    -----
    ``epochs``, ``lr``, ``target_batch``, ``gene_batch``, ``pair_batch``, ``patience``,
    ``val_fraction``, ``gene_max_len``, ``smiles_max_len``, ``prior_residual``,
    ``random_state``, ``device`` and ``progress`` are as for
    :class:`~cobra_gdel.predictors.deepgdel.DeepGDelPredictor` (checked by ``fit``).
    """

    name = "dnn"

    def __init__(
        self,
        embedding_dim: int = 32,
        hidden: int = 64,
        dropout: float = 0.1,
        epochs: int = 100,
        lr: float = 1e-3,
        target_batch: int = 16,
        gene_batch: int = 64,
        pair_batch: int = 1024,
        patience: int = 10,
        val_fraction: float = 0.1,
        gene_max_len: int | None = 1000,
        smiles_max_len: int | None = None,
        prior_residual: bool = False,
        random_state: int = 0,
        device: str = "auto",
        progress: bool = False,
    ) -> None:
        self.embedding_dim = embedding_dim
        self.hidden = hidden
        self.dropout = dropout
        self._common_init(
            epochs=epochs, lr=lr, target_batch=target_batch, gene_batch=gene_batch, pair_batch=pair_batch, patience=patience,
            val_fraction=val_fraction, gene_max_len=gene_max_len, smiles_max_len=smiles_max_len,
            prior_residual=prior_residual, random_state=random_state, device=device,
            progress=progress,
        )

    def _build_net(self, n_smiles_tokens: int, n_gene_tokens: int) -> DNNNet:
        return DNNNet(n_smiles_tokens, n_gene_tokens, self.embedding_dim, self.hidden, self.dropout)
