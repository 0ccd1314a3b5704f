"""PyTorch reference for bench/trainThroughput.ts: the same model shapes, data
windows, optimizer and clipping, timed the same way. Prints one JSON object.

Usage: python3 torch_train.py '<json config>'
config: {cell, layers, hidden, vocab, batch, time, data (path to uint8 token
file), warmup, steps, runs, lr, clip, bidirectional, embedding (optional: an
nn.Embedding in place of one-hot input), pooling, task and
classes (optional: "tag" reads a tag per token from the file `tags`, "classify"
gives each row the label trainThroughput.ts's classifyLabel gives it; both
start every window from a zero state)}

Run it with Debian's /usr/bin/python3 (python3-torch) and
OPENBLAS_NUM_THREADS=1; it asks torch for two threads itself.
"""
import json
import resource
import sys
import time

try:
    import torch
except ImportError as err:  # the caller reports PyTorch as skipped
    print(json.dumps({"error": f"torch not importable: {err}"}))
    sys.exit(0)

cfg = json.loads(sys.argv[1])
torch.set_num_threads(2)
torch.manual_seed(1)

V, H, L, B, T = cfg["vocab"], cfg["hidden"], cfg["layers"], cfg["batch"], cfg["time"]
BI = bool(cfg.get("bidirectional", False))
tokens = torch.tensor(list(open(cfg["data"], "rb").read()), dtype=torch.long)
stream = len(tokens) // B  # B parallel streams, as the trainer's batcher cuts them
windows = (stream - 1) // T

TASK = cfg.get("task")
C = cfg["classes"] if TASK else V
tags = torch.tensor(list(open(cfg["tags"], "rb").read()), dtype=torch.long) if TASK == "tag" else None
NEWLINE = V - 1  # as trainThroughput.ts: everything outside printable ASCII
LABELS = 5

RNN = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cfg["cell"]]


E = cfg.get("embedding") or 0


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(V, E) if E else None
        self.rnn = RNN(E or V, H, L, batch_first=True, bidirectional=BI)
        self.out = torch.nn.Linear(2 * H if BI else H, C)

    def forward(self, x, state):
        inputs = self.embed(x) if self.embed else torch.nn.functional.one_hot(x, V).float()
        y, state = self.rnn(inputs, state)
        if TASK != "classify":
            return self.out(y), state
        if cfg.get("pooling") == "mean":
            return self.out(y.mean(1)), state
        # The final states of both directions of the top layer, forward first (--pooling last).
        h = state[0] if isinstance(state, tuple) else state
        pooled = torch.cat([h[-2], h[-1]], 1) if BI else h[-1]
        return self.out(pooled), state


model = Model()
opt = torch.optim.Adam(model.parameters(), cfg["lr"], eps=1e-8)


def window(k):
    w = k % windows
    rows = [tokens[b * stream + w * T: b * stream + w * T + T + 1] for b in range(B)]
    batch = torch.stack(rows)
    x = batch[:, :-1]
    if TASK == "tag":
        return x, torch.stack([tags[b * stream + w * T: b * stream + w * T + T] for b in range(B)])
    if TASK == "classify":
        return x, (x == NEWLINE).sum(1) % LABELS
    return x, batch[:, 1:]


state = None
step_no = 0


def step():
    global state, step_no
    if step_no % windows == 0 or TASK:
        state = None
    x, y = window(step_no)
    step_no += 1
    logits, state = model(x, state)
    state = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, C), y.reshape(-1))
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), cfg["clip"])
    opt.step()
    return loss.item()


for _ in range(cfg["warmup"]):
    step()
rates = []
loss = float("nan")
for _ in range(cfg["runs"]):
    t0 = time.perf_counter()
    for _ in range(cfg["steps"]):
        loss = step()
    rates.append(cfg["steps"] * B * T / (time.perf_counter() - t0))

print(json.dumps({
    "backend": "pytorch",
    "version": torch.__version__,
    "rates": rates,
    "loss": loss,
    "maxRssKB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
}))
