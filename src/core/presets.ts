import { DEFAULT_MODEL, DEFAULT_TRAINING, type ModelSpec, type TrainingSpec } from './spec';

/** A named starting point for a training, as offered by `RNN Lab: Train Model…`. */
export interface Preset {
  id: string;
  label: string;
  detail: string;
  model: Omit<ModelSpec, 'vocabSize'>;
  training: Partial<TrainingSpec>;
}

/**
 * The default preset (first) and its schedule come from measurements on this repository's `src/`
 * (883 KB of TypeScript), 2,000 steps of 32 streams × 64 characters, the fused kernels on two
 * shared cores (docs/architecture.md, "Measured facts": issue #15):
 *
 * | model, learning rate                         | val bits/char | wall time (load) |
 * |----------------------------------------------|---------------|------------------|
 * | LSTM 2×128, 2e-3 constant (the old default)  | 2.46          | 281 s (6)        |
 * | LSTM 2×128, 4e-3 halved every 700 steps      | 2.30          | 256 s (5–6)      |
 * | LSTM 2×128, 5e-3 halved every 500 steps      | 2.30          | 445 s (8–9)      |
 * | LSTM 1×256, 4e-3 halved every 700 steps      | 2.02          | 453 s (5–9)      |
 * | GRU 2×128, 4e-3 halved every 700 steps       | 1.76          | 407 s (8–15)     |
 * | GRU 2×128, 4e-3 halved every 500, 1,500 steps | 1.86         | 327 s (9–12)     |
 *
 * The GRU learns code fastest per step and costs three gate blocks to the LSTM's four: its samples
 * are the first that read as TypeScript (`if (this.dir) {`, `this.context.state(kernel);`).
 * A higher rate halved as training goes is worth 0.16 bits/char to the LSTM too. Wall times
 * were taken while two other engineers ran their tests: the load average is in parentheses.
 */
export const PRESETS: readonly Preset[] = [
  {
    id: 'gru-2x128',
    label: 'GRU 2×128',
    detail: 'Two GRU layers (update and reset gates): the quickest to write plausible code, the default.',
    model: { ...DEFAULT_MODEL, cell: 'gru', layers: 2, hidden: 128 },
    training: { steps: 2000, learningRate: 4e-3, lrDecay: 0.5, lrDecayEvery: 700 },
  },
  {
    id: 'char-lstm-2x128',
    label: 'Char LSTM 2×128',
    detail: 'Two LSTM layers of 128 units on characters; the char-rnn classic.',
    model: { ...DEFAULT_MODEL, cell: 'lstm', layers: 2, hidden: 128 },
    training: { steps: 2000, learningRate: 4e-3, lrDecay: 0.5, lrDecayEvery: 700 },
  },
  {
    id: 'vanilla-rnn-1x128',
    label: 'Vanilla RNN 1×128',
    detail: 'h_t = tanh(W x_t + b + U h_{t−1}): watch its gradients explode or vanish next to an LSTM.',
    model: { ...DEFAULT_MODEL, cell: 'rnn', layers: 1, hidden: 128 },
    training: { steps: 2000 },
  },
  {
    id: 'quick-lstm-1x64',
    label: 'Quick LSTM 1×64',
    detail: 'A small model that learns something in a minute: good for a first look.',
    model: { ...DEFAULT_MODEL, cell: 'lstm', layers: 1, hidden: 64 },
    training: { steps: 300, learningRate: 1e-2, evalEvery: 50, sampleEvery: 100, checkpointEvery: 100 },
  },
];

/**
 * The temperature samples are drawn at by default (the Samples view, `rnn-lab sample`, the samples
 * taken during training). After the default preset's 2,000 steps, 0.6 keeps the model's code
 * shape (statements, braces, `this.` chains) where 0.8 drifts into invented words; below 0.4 a
 * young model loops on spaces and newlines (issue #15).
 */
export const DEFAULT_SAMPLE_TEMPERATURE = 0.6;

export function presetById(id: string): Preset | undefined {
  return PRESETS.find((p) => p.id === id);
}

/** The full training spec of a preset, with settings applied on top of the defaults. */
export function trainingOf(preset: Pick<Preset, 'training'>, overrides: Partial<TrainingSpec> = {}): TrainingSpec {
  return { ...DEFAULT_TRAINING, ...preset.training, ...overrides };
}
