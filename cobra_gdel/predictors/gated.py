"""A learned predictor that hands novel targets to the model's own networks.

A predictor learned from strategies (``fpnet``, ``deepgdel_res``) scores a target by
what it learned of similar targets. Where the target's minimal production network
(:mod:`cobra_gdel.network_features`, read from the model) looks like none of the
training targets' networks, it extrapolates; the network predictor does not need to.
:class:`GatedPredictor` measures that: the **novelty** of a target is the smallest
Jaccard distance between the genes its network keeps (score < 0.5 in the
:class:`~cobra_gdel.predictors.NetworkPredictor`'s six-variant mean) and the genes the
network of each training target keeps. A target at least ``threshold`` away from every
training target is scored by the network predictor, any other by the learned one.

The threshold, 0.05, was chosen on e_coli_core alone (structure-cluster folds,
``fpnet`` as the learned predictor: the accuracy is flat from 0.04 to 0.06 and lower on
either side) and applied unchanged to the other models (docs/benchmarks.md, the
cluster-split section). There the novel targets are whole families the training
strategies never show: on iMM904 the ten peroxisomal acyl-CoA esters, whose strategies
keep most of the genes that every other iMM904 strategy deletes (novelty 0.10–0.11;
every other iMM904 target is at most 0.07 from a training target).

The predictor reads the model (``reads_model``): ``fit(dataset, model=model)`` trains
the learned predictor and records the training targets' networks;
``fit(model=model)`` on a fitted (or loaded) one binds it to another model without
training, which is how a saved one is used. On any other model (textbook is not
e_coli_core, although it has that id) the training
targets' networks are found again on that model (once, at the first novelty asked):
networks are compared within one model.
"""

from __future__ import annotations

import copy
import logging
import weakref
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..exceptions import NotFittedError
from ..features import canonical_smiles
from .base import BasePredictor
from .network import NetworkPredictor

logger = logging.getLogger(__name__)

__all__ = ["GatedPredictor", "THRESHOLD"]

#: Novelty from which a target is scored by the network predictor (see the module).
THRESHOLD = 0.05


def _kept_rows(network: NetworkPredictor,
               targets: Sequence[str]) -> tuple[list[str], list[np.ndarray]]:
    """The targets of *targets* that the bound model has a network for, and the genes
    each network keeps (boolean rows in the model's gene order)."""
    found, rows = [], []
    for target in targets:
        kept = _kept(network.network_.scores(target)) if network.knows_target(target) else None
        if kept is not None:
            found.append(target)
            rows.append(kept)
    return found, rows


def _kept(scores: np.ndarray) -> np.ndarray | None:
    """Genes a network keeps (P(deleted) < 0.5); None when the model has no network
    for the target (every score 0.5)."""
    if np.allclose(scores, 0.5):
        return None
    return scores < 0.5


def _model_digest(model) -> str:
    """SHA-256 of what the networks depend on: reactions (bounds, rule, stoichiometry)
    and the objective."""
    import hashlib

    from cobra.util.solver import linear_reaction_coefficients

    digest = hashlib.sha256()
    for reaction in model.reactions:
        stoichiometry = sorted((m.id, c) for m, c in reaction.metabolites.items())
        digest.update(repr((reaction.id, reaction.lower_bound, reaction.upper_bound,
                            reaction.gene_reaction_rule, stoichiometry)).encode())
    objective = sorted((r.id, c) for r, c in linear_reaction_coefficients(model).items())
    digest.update(repr(objective).encode())
    return digest.hexdigest()


class GatedPredictor(BasePredictor):
    """A learned predictor, with the network predictor for novel targets.

    Parameters
    ----------
    base : str
        The learned predictor (a name of :func:`~cobra_gdel.predictors.make_predictor`
        that trains on strategies; default ``"fpnet"``).
    base_params : dict, optional
        Its hyper-parameters.
    threshold : float
        Novelty (smallest Jaccard distance of kept-gene sets, in (0, 1]) from which the
        network predictor scores a target (default :data:`THRESHOLD`).
    random_state : int
        Seed of the learned predictor.
    device : str
        ``"cpu"`` or ``"cuda"``, for the learned predictor.

    Attributes
    ----------
    base_ : BasePredictor
        The fitted learned predictor.
    network_ : NetworkPredictor
        The network predictor bound to the model.
    kept_targets_ : list of str
        The training targets whose networks are recorded.
    model_id_, model_digest_ : str
        The model they were recorded on, and a digest of its reactions, bounds, rules and
        objective.

    Examples
    --------
    >>> import cobra
    >>> from cobra_gdel.predictors import GatedPredictor
    >>> gated = GatedPredictor(base="prior").fit(dataset, model=model)  # doctest: +SKIP
    >>> gated.novelty("succ_e")  # doctest: +SKIP
    0.0
    """

    name = "gated"
    #: ``fit`` reads the model too.
    reads_model: ClassVar[bool] = True

    def __init__(self, base: str = "fpnet", base_params: Mapping[str, Any] | None = None,
                 threshold: float = THRESHOLD, random_state: int = 0,
                 device: str = "cpu") -> None:
        self.base = base
        self.base_params = base_params
        self.threshold = threshold
        self.random_state = random_state
        self.device = device

    def fit(self, dataset: Any = None, *, model=None) -> GatedPredictor:
        """Train on *dataset* and bind to *model*; without *dataset*, bind a fitted (or
        loaded) predictor to *model*.

        Raises
        ------
        ValueError
            Without a model, with a threshold outside (0, 1], or a base predictor that
            does not learn from strategies.
        NotFittedError
            Binding (no *dataset*) a predictor that was never trained.
        """
        from . import make_predictor
        from .device import check_device

        check_device(self.device)
        if model is None:
            raise ValueError("GatedPredictor reads a cobra model: call fit(dataset, model=model)")
        if not 0 < float(self.threshold) <= 1:
            raise ValueError(f"threshold must be in (0, 1], got {self.threshold}")
        if dataset is not None:
            base = make_predictor(self.base, random_state=self.random_state,
                                  device=self.device, progress=False,
                                  **dict(self.base_params or {}))
            if getattr(base, "reads_model", False):
                raise ValueError(f"base must learn from strategies, not read the model: "
                                 f"{self.base!r}")
            self.base_ = base.fit(dataset)
            self._record(dataset.targets, model)
        elif not hasattr(self, "base_"):
            raise NotFittedError("GatedPredictor is not trained; call fit(dataset, model=model)")
        self.genes_ = list(self.base_.genes_)
        self._bind(model)
        return self

    def _record(self, targets: Sequence[str], model) -> None:
        """The kept-gene sets of the training targets' networks (as gene indices) on
        the training *model*, and that model's digest."""
        network = NetworkPredictor().fit(model=model)
        self.model_id_, self.model_digest_ = model.id, _model_digest(model)
        self.kept_genes_ = list(network.genes_)
        self.kept_targets_, rows = _kept_rows(network, targets)
        self.kept_ = [np.flatnonzero(row).tolist() for row in rows]
        self._caches()

    def _caches(self) -> None:
        """Per bound network (kept while its model lives; shared by shallow copies, so a
        call that binds a bundled predictor again repeats none of this): whether it is
        the training model's, and the training networks' 0/1 matrix on it."""
        self._same_model: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._matrices: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _bind(self, model) -> None:
        """Bind the network predictor. The recorded networks serve the model they were
        recorded on (the same reactions, bounds, rules and objective); on another model
        the training targets' networks are found again on it at the first
        :meth:`novelty` (textbook's, for e_coli_core's predictor, differ from
        e_coli_core's in a quarter of their genes, for reasons of the model and not of
        the target)."""
        self.network_ = NetworkPredictor().fit(model=model)
        network = self.network_.network_
        if network not in self._same_model:
            self._same_model[network] = _model_digest(model) == self.model_digest_

    def _training_networks(self) -> np.ndarray:
        """The training targets' kept-gene sets on the bound model (0/1 rows)."""
        network = self.network_.network_
        matrix = self._matrices.get(network)
        if matrix is not None:
            return matrix
        if self._same_model[network]:
            index = network.gene_index
            matrix = np.zeros((len(self.kept_), len(network.genes)), dtype=np.int64)
            for row, kept in enumerate(self.kept_):
                genes = (self.kept_genes_[i] for i in kept)
                matrix[row, [index[g] for g in genes if g in index]] = 1
        else:
            _targets, rows = _kept_rows(self.network_, self.kept_targets_)
            logger.info("networks of %d training targets found on %s", len(rows),
                        self.network_.model_id_)
            matrix = (np.array(rows, dtype=np.int64) if rows
                      else np.zeros((0, len(network.genes)), dtype=np.int64))
        self._matrices[network] = matrix
        return matrix

    def _check_bound(self) -> None:
        self._check_fitted()
        if getattr(self, "network_", None) is None:
            raise NotFittedError("GatedPredictor is not bound to a model; call "
                                 "fit(model=model)")

    def novelty(self, target: str) -> float | None:
        """Smallest Jaccard distance between the genes *target*'s network keeps and those
        of each training target's network (0: the same genes as some training target);
        None when the bound model has no such metabolite or no network for it."""
        self._check_bound()
        if not self.network_.knows_target(target):
            return None
        kept = _kept(self.network_.network_.scores(target))
        if kept is None:
            return None
        train = self._training_networks()
        if not len(train):
            return 1.0
        inter = train @ kept.astype(np.int64)  # bool @ bool would be a bool
        union = train.sum(axis=1) + int(kept.sum()) - inter
        return float(np.min(1.0 - inter / np.maximum(union, 1)))

    def scored_by(self, target: str) -> str | None:
        """``"network"`` when :meth:`predict_proba` hands *target* to the network
        predictor, None when the learned predictor scores it."""
        return self.network_.name if self._is_novel(target) else None

    def _is_novel(self, target: str) -> bool:
        distance = self.novelty(target)
        return distance is not None and distance >= self.threshold

    def predict_proba(
        self,
        target: str,
        *,
        smiles: str | None = None,
        sequences: Mapping[str, str] | None = None,
        genes: Sequence[str] | None = None,
    ) -> pd.Series:
        """P(deleted) per gene: the network predictor's for a novel target, else the
        learned predictor's (*smiles* and *sequences* go to it).

        Raises
        ------
        ValueError
            *smiles* is given and is not a valid structure (whoever scores the target).
        """
        self._check_bound()
        if smiles is not None:  # an invalid structure raises whoever scores the target
            canonical_smiles(smiles, target)
        if self._is_novel(target):
            logger.info("%s: its network is novel (>= %.2f from every training target's); "
                        "scored by the network predictor", target, self.threshold)
            genes = self.genes_ if genes is None else genes
            return self.network_.predict_proba(target, genes=genes)
        return self.base_.predict_proba(target, smiles=smiles, sequences=sequences,
                                        genes=genes)

    def predict_frame(self, dataset: Any, targets: Sequence[str] | None = None) -> pd.DataFrame:
        """P(deleted) for several targets × the dataset's genes (batched by the learned
        predictor; the rows of novel targets from the network predictor)."""
        self._check_bound()
        frame = self.base_.predict_frame(dataset, targets)
        for target in frame.index:
            if self._is_novel(target):
                scores = self.network_.predict_proba(target, genes=list(frame.columns))
                frame.loc[target] = scores.to_numpy()
        return frame

    # ------------------------------------------------------------------ the learned part
    def prior_proba(self, genes: Sequence[str]) -> pd.Series | None:
        """The learned predictor's frequency prior."""
        self._check_fitted()
        return self.base_.prior_proba(genes)

    def unscorable_genes(self, genes: Sequence[str],
                         sequences: Mapping[str, str] | None = None) -> list[str]:
        """Genes the learned predictor can not score."""
        self._check_fitted()
        return self.base_.unscorable_genes(genes, sequences)

    def knows_target(self, metabolite_id: str) -> bool:
        """Whether the learned predictor has an embedding for *metabolite_id*."""
        self._check_fitted()
        return self.base_.knows_target(metabolite_id)

    def known_metabolites(self) -> list[str]:
        """The metabolites the learned predictor has an embedding for."""
        self._check_fitted()
        return self.base_.known_metabolites()

    def embed_metabolites(self, smiles: Mapping[str, str | None]) -> list[str]:
        """Cache the learned predictor's latents of more metabolites (its own copy of
        the learned predictor: a shallow copy of this predictor is left as it was)."""
        self._check_fitted()
        self.base_ = copy.copy(self.base_)
        return self.base_.embed_metabolites(smiles)

    def _get_state(self) -> dict[str, Any]:
        return {"base": self.base_.to_checkpoint(), "model_id": self.model_id_,
                "model_digest": self.model_digest_,
                "kept_genes": list(self.kept_genes_),
                "kept_targets": list(self.kept_targets_),
                "kept": [list(map(int, kept)) for kept in self.kept_]}

    def _set_state(self, state: Mapping[str, Any], device: str | None) -> None:
        base = BasePredictor.from_checkpoint(state["base"], device=device,
                                             source="the gated predictor's base")
        genes, targets = list(state["kept_genes"]), list(state["kept_targets"])
        kept = [[int(i) for i in row] for row in state["kept"]]
        if len(kept) != len(targets) or any(i < 0 or i >= len(genes) for r in kept for i in r):
            raise ValueError("the recorded networks do not match their genes and targets")
        self.base_, self.kept_genes_, self.kept_targets_, self.kept_ = base, genes, targets, kept
        self.model_id_, self.model_digest_ = str(state["model_id"]), str(state["model_digest"])
        self.genes_ = list(base.genes_)
        self.network_ = None
        self._caches()
