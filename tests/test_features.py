"""SMILES canonicalisation, vocabularies, placeholders and padded encodings."""

from __future__ import annotations

import warnings

import pytest
import torch

from cobra_gdel.features import (
    NONE,
    PAD,
    UNK,
    Vocabulary,
    canonical_smiles,
    canonicalise_all,
    encode_batch,
    gene_sequences,
)


def test_canonical_smiles():
    assert canonical_smiles("OCC", "etoh_c") == canonical_smiles("CCO", "etoh_c") == "CCO"


def test_invalid_smiles_names_metabolite():
    with pytest.raises(ValueError, match="bad_met_c"):
        canonical_smiles("C1CC(", "bad_met_c")
    with pytest.raises(ValueError, match="m2"):
        canonicalise_all({"m1": "CCO", "m2": "not a smiles", "m3": None})
    assert canonicalise_all({"m1": "OCC", "m3": None}) == {"m1": "CCO", "m3": None}


def test_vocabulary_reserved_and_roundtrip():
    v = Vocabulary.build(["CCO", "C=O", None])
    assert v.itos[:3] == [PAD, UNK, NONE] and v.pad_id == 0 and len(v) == 6
    assert v.encode("CCO") == [v.stoi["C"], v.stoi["C"], v.stoi["O"]]
    assert v.encode("CN")[1] == v.stoi[UNK]
    assert v.encode(None) == v.encode("") == [v.stoi[NONE]]
    assert v.encode("CCOCC", max_len=2) == v.encode("CC")
    assert Vocabulary.from_dict(v.to_dict()) == v
    with pytest.raises(ValueError):
        Vocabulary.from_dict({"itos": ["a", "b"]})


def test_encode_batch_shapes_and_truncation():
    v = Vocabulary.build(["MKTAY", "MS"])
    tok, ln = encode_batch(["MKTAY", "MS", None], v)
    assert tok.dtype == torch.long and tok.shape == (3, 5) and ln.tolist() == [5, 2, 1]
    assert tok[1, 2:].eq(0).all() and tok[2, 0] == v.stoi[NONE]
    tok, ln = encode_batch(["MKTAY", "MS"], v, max_len=3)
    assert tok.shape == (2, 3) and ln.tolist() == [3, 2]


def test_gene_without_sequence_placeholder_and_warning(caplog):
    with pytest.warns(UserWarning, match="gX"):
        seqs = gene_sequences(["g1", "gX"], {"g1": "MKT"})
    assert seqs == ["MKT", None]
    assert "gX" in caplog.text
    v = Vocabulary.build(["MKT"])
    tok, _ = encode_batch(seqs, v)
    assert tok[1, 0] == v.stoi[NONE]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gene_sequences(["g1"], {"g1": "MKT"})  # no warning when nothing is missing
