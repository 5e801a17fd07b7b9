"""Training throughput: shared-encoding targets × genes batches vs per-pair re-encoding.

Both loops train the same DeepGDel network (joint mode: BCE + both reconstruction
losses, Adam) on the same data; they differ only in how a batch is formed:

* **shared** (what ``DeepGDelPredictor`` does): a step takes one length-bucketed chunk
  of ``gene_batch`` genes and ``target_batch`` targets, encodes each gene sequence and
  each SMILES once and scores all ``gene_batch × target_batch`` pairs;
* **per-pair**: a step takes ``pair_batch`` random (target, gene) pairs and encodes each
  pair's SMILES and protein sequence for that pair (the naive loop).

Each (model, loop) runs in a fresh subprocess (so its peak RSS is its own) for a fixed
time budget after one warm-up step, on one CPU thread. Reproduce with::

    nice python -m benchmarks.training            # e_coli_core and iMM904

and the table is written to docs/benchmarks.md (section "training").
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time
import warnings


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _worker(model_id: str, loop: str, seconds: float, gene_batch: int, target_batch: int, pair_batch: int,
            queue: mp.Queue) -> None:
    import numpy as np
    import torch
    from torch import nn

    from cobra_gdel.data import StrategyDataset, data_dir
    from cobra_gdel.features import canonical_smiles_map, gene_sequences
    from cobra_gdel.predictors import DeepGDelPredictor
    from cobra_gdel.predictors.torch_utils import length_chunks

    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    torch.manual_seed(0)
    ds = StrategyDataset.from_folder(data_dir(model_id), model_id)
    pred = DeepGDelPredictor(mode="joint", device="cpu", progress=False, gene_batch=gene_batch,
                             target_batch=target_batch)
    smiles = canonical_smiles_map(ds.smiles, ds.targets)
    pred._build_vocabularies(smiles, ds.sequences)
    net = pred._build_net(len(pred.smiles_vocab_), len(pred.gene_vocab_))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    bce = nn.BCEWithLogitsLoss()
    gene_seqs = gene_sequences(ds.genes, ds.sequences, warn=False)
    target_seqs = [smiles.get(t) for t in ds.targets]
    y = torch.tensor(ds.labels.to_numpy(), dtype=torch.float32)
    rng = np.random.default_rng(0)
    base_rss = _rss_mib()

    def step_shared(k: int) -> int:
        chunk = chunks[k % len(chunks)]
        tb = rng.choice(len(target_seqs), size=min(target_batch, len(target_seqs)), replace=False)
        gtok, glen = pred._encode_tokens([gene_seqs[i] for i in chunk], "genes")
        ttok, tlen = pred._encode_tokens([target_seqs[i] for i in tb], "smiles")
        zg, zm = net.encode_genes(gtok, glen), net.encode_metabolites(ttok, tlen)
        loss = bce(net.pair_logits(zm, zg), y[tb][:, chunk])
        loss = loss + net.reconstruction_loss("smiles", zm, ttok, tlen) + net.reconstruction_loss("genes", zg, gtok, glen)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return len(chunk) * len(tb)

    def step_pairs(k: int) -> int:
        ti = rng.integers(0, len(target_seqs), pair_batch)
        gi = rng.integers(0, len(gene_seqs), pair_batch)
        gtok, glen = pred._encode_tokens([gene_seqs[i] for i in gi], "genes")
        ttok, tlen = pred._encode_tokens([target_seqs[i] for i in ti], "smiles")
        zg, zm = net.encode_genes(gtok, glen), net.encode_metabolites(ttok, tlen)
        loss = bce(net.pair_logits_flat(zm, zg), y[ti, gi])
        loss = loss + net.reconstruction_loss("smiles", zm, ttok, tlen) + net.reconstruction_loss("genes", zg, gtok, glen)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return pair_batch

    lengths = [len(s) if s else 1 for s in gene_seqs]
    chunks = [c for c in length_chunks(lengths, gene_batch)]
    order = rng.permutation(len(chunks))
    chunks = [chunks[i] for i in order]
    step = step_shared if loop == "shared" else step_pairs
    step(0)  # warm-up
    pairs, steps, t0 = 0, 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds or steps < 2:
        pairs += step(steps + 1)
        steps += 1
    wall = time.perf_counter() - t0
    queue.put({"model": model_id, "loop": loop, "pairs": pairs, "steps": steps, "seconds": wall,
               "pairs_per_s": pairs / wall, "peak_rss_mib": _rss_mib(), "base_rss_mib": base_rss,
               "n_targets": len(target_seqs), "n_genes": len(gene_seqs)})


def run(models: list[str], seconds: float, gene_batch: int, target_batch: int, pair_batch: int) -> list[dict]:
    ctx = mp.get_context("spawn")
    out = []
    for model_id in models:
        for loop in ("shared", "per-pair"):
            q = ctx.Queue()
            p = ctx.Process(target=_worker, args=(model_id, loop, seconds, gene_batch, target_batch, pair_batch, q))
            p.start()
            out.append(q.get())
            p.join()
    return out


def to_markdown(rows: list[dict], args: argparse.Namespace, command: str) -> str:
    from benchmarks._report import machine

    lines = [
        "## Training throughput (DeepGDel, joint mode)",
        "",
        f"Machine: {machine()}; torch {__import__('torch').__version__}, 1 thread. "
        f"Each loop ran {args.seconds:.0f} s (after one warm-up step) in its own process.",
        f"Shared: {args.gene_batch} length-bucketed genes × {args.target_batch} targets per step, "
        f"each sequence encoded once. Per-pair: {args.pair_batch} random pairs per step, each "
        "pair's SMILES and protein encoded for that pair. Same network, same loss "
        "(BCE + both reconstruction terms), proteins truncated to 1000 residues.",
        "",
        "| model | loop | steps | pairs | pairs/s | peak RSS (MiB) | RSS after data load (MiB) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['loop']} | {r['steps']} | {r['pairs']} | {r['pairs_per_s']:.1f} | "
            f"{r['peak_rss_mib']:.0f} | {r['base_rss_mib']:.0f} |"
        )
    lines.append("")
    for model in dict.fromkeys(r["model"] for r in rows):
        s = next(r for r in rows if r["model"] == model and r["loop"] == "shared")
        p = next(r for r in rows if r["model"] == model and r["loop"] == "per-pair")
        lines.append(f"- {model}: shared / per-pair throughput = **{s['pairs_per_s'] / p['pairs_per_s']:.1f}×**")
    lines += ["", f"Reproduce: `{command}`"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="DeepGDel training throughput benchmark")
    ap.add_argument("--models", nargs="+", default=["e_coli_core", "iMM904"])
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--gene-batch", type=int, default=64)
    ap.add_argument("--target-batch", type=int, default=64)
    ap.add_argument("--pair-batch", type=int, default=64)
    ap.add_argument("--no-write", action="store_true", help="print only; do not touch docs/benchmarks.md")
    args = ap.parse_args(argv)
    rows = run(args.models, args.seconds, args.gene_batch, args.target_batch, args.pair_batch)
    command = "nice python -m benchmarks.training " + " ".join(argv if argv is not None else __import__("sys").argv[1:])
    md = to_markdown(rows, args, command.strip())
    print(md)
    if not args.no_write:
        from benchmarks._report import write_section

        write_section("training", md)


if __name__ == "__main__":
    main()
