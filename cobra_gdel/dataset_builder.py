"""Training data for any model: gDel_minRN labels made by the MILP, verified by FBA.

:func:`build_dataset` designs every target with :func:`cobra_gdel.search_deletions`
(maximal designs, as the published strategies: repress as many reactions as possible,
never trimmed) through :func:`cobra_gdel.batch_files.design_all` (resumable, on a
dask cluster when given), checks every coupled design again, and writes a strategy
data folder in the format of the shared data (``cobra-gdel train --data`` reads it)::

    OUTPUT/strategies.csv   metabolite, then one 0/1 column per gene (1 = deleted);
                            verified coupled rows only
    OUTPUT/smiles.tsv       metabolite, smiles (empty where no structure is known)
    OUTPUT/proteins.fasta   protein sequences, when any are known (else absent)
    OUTPUT/manifest.json    settings, solvers, package versions, per-target method and
                            seconds, the targets left out and why
    OUTPUT/designs/, summary.csv, screen.json   the batch itself (see batch_files)
"""

from __future__ import annotations

import datetime
import logging
import os
import platform
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path

import pandas as pd

from .batch import DEFAULT_TIME_LIMIT
from .batch_files import design_all, write_json, write_text
from .coupling import check_coupling
from .features import annotation_smiles
from .gpr import RuleSet
from .problem import default_milp_solver
from .targets import GROWTH_LB, PRODUCTION_LB, protected_genes

logger = logging.getLogger(__name__)

__all__ = ["PACKAGES", "annotation_sequence", "build_dataset",
           "canonical_deletions", "package_versions", "verified_labels"]

#: Packages whose versions the manifest records (those installed).
PACKAGES = ("cobra_gdel", "cobra", "optlang", "swiglpk", "highspy", "pandas", "numpy",
            "torch", "rdkit", "dask", "distributed")
#: Gene annotation / notes keys that may hold a protein sequence.
SEQUENCE_KEYS = ("protein_sequence", "aa_sequence", "sequence", "translation")


def package_versions() -> dict[str, str]:
    """Python and the installed versions of :data:`PACKAGES`."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def _first(value):
    if isinstance(value, (list, tuple)):
        return value[0] if value else None
    return value


def annotation_sequence(gene) -> str | None:
    """A protein sequence from the gene's annotation or notes (keys
    :data:`SEQUENCE_KEYS`); None when the model holds none."""
    for source in (gene.annotation or {}, getattr(gene, "notes", None) or {}):
        lowered = {str(k).lower(): v for k, v in source.items()}
        for key in SEQUENCE_KEYS:
            value = _first(lowered.get(key))
            if value and str(value).strip().isalpha():
                return str(value).strip().upper().rstrip("*")
    return None


def _mapping(value, reader, what: str) -> dict:
    """A dict from a mapping or a file read by *reader* (None → {})."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, (str, os.PathLike)):
        if not Path(value).is_file():
            raise FileNotFoundError(f"{what} file {value} does not exist")
        return reader(value)
    raise TypeError(f"{what} must be a mapping or a file path, not {type(value).__name__}")


def canonical_deletions(rules: RuleSet, deletions: Iterable[str],
                        protected: Iterable[str] = (),
                        order: Iterable[str] | None = None) -> frozenset[str]:
    """The canonical gene set that switches off exactly the reactions *deletions* does.

    Which subunit of a complex (or which genes of a reaction's alternatives) a MILP
    solution marks deleted is the solver's tie-break: many gene sets switch off the
    same reactions, and the coupling check sees only the reactions. This returns one
    of them by a fixed rule: every gene that switches off nothing more is added, then
    genes are dropped, smallest id first, while the reactions switched off stay the
    same. The result is minimal (every gene is needed for the same reactions), prefers
    the larger gene id among equivalent ones (or, with *order*, the gene that comes
    later there), and depends only on the reactions switched off; *protected* genes
    are never added.

    Parameters
    ----------
    rules : cobra_gdel.gpr.RuleSet
        The model's compiled rules.
    deletions : iterable of str
        A deletion set (e.g. a MILP design).
    protected : iterable of str
        Genes never added.
    order : iterable of str, optional
        Genes in the order of preference, the most preferred last (e.g. the model's
        genes: the "latest gene" convention of :func:`cobra_gdel.network_features.decode_kept`);
        default: by gene id. Genes not in it come first (least preferred), by id.

    Returns
    -------
    frozenset of str
    """
    deleted = set(deletions)
    off = rules.disabled(deleted)
    keep = set(protected)
    rank = {} if order is None else {g: i for i, g in enumerate(order)}

    def preference(gene: str) -> tuple:
        return (rank.get(gene, -1), gene) if rank else (gene,)

    candidates = sorted({g for rid in off for g in rules.rule_genes(rid)} - keep - deleted,
                        key=preference, reverse=True)
    for gene in candidates:
        if not rules.newly_disabled(deleted, off, gene):
            deleted.add(gene)
    for gene in sorted(deleted, key=preference):
        if not rules.reenabled(deleted, off, gene):
            deleted.discard(gene)
    return frozenset(deleted)


def verified_labels(model, table: pd.DataFrame, growth_lb: float = GROWTH_LB,
                    production_lb: float = PRODUCTION_LB, solver=None,
                    genes: str = "canonical") -> tuple[pd.DataFrame, dict[str, str]]:
    """(labels, left out): the coupled rows of a batch *table* re-checked by FBA.

    Parameters
    ----------
    model : cobra.Model
    table : pandas.DataFrame
        A :func:`cobra_gdel.predict_many` / :func:`~cobra_gdel.batch_files.design_all`
        table.
    growth_lb, production_lb : float
        Bounds of the re-check.
    solver : str, optional
    genes : {"canonical", "as_found"}
        ``"canonical"``: each design's :func:`canonical_deletions` (the same reactions
        switched off; the gene choice no longer depends on the solver's tie-breaks);
        ``"as_found"``: the genes exactly as the method returned them.

    Returns
    -------
    (pandas.DataFrame, dict)
        Labels: targets × every gene of the model (model order), int8, 1 = deleted;
        only rows whose deletions pass :func:`cobra_gdel.check_coupling` again. Left
        out: target → why (its status and reason, or the failed re-check).
    """
    if genes not in ("canonical", "as_found"):
        raise ValueError(f"genes must be 'canonical' or 'as_found', not {genes!r}")
    rules = RuleSet(model) if genes == "canonical" else None
    protected = protected_genes(model)
    columns = [g.id for g in model.genes]
    rows, left_out = {}, {}
    for target, row in table.iterrows():
        if not row["coupled"]:
            left_out[target] = f"{row['status']}: {row['reason']}".rstrip(": ")
            continue
        deletions = (canonical_deletions(rules, row["deletions"], protected)
                     if rules is not None else row["deletions"])
        report = check_coupling(model, target, deletions, growth_lb, production_lb,
                                solver=solver)
        if not report.coupled:
            left_out[target] = f"re-check failed: {report.reason}"
            continue
        rows[target] = [1 if g in report.deletions else 0 for g in columns]
    labels = pd.DataFrame(list(rows.values()), index=pd.Index(list(rows), name="metabolite"),
                          columns=columns, dtype="int8")
    return labels, left_out


def _write_smiles(model, folder: Path, given: Mapping) -> int:
    """smiles.tsv for every metabolite of the model; the number with a structure."""
    rows = []
    for met in model.metabolites:
        smiles = given.get(met.id) or annotation_smiles(met) or ""
        rows.append((met.id, str(smiles).strip()))
    frame = pd.DataFrame(rows, columns=["metabolite", "smiles"])
    write_text(folder / "smiles.tsv", frame.to_csv(sep="\t", index=False))
    return int((frame["smiles"] != "").sum())


def _write_fasta(model, folder: Path, given: Mapping) -> int:
    """proteins.fasta with every known sequence (none: no file); the number written."""
    records = []
    for gene in model.genes:
        sequence = given.get(gene.id) or annotation_sequence(gene)
        if sequence:
            records.append(f">{gene.id}\n{sequence}\n")
    path = folder / "proteins.fasta"
    if records:
        write_text(path, "".join(records))
    elif path.exists():
        path.unlink()
    return len(records)


def _manifest(model, table: pd.DataFrame, labels: pd.DataFrame, left_out: Mapping,
              settings: Mapping, counts: Mapping) -> dict:
    targets = {t: {"status": r["status"], "method": r["method"], "seconds": r["seconds"],
                   "n_deletions": int(r["n_deletions"]), "timed_out": bool(r["timed_out"]),
                   "in_strategies": t in labels.index, "reason": r["reason"]}
               for t, r in table.iterrows()}
    return {"format": "cobra_gdel.strategies", "format_version": 1,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "model_id": model.id, "n_genes": len(model.genes),
            "n_metabolites": len(model.metabolites), "n_targets": len(table),
            "n_rows": len(labels), "labels": (
                "maximal gDel_minRN designs (cobra_gdel.search_deletions"
                if settings.get("method") == "search" else
                "maximal verified designs (cobra_gdel.predict_deletions, minimize=False")
            + ", not trimmed; genes: see settings), re-checked by FBA",
            "settings": dict(settings), "versions": package_versions(), **counts,
            "left_out": dict(left_out), "targets": targets}


def build_dataset(model, targets, output: str | os.PathLike, *, client=None,
                  time_limit: float | None = DEFAULT_TIME_LIMIT, smiles=None, sequences=None,
                  genes: str = "canonical", retry_errors: bool = False, progress: bool = True,
                  method: str = "search", **kwargs):
    """Make a strategy data folder for *model* with the gDel_minRN MILP (or with
    ``predict_deletions``' verified maximal designs, ``method="predict"``).

    Parameters
    ----------
    model : cobra.Model
        Any model (left unchanged).
    targets : iterable of str, or "all"
        As :func:`cobra_gdel.batch_files.design_all`.
    output : path
        The data folder; a stopped run resumes (targets with a result are skipped).
    client : dask.distributed.Client or str, optional
        Run the searches on its workers.
    time_limit : float, optional
        Seconds per target (default 60).
    smiles : mapping or path, optional
        Metabolite id → SMILES (or a ``smiles.tsv``), used before the annotations.
    sequences : mapping or path, optional
        Gene id → protein sequence (or a FASTA file), used before the annotations.
    genes : {"canonical", "as_found"}
        Which genes of a design are labelled deleted: ``"canonical"`` (default) the
        :func:`canonical_deletions` of the reactions it switches off (the solver's
        choice among equivalent subunits and isozymes no longer shows in the labels;
        the larger gene id is preferred, as in the published MetNetComp strategies),
        ``"as_found"`` the genes as the MILP decoded them. Both switch off the same
        reactions, so both are verified the same way.
    retry_errors, progress : bool
        As :func:`~cobra_gdel.batch_files.design_all`.
    method : {"search", "predict"}
        ``"search"`` (default): the gDel_minRN MILP, as the published strategies were
        made. ``"predict"``: :func:`cobra_gdel.predict_deletions` with
        ``minimize=False`` (a predictor's candidates repaired into a verified maximal
        design; on a genome-scale model without training data it couples far more
        targets within a time limit than the MILP alone).
    **kwargs
        Keywords of :func:`cobra_gdel.search_deletions` or
        :func:`cobra_gdel.predict_deletions` (``growth_lb``, ``production_lb``,
        ``protected``, ``solver``, ...); ``minimize`` is refused (labels are maximal
        designs).

    Returns
    -------
    cobra_gdel.data.StrategyDataset
        The folder read back (``model_id`` = the model's id).

    Raises
    ------
    ValueError
        ``minimize=True``, or no target gave a verified design.
    """
    from .data import StrategyDataset, read_fasta, read_smiles

    if genes not in ("canonical", "as_found"):
        raise ValueError(f"genes must be 'canonical' or 'as_found', not {genes!r}")
    if kwargs.get("minimize"):
        raise ValueError("build_dataset makes maximal designs (the published strategies "
                         "are maximal); minimize is not allowed")
    if method not in ("search", "predict"):
        raise ValueError(f"method must be 'search' or 'predict', not {method!r}")
    if method == "predict":
        kwargs["minimize"] = False
    given_smiles = _mapping(smiles, read_smiles, "smiles")
    given_sequences = _mapping(sequences, read_fasta, "sequences")
    folder = Path(output)
    table = design_all(model, targets, folder, client=client, method=method,
                       time_limit=time_limit, retry_errors=retry_errors, progress=progress,
                       **kwargs)
    growth_lb = float(kwargs.get("growth_lb", GROWTH_LB))
    production_lb = float(kwargs.get("production_lb", PRODUCTION_LB))
    solver = kwargs.get("solver")
    labels, left_out = verified_labels(model, table, growth_lb, production_lb, solver, genes)
    if labels.empty:
        raise ValueError(f"no target of {len(table)} gave a verified coupled design; see "
                         f"{folder / 'summary.csv'}")
    write_text(folder / "strategies.csv", labels.to_csv())
    counts = {"n_smiles": _write_smiles(model, folder, given_smiles),
              "n_sequences": _write_fasta(model, folder, given_sequences)}
    own = model.solver.interface.__name__.rpartition(".")[2].replace("_interface", "")
    settings = {"method": method, "genes": genes, "growth_lb": growth_lb,
                "production_lb": production_lb, "time_limit": time_limit,
                "solver": {"lp": solver or own, "milp": default_milp_solver(model, solver) or own},
                **{k: v for k, v in kwargs.items() if k != "solver"}}
    write_json(folder / "manifest.json", _manifest(model, table, labels, left_out, settings,
                                                   counts))
    logger.info("%s: %d verified rows of %d targets (%d left out)", folder, len(labels),
                len(table), len(left_out))
    return StrategyDataset.from_folder(folder, model_id=model.id)
