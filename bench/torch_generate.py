"""PyTorch reference for bench/generate.ts: step-by-step generation (one
token per stream per call, state carried, the streams as one batch) with the
same LSTM weights and one-hot input, sampling at the same temperature and
never emitting <unk> (id 0).

Usage: /usr/bin/python3 torch_generate.py '<json config>'
config: {dir (holds weights.bin: float32 weights in manifest order), manifest
[{name, shape}] in RecurrentModel's Keras layout, vocab, layers, hidden,
temperature}

It loads the model once, prints {"version"}, then answers each line
{"streams", "tokens"} on stdin with {"rate", "cpu"}: characters per second
over all streams of one timed run, and CPU microseconds per character (after a warm-up the first time a batch size is
asked for). The benchmark interleaves these runs with its other engines', so
a machine shared with other work slows them alike. Run with
OPENBLAS_NUM_THREADS=1; it asks torch for one thread, as the other engines
get.
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


def run(B, tokens, temperature):
    rows = torch.arange(B)
    x = torch.zeros(1, B, V)
    state = (torch.zeros(L, B, H), torch.zeros(L, B, H))
    token = torch.ones(B, dtype=torch.long)
    with torch.inference_mode():
        for _ in range(tokens):
            x.zero_()
            x[0, rows, token] = 1.0
            y, state = lstm(x, state)
            logits = out(y[0]) / temperature
            logits[:, 0] = float("-inf")  # never <unk>
            token = torch.multinomial(torch.softmax(logits, 1), 1)[:, 0]


print(json.dumps({"version": torch.__version__}), flush=True)
warm = set()
for line in sys.stdin:
    ask = json.loads(line)
    B, tokens = ask["streams"], ask["tokens"]
    if B not in warm:
        run(B, 200, cfg["temperature"])
        warm.add(B)
    started = time.perf_counter()
    cpu = time.process_time()
    run(B, tokens, cfg["temperature"])
    chars = B * tokens
    used = time.process_time() - cpu
    print(json.dumps({"rate": chars / (time.perf_counter() - started), "cpu": used * 1e6 / chars}), flush=True)
