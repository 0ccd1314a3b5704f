import type { ModelSpec, TrainingSpec } from '../spec';
import type { TaskKind } from './taskData';

type ModelDefaults = Partial<Omit<ModelSpec, 'vocabSize' | 'task' | 'classes'>>;
type TrainingDefaults = Partial<TrainingSpec>;

/**
 * Defaults of a tagger and a classifier where they differ from a language
 * model's (docs/architecture.md, "Tasks", measured there): a small embedding
 * (a tagger's input classes are few and sharp), fewer steps with larger held
 * out sets (whole files, and held-out accuracy is the figure that matters).
 * A classifier reads code tokens (256 of them hold most of a 20-line snippet,
 * where 256 characters held a third), mean-pooled; tokens seen fewer than 5
 * times are spelled out in characters, and dropout on the pooled vector and a
 * halving of the learning rate every 225 of its 900 steps keep it from memorising the
 * training files' identifiers.
 */
export const TASK_DEFAULTS: Record<Exclude<TaskKind, 'lm'>, { model: ModelDefaults; training: TrainingDefaults }> = {
  tag: {
    model: { layers: 2, hidden: 64, embedding: 16 },
    training: { seqLength: 128, batchSize: 32, steps: 800, learningRate: 5e-3, evalEvery: 200, checkpointEvery: 400, validationFraction: 0.15 },
  },
  classify: {
    model: { layers: 1, hidden: 64, embedding: 32, dropout: 0.25, pooling: 'mean' },
    training: {
      resolution: 'token',
      minTokenCount: 5,
      seqLength: 256,
      batchSize: 32,
      steps: 900,
      learningRate: 5e-3,
      lrDecay: 0.5,
      lrDecayEvery: 225,
      evalEvery: 100,
      checkpointEvery: 200,
      validationFraction: 0.2,
    },
  },
};

/** "2×LSTM-64 (embedding 16) · 800 steps": a task's default model, as Train Model…'s model question offers it. */
export function describeTaskDefaults(task: Exclude<TaskKind, 'lm'>): string {
  const { model, training } = TASK_DEFAULTS[task];
  const input = [
    `embedding ${model.embedding}`,
    ...(training.resolution === 'token' ? ['code tokens'] : []),
    ...(model.dropout ? [`dropout ${model.dropout}`] : []),
  ];
  return `${model.layers}×LSTM-${model.hidden} (${input.join(', ')}) · ${training.steps} steps`;
}
