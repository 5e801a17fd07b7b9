"""The estimator contract of the predictors, the interface predict_deletions uses, old
checkpoints, and the layout rules of the learning code (synthetic toy data)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import torch

from cobra_gdel.data import toy_dataset
from cobra_gdel.exceptions import NotFittedError
from cobra_gdel.predictors import PREDICTORS, BasePredictor, load_predictor, make_predictor
from cobra_gdel.predictors.device import check_device, resolve_device

PACKAGE = Path(__file__).resolve().parent.parent / "cobra_gdel"
TINY = {
    "dnn": dict(embedding_dim=8, hidden=16, epochs=2),
    "deepgdel": dict(embedding_dim=8, hidden_dim=16, head_hidden=16, epochs=2),
    "deepgdel_res": dict(embedding_dim=8, hidden_dim=16, head_hidden=16, pretrain_epochs=1, epochs=2),
    "fpnet": dict(hidden_dim=16, latent_dim=8, n_bits=256, epochs=5),
}


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def toy():
    return toy_dataset(12, 8)


@pytest.fixture(scope="module")
def fitted(toy):
    # predictors that read a cobra model (network) are bound to one, not fitted on data:
    # tests/test_any_model.py covers them
    return {name: make_predictor(name, device="cpu", **TINY.get(name, {})).fit(toy)
            for name, (klass, _) in PREDICTORS.items()
            if not getattr(klass, "reads_model", False)}


@pytest.mark.parametrize("name", sorted(PREDICTORS))
def test_init_stores_its_arguments_and_fit_checks_them(name, toy):
    klass, _ = PREDICTORS[name]
    if "device" not in klass._param_names():
        return
    model = klass(device="tpu")  # no check in __init__
    assert model.get_params()["device"] == "tpu"
    with pytest.raises(ValueError, match="device"):
        model.fit(toy)


@pytest.mark.parametrize("name", sorted(PREDICTORS))
def test_unfitted_predictors_raise_not_fitted(name, tmp_path):
    model = make_predictor(name)
    with pytest.raises(NotFittedError, match="not fitted"):
        model.predict_proba("met0_c")
    with pytest.raises(NotFittedError):
        model.save(tmp_path / "m.pt")
    with pytest.raises(NotFittedError):
        model.prior_proba(["g0"])


def test_random_state_and_progress_defaults():
    for name, (klass, _) in PREDICTORS.items():
        params = klass._param_names()
        assert "seed" not in params, name
        if "progress" in params:
            assert make_predictor(name).get_params()["progress"] is False, name
    assert make_predictor("prior", random_state=3, progress=True).get_params() == {"smoothing": 0.0}
    with pytest.warns(DeprecationWarning, match="random_state"):
        assert make_predictor("dnn", seed=4).get_params()["random_state"] == 4
    with pytest.raises(ValueError, match="random_state"):
        make_predictor("fpnet", random_state=None, **TINY["fpnet"]).fit(toy_dataset(6, 4))


@pytest.mark.parametrize("name", ["dnn", "deepgdel", "deepgdel_res", "fpnet"])
def test_seeded_fit_leaves_the_global_generator_alone(name, toy):
    torch.manual_seed(123)
    state = torch.get_rng_state()
    a = make_predictor(name, device="cpu", random_state=5, **TINY[name]).fit(toy)
    assert torch.equal(torch.get_rng_state(), state)
    torch.manual_seed(7)  # another global state: same weights
    b = make_predictor(name, device="cpu", random_state=5, **TINY[name]).fit(toy)
    for key, value in a.net_.state_dict().items():
        assert torch.equal(value, b.net_.state_dict()[key]), key


@pytest.mark.parametrize("name", ["dnn", "deepgdel_res", "fpnet"])
def test_loading_leaves_the_global_generator_alone(name, fitted, tmp_path):
    """A checkpoint's network is built on the CPU before its weights are loaded; the
    constructors' own initial draws must not move torch's global generator."""
    fitted[name].save(tmp_path / "m.pt")
    torch.manual_seed(123)
    state = torch.get_rng_state()
    again = load_predictor(tmp_path / "m.pt")
    assert torch.equal(torch.get_rng_state(), state)
    for key, value in fitted[name].net_.state_dict().items():
        assert torch.equal(value.cpu(), again.net_.state_dict()[key].cpu()), key


def test_interface_of_target_independent_predictors(fitted, toy):
    for name in ("prior", "bpm"):
        model = fitted[name]
        assert model.prior_proba(toy.genes) is None
        assert model.unscorable_genes(toy.genes + ["new"]) == []
        assert model.knows_target("anything_c") and model.known_metabolites() == []


def test_interface_of_structure_predictors(fitted, toy):
    knn = fitted["knn"]
    assert knn.prior_proba(toy.genes) is None and knn.unscorable_genes(["new"]) == []
    assert knn.knows_target("met0_c") and not knn.knows_target("unseen_c")
    for name in ("dnn", "deepgdel", "deepgdel_res", "fpnet"):
        model = fitted[name]
        assert model.knows_target("met0_c") and not model.knows_target("unseen_c"), name
        assert set(toy.targets) <= set(model.known_metabolites()), name
        assert model.unscorable_genes(["g0", "new", "other"], {"other": "MKT"}) == ["new"], name
        prior = model.prior_proba(["g0", "new"])
        assert list(prior.index) == ["g0", "new"] and prior.between(0, 1).all(), name


def test_checkpoint_with_the_old_seed_parameter_loads(fitted, toy, tmp_path):
    for name in ("deepgdel", "fpnet"):
        path = tmp_path / f"{name}.pt"
        fitted[name].save(path)
        ckpt = torch.load(path, weights_only=True)
        ckpt["params"]["seed"] = ckpt["params"].pop("random_state")
        torch.save(ckpt, tmp_path / "old.pt")
        again = load_predictor(tmp_path / "old.pt")
        assert again.get_params() == fitted[name].get_params()
        assert again.predict_frame(toy).equals(fitted[name].predict_frame(toy))


def test_bundled_checkpoints_load_with_random_state():
    from cobra_gdel import bundled

    for item in bundled.available():
        params = item.manifest["params"]
        model = BasePredictor.load(item.path)
        if "base" in params:  # a gated predictor, written after the rename
            assert model.get_params()["random_state"] == params["random_state"]
            model = model.base_
            params = item.manifest["learned_params"]
            assert model.get_params()["random_state"] == params["random_state"]
            continue
        assert "seed" in params  # written before the rename
        assert model.get_params()["random_state"] == params["seed"]


def test_check_device():
    assert check_device(None) is None
    assert check_device("cpu") == "cpu"
    assert resolve_device("auto").type in ("cpu", "cuda")
    with pytest.raises(ValueError, match="unknown device"):
        check_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA"):
            check_device("cuda")


def _imports(path: Path, top_level_only: bool = False) -> list[tuple[str, list[str]]]:
    """(module, names) of each import statement of *path*."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    out = []
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            out.append(("." * node.level + (node.module or ""), [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out.extend((a.name, []) for a in node.names)
    return out


def test_learning_code_layout():
    learning = sorted((PACKAGE / "predictors").glob("*.py")) + [PACKAGE / "features.py"]
    learning += sorted((PACKAGE / "data").glob("*.py"))
    for path in learning:
        for module, names in _imports(path):
            private = [n for n in names if n.startswith("_") and n != "__future__"]
            assert not private, f"{path.name} imports private {private} from {module}"
            assert not any(part.startswith("_") for part in module.strip(".").split(".")
                           if part and part != "__future__"), f"{path.name} imports {module}"
    no_torch = [PACKAGE / "predictors" / "base.py", PACKAGE / "predictors" / "device.py",
                PACKAGE / "features.py"]
    for path in no_torch:
        assert all(m.split(".")[0] != "torch" for m, _ in _imports(path, top_level_only=True)), path
    for path in (PACKAGE / "data").glob("*.py"):
        for module, _ in _imports(path):
            assert module.split(".")[0] not in ("cobra", "optlang", "torch"), (path, module)
