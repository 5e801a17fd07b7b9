"""Featurisers of metabolites and proteins shared by the predictors.

- SMILES: canonicalisation (:func:`canonical_smiles`, :func:`canonicalise_all`,
  :func:`canonical_smiles_map`) and Morgan fingerprints (:func:`morgan_fingerprints`);
- proteins: sequences of genes with the placeholder for missing ones
  (:func:`gene_sequences`) and dipeptide composition (:func:`dipeptide_composition`);
- tokens: character vocabularies (:class:`Vocabulary`) and padded tensors
  (:func:`encode_batch`).

The module imports neither torch nor RDKit at import time (each is imported by the
function that needs it), so data handling can use it without them.

Tokens are single characters (the DeepGDel paper's character-level vocabularies) plus
three reserved tokens:

``<pad>`` (id 0)
    Padding; models mask it out of pooling and out of the reconstruction loss.
``<unk>`` (id 1)
    A character not seen when the vocabulary was built.
``<none>`` (id 2)
    The *placeholder*: a missing SMILES, or a gene without a known protein sequence,
    is encoded as the one-token sequence ``[<none>]`` (see :data:`PLACEHOLDER`). A
    predictor therefore still gives such a target or gene a (shared) representation;
    for genes its learned per-gene statistics (e.g. the deletion share) carry the rest.

Long sequences can be truncated to ``max_len`` tokens when encoded (proteins can be
longer than 1000 residues; truncation keeps the N-terminal part).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Mapping, Sequence
from itertools import product
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

__all__ = [
    "PAD",
    "UNK",
    "NONE",
    "PLACEHOLDER",
    "annotation_smiles",
    "canonical_smiles",
    "canonicalise_all",
    "canonical_smiles_map",
    "morgan_fingerprints",
    "gene_sequences",
    "dipeptide_composition",
    "AMINO_ACIDS",
    "DIPEPTIDES",
    "Vocabulary",
    "encode_batch",
]

PAD, UNK, NONE = "<pad>", "<unk>", "<none>"
#: The token sequence standing for a missing SMILES or protein sequence.
PLACEHOLDER: tuple[str, ...] = (NONE,)
_RESERVED = (PAD, UNK, NONE)
#: The 20 standard amino acids (one-letter codes).
AMINO_ACIDS = "ACDEFGHIKLMNPQRSTVWY"
#: Dipeptide -> column of :func:`dipeptide_composition` (400 columns).
DIPEPTIDES: dict[str, int] = {a + b: i for i, (a, b) in enumerate(product(AMINO_ACIDS, repeat=2))}


def canonical_smiles(smiles: str, metabolite: str = "?") -> str:
    """Parse a SMILES with RDKit and return its canonical form.

    Parameters
    ----------
    smiles : str
        The SMILES string.
    metabolite : str
        The metabolite id, named in the error message.

    Returns
    -------
    str
        RDKit canonical SMILES (isomeric).

    Raises
    ------
    ValueError
        If RDKit cannot parse *smiles*; the message names *metabolite*.
    """
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    mol = Chem.MolFromSmiles(smiles) if smiles else None
    if mol is None:
        raise ValueError(f"invalid SMILES for metabolite {metabolite!r}: {smiles!r}")
    return Chem.MolToSmiles(mol)


def _first(value):
    if isinstance(value, (list, tuple)):
        return value[0] if value else None
    return value


def annotation_smiles(metabolite) -> str | None:
    """A SMILES from the metabolite's annotation: ``smiles`` (or ``canonical_smiles``),
    else an ``inchi`` converted by RDKit; None when neither is there (an InChIKey is not
    a structure). Not validated: see :func:`canonical_smiles`."""
    annotation = {str(k).lower(): v for k, v in (metabolite.annotation or {}).items()}
    for key in ("smiles", "canonical_smiles"):
        smiles = _first(annotation.get(key))
        if smiles:
            return str(smiles)
    inchi = _first(annotation.get("inchi"))
    if inchi and str(inchi).startswith("InChI="):
        from rdkit import Chem, RDLogger

        RDLogger.DisableLog("rdApp.*")
        mol = Chem.MolFromInchi(str(inchi))
        if mol is not None:
            return Chem.MolToSmiles(mol)
    return None


def canonicalise_all(smiles: Mapping[str, str | None]) -> dict[str, str | None]:
    """Canonicalise every SMILES of a mapping (None stays None).

    Raises
    ------
    ValueError
        On the first unparsable SMILES, naming its metabolite.
    """
    return {k: (canonical_smiles(v, k) if v else None) for k, v in smiles.items()}


def canonical_smiles_map(
    smiles: Mapping[str, str | None], required: Iterable[str] = ()
) -> dict[str, str | None]:
    """Canonical SMILES of every metabolite of *smiles* that has a parsable one.

    Parameters
    ----------
    smiles : mapping
        Metabolite id to SMILES (None or ``""``: no structure known).
    required : iterable of str
        Metabolites whose SMILES must parse (an invalid one raises); each of them is
        in the result, with None when it has no SMILES.

    Returns
    -------
    dict of str to (str or None)
        Metabolites without a SMILES map to None; those whose SMILES does not parse
        (and are not *required*) are left out, with one warning naming them.

    Raises
    ------
    ValueError
        An invalid SMILES of a *required* metabolite (the message names it).
    """
    required = list(required)
    wanted = set(required)
    out: dict[str, str | None] = {}
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
    for met in required:
        out.setdefault(met, None)
    if skipped:
        logger.warning("unparsable SMILES of unlabelled metabolites skipped: %s", skipped[:20])
    return out


def morgan_fingerprints(smiles: Sequence[str | None], radius: int = 2, n_bits: int = 2048) -> np.ndarray:
    """Boolean Morgan fingerprints (n, n_bits) computed by RDKit.

    Parameters
    ----------
    smiles : sequence of (str or None)
        SMILES strings; a missing or unparsable one gives an all-zero row.
    radius : int
        Morgan radius (2: ECFP4-like).
    n_bits : int
        Fingerprint length.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(smiles), n_bits)``, dtype bool.
    """
    from rdkit import Chem, DataStructs, RDLogger
    from rdkit.Chem import rdFingerprintGenerator

    RDLogger.DisableLog("rdApp.*")
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)
    out = np.zeros((len(smiles), n_bits), dtype=bool)
    for i, smi in enumerate(smiles):
        mol = Chem.MolFromSmiles(smi) if smi else None
        if mol is None:
            continue
        arr = np.zeros((n_bits,), dtype=np.uint8)
        DataStructs.ConvertToNumpyArray(gen.GetFingerprint(mol), arr)
        out[i] = arr.astype(bool)
    return out


def gene_sequences(
    genes: Sequence[str], sequences: Mapping[str, str], *, warn: bool = True
) -> list[str | None]:
    """Sequences of *genes*, None for those without one (encoded as the placeholder).

    Parameters
    ----------
    genes : sequence of str
        Gene ids.
    sequences : mapping
        Gene id to protein sequence.
    warn : bool
        Log a warning and emit one :class:`UserWarning` naming the genes that lack a
        sequence (once per call).
    """
    out = [sequences.get(g) or None for g in genes]
    missing = [g for g, s in zip(genes, out) if s is None]
    if missing and warn:
        msg = (
            f"{len(missing)} gene(s) without a protein sequence use the placeholder "
            f"token {NONE}: {', '.join(missing[:20])}{' ...' if len(missing) > 20 else ''}"
        )
        logger.warning(msg)
        warnings.warn(msg, UserWarning, stacklevel=2)
    return out


def dipeptide_composition(sequences: Sequence[str | None]) -> np.ndarray:
    """Frequencies of the 400 standard dipeptides in each protein sequence.

    Parameters
    ----------
    sequences : sequence of (str or None)
        Protein sequences (case-insensitive).

    Returns
    -------
    numpy.ndarray
        Shape ``(len(sequences), 400)``, float32, columns as :data:`DIPEPTIDES`; each
        row sums to 1 over the sequence's standard dipeptides. A missing sequence (or
        one without a standard dipeptide) gives a zero row.
    """
    out = np.zeros((len(sequences), len(DIPEPTIDES)), dtype=np.float32)
    for i, seq in enumerate(sequences):
        if not seq:
            continue
        seq = seq.upper()
        idx = [DIPEPTIDES.get(seq[j : j + 2], -1) for j in range(len(seq) - 1)]
        idx = [k for k in idx if k >= 0]
        if idx:
            np.add.at(out[i], idx, 1.0)
            out[i] /= len(idx)
    return out


class Vocabulary:
    """Character vocabulary with ``<pad>`` = 0, ``<unk>`` = 1 and ``<none>`` = 2.

    Parameters
    ----------
    tokens : iterable of str
        The non-reserved tokens (single characters), in id order.
    """

    def __init__(self, tokens: Iterable[str] = ()) -> None:
        self.itos: list[str] = list(_RESERVED)
        for tok in tokens:
            if tok not in self.itos:
                self.itos.append(tok)
        self.stoi: dict[str, int] = {t: i for i, t in enumerate(self.itos)}

    @classmethod
    def build(cls, sequences: Iterable[str | None]) -> Vocabulary:
        """Vocabulary of every character in *sequences* (sorted; None is skipped)."""
        chars: set[str] = set()
        for seq in sequences:
            if seq:
                chars.update(seq)
        return cls(sorted(chars))

    def __len__(self) -> int:
        return len(self.itos)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and self.itos == other.itos

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} tokens)"

    @property
    def pad_id(self) -> int:
        """Id of ``<pad>`` (always 0)."""
        return 0

    def encode(self, seq: str | None, max_len: int | None = None) -> list[int]:
        """Token ids of *seq*; None or ``""`` gives the placeholder ``[<none>]``.

        Truncates to the first *max_len* tokens when given.
        """
        if not seq:
            return [self.stoi[NONE]]
        unk = self.stoi[UNK]
        ids = [self.stoi.get(ch, unk) for ch in seq]
        return ids[:max_len] if max_len else ids

    def decode(self, ids: Iterable[int]) -> str:
        """Characters of *ids*, padding dropped (reserved tokens are written as is)."""
        return "".join(self.itos[i] for i in ids if i != 0)

    def to_dict(self) -> dict:
        """A plain dict (saved with models)."""
        return {"itos": list(self.itos)}

    @classmethod
    def from_dict(cls, data: Mapping) -> Vocabulary:
        """Rebuild a vocabulary written by :meth:`to_dict`."""
        itos = list(data["itos"])
        if tuple(itos[: len(_RESERVED)]) != _RESERVED:
            raise ValueError("not a cobra_gdel vocabulary: reserved tokens missing")
        return cls(itos[len(_RESERVED) :])


def encode_batch(
    seqs: Sequence[str | None], vocab: Vocabulary, max_len: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Encode sequences into a right-padded LongTensor.

    Parameters
    ----------
    seqs : sequence of (str or None)
        Sequences; None encodes as the placeholder.
    vocab : Vocabulary
    max_len : int, optional
        Truncate each sequence to its first *max_len* tokens.

    Returns
    -------
    tokens : torch.LongTensor, shape (n, L)
        ``L`` = longest (truncated) sequence; padded with 0.
    lengths : torch.LongTensor, shape (n,)
        Number of real tokens per row (≥ 1).
    """
    import torch

    ids = [vocab.encode(s, max_len) for s in seqs]
    lengths = torch.tensor([len(x) for x in ids], dtype=torch.long)
    width = int(lengths.max()) if len(ids) else 0
    tokens = torch.zeros((len(ids), width), dtype=torch.long)
    for row, x in enumerate(ids):
        tokens[row, : len(x)] = torch.tensor(x, dtype=torch.long)
    return tokens, lengths
