"""PyTorch reference for bench/generate.ts: step-by-step generation (batch 1,
one token per call, state carried) with the same 2-layer LSTM weights and
one-hot input, sampling at the same temperature and never emitting <unk>
(id 0). Prints one JSON object: {"version", "rates": [chars/s per run]}.

Usage: /usr/bin/python3 torch_generate.py '<json config>'
config: {dir (holds weights.bin: float32 weights in manifest order), manifest
[{name, shape}] in RecurrentModel's Keras layout, vocab, layers, hidden,
tokens, runs, temperature}

Run with OPENBLAS_NUM_THREADS=1; it asks torch for one thread, as the other
engines get.
"""
import json
import os
import sys
import time

try:
    import numpy as np
    import torch
except ImportError as err:  # the caller reports PyTorch as skipped
    print(json.dumps({"error": f"torch not importable: {err}"}))
    sys.exit(0)

cfg = json.loads(sys.argv[1])
torch.set_num_threads(1)
torch.manual_seed(1)
V, H, L = cfg["vocab"], cfg["hidden"], cfg["layers"]

blob = np.fromfile(os.path.join(cfg["dir"], "weights.bin"), dtype=np.float32)
weights, at = {}, 0
for entry in cfg["manifest"]:
    size = int(np.prod(entry["shape"]))
    weights[entry["name"]] = torch.from_numpy(blob[at:at + size].reshape(entry["shape"]).copy())
    at += size

lstm = torch.nn.LSTM(V, H, num_layers=L)
out = torch.nn.Linear(H, V)
with torch.no_grad():
    for l in range(L):
        # Keras gate blocks i,f,c,o are torch's i,f,g,o; Keras has one bias, torch two.
        getattr(lstm, f"weight_ih_l{l}").copy_(weights[f"layer{l}/kernel"].T)
        getattr(lstm, f"weight_hh_l{l}").copy_(weights[f"layer{l}/recurrentKernel"].T)
        getattr(lstm, f"bias_ih_l{l}").copy_(weights[f"layer{l}/bias"])
        getattr(lstm, f"bias_hh_l{l}").zero_()
    out.weight.copy_(weights["output/kernel"].T)
    out.bias.copy_(weights["output/bias"])


def run(tokens, temperature):
    x = torch.zeros(1, 1, V)
    state = (torch.zeros(L, 1, H), torch.zeros(L, 1, H))
    token = 1
    with torch.inference_mode():
        for _ in range(tokens):
            x.zero_()
            x[0, 0, token] = 1.0
            y, state = lstm(x, state)
            logits = out(y[0, 0]) / temperature
            logits[0] = float("-inf")  # never <unk>
            token = int(torch.multinomial(torch.softmax(logits, 0), 1))


run(200, cfg["temperature"])  # warm-up
rates = []
for _ in range(cfg["runs"]):
    started = time.perf_counter()
    run(cfg["tokens"], cfg["temperature"])
    rates.append(cfg["tokens"] / (time.perf_counter() - started))
print(json.dumps({"version": torch.__version__, "rates": rates}))
