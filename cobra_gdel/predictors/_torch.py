"""Shared machinery of the learned (PyTorch) predictors.

A learned predictor has two encoders (metabolite SMILES → latent, protein sequence →
latent) and a pair head (target latent, gene latent → logit of P(deleted)). Training
batches are *targets × genes*: each step encodes one length-bucketed chunk of genes
and a batch of target SMILES **once** and scores every (target, gene) pair between
them, so a pair never re-encodes its sequences (see ``benchmarks/training.py``).
After training, the latents of every training gene and of every metabolite with a
SMILES in the dataset (labelled or not) are cached, so inference for those needs
no sequence at all.
"""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from ..exceptions import MissingInputError
from ..features import Vocabulary, canonical_smiles, encode_batch, gene_sequences
from .base import BasePredictor

logger = logging.getLogger(__name__)

_EPS = 1e-4


def resolve_device(device: str | torch.device | None) -> torch.device:
    """``"auto"`` → cuda if available else cpu; ``"cpu"``/``"cuda[:n]"`` as given.

    Raises
    ------
    ValueError
        For any other string, or ``"cuda"`` when CUDA is not available.
    """
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if isinstance(device, torch.device):
        return device
    if not isinstance(device, str) or not (device == "cpu" or device.split(":")[0] == "cuda"):
        raise ValueError(f"unknown device {device!r}; use 'auto', 'cpu' or 'cuda'")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested but CUDA is not available")
    return torch.device(device)


def masked_mean(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Mean over time of ``x`` (n, L, d), counting only the first ``lengths[i]`` steps."""
    steps = torch.arange(x.shape[1], device=x.device)
    mask = (steps[None, :] < lengths[:, None].to(x.device)).to(x.dtype)
    return (x * mask[..., None]).sum(1) / lengths.to(x.device, x.dtype).clamp(min=1)[:, None]


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def _length_chunks(lengths: Sequence[int], size: int) -> list[np.ndarray]:
    """Index chunks of at most *size*, sorted by length (bucketing against padding)."""
    order = np.argsort(np.asarray(lengths), kind="stable")
    return [order[i : i + size] for i in range(0, len(order), size)]


class _EarlyStopping:
    """Best-validation bookkeeping of a training loop: keeps the weights of the best
    epoch and says when *patience* epochs passed without improvement (only when
    there is a validation split, *active*)."""

    def __init__(self, patience: int, active: bool) -> None:
        self.patience, self.active = patience, active
        self.best, self.best_epoch, self.wait, self.epochs = math.inf, 0, 0, 0
        self.state: dict | None = None

    def step(self, val: float, net: nn.Module) -> bool:
        """Record one epoch's validation loss; True when training should stop."""
        self.epochs += 1
        if val < self.best - 1e-6:
            self.best, self.best_epoch, self.wait = val, self.epochs, 0
            self.state = copy.deepcopy(net.state_dict())
            return False
        self.wait += 1
        return self.active and self.wait >= self.patience

    def finish(self, net: nn.Module) -> dict:
        """Load the best weights (with a validation split) and summarise the run."""
        if self.state is not None and self.active:
            net.load_state_dict(self.state)
        return {"epochs_run": self.epochs, "best_epoch": self.best_epoch,
                "best_val_loss": self.best}


class PairNet(nn.Module):
    """Interface of the networks: two encoders and a pair head."""

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


class TorchPairPredictor(BasePredictor):
    """Base of the learned predictors (see the module docstring).

    Subclasses define ``_build_net`` and their hyper-parameters; the common ones are
    documented on the concrete classes.
    """

    _uses_reconstruction = False

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
        seed: int,
        device: str,
        progress: bool,
    ) -> None:
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
        self.seed = seed
        self.device = device
        resolve_device(device)  # unknown device -> ValueError now, not after training
        self.progress = progress

    def _build_net(self, n_smiles_tokens: int, n_gene_tokens: int) -> PairNet:  # pragma: no cover
        raise NotImplementedError

    @property
    def device_(self) -> torch.device:
        """The torch device in use."""
        return resolve_device(self.device)

    # ---------------------------------------------------------------- data prep
    def _build_vocabularies(self, smiles: Mapping[str, str | None], sequences: Mapping[str, str]) -> None:
        self.smiles_vocab_ = Vocabulary.build(smiles.values())
        self.gene_vocab_ = Vocabulary.build(sequences.values())

    def _canonical(self, smiles: Mapping[str, str | None], targets: Sequence[str]) -> dict[str, str | None]:
        """Canonical SMILES of *targets* (invalid → ValueError naming the metabolite)
        and of every other metabolite with a parsable SMILES (others are skipped)."""
        out: dict[str, str | None] = {}
        wanted = set(targets)
        skipped = []
        for met, smi in smiles.items():
            if not smi:
                out[met] = None
                continue
            try:
                out[met] = canonical_smiles(smi, met)
            except ValueError:
                if met in wanted:
                    raise
                skipped.append(met)
        for t in targets:
            out.setdefault(t, None)
        if skipped:
            logger.warning("unparsable SMILES of unlabelled metabolites skipped: %s", skipped[:20])
        return out

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
        for chunk in _length_chunks(lengths, batch):
            tok, ln = self._encode_tokens([seqs[i] for i in chunk], kind)
            z = enc(tok.to(self.device_), ln).cpu()
            for row, i in enumerate(chunk):
                out[i] = z[row]
        net.train(was_training)
        if not seqs:
            return torch.zeros((0, 0))
        return torch.stack(out)  # type: ignore[arg-type]

    def _prior_logits(self, labels: pd.DataFrame) -> None:
        n = labels.shape[0]
        share = (labels.sum(axis=0).to_numpy(dtype=float) + 1.0) / (n + 2.0)
        self.gene_prior_logit_ = torch.tensor(_logit(share), dtype=torch.float32)
        self.default_prior_logit_ = float(_logit(np.array([labels.to_numpy().mean()]))[0])

    def _apply_prior(self, logits: torch.Tensor, prior: torch.Tensor | None) -> torch.Tensor:
        if self.prior_residual and prior is not None:
            return logits + prior.to(logits.device)[None, :]
        return logits

    # ---------------------------------------------------------------- training
    def _split_validation(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(self.seed)
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
        rng = np.random.default_rng(self.seed + 1)
        g_len = [len(s) if s else 1 for s in gene_seqs]
        g_chunks = [
            (c, *self._encode_tokens([gene_seqs[i] for i in c], "genes"))
            for c in _length_chunks(g_len, self.gene_batch)
        ]
        t_tok, t_len = self._encode_tokens(target_seqs, "smiles")
        prior = self.gene_prior_logit_
        bce = nn.BCEWithLogitsLoss()
        stopper = _EarlyStopping(self.patience, active=len(val_idx) > 0)
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
        rng = np.random.default_rng(self.seed + 2)
        bce = nn.BCEWithLogitsLoss()
        stopper = _EarlyStopping(self.patience, active=len(val_idx) > 0)
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
        """
        labels = dataset.labels
        if labels.shape[0] == 0:
            raise ValueError("cannot fit on a dataset without targets")
        targets, genes = list(labels.index), list(labels.columns)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            smiles = self._canonical(dataset.smiles, targets)
            missing = [t for t in targets if not smiles.get(t)]
            if missing:
                logger.info("%d target(s) without a SMILES use the placeholder: %s", len(missing), missing[:20])
            if not getattr(self, "pretrained_", False):
                self._build_vocabularies(smiles, dataset.sequences)
                self.net_ = self._build_net(len(self.smiles_vocab_), len(self.gene_vocab_)).to(self.device_)
            self._prior_logits(labels)
            gene_seqs = gene_sequences(genes, dataset.sequences)
            target_seqs = [smiles.get(t) for t in targets]
            train_idx, val_idx = self._split_validation(len(targets))
            y = torch.tensor(labels.to_numpy(), dtype=torch.float32)
            ctx = dict(target_seqs=target_seqs, gene_seqs=gene_seqs, y=y, train_idx=train_idx, val_idx=val_idx)
            self.training_ = self._fit_impl(ctx)
            self.net_.eval()
            self.genes_ = genes
            self.gene_latents_ = self._latents(gene_seqs, "genes")
            mets = [m for m, s in smiles.items() if s] + [t for t in targets if not smiles.get(t)]
            self.metabolites_ = mets
            self.metabolite_latents_ = self._latents([smiles.get(m) for m in mets], "smiles")
            self._met_index = {m: i for i, m in enumerate(self.metabolites_)}
        return self

    # ---------------------------------------------------------------- inference
    def _gene_inputs(
        self, genes: Sequence[str], sequences: Mapping[str, str] | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Gene latents and prior logits for *genes* (cached, or encoded from *sequences*)."""
        index = {g: i for i, g in enumerate(self.genes_)}
        known = [g in index for g in genes]
        zg = torch.empty((len(genes), self.gene_latents_.shape[1]))
        prior = torch.from_numpy(self._gene_prior_logits(genes))
        rows = [i for i, k in enumerate(known) if k]
        if rows:
            zg[rows] = self.gene_latents_[torch.tensor([index[genes[i]] for i in rows])]
        new = [i for i, k in enumerate(known) if not k]
        if new:
            seqs = gene_sequences([genes[i] for i in new], sequences or {})
            zg[new] = self._latents(seqs, "genes")
        return zg, prior

    def _target_latents(
        self, targets: Sequence[str], smiles: Mapping[str, str | None], placeholder: bool = False
    ) -> torch.Tensor:
        """Latents of *targets*: cached, else encoded from *smiles*; an unseen target
        without a SMILES raises MissingInputError, or with *placeholder* gets the
        placeholder's latent (logged)."""
        out = []
        todo: list[tuple[int, str, str | None]] = []
        for i, t in enumerate(targets):
            if t in self._met_index:
                out.append(self.metabolite_latents_[self._met_index[t]])
            else:
                smi = smiles.get(t)
                if not smi and not placeholder:
                    raise MissingInputError(
                        f"target {t!r} was not seen in training; pass its SMILES (smiles=...)"
                    )
                if not smi:
                    logger.info("target %s has no SMILES: using the placeholder", t)
                out.append(None)
                todo.append((i, t, canonical_smiles(smi, t) if smi else None))
        if todo:
            z = self._latents([s for _, _, s in todo], "smiles")
            for row, (i, _, _) in enumerate(todo):
                out[i] = z[row]
        return torch.stack(out)

    @torch.no_grad()
    def _proba(self, zm: torch.Tensor, zg: torch.Tensor, prior: torch.Tensor) -> np.ndarray:
        self.net_.eval()
        dev = self.device_
        rows = []
        for i in range(0, zm.shape[0], 64):
            logits = self._apply_prior(self.net_.pair_logits(zm[i : i + 64].to(dev), zg.to(dev)), prior)
            rows.append(torch.sigmoid(logits).cpu())
        return torch.cat(rows).double().numpy()

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
            Metabolite id. Its cached latent is used when it was seen (labelled or
            with a SMILES) at training time; otherwise *smiles* is required.
        smiles : str, optional
            SMILES of an unseen target.
        sequences : mapping, optional
            Protein sequences of genes not seen in training (others fall back to the
            placeholder, with a warning).
        genes : sequence of str, optional
            Genes to score; defaults to the training genes.

        Returns
        -------
        pandas.Series
            Index gene id, values P(deleted), name *target*.

        Raises
        ------
        cobra_gdel.exceptions.MissingInputError
            An unseen target without a SMILES.
        ValueError
            An invalid SMILES (the message names *target*).
        """
        self._check_fitted()
        genes = list(self.genes_ if genes is None else genes)
        zm = self._target_latents([target], {target: smiles} if smiles else {})
        zg, prior = self._gene_inputs(genes, sequences)
        p = self._proba(zm, zg, prior)[0]
        return pd.Series(p, index=pd.Index(genes, name="gene"), name=target)

    def predict_frame(self, dataset: Any, targets: Sequence[str] | None = None) -> pd.DataFrame:
        """P(deleted) for *targets* (default: the dataset's) × the dataset's genes, batched.

        Targets seen in training use their cached latents; others are encoded from
        ``dataset.smiles`` (a target without a SMILES gets the placeholder's latent).
        """
        self._check_fitted()
        targets = list(dataset.targets if targets is None else targets)
        zm = self._target_latents(targets, dataset.smiles, placeholder=True)
        zg, prior = self._gene_inputs(dataset.genes, dataset.sequences)
        return pd.DataFrame(
            self._proba(zm, zg, prior),
            index=pd.Index(targets, name="metabolite"),
            columns=pd.Index(dataset.genes, name="gene"),
        )

    # ---------------------------------------------------------------- persistence
    def _get_state(self) -> dict[str, Any]:
        return {
            "smiles_vocab": self.smiles_vocab_.to_dict(),
            "gene_vocab": self.gene_vocab_.to_dict(),
            "state_dict": {k: v.detach().cpu() for k, v in self.net_.state_dict().items()},
            "gene_ids": list(self.genes_),
            "gene_latents": self.gene_latents_.cpu(),
            "gene_prior_logit": self.gene_prior_logit_.cpu(),
            "default_prior_logit": float(self.default_prior_logit_),
            "metabolite_ids": list(self.metabolites_),
            "metabolite_latents": self.metabolite_latents_.cpu(),
            "training": {k: (float(v) if isinstance(v, float) else v) for k, v in self.training_.items()},
            "pretrained": bool(getattr(self, "pretrained_", False)),
        }

    def _set_state(self, state: Mapping[str, Any], device: str | None) -> None:
        self.smiles_vocab_ = Vocabulary.from_dict(state["smiles_vocab"])
        self.gene_vocab_ = Vocabulary.from_dict(state["gene_vocab"])
        net = self._build_net(len(self.smiles_vocab_), len(self.gene_vocab_))
        net.load_state_dict(state["state_dict"], strict=True)
        self.net_ = net.to(self.device_).eval()
        self.genes_ = list(state["gene_ids"])
        self.gene_latents_ = state["gene_latents"].float()
        self.gene_prior_logit_ = state["gene_prior_logit"].float()
        self.default_prior_logit_ = float(state["default_prior_logit"])
        self.metabolites_ = list(state["metabolite_ids"])
        self.metabolite_latents_ = state["metabolite_latents"].float()
        self.training_ = dict(state["training"])
        self.pretrained_ = bool(state.get("pretrained", False))
        if self.gene_latents_.shape[0] != len(self.genes_) or len(self.gene_prior_logit_) != len(self.genes_):
            raise ValueError("gene latents do not match the gene ids")
        if self.metabolite_latents_.shape[0] != len(self.metabolites_):
            raise ValueError("metabolite latents do not match the metabolite ids")
        self._met_index = {m: i for i, m in enumerate(self.metabolites_)}

    def embed_metabolites(self, smiles: Mapping[str, str | None]) -> list[str]:
        """Cache latents for more metabolites (e.g. unlabelled ones) so that
        :meth:`predict_proba` needs no SMILES for them. Unparsable SMILES are skipped
        with a warning. Returns the ids added or refreshed."""
        self._check_fitted()
        canon = self._canonical(smiles, [])
        ids = [m for m, s in canon.items() if s]
        if not ids:
            return []
        z = self._latents([canon[m] for m in ids], "smiles")
        lat = self.metabolite_latents_.clone()
        mets = list(self.metabolites_)
        for row, m in enumerate(ids):
            if m in self._met_index:
                lat[self._met_index[m]] = z[row]
            else:
                mets.append(m)
                lat = torch.cat([lat, z[row : row + 1]])
                self._met_index[m] = len(mets) - 1
        self.metabolites_, self.metabolite_latents_ = mets, lat
        return ids
