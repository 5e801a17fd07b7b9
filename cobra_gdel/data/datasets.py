"""Strategy datasets, target-wise cross-validation splits and synthetic toy data.

Nothing here imports cobra, optlang or torch.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..features import canonical_smiles, morgan_fingerprints
from .readers import read_fasta, read_smiles, read_strategies

logger = logging.getLogger(__name__)

__all__ = [
    "StrategyDataset",
    "TargetKFold",
    "target_folds",
    "structure_groups",
    "cluster_groups",
    "predetermined_genes",
    "toy_dataset",
]


@dataclass
class StrategyDataset:
    """Targets × genes deletion labels with the sequences a predictor needs.

    Attributes
    ----------
    labels : pandas.DataFrame
        Index = target metabolite ids, columns = gene ids, int8 (1 = deleted).
    smiles : dict of str to (str or None)
        SMILES per metabolite. May hold more metabolites than ``labels`` (unlabelled
        targets, used for label-free pre-training and for bundled embeddings); None
        marks an unknown structure.
    sequences : dict of str to str
        Protein sequence per gene id; genes without a known sequence are absent.
    model_id : str or None
        The genome-scale model the strategies belong to.
    """

    labels: pd.DataFrame
    smiles: dict[str, str | None] = field(default_factory=dict)
    sequences: dict[str, str] = field(default_factory=dict)
    model_id: str | None = None

    def __post_init__(self) -> None:
        self.labels = self.labels.astype(np.int8)
        self.labels.index = self.labels.index.astype(str)
        self.labels.columns = self.labels.columns.astype(str)

    def __repr__(self) -> str:
        return (f"StrategyDataset({self.model_id!r}: {self.n_targets} targets x "
                f"{len(self.genes)} genes, {len(self.sequences)} sequences, "
                f"{sum(1 for v in self.smiles.values() if v)} SMILES)")

    @classmethod
    def from_folder(cls, path: str | os.PathLike, model_id: str | None = None) -> StrategyDataset:
        """Load ``strategies.csv``, ``proteins.fasta`` and ``smiles.tsv`` from a folder.

        Parameters
        ----------
        path : str or path-like
            The model's data folder (``proteins.fasta`` and ``smiles.tsv`` are optional).
        model_id : str, optional
            Defaults to the folder's name.

        Returns
        -------
        StrategyDataset
        """
        folder = Path(path)
        strategies = folder / "strategies.csv"
        if not strategies.is_file():
            raise FileNotFoundError(f"{strategies} not found")
        labels = read_strategies(strategies)
        fasta, smi = folder / "proteins.fasta", folder / "smiles.tsv"
        sequences = read_fasta(fasta) if fasta.is_file() else {}
        smiles = read_smiles(smi) if smi.is_file() else {}
        return cls(labels, smiles, sequences, model_id or folder.name)

    @property
    def targets(self) -> list[str]:
        """Target metabolite ids (rows of :attr:`labels`)."""
        return list(self.labels.index)

    @property
    def genes(self) -> list[str]:
        """Gene ids (columns of :attr:`labels`)."""
        return list(self.labels.columns)

    @property
    def n_targets(self) -> int:
        """Number of labelled targets."""
        return self.labels.shape[0]

    def __len__(self) -> int:
        return self.n_targets

    def target_smiles(self, targets: Sequence[str] | None = None) -> list[str | None]:
        """SMILES of each target (None where unknown)."""
        return [self.smiles.get(t) for t in (self.targets if targets is None else targets)]

    def subset(self, targets: Sequence[str] | np.ndarray) -> StrategyDataset:
        """A dataset with only the given targets' labels.

        Parameters
        ----------
        targets : sequence of str, or array of int
            Target ids, or integer positions into :attr:`targets`.

        Returns
        -------
        StrategyDataset
            Same genes, sequences and SMILES table; labels restricted to *targets*.
        """
        arr = np.asarray(targets)
        if arr.dtype.kind in "iu":
            labels = self.labels.iloc[arr]
        else:
            missing = [t for t in arr if t not in self.labels.index]
            if missing:
                raise KeyError(f"targets not in the dataset: {missing[:5]}")
            labels = self.labels.loc[list(arr)]
        return StrategyDataset(labels.copy(), self.smiles, self.sequences, self.model_id)

    def deletion_share(self) -> pd.Series:
        """Fraction of targets whose strategy deletes each gene."""
        return self.labels.mean(axis=0).astype(float)


# ----------------------------------------------------------------------------- splits


class TargetKFold:
    """K-fold cross-validation over target metabolites (sklearn-style splitter).

    Parameters
    ----------
    n_folds : int
        Number of folds (≥ 2).
    seed : int
        Seed of the shuffle of targets before they are cut into folds.

    Notes
    -----
    Every target is in exactly one test fold; a test fold's targets never appear in
    the matching training indices, so no strategy of a test target is trained on.
    """

    def __init__(self, n_folds: int = 10, seed: int = 0) -> None:
        if n_folds < 2:
            raise ValueError("n_folds must be at least 2")
        self.n_folds = n_folds
        self.seed = seed

    def get_n_splits(self) -> int:
        """Number of folds."""
        return self.n_folds

    def split(
        self, n_targets: int, groups: Sequence | None = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train_idx, test_idx)`` integer arrays over ``range(n_targets)``.

        Parameters
        ----------
        n_targets : int
        groups : sequence, optional
            One label per target; targets with the same label are always in the same
            fold (e.g. the canonical SMILES, so that one compound's compartment variants
            ``x_c``/``x_e`` never sit on both sides). Groups are shuffled, then assigned
            largest first to the currently smallest fold.
        """
        if groups is None:
            if n_targets < self.n_folds:
                raise ValueError(f"{n_targets} targets cannot be cut into {self.n_folds} folds")
            order = np.random.default_rng(self.seed).permutation(n_targets)
            test_sets = np.array_split(order, self.n_folds)
        else:
            labels = np.asarray(groups, dtype=object)
            if len(labels) != n_targets:
                raise ValueError("groups must have one label per target")
            uniq = list(dict.fromkeys(labels.tolist()))
            if len(uniq) < self.n_folds:
                raise ValueError(f"{len(uniq)} groups cannot be cut into {self.n_folds} folds")
            rng = np.random.default_rng(self.seed)
            members = [np.flatnonzero(labels == u) for u in uniq]
            order = rng.permutation(len(members))
            order = sorted(order, key=lambda i: -len(members[i]))  # stable: ties keep the shuffle
            folds: list[list[int]] = [[] for _ in range(self.n_folds)]
            for i in order:
                smallest = min(range(self.n_folds), key=lambda f: len(folds[f]))
                folds[smallest].extend(members[i].tolist())
            test_sets = [np.array(f, dtype=int) for f in folds]
        for test in test_sets:
            mask = np.ones(n_targets, dtype=bool)
            mask[test] = False
            yield np.flatnonzero(mask), np.sort(test)


def target_folds(
    n_targets: int, n_folds: int = 10, seed: int = 0, groups: Sequence | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(train_idx, test_idx)`` for K-fold CV over targets (see :class:`TargetKFold`)."""
    yield from TargetKFold(n_folds, seed).split(n_targets, groups)


def structure_groups(dataset: StrategyDataset) -> list[str]:
    """One group label per target: its canonical SMILES, or its own id when it has none.

    Many targets are one compound in several compartments (``x_c``, ``x_e``, ...) with
    near-identical strategies; grouping by structure keeps them in one CV fold.
    """
    out = []
    for t in dataset.targets:
        smi = dataset.smiles.get(t)
        out.append(canonical_smiles(smi, t) if smi else f"<id:{t}>")
    return out


def cluster_groups(dataset: StrategyDataset, threshold: float = 0.7, radius: int = 2,
                   n_bits: int = 2048) -> list[str]:
    """One group label per target: single-linkage clusters of structurally similar targets.

    Two targets are linked when the Tanimoto similarity of their Morgan fingerprints
    (radius *radius*, *n_bits* bits) is at least *threshold*; a group is a connected
    component of those links. Compartment copies, epimers and chain homologues share
    strategies, so a split that keeps each group in one fold measures how a predictor
    does on chemistry it has not seen (DESIGN.md's protocol). A target without a
    (parsable) SMILES is its own group.

    Parameters
    ----------
    dataset : StrategyDataset
    threshold : float
        Tanimoto similarity that links two targets (0.7).
    radius, n_bits : int
        Morgan fingerprint settings (2, 2048).

    Returns
    -------
    list of str
        In the order of ``dataset.targets``; a group is named by its first member
        (``"<cluster:...>"``), a target without a structure by ``"<id:...>"``.
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    targets = dataset.targets
    bits = morgan_fingerprints(dataset.target_smiles(), radius, n_bits)
    has = bits.any(axis=1)
    parent = list(range(len(targets)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    rows = np.flatnonzero(has)
    fp = bits[rows].astype(np.float32)
    counts = fp.sum(axis=1)
    shared = fp @ fp.T
    similar = shared >= threshold * (counts[:, None] + counts[None, :] - shared) - 1e-9
    for a, b in zip(*np.nonzero(np.triu(similar, k=1))):
        root_a, root_b = find(rows[a]), find(rows[b])
        if root_a != root_b:
            parent[max(root_a, root_b)] = min(root_a, root_b)
    return [f"<cluster:{targets[find(i)]}>" if has[i] else f"<id:{targets[i]}>"
            for i in range(len(targets))]


def predetermined_genes(labels: pd.DataFrame, low: float = 0.1, high: float = 0.9) -> list[str]:
    """Genes deleted (share ≥ *high*) or kept (share ≤ *low*) in nearly every strategy.

    Parameters
    ----------
    labels : pandas.DataFrame
        Targets × genes 0/1 table; the share is taken over all its rows.
    low, high : float
        Share thresholds (inclusive).

    Returns
    -------
    list of str
        Gene ids, in column order. The evaluation leaves them out of the scores.
    """
    share = labels.mean(axis=0)
    return list(labels.columns[(share >= high) | (share <= low)])


# ----------------------------------------------------------------------------- toy data

_TOY_SMILES = (
    "CC(=O)O", "OCC(O)CO", "C(C(=O)O)N", "CC(O)C(=O)O", "OC(=O)CCC(=O)O", "NCCCCN",
    "OC(=O)C=CC(=O)O", "CC(N)C(=O)O", "OCC1OC(O)C(O)C(O)C1O", "CCO", "C=O", "OC(=O)C(=O)O",
)
_TOY_PROTEINS = (
    "MKTAYIAKQR", "MSLLVAAGK", "MEEPQSDPSVEPPLSQ", "MAVKLLG", "MGSSHHHHHH", "MTEYKLVVVG",
    "MKKLLPTAAAGLLLLAAQPAMA", "MDPNS",
)


def toy_dataset(n_targets: int = 12, n_genes: int = 8, seed: int = 0) -> StrategyDataset:
    """A small synthetic dataset with learnable structure (for tests and examples).

    Labels are a per-gene base state, flipped for every third gene in odd-numbered
    targets, so a predictor that uses both the gene and the target can fit them all.
    SMILES and protein sequences are short made-up strings (valid SMILES).

    Parameters
    ----------
    n_targets, n_genes : int
    seed : int

    Returns
    -------
    StrategyDataset
        ``model_id = "toy"``.
    """
    rng = np.random.default_rng(seed)
    targets = [f"met{i}_c" for i in range(n_targets)]
    genes = [f"g{j}" for j in range(n_genes)]
    base = rng.random(n_genes) < 0.5
    labels = np.array(
        [[int(base[j] ^ bool(i % 2 and j % 3 == 0)) for j in range(n_genes)] for i in range(n_targets)],
        dtype=np.int8,
    )
    frame = pd.DataFrame(labels, index=pd.Index(targets, name="metabolite"), columns=genes)
    smiles: dict[str, str | None] = {t: _TOY_SMILES[i % len(_TOY_SMILES)] for i, t in enumerate(targets)}
    sequences = {g: _TOY_PROTEINS[j % len(_TOY_PROTEINS)] for j, g in enumerate(genes)}
    return StrategyDataset(frame, smiles, sequences, "toy")
