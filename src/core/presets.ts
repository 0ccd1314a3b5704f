import { DEFAULT_MODEL, DEFAULT_TRAINING, type ModelSpec, type TrainingSpec } from './spec';

/** A named starting point for a training, as offered by `RNN Lab: Train Model…`. */
export interface Preset {
  id: string;
  label: string;
  detail: string;
  model: Omit<ModelSpec, 'vocabSize'>;
  training: Partial<TrainingSpec>;
}

export const PRESETS: readonly Preset[] = [
  {
    id: 'char-lstm-2x128',
    label: 'Char LSTM 2×128',
    detail: 'Two LSTM layers of 128 units on characters; the char-rnn classic.',
    model: { ...DEFAULT_MODEL, cell: 'lstm', layers: 2, hidden: 128 },
    training: { steps: 2000 },
  },
  {
    id: 'vanilla-rnn-1x128',
    label: 'Vanilla RNN 1×128',
    detail: 'h_t = tanh(W x_t + b + U h_{t−1}): watch its gradients explode or vanish next to an LSTM.',
    model: { ...DEFAULT_MODEL, cell: 'rnn', layers: 1, hidden: 128 },
    training: { steps: 2000 },
  },
  {
    id: 'gru-2x128',
    label: 'GRU 2×128',
    detail: 'Two GRU layers: update and reset gates, fewer parameters than an LSTM.',
    model: { ...DEFAULT_MODEL, cell: 'gru', layers: 2, hidden: 128 },
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

export function presetById(id: string): Preset | undefined {
  return PRESETS.find((p) => p.id === id);
}

/** The full training spec of a preset, with settings applied on top of the defaults. */
export function trainingOf(preset: Pick<Preset, 'training'>, overrides: Partial<TrainingSpec> = {}): TrainingSpec {
  return { ...DEFAULT_TRAINING, ...preset.training, ...overrides };
}
