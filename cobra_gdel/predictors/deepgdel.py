"""DeepGDel (paper: Meta-M, Gene-M and Pred-M), with faithful and fast training modes."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from torch import nn

from ..features import canonical_smiles_map
from .torch_pair import PairNet, TorchPairPredictor
from .torch_utils import Dropout, length_chunks, make_generators, masked_mean, reset_default_parameters

logger = logging.getLogger(__name__)

__all__ = ["SeqAutoencoder", "DeepGDelNet", "DeepGDelPredictor"]

_MODES = ("joint", "pretrained")


class SeqAutoencoder(nn.Module):
    """LSTM autoencoder of a token sequence (Meta-M or Gene-M).

    Encoder: embedding (``<pad>`` = 0 gets no gradient) → unidirectional LSTM →
    LayerNorm on every output → mean over the real time steps (padding masked) = the
    latent ``z``. Sequences are right-padded and the LSTM runs forward, so the outputs at
    real positions never see padding: the latent does not depend on how much padding a
    batch adds. (``pack_padded_sequence`` would give the same result but its backward
    pass is ~10× slower on CPU; length-bucketed batches keep padding small instead.) Decoder: an LSTM whose initial hidden *and* cell states
    are ``z`` and whose input at every step is ``z``; a linear layer maps its outputs to
    token logits. The reconstruction loss is the token cross-entropy on those logits,
    padding ignored.

    Parameters
    ----------
    vocab_size : int
    embedding_dim : int
        32 in the paper.
    hidden_dim : int
        LSTM hidden size = latent size; 64 in the paper.
    """

    def __init__(self, vocab_size: int, embedding_dim: int = 32, hidden_dim: int = 64) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        self.encoder = nn.LSTM(embedding_dim, hidden_dim, batch_first=True)
        self.norm = nn.LayerNorm(hidden_dim)
        self.decoder = nn.LSTM(hidden_dim, hidden_dim, batch_first=True)
        self.output = nn.Linear(hidden_dim, vocab_size)

    def encode(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Latents (n, hidden_dim) of right-padded *tokens* (n, L) with *lengths* (n,)."""
        out, _ = self.encoder(self.embedding(tokens))
        return masked_mean(self.norm(out), lengths)

    def decode_logits(self, z: torch.Tensor, lengths: torch.Tensor, width: int) -> torch.Tensor:
        """Token logits (n, width, vocab) decoded from latents *z* (n, hidden_dim)."""
        inp = z[:, None, :].expand(-1, width, -1)
        state = (z[None].contiguous(), z[None].contiguous())
        out, _ = self.decoder(inp, state)
        return self.output(out)

    def reconstruction_loss(self, z: torch.Tensor, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Mean token cross-entropy of reconstructing *tokens* from *z* (padding ignored)."""
        logits = self.decode_logits(z, lengths, tokens.shape[1])
        return nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), tokens.reshape(-1), ignore_index=0
        )


class DeepGDelNet(PairNet):
    """Meta-M + Gene-M autoencoders and the Pred-M head.

    Pred-M: ``z = z_met ⊙ z_gene`` (element-wise) → Linear → ReLU → Dropout → Linear
    → logit. Before the product each latent may be standardised per dimension with
    fixed statistics (buffers; identity by default; the fast path sets them from the
    pre-trained latents of all sequences, which needs no label). With ``zero_init_head`` the last layer starts at zero (used by the
    prior-residual variant, which then starts exactly at the frequency prior).
    """

    def __init__(
        self,
        n_smiles_tokens: int,
        n_gene_tokens: int,
        embedding_dim: int = 32,
        hidden_dim: int = 64,
        head_hidden: int = 64,
        dropout: float = 0.1,
        zero_init_head: bool = False,
    ) -> None:
        super().__init__()
        self.meta = SeqAutoencoder(n_smiles_tokens, embedding_dim, hidden_dim)
        self.gene = SeqAutoencoder(n_gene_tokens, embedding_dim, hidden_dim)
        self.head = nn.Sequential(
            nn.Linear(hidden_dim, head_hidden), nn.ReLU(), Dropout(dropout), nn.Linear(head_hidden, 1)
        )
        self.zero_init_head = zero_init_head
        if zero_init_head:
            nn.init.zeros_(self.head[-1].weight)
            nn.init.zeros_(self.head[-1].bias)
        # Fixed (non-learned) standardisation of the latents fed to Pred-M; identity
        # unless set from label-free pre-training statistics (see set_standardisation).
        for kind in ("met", "gene"):
            self.register_buffer(f"{kind}_shift", torch.zeros(hidden_dim))
            self.register_buffer(f"{kind}_scale", torch.ones(hidden_dim))

    @torch.no_grad()
    def reset_parameters(self, generator: torch.Generator) -> None:
        """Initialise as the constructor does, drawing from *generator*."""
        reset_default_parameters(self, generator)
        if self.zero_init_head:
            nn.init.zeros_(self.head[-1].weight)
            nn.init.zeros_(self.head[-1].bias)
        for kind in ("met", "gene"):
            getattr(self, f"{kind}_shift").zero_()
            getattr(self, f"{kind}_scale").fill_(1.0)

    @torch.no_grad()
    def set_standardisation(self, zm: torch.Tensor, zg: torch.Tensor) -> None:
        """Standardise Pred-M's inputs with per-dimension statistics of *zm*, *zg*.

        Gene latents are centred and scaled; metabolite latents are only scaled (not
        centred), so their common component survives the product and Pred-M can still
        express a per-gene bias ``common ⊙ z_gene`` beside the target-specific part.
        """
        self.met_scale.copy_(zm.std(0).clamp(min=1e-3))
        self.gene_shift.copy_(zg.mean(0))
        self.gene_scale.copy_(zg.std(0).clamp(min=1e-3))

    def _pred_input(self, zm: torch.Tensor, zg: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return (zm - self.met_shift) / self.met_scale, (zg - self.gene_shift) / self.gene_scale

    def encode_metabolites(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.meta.encode(tokens, lengths)

    def encode_genes(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.gene.encode(tokens, lengths)

    def pair_logits(self, zm: torch.Tensor, zg: torch.Tensor) -> torch.Tensor:
        zm, zg = self._pred_input(zm, zg)
        return self.head(zm[:, None, :] * zg[None, :, :]).squeeze(-1)

    def pair_logits_flat(self, zm: torch.Tensor, zg: torch.Tensor) -> torch.Tensor:
        zm, zg = self._pred_input(zm, zg)
        return self.head(zm * zg).squeeze(-1)

    def reconstruction_loss(self, kind, z, tokens, lengths):
        ae = self.meta if kind == "smiles" else self.gene
        return ae.reconstruction_loss(z, tokens, lengths)


class DeepGDelPredictor(TorchPairPredictor):
    """DeepGDel: LSTM autoencoders of SMILES and protein sequences, element-wise product,
    MLP classifier.

    Parameters
    ----------
    mode : {"joint", "pretrained"}
        ``"joint"`` (faithful to the paper): every part is trained together from scratch
        on ``BCE + rec_weight * (reconstruction_met + reconstruction_gene)`` with Adam.
        ``"pretrained"`` (fast path): Meta-M and Gene-M are first trained as
        autoencoders on sequences alone (:meth:`pretrain`, no labels; every SMILES of the
        dataset and every gene), their latents are cached, Pred-M is fitted on the
        cached latents, then optionally ``finetune_epochs`` of joint training follow.
    embedding_dim, hidden_dim : int
        32 and 64 (the paper).
    head_hidden : int
        Width of Pred-M's hidden layer.
    dropout : float
        Dropout in Pred-M.
    rec_weight : float
        Weight of each reconstruction term in the joint loss.
    epochs : int
        Maximum epochs of the supervised phase (the paper trains 100).
    pretrain_epochs : int
        Autoencoder epochs in ``"pretrained"`` mode.
    finetune_epochs : int
        Joint epochs after the head in ``"pretrained"`` mode (0 = none).
    lr : float
        Adam learning rate.
    target_batch : int
        Targets per step (each step pairs them with one gene chunk).
    gene_batch : int
        Genes per chunk (chunks are length-bucketed).
    pair_batch : int
        (target, gene) pairs per step when Pred-M is fitted on cached latents.
    patience : int
        Early-stopping patience (epochs without a better validation BCE).
    val_fraction : float
        Fraction of the training targets held out for early stopping.
    gene_max_len : int or None
        Proteins are truncated to their first ``gene_max_len`` residues (default 1000).
    smiles_max_len : int or None
        SMILES truncation (default None: none).
    prior_residual : bool
        Add the logit of the gene's (Laplace-smoothed) training deletion share to
        Pred-M's logit, with Pred-M's last layer initialised at zero: the model starts
        at the frequency prior and learns a target-specific correction (the
        ``"deepgdel_res"`` variant; not in the paper).
    standardize : bool
        ``"pretrained"`` mode only: after pre-training, standardise each latent
        dimension (mean 0, std 1 over all pre-training genes / metabolites) before
        Pred-M's product. The pre-trained mean-pooled latents share a large common
        component, so without it Pred-M barely tells genes apart. Label-free.
    random_state : int
        Seed of the initial weights, the dropout masks, the validation split and the
        shuffles (local generators: torch's global generator is left alone).
    device : {"auto", "cpu", "cuda"}
    progress : bool
        tqdm progress bars (off by default).

    Notes
    -----
    Hyper-parameters are stored as given and checked by :meth:`fit` (and
    :meth:`pretrain`): an unknown ``mode`` or an unknown or unavailable ``device``
    raises ValueError there.
    """

    name = "deepgdel"
    _uses_reconstruction = True

    def __init__(
        self,
        mode: str = "joint",
        embedding_dim: int = 32,
        hidden_dim: int = 64,
        head_hidden: int = 64,
        dropout: float = 0.1,
        rec_weight: float = 1.0,
        epochs: int = 100,
        pretrain_epochs: int = 20,
        finetune_epochs: int = 0,
        lr: float = 1e-3,
        target_batch: int = 64,
        gene_batch: int = 64,
        pair_batch: int = 1024,
        patience: int = 10,
        val_fraction: float = 0.1,
        gene_max_len: int | None = 1000,
        smiles_max_len: int | None = None,
        prior_residual: bool = False,
        standardize: bool = True,
        random_state: int = 0,
        device: str = "auto",
        progress: bool = False,
    ) -> None:
        self.mode = mode
        self.embedding_dim = embedding_dim
        self.hidden_dim = hidden_dim
        self.head_hidden = head_hidden
        self.dropout = dropout
        self.rec_weight = rec_weight
        self.pretrain_epochs = pretrain_epochs
        self.finetune_epochs = finetune_epochs
        self.standardize = standardize
        self._common_init(
            epochs=epochs, lr=lr, target_batch=target_batch, gene_batch=gene_batch, pair_batch=pair_batch, patience=patience,
            val_fraction=val_fraction, gene_max_len=gene_max_len, smiles_max_len=smiles_max_len,
            prior_residual=prior_residual, random_state=random_state, device=device,
            progress=progress,
        )

    def _build_net(self, n_smiles_tokens: int, n_gene_tokens: int) -> DeepGDelNet:
        return DeepGDelNet(
            n_smiles_tokens, n_gene_tokens, self.embedding_dim, self.hidden_dim,
            self.head_hidden, self.dropout, zero_init_head=self.prior_residual,
        )

    def _rec_weight(self) -> float:
        return self.rec_weight

    def _validate_params(self) -> None:
        if self.mode not in _MODES:
            raise ValueError(f"mode must be one of {_MODES}, not {self.mode!r}")
        super()._validate_params()

    # ---------------------------------------------------------------- pre-training
    def pretrain(self, smiles: Mapping[str, str | None], sequences: Mapping[str, str]) -> DeepGDelPredictor:
        """Train Meta-M and Gene-M as autoencoders on sequences alone (no labels).

        Uses no strategy, so pre-training on every SMILES and protein of a model leaks
        nothing into a cross-validation test fold. Builds the vocabularies and the
        network; a later :meth:`fit` in ``"pretrained"`` mode keeps both.

        Parameters
        ----------
        smiles : mapping
            Metabolite id → SMILES (None/invalid entries are skipped).
        sequences : mapping
            Gene id → protein sequence.

        Returns
        -------
        self
        """
        from tqdm.auto import tqdm

        self._validate_params()
        init_gen, _ = make_generators(self.random_state, self.device_)
        canon = canonical_smiles_map(smiles)
        self._build_vocabularies(canon, sequences)
        self.net_ = self._new_net(init_gen)
        dev = self.device_
        rng = np.random.default_rng(self.random_state + 3)
        losses: dict[str, float] = {}
        for kind, seqs, ae in (
            ("smiles", sorted({s for s in canon.values() if s}), self.net_.meta),
            ("genes", sorted({s for s in sequences.values() if s}), self.net_.gene),
        ):
            seqs = list(seqs) + [None]  # the placeholder gets a latent too
            lengths = [len(s) if s else 1 for s in seqs]
            chunks = [self._encode_tokens([seqs[i] for i in c], kind) for c in length_chunks(lengths, 64)]
            opt = torch.optim.Adam(ae.parameters(), lr=self.lr)
            bar = tqdm(range(self.pretrain_epochs), desc=f"pretrain {kind}", disable=not self.progress, leave=False)
            for _ in bar:
                total = 0.0
                for ci in rng.permutation(len(chunks)):
                    tok, ln = chunks[ci]
                    tok = tok.to(dev)
                    loss = ae.reconstruction_loss(ae.encode(tok, ln), tok, ln)
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    total += float(loss.detach())
                losses[kind] = total / len(chunks)
                bar.set_postfix(rec=f"{losses[kind]:.4f}")
            logger.info("pre-trained %s autoencoder: reconstruction loss %.4f", kind, losses[kind])
        self.net_.eval()
        if self.standardize:
            zm = self._latents(sorted({s for s in canon.values() if s}) + [None], "smiles")
            zg = self._latents(sorted({s for s in sequences.values() if s}) + [None], "genes")
            self.net_.set_standardisation(zm.to(dev), zg.to(dev))
        self.pretrained_ = True
        self.pretrain_losses_ = losses
        return self

    def _fit_impl(self, ctx: dict[str, Any]) -> dict[str, Any]:
        if self.mode == "joint":
            info = super()._fit_impl(ctx)
            info["mode"] = "joint"
            return info
        if not getattr(self, "pretrained_", False):  # pragma: no cover - fit() builds the net first
            raise RuntimeError("pretrained mode needs pretrain() first")
        zg = self._latents(ctx["gene_seqs"], "genes")
        zm = self._latents(ctx["target_seqs"], "smiles")
        info = self._head_epochs(
            zm, zg, ctx["y"], ctx["train_idx"], ctx["val_idx"], list(self.net_.head.parameters()),
            self.epochs, self.lr, "deepgdel head",
        )
        info["mode"] = "pretrained"
        if self.finetune_epochs:
            ft = self._joint_epochs(
                ctx["target_seqs"], ctx["y"], ctx["gene_seqs"], ctx["train_idx"], ctx["val_idx"],
                self.finetune_epochs, self.lr * 0.1, self.rec_weight, "deepgdel finetune",
            )
            info.update({f"finetune_{k}": v for k, v in ft.items()})
            info["mode"] = "pretrained+finetune"
        info["pretrain_losses"] = dict(getattr(self, "pretrain_losses_", {}))
        return info

    def fit(self, dataset: Any) -> DeepGDelPredictor:
        """Train on *dataset* (see the class docstring for the two modes).

        In ``"pretrained"`` mode, :meth:`pretrain` runs first on the dataset's SMILES and
        sequences unless it was already called (cross-validation calls it once per model
        and copies the result into every fold).
        """
        self._validate_params()
        if self.mode == "joint":
            self.pretrained_ = False
        elif not getattr(self, "pretrained_", False):
            self.pretrain(dataset.smiles, dataset.sequences)
        return super().fit(dataset)
