"""predict → verify → repair: the one-line design API (``model.predict_deletions``)."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np

from .coupling import (
    GROWTH_LB,
    PRODUCTION_LB,
    _check_lb,
    get_checker,
    protected_genes,
    resolve_target,
)
from .design import DeletionDesign
from .exceptions import MissingInputError
from .search import _proved_no_design

logger = logging.getLogger(__name__)

__all__ = ["predict_deletions", "resolve_predictor"]

#: Seconds for repair in all when ``time_limit`` is not given.
REPAIR_SECONDS = 60.0
#: Share of the repair time for the predicted scores when the predictor also keeps
#: its frequency prior (repair from the prior gets what is left if the first fails).
PREDICTED_SHARE = 0.5
#: The fallback to the prior only starts with at least this many seconds left.
FALLBACK_MIN_SECONDS = 1.0

def _check_device(device: str | None) -> str | None:
    """Validate *device* early (unknown name, or CUDA asked for but absent) → ValueError."""
    from .predictors.device import check_device

    return check_device(device)


def resolve_predictor(model, predictor="auto", device: str | None = None):
    """Return a fitted predictor for *model*.

    Parameters
    ----------
    model : cobra.Model
        The model designs are made for.
    predictor : str, path or predictor
        ``"auto"`` (the bundled predictor matched by model id and gene overlap), a
        bundled model id (``"iML1515"``), a file saved by ``predictor.save`` /
        ``cobra-gdel train``, or a fitted predictor object.
    device : str, optional
        ``"cpu"`` (default), ``"cuda"`` or ``"auto"``.
    """
    from . import bundled

    if hasattr(predictor, "predict_proba"):
        return predictor
    if isinstance(predictor, (str, os.PathLike)):
        path = Path(predictor)
        if path.suffix and path.exists():
            return bundled.load(path, device)
        if isinstance(predictor, str) and not path.suffix:
            return bundled.load(bundled.select(model, predictor), device)
        raise FileNotFoundError(f"predictor file {predictor!s} does not exist")
    raise TypeError(f"predictor must be 'auto', a bundled model id, a file or a fitted "
                    f"predictor, not {type(predictor).__name__}")


def _annotation_smiles(metabolite) -> str | None:
    """A SMILES from the metabolite's annotation (SMILES, or InChI converted by RDKit)."""
    annotation = {k.lower(): v for k, v in (metabolite.annotation or {}).items()}
    for key in ("smiles", "canonical_smiles"):
        value = annotation.get(key)
        if value:
            return value[0] if isinstance(value, list) else value
    inchi = annotation.get("inchi")
    if isinstance(inchi, list):
        inchi = inchi[0] if inchi else None
    if inchi and str(inchi).startswith("InChI="):
        from rdkit import Chem, RDLogger

        RDLogger.DisableLog("rdApp.*")
        mol = Chem.MolFromInchi(str(inchi))
        if mol is not None:
            return Chem.MolToSmiles(mol)
    return None


def _same_compound(metabolite_id: str, known: Iterable[str]) -> str | None:
    """A known id of the same compound in another compartment (BiGG ``<base>_<comp>``).

    The metabolite encoder sees only the structure, which does not depend on the
    compartment, so that embedding is exact for *metabolite_id*.
    """
    base, sep, _comp = metabolite_id.rpartition("_")
    if not sep:
        return None
    same = sorted(k for k in known if k.rpartition("_")[0] == base)
    preferred = [k for k in same if k.endswith(("_c", "_e", "_p"))]
    return (preferred or same or [None])[0]


def _sequences(sequences) -> dict[str, str] | None:
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


def _scored_genes(model, predictor, sequences, excluded: frozenset) -> tuple[list[str], list[str]]:
    """(genes to score, genes the predictor can not score and no sequence was given for)."""
    genes = [g.id for g in model.genes if g.id not in excluded]
    if not hasattr(predictor, "unscorable_genes"):
        return genes, []
    return genes, predictor.unscorable_genes(genes, sequences)


def predict_deletions(model, target, *, smiles: str | None = None,
                      sequences: Mapping[str, str] | str | os.PathLike | None = None,
                      predictor="auto", growth_lb: float = GROWTH_LB,
                      production_lb: float = PRODUCTION_LB, minimize: bool = False,
                      device: str | None = None, time_limit: float | None = None,
                      protected: Iterable = ()) -> DeletionDesign:
    """Predict a gene-deletion design for *target*, verify it by FBA, repair it if needed.

    The predictor scores every gene (P(deleted)); the genes it would delete are
    checked for weak growth coupling (maximal growth, then minimal production at
    that growth) and, when the check fails, pruned or extended by
    :func:`cobra_gdel.repair` until a verified design comes back.

    Parameters
    ----------
    model : cobra.Model
        The model; it is left unchanged.
    target : str or cobra.Metabolite
        The metabolite to couple to growth.
    smiles : str, optional
        SMILES of a target the predictor has no embedding for (otherwise taken
        from the bundled embeddings or the metabolite's SMILES/InChI annotation).
    sequences : dict or path, optional
        Protein sequences (dict or FASTA file) of genes the predictor has no
        embedding for.
    predictor : str, path or predictor
        ``"auto"``, a bundled model id, a saved predictor file, or a fitted
        predictor (see :func:`resolve_predictor`).
    growth_lb, production_lb : float
        Lower bounds on maximal growth and on minimal production at that growth.
    minimize : bool
        Trim the verified design to a minimal one (restoring any gene breaks it).
    device : str, optional
        ``"cpu"`` (default), ``"cuda"`` or ``"auto"`` for the predictor.
    time_limit : float, optional
        Seconds for repair in all (default ``REPAIR_SECONDS``, 60). When repair from
        the predicted scores fails and the predictor keeps the frequency prior it
        was trained with (the bundled ones do), repair starts again from that prior:
        the first attempt gets ``PREDICTED_SHARE`` of the time, the second the rest.
    protected : iterable of str
        Genes never to delete (spontaneous pseudo-genes are always protected).

    Returns
    -------
    DeletionDesign
        ``coupled`` is True only when the returned deletions were verified;
        ``probabilities`` holds the predictor's scores; ``timings`` splits the
        time into predict, repair and verify (both attempts together); ``method``
        is ``"predict+repair:…"``, or ``"predict+prior+repair:…"`` when the design
        came from the fallback to the prior.

    Raises
    ------
    UnknownTargetError
        The target is not in the model (close ids are suggested).
    NoProductionRouteError
        The model cannot produce the target while growing.
    MissingInputError
        The predictor has no embedding for the target and no SMILES is available,
        or genes lack both an embedding and a sequence.
    ValueError
        Invalid SMILES, bounds or device.

    Examples
    --------
    >>> import cobra, cobra_gdel
    >>> model = cobra.io.load_model("textbook")
    >>> design = model.predict_deletions("succ_e")
    >>> design.coupled
    True
    """
    from .repair import repair

    growth_lb = _check_lb("growth_lb", growth_lb)
    production_lb = _check_lb("production_lb", production_lb)
    device = _check_device(device)
    metabolite = resolve_target(model, target)
    checker = get_checker(model)
    checker.require_production_route(metabolite.id, growth_lb, production_lb)
    excluded = protected_genes(model, protected)

    start = time.perf_counter()
    fitted = resolve_predictor(model, predictor, device)
    query = metabolite.id
    if (hasattr(fitted, "knows_target") and not fitted.knows_target(metabolite.id)
            and smiles is None):
        smiles = _annotation_smiles(metabolite)
        alias = _same_compound(metabolite.id, fitted.known_metabolites()) if smiles is None else None
        if alias is not None:
            logger.info("using the embedding of %s (same compound) for %s", alias, metabolite.id)
            query = alias
        elif smiles is None:
            raise MissingInputError(
                f"the predictor has no embedding for {metabolite.id} (in any compartment) and "
                "its annotation has no SMILES or InChI: pass its structure, e.g. "
                f"predict_deletions(model, '{metabolite.id}', smiles='<SMILES>')")
    seqs = _sequences(sequences)
    genes, missing = _scored_genes(model, fitted, seqs, excluded)
    if missing:
        where = "the FASTA/dict you passed lacks" if seqs is not None else "no sequences given for"
        raise MissingInputError(
            f"{len(missing)} gene(s) of {model.id!r} have no embedding in the predictor and "
            f"{where} them: {missing[:10]}{' ...' if len(missing) > 10 else ''}; pass "
            "sequences=<FASTA path or dict gene id -> protein sequence> covering them")
    all_genes = [g.id for g in model.genes]
    probabilities = fitted.predict_proba(query, smiles=smiles, sequences=seqs, genes=genes)
    probabilities = probabilities.reindex(all_genes).rename(metabolite.id)
    probabilities.index.name = "gene"
    predict_seconds = time.perf_counter() - start

    scores = probabilities.fillna(0.0)  # excluded genes: kept
    budget = REPAIR_SECONDS if time_limit is None else float(time_limit)
    prior = fitted.prior_proba(genes) if hasattr(fitted, "prior_proba") else None
    if prior is not None:
        prior = prior.reindex(all_genes).fillna(0.0)
        if np.allclose(prior.to_numpy(), scores.to_numpy(), atol=1e-9):
            prior = None  # the predictor's scores are the prior: nothing new to try
    first = budget * PREDICTED_SHARE if prior is not None else budget
    start = time.perf_counter()
    design = repair(model, metabolite.id, scores, growth_lb=growth_lb,
                    production_lb=production_lb, protected=excluded, minimize=minimize,
                    time_limit=first)
    method = f"predict+{design.method}"
    timings = {"predict": predict_seconds, **design.timings}
    left = budget - (time.perf_counter() - start)
    if (not design.coupled and not _proved_no_design(design) and prior is not None
            and left >= FALLBACK_MIN_SECONDS):
        logger.info("repair from the predicted scores did not couple %s (%s); repairing "
                    "from the frequency prior (%.1f s left)", metabolite.id, design.reason,
                    left)
        second = repair(model, metabolite.id, prior, growth_lb=growth_lb,
                        production_lb=production_lb, protected=excluded, minimize=minimize,
                        time_limit=left)
        for key, value in second.timings.items():
            timings[key] = timings.get(key, 0.0) + value
        if second.coupled:
            design, method = second, f"predict+prior+{second.method}"
        else:
            design = replace(design, reason=f"from the predicted scores: {design.reason}; "
                                            f"from the frequency prior: {second.reason}")
    return replace(design, method=method, probabilities=probabilities, timings=timings)
