"""Readers of the three files of a strategy data folder, and a file digest.

A folder holds ``strategies.csv`` (targets × genes, 1 = deleted), ``proteins.fasta``
(record id = gene id) and ``smiles.tsv`` (columns ``metabolite`` and ``smiles``).
"""

from __future__ import annotations

import hashlib
import logging
import os

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

__all__ = ["read_strategies", "read_fasta", "read_smiles", "file_sha256"]

def read_strategies(path: str | os.PathLike) -> pd.DataFrame:
    """Read a ``strategies.csv`` table.

    Parameters
    ----------
    path : str or path-like
        CSV with a ``metabolite`` column and one 0/1 column per gene id
        (1 = the gene is deleted in the target's strategy).

    Returns
    -------
    pandas.DataFrame
        Index = metabolite ids (named ``metabolite``), columns = gene ids, dtype int8.

    Raises
    ------
    ValueError
        If the ``metabolite`` column is missing, a metabolite id is repeated, or a value
        is not 0 or 1.
    """
    frame = pd.read_csv(path, dtype={"metabolite": str})
    if "metabolite" not in frame.columns:
        raise ValueError(f"{path}: no 'metabolite' column")
    frame = frame.set_index("metabolite")
    frame.columns = [str(c) for c in frame.columns]
    if frame.index.has_duplicates:
        dup = sorted(set(frame.index[frame.index.duplicated()]))
        raise ValueError(f"{path}: repeated metabolite ids {dup[:5]}")
    values = frame.to_numpy()
    if frame.isna().to_numpy().any() or not np.isin(values, (0, 1)).all():
        raise ValueError(f"{path}: strategy values must be 0 or 1")
    return frame.astype(np.int8)


def read_fasta(path: str | os.PathLike) -> dict[str, str]:
    """Read protein sequences from a FASTA file with Biopython.

    Parameters
    ----------
    path : str or path-like
        FASTA file; the record id is the gene id.

    Returns
    -------
    dict of str to str
        Gene id to upper-case amino-acid sequence (a trailing ``*`` stop is removed).
    """
    from Bio import SeqIO

    out: dict[str, str] = {}
    for record in SeqIO.parse(str(path), "fasta"):
        seq = str(record.seq).upper().rstrip("*")
        if record.id in out:
            logger.warning("%s: gene %s appears twice; keeping the first", path, record.id)
            continue
        out[record.id] = seq
    return out


def read_smiles(path: str | os.PathLike) -> dict[str, str | None]:
    """Read a ``smiles.tsv`` table (columns ``metabolite`` and ``smiles``).

    Parameters
    ----------
    path : str or path-like
        Tab-separated file; an empty ``smiles`` cell means no structure is known.

    Returns
    -------
    dict of str to (str or None)
        Metabolite id to SMILES string, or None where the SMILES is missing.
    """
    frame = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    if not {"metabolite", "smiles"} <= set(frame.columns):
        raise ValueError(f"{path}: needs 'metabolite' and 'smiles' columns")
    out: dict[str, str | None] = {}
    for met, smi in zip(frame["metabolite"], frame["smiles"]):
        smi = smi.strip()
        out[met] = smi if smi else None
    return out


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 digest of a file (used in bundled-model manifests)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
