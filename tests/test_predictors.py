"""Predictors: shapes, masking, learning, persistence, errors (synthetic toy data)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from cobra_gdel.data import StrategyDataset, data_dir, toy_dataset
from cobra_gdel.exceptions import CheckpointError, MissingInputError
from cobra_gdel.features import Vocabulary, encode_batch
from cobra_gdel.predictors import (
    BasePredictor,
    BPMPredictor,
    DeepGDelPredictor,
    DNNPredictor,
    PriorPredictor,
    load_predictor,
    make_predictor,
)
from cobra_gdel.predictors.deepgdel import DeepGDelNet, SeqAutoencoder

@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny models run faster on one thread (and leave the other cores alone)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


SMALL = dict(embedding_dim=8, hidden_dim=16, head_hidden=16, device="cpu", progress=False)


@pytest.fixture(scope="module")
def toy():
    return toy_dataset(12, 8)


@pytest.fixture(scope="module")
def fitted(toy):
    """One fitted predictor of each kind (module-scoped: fitted once)."""
    return {
        "prior": make_predictor("prior").fit(toy),
        "bpm": make_predictor("bpm").fit(toy),
        "dnn": make_predictor("dnn", embedding_dim=8, hidden=16, epochs=5, device="cpu", progress=False).fit(toy),
        "deepgdel": DeepGDelPredictor(epochs=3, **SMALL).fit(toy),
        "deepgdel_res": make_predictor("deepgdel_res", pretrain_epochs=2, epochs=5, **SMALL).fit(toy),
        "knn": make_predictor("knn").fit(toy),
        "fpnet": make_predictor("fpnet", hidden_dim=16, latent_dim=8, n_bits=256, epochs=20).fit(toy),
    }


def test_autoencoder_shapes():
    v = Vocabulary.build(["MKTAYIAKQR", "MSL"])
    ae = SeqAutoencoder(len(v), 8, 16)
    tok, ln = encode_batch(["MKTAYIAKQR", "MSL", None], v)
    z = ae.encode(tok, ln)
    assert z.shape == (3, 16)
    assert ae.decode_logits(z, ln, tok.shape[1]).shape == (3, tok.shape[1], len(v))
    assert ae.reconstruction_loss(z, tok, ln).ndim == 0
    net = DeepGDelNet(5, len(v), 8, 16, 16)
    assert net.pair_logits(torch.randn(4, 16), torch.randn(7, 16)).shape == (4, 7)
    assert net.pair_logits_flat(torch.randn(4, 16), torch.randn(4, 16)).shape == (4,)


def test_padding_does_not_change_latent():
    torch.manual_seed(0)
    v = Vocabulary.build(["MKTAYIAKQRQISFVKSHFSRQ"])
    ae = SeqAutoencoder(len(v), 8, 16).eval()
    alone = ae.encode(*encode_batch(["MKTA"], v))
    tok, ln = encode_batch(["MKTA", "MKTAYIAKQRQISFVKSHFSRQ"], v)
    assert tok.shape[1] > 4
    batched = ae.encode(tok, ln)
    torch.testing.assert_close(alone[0], batched[0], rtol=1e-5, atol=1e-6)
    extra = torch.cat([tok, torch.zeros(2, 9, dtype=torch.long)], 1)  # more padding
    torch.testing.assert_close(ae.encode(extra, ln), batched, rtol=1e-5, atol=1e-6)


def test_reconstruction_loss_falls():
    torch.manual_seed(0)
    seqs = ["MKTAYIAKQR", "MSLLVAAGK", "MAVKLLG", "MGSSHHHHHH"]
    v = Vocabulary.build(seqs)
    ae = SeqAutoencoder(len(v), 8, 32)
    tok, ln = encode_batch(seqs, v)
    opt = torch.optim.Adam(ae.parameters(), lr=1e-2)
    losses = []
    for _ in range(60):
        loss = ae.reconstruction_loss(ae.encode(tok, ln), tok, ln)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.5 * losses[0]
    assert ae.embedding.weight.grad is not None  # the loss carries gradient to the encoder


def test_small_deepgdel_overfits_tiny_dataset():
    ds = toy_dataset(8, 6, seed=1)
    model = DeepGDelPredictor(epochs=60, lr=2e-2, val_fraction=0.0, dropout=0.0, target_batch=8,
                              gene_batch=8, random_state=0, **SMALL).fit(ds)
    proba = model.predict_frame(ds)
    acc = ((proba.to_numpy() >= 0.5) == ds.labels.to_numpy()).mean()
    assert acc >= 0.95, acc


@pytest.mark.parametrize("name", ["prior", "bpm", "dnn", "deepgdel", "deepgdel_res", "knn", "fpnet"])
def test_predict_shapes_and_save_load(fitted, toy, tmp_path, name):
    model = fitted[name]
    s = model.predict_proba(toy.targets[0])
    assert isinstance(s, pd.Series) and s.name == toy.targets[0] and list(s.index) == toy.genes
    assert ((s >= 0) & (s <= 1)).all()
    frame = model.predict_frame(toy, toy.targets[:5])
    assert frame.shape == (5, 8) and list(frame.index) == toy.targets[:5]
    np.testing.assert_allclose(frame.iloc[0].to_numpy(), s.to_numpy(), rtol=1e-6, atol=1e-7)
    path = tmp_path / f"{name}.pt"
    model.save(path)
    again = type(model).load(path)
    assert type(again) is type(model) and again.get_params() == model.get_params()
    pd.testing.assert_frame_equal(again.predict_frame(toy, toy.targets[:5]), frame)
    pd.testing.assert_frame_equal(load_predictor(path).predict_frame(toy), model.predict_frame(toy))


@pytest.mark.parametrize("name", ["deepgdel_res", "fpnet"])
def test_residual_predictors_keep_their_smoothed_prior(fitted, toy, name):
    prior = fitted[name].prior_proba(toy.genes + ["new"])
    n = toy.labels.shape[0]
    share = (toy.labels.sum() + 1.0) / (n + 2.0)  # Laplace-smoothed training share
    np.testing.assert_allclose(prior[toy.genes].to_numpy(), share.to_numpy(), rtol=1e-5)
    assert prior["new"] == pytest.approx(toy.labels.to_numpy().mean(), rel=1e-5)
    assert fitted["knn"].prior_proba(toy.genes) is None  # keeps none: no fallback


def test_prior_and_bpm_values(toy):
    prior = PriorPredictor().fit(toy)
    np.testing.assert_allclose(prior.predict_proba("any").to_numpy(), toy.labels.mean().to_numpy())
    bpm = BPMPredictor().fit(toy)
    p = bpm.predict_proba("any").to_numpy()
    share = toy.labels.mean().to_numpy()
    assert set(np.unique(p[share != 0.5])) <= {0.0, 1.0}
    np.testing.assert_array_equal(p[share > 0.5], 1.0)
    np.testing.assert_array_equal(p[share < 0.5], 0.0)
    assert prior.predict_proba("x", genes=["g0", "new"]).loc["new"] == pytest.approx(toy.labels.to_numpy().mean())


def test_knn_uses_similar_targets_and_loo_choice():
    from cobra_gdel.predictors.knn import KNNPredictor

    labels = pd.DataFrame([[1, 0, 1, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 1, 0, 1], [1, 1, 0, 0]],
                          index=["a_c", "a_e", "b_c", "b_e", "z_c"], columns=list("wxyz"))
    smiles = {"a_c": "CCCCCCO", "a_e": "CCCCCCO", "b_c": "c1ccccc1O", "b_e": "c1ccccc1O", "z_c": "N"}
    ds = StrategyDataset(labels, smiles, {}, "toy")
    model = KNNPredictor().fit(ds.subset(["a_c", "b_c", "b_e", "z_c"]))
    assert model.alpha_ > 0  # leave-one-out finds the twins (b_c <-> b_e) informative
    p = model.predict_proba("a_e", smiles="CCCCCCO")
    assert p["w"] > 0.5 and p["x"] < 0.5
    with pytest.raises(MissingInputError):
        model.predict_proba("unknown_c")
    fixed = KNNPredictor(k=1, alpha=1.0).fit(ds)
    assert fixed.k_ == 1 and fixed.alpha_ == 1.0


def test_unseen_target_needs_smiles_and_unseen_gene_uses_sequence(fitted):
    model = fitted["deepgdel"]
    with pytest.raises(MissingInputError, match="new_c"):
        model.predict_proba("new_c")
    with pytest.raises(ValueError, match="new_c"):
        model.predict_proba("new_c", smiles="C1CC(")
    s = model.predict_proba("new_c", smiles="CCCC(=O)O", sequences={"gnew": "MKTAYIAK"}, genes=["g0", "gnew"])
    assert list(s.index) == ["g0", "gnew"] and s.notna().all()
    with pytest.warns(UserWarning, match="gmissing"):
        s = model.predict_proba("met0_c", genes=["g0", "gmissing"])
    assert s.notna().all()


def test_fpnet_learns_structure_and_embeds_new_inputs():
    from cobra_gdel.features import dipeptide_composition
    from cobra_gdel.predictors.fpnet import FingerprintNetPredictor

    labels = pd.DataFrame([[1, 0, 1, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 1, 0, 1], [1, 1, 0, 0]],
                          index=["a_c", "a2_c", "b_c", "b2_c", "z_c"], columns=list("wxyz"))
    smiles = {"a_c": "CCCCCCO", "a2_c": "CCCCCCCO", "b_c": "c1ccccc1O", "b2_c": "Cc1ccccc1O", "z_c": "N",
              "free_c": "OCCO"}
    seqs = {g: "MKTAYIAKQRQISFVKSHFSRQ"[i:] for i, g in enumerate("wxyz")}
    ds = StrategyDataset(labels, smiles, seqs, "toy")
    model = FingerprintNetPredictor(hidden_dim=32, latent_dim=8, n_bits=512, dropout=0.0, epochs=200,
                                    lr=1e-2).fit(ds)
    # a structure close to the "a" targets gets their pattern, one close to "b" theirs
    pa = model.predict_proba("new_a", smiles="CCCCCCCCO")
    pb = model.predict_proba("new_b", smiles="CCc1ccccc1O")
    assert pa["w"] > 0.5 > pa["x"] and pb["x"] > 0.5 > pb["w"]
    assert "free_c" in model.metabolites_  # unlabelled metabolites with a SMILES are embedded
    with pytest.raises(MissingInputError, match="new_c"):
        model.predict_proba("new_c")
    with pytest.raises(ValueError, match="new_c"):
        model.predict_proba("new_c", smiles="C1CC(")
    # a gene that was not in training is embedded from its sequence (prior = the mean share)
    p = model.predict_proba("a_c", sequences={"gnew": "MKTAYIAKQR"}, genes=["w", "gnew"])
    assert list(p.index) == ["w", "gnew"] and p.notna().all()
    comp = dipeptide_composition(["MKMK", None, "XX"])
    assert comp.shape == (3, 400) and comp[0].sum() == pytest.approx(1.0) and not comp[1:].any()


def test_gene_without_sequence_in_training_warns(toy):
    ds = StrategyDataset(toy.labels, toy.smiles, {g: s for g, s in toy.sequences.items() if g != "g3"}, "toy")
    with pytest.warns(UserWarning, match="g3"):
        model = DNNPredictor(epochs=1, device="cpu", progress=False).fit(ds)
    assert model.predict_proba("met0_c").notna().all()


def test_seeded_fit_is_deterministic(toy):
    a = DeepGDelPredictor(epochs=2, random_state=3, **SMALL).fit(toy).predict_frame(toy)
    b = DeepGDelPredictor(epochs=2, random_state=3, **SMALL).fit(toy).predict_frame(toy)
    pd.testing.assert_frame_equal(a, b)


def test_pretrained_mode_and_finetune(toy):
    model = DeepGDelPredictor(mode="pretrained", pretrain_epochs=2, epochs=3, finetune_epochs=1, **SMALL).fit(toy)
    assert model.pretrained_ and model.training_["mode"] == "pretrained+finetune"
    assert model.predict_frame(toy).notna().all().all()


def test_embed_metabolites_caches_unlabelled(fitted):
    model = fitted["deepgdel"]
    import copy

    model = copy.deepcopy(model)
    added = model.embed_metabolites({"extra_c": "OCCO", "none_c": None})
    assert added == ["extra_c"]
    assert model.predict_proba("extra_c").notna().all()


def test_device_and_names(toy):
    with pytest.raises(ValueError, match="device"):
        DeepGDelPredictor(device="tpu").fit(toy)  # hyper-parameters are checked by fit
    assert DeepGDelPredictor(device="auto").device_.type in ("cpu", "cuda")
    with pytest.raises(ValueError, match="unknown predictor"):
        make_predictor("nope")
    with pytest.raises(ValueError):
        make_predictor("dnn", not_a_param=1)
    assert isinstance(make_predictor("prior", device="cpu"), PriorPredictor)
    with pytest.raises(ValueError, match="mode"):
        DeepGDelPredictor(mode="bogus").fit(toy)


def test_corrupt_truncated_and_mismatched_checkpoints(fitted, tmp_path):
    path = tmp_path / "m.pt"
    fitted["deepgdel"].save(path)
    raw = path.read_bytes()
    (tmp_path / "trunc.pt").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CheckpointError, match="trunc.pt"):
        DeepGDelPredictor.load(tmp_path / "trunc.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError):
        BasePredictor.load(tmp_path / "junk.pt")
    with pytest.raises(CheckpointError, match="no such"):
        BasePredictor.load(tmp_path / "missing.pt")
    with pytest.raises(CheckpointError, match="DNNPredictor"):
        DNNPredictor.load(path)  # holds a DeepGDelPredictor
    ckpt = torch.load(path, weights_only=True)
    ckpt["format_version"] = 99
    torch.save(ckpt, tmp_path / "v.pt")
    with pytest.raises(CheckpointError, match="version"):
        BasePredictor.load(tmp_path / "v.pt")
    ckpt = torch.load(path, weights_only=True)
    ckpt["params"]["hidden_dim"] = 32  # state_dict no longer fits
    torch.save(ckpt, tmp_path / "shape.pt")
    with pytest.raises(CheckpointError, match="does not match"):
        BasePredictor.load(tmp_path / "shape.pt")
    ckpt = torch.load(path, weights_only=True)
    ckpt["state"]["gene_ids"] = ckpt["state"]["gene_ids"][:-1]
    torch.save(ckpt, tmp_path / "genes.pt")
    with pytest.raises(CheckpointError):
        BasePredictor.load(tmp_path / "genes.pt")
    for bad_class in (["DeepGDelPredictor"], "NoSuchPredictor"):  # a corrupt class field
        ckpt = torch.load(path, weights_only=True)
        ckpt["class"] = bad_class
        with pytest.raises(CheckpointError, match="unknown predictor class"):
            BasePredictor.from_checkpoint(ckpt)


@pytest.mark.slow
def test_fast_path_on_e_coli_core():
    folder = data_dir("e_coli_core")
    if folder is None:
        pytest.skip("shared strategy data not found (set COBRA_GDEL_DATA or ../shared/data)")
    ds = StrategyDataset.from_folder(folder)
    model = make_predictor("deepgdel_res", pretrain_epochs=2, epochs=5, device="cpu", progress=False)
    with pytest.warns(UserWarning, match="s0001"):
        model.fit(ds.subset(range(30)))
    assert model.predict_frame(ds, ds.targets[30:]).shape == (5, 137)
