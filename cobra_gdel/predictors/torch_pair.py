"""Shared machinery of the learned (PyTorch) predictors.

A learned predictor has two encoders (metabolite SMILES → latent, protein sequence →
latent) and a pair head (target latent, gene latent → logit of P(deleted)). Training
batches are *targets × genes*: each step encodes one length-bucketed chunk of genes
and a batch of target SMILES **once** and scores every (target, gene) pair between
them, so a pair never re-encodes its sequences (see ``benchmarks/training.py``).
After training, the latents of every training gene and of every metabolite with a
SMILES in the dataset (labelled or not) are cached, so inference for those needs
no sequence at all (inference and persistence of the latents:
:class:`~cobra_gdel.predictors.latent.LatentPairPredictor`).

A seeded fit (``random_state``) draws the initial weights and the dropout masks from
local :class:`torch.Generator` objects and the shuffles from
:func:`numpy.random.default_rng`; torch's global generator is never touched.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from ..features import Vocabulary, canonical_smiles_map, encode_batch, gene_sequences
from .latent import LatentPairPredictor
from .torch_utils import (
    EarlyStopping,
    build_module,
    dropout_generator,
    length_chunks,
    make_generators,
)

logger = logging.getLogger(__name__)

__all__ = ["PairNet", "TorchPairPredictor"]


class PairNet(nn.Module):
    """Interface of the networks: two encoders and a pair head."""

    def reset_parameters(self, generator: torch.Generator) -> None:  # pragma: no cover
        """Initialise every parameter and buffer, drawing from *generator*."""
        raise NotImplementedError

    def encode_metabolites(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def encode_genes(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def pair_logits(self, zm: torch.Tensor, zg: torch.Tensor) -> torch.Tensor:
        """Logits, shape (n_targets, n_genes)."""
        raise NotImplementedError

    def pair_logits_flat(self, zm: torch.Tensor, zg: torch.Tensor) -> torch.Tensor:
        """Logits of aligned pairs: row i of *zm* with row i of *zg*, shape (n,)."""
        raise NotImplementedError

    def reconstruction_loss(
        self, kind: str, z: torch.Tensor, tokens: torch.Tensor, lengths: torch.Tensor
    ) -> torch.Tensor | None:
        """Token cross-entropy of decoding *z* back to *tokens* (None: no decoder)."""
        return None


class TorchPairPredictor(LatentPairPredictor):
    """Base of the learned sequence predictors (see the module docstring).

    Subclasses define ``_build_net`` and their hyper-parameters; the common ones are
    documented on the concrete classes.
    """

    # ---------------------------------------------------------------- setup
    def _common_init(
        self,
        *,
        epochs: int,
        lr: float,
        target_batch: int,
        gene_batch: int,
        pair_batch: int,
        patience: int,
        val_fraction: float,
        gene_max_len: int | None,
        smiles_max_len: int | None,
        prior_residual: bool,
        random_state: int,
        device: str,
        progress: bool,
    ) -> None:
        """Store the common hyper-parameters unchanged (validated by ``fit``)."""
        self.epochs = epochs
        self.lr = lr
        self.target_batch = target_batch
        self.gene_batch = gene_batch
        self.pair_batch = pair_batch
        self.patience = patience
        self.val_fraction = val_fraction
        self.gene_max_len = gene_max_len
        self.smiles_max_len = smiles_max_len
        self.prior_residual = prior_residual
        self.random_state = random_state
        self.device = device
        self.progress = progress

    def _build_net(self, n_smiles_tokens: int, n_gene_tokens: int) -> PairNet:  # pragma: no cover
        raise NotImplementedError

    def _new_net(self, generator: torch.Generator | None) -> PairNet:
        """The network for the current vocabularies, on the device: initialised from
        *generator*, or uninitialised (None) for ``load_state_dict``."""
        n_smiles, n_genes = len(self.smiles_vocab_), len(self.gene_vocab_)
        net = build_module(lambda: self._build_net(n_smiles, n_genes), generator)
        return net.to(self.device_)

    # ---------------------------------------------------------------- data prep
    def _build_vocabularies(self, smiles: Mapping[str, str | None], sequences: Mapping[str, str]) -> None:
        self.smiles_vocab_ = Vocabulary.build(smiles.values())
        self.gene_vocab_ = Vocabulary.build(sequences.values())

    def _encode_tokens(self, seqs: Sequence[str | None], kind: str) -> tuple[torch.Tensor, torch.Tensor]:
        vocab = self.smiles_vocab_ if kind == "smiles" else self.gene_vocab_
        max_len = self.smiles_max_len if kind == "smiles" else self.gene_max_len
        return encode_batch(seqs, vocab, max_len)

    @torch.no_grad()
    def _latents(self, seqs: Sequence[str | None], kind: str, batch: int = 256) -> torch.Tensor:
        """Encode sequences in length-sorted chunks (eval mode); returns (n, d) on CPU."""
        net = self.net_
        was_training = net.training
        net.eval()
        lengths = [len(s) if s else 1 for s in seqs]
        out: list[torch.Tensor | None] = [None] * len(seqs)
        enc = net.encode_metabolites if kind == "smiles" else net.encode_genes
        for chunk in length_chunks(lengths, batch):
            tok, ln = self._encode_tokens([seqs[i] for i in chunk], kind)
            z = enc(tok.to(self.device_), ln).cpu()
            for row, i in enumerate(chunk):
                out[i] = z[row]
        net.train(was_training)
        if not seqs:
            return torch.zeros((0, 0))
        return torch.stack(out)  # type: ignore[arg-type]

    def _encode_smiles(self, smiles: Sequence[str | None]) -> torch.Tensor:
        return self._latents(smiles, "smiles")

    def _encode_new_genes(self, genes: Sequence[str], sequences: Mapping[str, str]) -> torch.Tensor:
        return self._latents(gene_sequences(genes, sequences), "genes")

    def _apply_prior(self, logits: torch.Tensor, prior: torch.Tensor | None) -> torch.Tensor:
        if self.prior_residual and prior is not None:
            return logits + prior.to(logits.device)[None, :]
        return logits

    @torch.no_grad()
    def _pair_proba(self, zm: torch.Tensor, zg: torch.Tensor, prior: torch.Tensor) -> np.ndarray:
        self.net_.eval()
        dev = self.device_
        rows = []
        for i in range(0, zm.shape[0], 64):
            logits = self._apply_prior(self.net_.pair_logits(zm[i : i + 64].to(dev), zg.to(dev)), prior)
            rows.append(torch.sigmoid(logits).cpu())
        return torch.cat(rows).double().numpy()

    # ---------------------------------------------------------------- training
    def _split_validation(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(self.random_state)
        order = rng.permutation(n)
        n_val = int(round(self.val_fraction * n)) if self.val_fraction > 0 and n >= 5 else 0
        if self.val_fraction > 0 and n >= 5:
            n_val = max(1, n_val)
        return np.sort(order[n_val:]), np.sort(order[:n_val])

    def _joint_epochs(
        self,
        target_seqs: list[str | None],
        y: torch.Tensor,
        gene_seqs: list[str | None],
        train_idx: np.ndarray,
        val_idx: np.ndarray,
        epochs: int,
        lr: float,
        rec_weight: float,
        desc: str,
    ) -> dict[str, Any]:
        """Train every parameter (encoders + head) on targets × genes batches.

        An epoch visits every (gene chunk, target batch) combination once, so every
        training pair is scored once per epoch. Each step encodes its length-bucketed
        gene chunk and its batch of target SMILES once and scores all their pairs.
        Early stopping on the validation targets' BCE.
        """
        from tqdm.auto import tqdm

        dev = self.device_
        net = self.net_
        opt = torch.optim.Adam(net.parameters(), lr=lr)
        rng = np.random.default_rng(self.random_state + 1)
        g_len = [len(s) if s else 1 for s in gene_seqs]
        g_chunks = [
            (c, *self._encode_tokens([gene_seqs[i] for i in c], "genes"))
            for c in length_chunks(g_len, self.gene_batch)
        ]
        t_tok, t_len = self._encode_tokens(target_seqs, "smiles")
        prior = self.gene_prior_logit_
        bce = nn.BCEWithLogitsLoss()
        stopper = EarlyStopping(self.patience, active=len(val_idx) > 0)
        bar = tqdm(range(epochs), desc=desc, disable=not self.progress, leave=False)
        for _epoch in bar:
            net.train()
            total = 0.0
            n_steps = 0
            for ci in rng.permutation(len(g_chunks)):
                cidx, gtok, glen = g_chunks[ci]
                gtok = gtok.to(dev)
                order = rng.permutation(train_idx)
                for start in range(0, len(order), self.target_batch):
                    tb = order[start : start + self.target_batch]
                    tlen = t_len[tb]
                    ttok = t_tok[tb][:, : int(tlen.max())].to(dev)
                    zg = net.encode_genes(gtok, glen)  # once per step, shared by all its pairs
                    zm = net.encode_metabolites(ttok, tlen)
                    logits = self._apply_prior(net.pair_logits(zm, zg), prior[cidx])
                    loss = bce(logits, y[tb][:, cidx].to(dev))
                    if rec_weight:
                        rm = net.reconstruction_loss("smiles", zm, ttok, tlen)
                        rg = net.reconstruction_loss("genes", zg, gtok, glen)
                        loss = loss + rec_weight * sum(r for r in (rm, rg) if r is not None)
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    total += float(loss.detach())
                    n_steps += 1
            val = self._val_loss(t_tok, t_len, y, gene_seqs, val_idx) if len(val_idx) else total
            bar.set_postfix(loss=f"{total / max(n_steps, 1):.4f}", val=f"{val:.4f}")
            if stopper.step(val, net):
                break
        return stopper.finish(net)

    @torch.no_grad()
    def _val_loss(self, t_tok, t_len, y, gene_seqs, val_idx) -> float:
        zg = self._latents(gene_seqs, "genes").to(self.device_)
        self.net_.eval()
        tok, ln = t_tok[val_idx], t_len[val_idx]
        zm = self.net_.encode_metabolites(tok[:, : int(ln.max())].to(self.device_), ln)
        logits = self._apply_prior(self.net_.pair_logits(zm, zg), self.gene_prior_logit_)
        self.net_.train()
        return float(nn.functional.binary_cross_entropy_with_logits(logits, y[val_idx].to(self.device_)))

    def _head_epochs(
        self,
        zm: torch.Tensor,
        zg: torch.Tensor,
        y: torch.Tensor,
        train_idx: np.ndarray,
        val_idx: np.ndarray,
        params: list[nn.Parameter],
        epochs: int,
        lr: float,
        desc: str,
    ) -> dict[str, Any]:
        """Train only the pair head on fixed (cached) latents, early-stopped on validation."""
        from tqdm.auto import tqdm

        dev = self.device_
        net = self.net_
        zm, zg, y = zm.to(dev), zg.to(dev), y.to(dev)
        prior = self.gene_prior_logit_
        opt = torch.optim.Adam(params, lr=lr)
        rng = np.random.default_rng(self.random_state + 2)
        bce = nn.BCEWithLogitsLoss()
        stopper = EarlyStopping(self.patience, active=len(val_idx) > 0)
        bar = tqdm(range(epochs), desc=desc, disable=not self.progress, leave=False)
        n_genes = zg.shape[0]
        pairs = np.stack(np.meshgrid(train_idx, np.arange(n_genes), indexing="ij"), -1).reshape(-1, 2)
        for _epoch in bar:
            net.train()
            order = rng.permutation(len(pairs))
            for i in range(0, len(order), self.pair_batch):
                ti, gi = torch.from_numpy(pairs[order[i : i + self.pair_batch]]).to(dev).unbind(1)
                logit = net.pair_logits_flat(zm[ti], zg[gi])
                if self.prior_residual:
                    logit = logit + prior.to(dev)[gi]
                loss = bce(logit, y[ti, gi])
                opt.zero_grad()
                loss.backward()
                opt.step()
            if len(val_idx):
                net.eval()
                with torch.no_grad():
                    val = float(bce(self._apply_prior(net.pair_logits(zm[val_idx], zg), prior), y[val_idx]))
            else:
                val = float(loss)
            bar.set_postfix(val=f"{val:.4f}")
            if stopper.step(val, net):
                break
        result = stopper.finish(net)
        net.eval()
        return result

    def _fit_impl(self, ctx: dict[str, Any]) -> dict[str, Any]:
        """Default training: joint (all parameters) with early stopping."""
        return self._joint_epochs(
            ctx["target_seqs"], ctx["y"], ctx["gene_seqs"], ctx["train_idx"], ctx["val_idx"],
            self.epochs, self.lr, self._rec_weight(), f"{self.name} fit",
        )

    def _rec_weight(self) -> float:
        return 0.0

    def fit(self, dataset: Any) -> TorchPairPredictor:
        """Train on every (target, gene) pair of *dataset*.

        10 % (``val_fraction``) of the dataset's targets are held out for early stopping
        (on their BCE); the weights of the best validation epoch are kept. After training,
        the latents of all genes and of every metabolite with a SMILES are cached.

        Returns
        -------
        self

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
        targets, genes = list(labels.index), list(labels.columns)
        init_gen, dropout_gen = make_generators(self.random_state, self.device_)
        smiles = canonical_smiles_map(dataset.smiles, targets)
        missing = [t for t in targets if not smiles.get(t)]
        if missing:
            logger.info("%d target(s) without a SMILES use the placeholder: %s", len(missing), missing[:20])
        if not getattr(self, "pretrained_", False):
            self._build_vocabularies(smiles, dataset.sequences)
            self.net_ = self._new_net(init_gen)
        self._fit_prior_logits(labels)
        gene_seqs = gene_sequences(genes, dataset.sequences)
        target_seqs = [smiles.get(t) for t in targets]
        train_idx, val_idx = self._split_validation(len(targets))
        y = torch.tensor(labels.to_numpy(), dtype=torch.float32)
        ctx = dict(target_seqs=target_seqs, gene_seqs=gene_seqs, y=y, train_idx=train_idx, val_idx=val_idx)
        with dropout_generator(self.net_, dropout_gen):
            self.training_ = self._fit_impl(ctx)
        self.net_.eval()
        self.genes_ = genes
        self.gene_latents_ = self._latents(gene_seqs, "genes")
        self.metabolites_ = [m for m, s in smiles.items() if s] + [t for t in targets if not smiles.get(t)]
        self.metabolite_latents_ = self._latents([smiles.get(m) for m in self.metabolites_], "smiles")
        self._index_metabolites()
        return self

    # ---------------------------------------------------------------- persistence
    def _get_state(self) -> dict[str, Any]:
        return {
            "smiles_vocab": self.smiles_vocab_.to_dict(),
            "gene_vocab": self.gene_vocab_.to_dict(),
            "state_dict": {k: v.detach().cpu() for k, v in self.net_.state_dict().items()},
            **self._latent_state(),
            "pretrained": bool(getattr(self, "pretrained_", False)),
        }

    def _set_state(self, state: Mapping[str, Any], device: str | None) -> None:
        self.smiles_vocab_ = Vocabulary.from_dict(state["smiles_vocab"])
        self.gene_vocab_ = Vocabulary.from_dict(state["gene_vocab"])
        net = self._new_net(None)
        net.load_state_dict(state["state_dict"], strict=True)
        self.net_ = net.eval()
        self._set_latent_state(state)
        self.pretrained_ = bool(state.get("pretrained", False))
