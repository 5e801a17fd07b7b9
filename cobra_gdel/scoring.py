"""Every gene scored for a target: the predictor chosen, the target's structure found,
genes without an embedding scored by the transferable predictor.

:func:`score_genes` is the first step of :func:`cobra_gdel.predict_deletions`; what it
returns (:class:`Scores`) is what repair starts from.
"""

from __future__ import annotations

import copy
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .exceptions import MissingInputError
from .features import annotation_smiles, canonical_smiles
from .problem import DesignTask

logger = logging.getLogger(__name__)

__all__ = ["Scores", "read_sequences", "resolve_predictor", "resolve_with_item", "score_genes"]


def resolve_predictor(model, predictor="auto", device: str | None = None, *,
                      strict: bool = False):
    """Return a fitted predictor for *model*.

    Parameters
    ----------
    model : cobra.Model
        The model designs are made for.
    predictor : str, path or predictor
        ``"auto"`` (the bundled predictor matched by model id and gene overlap; when
        none fits, the transferable ``"network"`` predictor bound to *model*), a
        bundled model id (``"iML1515"``), ``"network"``, a file saved by
        ``predictor.save`` / ``cobra-gdel train``, or a fitted predictor object (one
        that reads the model, such as a ``NetworkPredictor``, is bound to *model*).
    device : str, optional
        ``"cpu"`` (default), ``"cuda"`` or ``"auto"``.
    strict : bool
        With ``"auto"``, raise :class:`MissingInputError` when no bundled predictor
        fits instead of using the transferable one (with a warning).
    """
    return resolve_with_item(model, predictor, device, strict)[0]


def resolve_with_item(model, predictor, device: str | None, strict: bool):
    """:func:`resolve_predictor`, and the bundled predictor's entry when one was loaded
    by name (``"auto"`` or a bundled model id; else None)."""
    from . import bundled

    if hasattr(predictor, "predict_proba"):
        if getattr(predictor, "reads_model", False):
            return copy.copy(predictor).fit(model=model), None
        return predictor, None
    if isinstance(predictor, (str, os.PathLike)):
        path = Path(predictor)
        if path.suffix and path.exists():
            return bundled.load(path, device, model=model), None
        if isinstance(predictor, str) and not path.suffix:
            if predictor.lower() == bundled.transferable().name:
                return bundled.load_transferable(model), None
            try:
                item = bundled.select(model, predictor)
            except MissingInputError as exc:
                if strict or predictor != "auto":
                    raise
                logger.warning("%s Scoring every gene with the transferable network predictor "
                               "instead (it reads only the model; strict=True raises).", exc)
                return bundled.load_transferable(model), None
            return bundled.load(item, device, model=model), item
        raise FileNotFoundError(f"predictor file {predictor!s} does not exist")
    raise TypeError(f"predictor must be 'auto', a bundled model id, a file or a fitted "
                    f"predictor, not {type(predictor).__name__}")


def _same_compound(metabolite_id: str, fitted) -> str | None:
    """An id of the same compound in another compartment (BiGG ``<base>_<comp>``) that
    the predictor has an embedding for. The metabolite encoder sees only the structure,
    which does not depend on the compartment, so that embedding is exact for
    *metabolite_id*."""
    base, sep, _comp = metabolite_id.rpartition("_")
    if not sep:
        return None
    known = fitted.known_metabolites() if hasattr(fitted, "known_metabolites") else ()
    same = sorted(k for k in known if k.rpartition("_")[0] == base)
    preferred = [k for k in same if k.endswith(("_c", "_e", "_p"))]
    return (preferred or same or [None])[0]


def read_sequences(sequences) -> dict[str, str] | None:
    """Protein sequences as {gene id: sequence}: *sequences* itself (a mapping), read from
    a FASTA path, or None."""
    if sequences is None:
        return None
    if isinstance(sequences, Mapping):
        return {str(k): str(v) for k, v in sequences.items()}
    if isinstance(sequences, (str, os.PathLike)):
        from .data import read_fasta

        path = Path(sequences)
        if not path.exists():
            raise FileNotFoundError(f"FASTA file {path} does not exist")
        return read_fasta(path)
    raise TypeError("sequences must be a FASTA path or a dict gene id -> protein sequence")


def _target_query(metabolite, fitted, smiles: str | None,
                  strict: bool) -> tuple[str, str | None] | None:
    """(id to score, SMILES to pass) for the target: its own id when the predictor knows
    it or a SMILES is at hand (argument or annotation), else a known compartment copy;
    None (when not *strict*) when the predictor can not score it at all."""
    knows = getattr(fitted, "knows_target", None)
    if knows is None or knows(metabolite.id) or smiles is not None:
        return metabolite.id, smiles
    annotated = annotation_smiles(metabolite)
    if annotated is not None:
        try:
            canonical_smiles(annotated, metabolite.id)
            return metabolite.id, annotated
        except ValueError:
            if strict:
                raise
            logger.warning("the SMILES/InChI annotation of %s is not a valid structure; "
                           "ignored", metabolite.id)
    alias = _same_compound(metabolite.id, fitted)
    if alias is not None:
        logger.info("using the embedding of %s (same compound) for %s", alias, metabolite.id)
        return alias, None
    if strict:
        raise MissingInputError(
            f"the predictor has no embedding for {metabolite.id} (in any compartment) and "
            "its annotation has no SMILES or InChI: pass its structure, e.g. "
            f"predict_deletions(model, '{metabolite.id}', smiles='<SMILES>')")
    return None


@dataclass(frozen=True)
class Scores:
    """What :func:`score_genes` hands to repair.

    Attributes
    ----------
    probabilities : pandas.Series
        P(deleted) of every gene (NaN for protected ones).
    prior : pandas.Series or None
        Scores to repair from when repair from *probabilities* fails (the predictor's
        frequency prior), None when there are none or they are *probabilities*.
    source : str or None
        What scored the genes when it is not the predictor alone (``"network"``,
        ``"prior+network"``, ``"fpnet+network"`` …), recorded in ``design.method``.
    prior_first : bool
        Repair from *prior* first: the predictor was trained on another model (it
        lacks some of this model's genes), where its target-specific scores transfer
        less well than its frequency prior (``benchmarks/transfer.py unseen
        --model iJO1366``).
    """

    probabilities: pd.Series
    prior: pd.Series | None
    source: str | None
    prior_first: bool = False


def score_genes(task: DesignTask, fitted, smiles, sequences, strict: bool) -> Scores:
    """Score every gene with the best information at hand (see
    :func:`cobra_gdel.predict_deletions`)."""
    model = task.model
    metabolite = model.metabolites.get_by_id(task.target)
    query = _target_query(metabolite, fitted, smiles, strict)
    genes = [g.id for g in model.genes if g.id not in task.protected]
    missing = (fitted.unscorable_genes(genes, sequences)
               if hasattr(fitted, "unscorable_genes") else [])
    if missing and strict:
        where = ("the FASTA/dict you passed lacks" if sequences is not None
                 else "no sequences given for")
        raise MissingInputError(
            f"{len(missing)} gene(s) of {model.id!r} have no embedding in the predictor and "
            f"{where} them: {missing[:10]}{' ...' if len(missing) > 10 else ''}; pass "
            "sequences=<FASTA path or dict gene id -> protein sequence> covering them")
    unscorable = set(missing)
    known = [g for g in genes if g not in unscorable]
    own_prior = fitted.prior_proba(known) if hasattr(fitted, "prior_proba") else None
    if query is not None:
        scores = fitted.predict_proba(query[0], smiles=query[1], sequences=sequences, genes=known)
        scored_by = getattr(fitted, "scored_by", None)  # what design.method names
        prior, source = own_prior, scored_by(query[0]) if scored_by else None
    elif own_prior is not None:
        scores, prior, source = own_prior, None, "prior"
    else:
        scores, prior, source, known = None, None, None, []
    if query is None:
        _warn_no_structure(metabolite.id, source)
    if len(known) < len(genes):
        network = _network(model, fitted)
        scored = set(known)
        rest = [g for g in genes if g not in scored]
        extra = network.predict_proba(task.target, genes=rest)
        if missing:
            logger.warning("%d gene(s) of %r have no embedding in the predictor and no "
                           "sequence: %s%s; scored by the transferable network predictor "
                           "(strict=True raises)", len(missing), model.id, missing[:10],
                           " ..." if len(missing) > 10 else "")
        scores = extra if scores is None else pd.concat([scores, extra])
        prior = None if prior is None else pd.concat([prior, extra])
        learned = getattr(fitted, "base_", fitted)  # the gated predictor: its learned part
        label = source or getattr(learned, "name", type(learned).__name__)
        source = "network" if not known else f"{label}+network"
    return _assemble(task, scores, prior, source, prior_first=bool(missing))


def _warn_no_structure(target: str, source: str | None) -> None:
    how = ("the predictor's frequency prior (it needs no structure)" if source == "prior"
           else "the transferable network predictor")
    logger.warning("the predictor has no embedding for %s and no SMILES is known (argument, "
                   "bundled table or annotation): scoring it with %s; pass smiles= for a "
                   "target-specific prediction (strict=True raises)", target, how)


def _network(model, fitted):
    """The transferable predictor bound to *model* (*fitted* itself when it is one)."""
    from . import bundled
    from .predictors import NetworkPredictor

    # not the gated predictor, which reads the model too
    return fitted if isinstance(fitted, NetworkPredictor) else bundled.load_transferable(model)


def _assemble(task: DesignTask, scores: pd.Series, prior: pd.Series | None,
              source: str | None, prior_first: bool = False) -> Scores:
    """Scores on every gene of the model (NaN for protected ones), named by the target."""
    all_genes = [g.id for g in task.model.genes]
    probabilities = scores.reindex(all_genes).rename(task.target)
    probabilities.index.name = "gene"
    if prior is not None:
        prior = prior.reindex(all_genes).fillna(0.0)
        if np.allclose(prior.to_numpy(), probabilities.fillna(0.0).to_numpy(), atol=1e-9):
            prior = None  # the predictor's scores are the prior: nothing new to try
    return Scores(probabilities, prior, source, prior_first and prior is not None)
