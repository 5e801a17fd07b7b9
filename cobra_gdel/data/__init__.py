"""Strategy tables, sequences, datasets, cross-validation splits and metrics.

Nothing in this package imports cobra, optlang or torch. It reads the three files of
a strategy data folder (``strategies.csv``, ``proteins.fasta``, ``smiles.tsv``),
bundles them in a :class:`StrategyDataset`, splits target metabolites for
cross-validation and scores predicted probabilities with the metrics of the DeepGDel
paper.

============================ ===========================================================
module                       holds
============================ ===========================================================
``readers``                  :func:`read_strategies`, :func:`read_fasta`,
                             :func:`read_smiles`, :func:`file_sha256`
``datasets``                 :class:`StrategyDataset`, :class:`TargetKFold`,
                             :func:`target_folds`, :func:`structure_groups`,
                             :func:`cluster_groups`, :func:`predetermined_genes`,
                             :func:`toy_dataset`
``metrics``                  :func:`accuracy`, :func:`target_macro_scores`,
                             :func:`target_auc`, :func:`score_predictions`
``location``                 :func:`data_dir`: finds the shared data folder for tests,
                             benchmarks, scripts and examples (library code never
                             calls it)
============================ ===========================================================

Every public name is importable from ``cobra_gdel.data`` itself.
"""

from __future__ import annotations

from .datasets import (
    StrategyDataset,
    TargetKFold,
    cluster_groups,
    predetermined_genes,
    structure_groups,
    target_folds,
    toy_dataset,
)
from .location import data_dir
from .metrics import accuracy, score_predictions, target_auc, target_macro_scores
from .readers import file_sha256, read_fasta, read_smiles, read_strategies

__all__ = [
    "data_dir",
    "read_strategies",
    "read_fasta",
    "read_smiles",
    "file_sha256",
    "StrategyDataset",
    "TargetKFold",
    "target_folds",
    "structure_groups",
    "cluster_groups",
    "predetermined_genes",
    "accuracy",
    "target_macro_scores",
    "target_auc",
    "score_predictions",
    "toy_dataset",
]
