#!/usr/bin/env python3
"""torch_train.py - PyTorch eager reference for bench/gpu_train.lua: the same MLP
(784-784-784-784-10), batch 64, SGD(lr=0.05, momentum=0.9, weight_decay=5e-4) on
Fashion-MNIST, seconds per epoch, then torch.linalg.svdvals of every layer's weight.
The data sit on the device as uint8 and batches are gathered and scaled there, as in
rankhost's device store. Prints one JSON object per line.

    python3 bench/torch_train.py [device=cuda] [epochs=3] [dir=/usr/share/datasets/fashion-mnist] [batches=0]

batches > 0 stops each epoch after that many batches (a smoke run, as in gpu_train.lua).
"""
import gzip
import json
import sys
import time

import numpy as np
import torch


def read_idx(path):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def main():
    device = sys.argv[1] if len(sys.argv) > 1 else "cuda"
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    root = sys.argv[3] if len(sys.argv) > 3 else "/usr/share/datasets/fashion-mnist"
    max_batches = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    torch.manual_seed(1)
    images = torch.from_numpy(read_idx(f"{root}/train-images-idx3-ubyte.gz").reshape(-1, 784).copy()).to(device)
    labels = torch.from_numpy(read_idx(f"{root}/train-labels-idx1-ubyte.gz").astype(np.int64)).to(device)
    n = images.shape[0]
    sizes = [784, 784, 784, 784, 10]
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    crit = torch.nn.CrossEntropyLoss()
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    gen = torch.Generator().manual_seed(1)
    for epoch in range(1, epochs + 1):
        perm = torch.randperm(n, generator=gen).to(device)
        sync()
        t0 = time.perf_counter()
        total, steps = 0.0, 0
        for b in range(0, n, 64):
            idx = perm[b:b + 64]
            x = images[idx].float() / 255.0
            y = labels[idx]
            opt.zero_grad()
            loss = crit(model(x), y)
            loss.backward()
            opt.step()
            total += loss.item()  # rankhost's loop reads the loss each step too
            steps += 1
            if steps == max_batches:
                break
        sync()
        print(json.dumps({"bench": "torch_epoch", "device": device, "epoch": epoch,
                          "batches": steps, "seconds": round(time.perf_counter() - t0, 4), "loss": round(total / steps, 5)}))
    weights = [m.weight.detach() for m in model if isinstance(m, torch.nn.Linear)]
    for rep in range(1, 4):
        sync()
        t0 = time.perf_counter()
        smax = [torch.linalg.svdvals(w)[0].item() for w in weights]
        sync()
        print(json.dumps({"bench": "torch_svdvals_all_layers", "device": device, "rep": rep,
                          "seconds": round(time.perf_counter() - t0, 4), "smax1": round(smax[0], 5)}))


if __name__ == "__main__":
    main()
