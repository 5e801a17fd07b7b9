"""Sequence features: SMILES canonicalisation, character vocabularies, padded tensors.

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

import torch

logger = logging.getLogger(__name__)

__all__ = [
    "PAD",
    "UNK",
    "NONE",
    "PLACEHOLDER",
    "canonical_smiles",
    "canonicalise_all",
    "gene_sequences",
    "Vocabulary",
    "encode_batch",
]

PAD, UNK, NONE = "<pad>", "<unk>", "<none>"
#: The token sequence standing for a missing SMILES or protein sequence.
PLACEHOLDER: tuple[str, ...] = (NONE,)
_RESERVED = (PAD, UNK, NONE)


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


def canonicalise_all(smiles: Mapping[str, str | None]) -> dict[str, str | None]:
    """Canonicalise every SMILES of a mapping (None stays None).

    Raises
    ------
    ValueError
        On the first unparsable SMILES, naming its metabolite.
    """
    return {k: (canonical_smiles(v, k) if v else None) for k, v in smiles.items()}


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
    ids = [vocab.encode(s, max_len) for s in seqs]
    lengths = torch.tensor([len(x) for x in ids], dtype=torch.long)
    width = int(lengths.max()) if len(ids) else 0
    tokens = torch.zeros((len(ids), width), dtype=torch.long)
    for row, x in enumerate(ids):
        tokens[row, : len(x)] = torch.tensor(x, dtype=torch.long)
    return tokens, lengths
