import type { ModelSpec, TrainingSpec } from '../spec';
import type { TaskKind } from './taskData';

type ModelDefaults = Partial<Omit<ModelSpec, 'vocabSize' | 'task' | 'classes'>>;
type TrainingDefaults = Partial<TrainingSpec>;

/**
 * Defaults of a tagger and a classifier where they differ from a language
 * model's (docs/architecture.md, "Tasks", measured there): a small embedding
 * (a tagger's input classes are few and sharp), fewer steps with larger held
 * out sets (whole files, and held-out accuracy is the figure that matters),
 * and for classification longer windows (a snippet's first tokens) with mean
 * pooling over them.
 */
export const TASK_DEFAULTS: Record<Exclude<TaskKind, 'lm'>, { model: ModelDefaults; training: TrainingDefaults }> = {
  tag: {
    model: { layers: 2, hidden: 64, embedding: 16 },
    training: { seqLength: 128, batchSize: 32, steps: 800, learningRate: 5e-3, evalEvery: 200, checkpointEvery: 400, validationFraction: 0.15 },
  },
  classify: {
    model: { layers: 1, hidden: 64, embedding: 16, pooling: 'mean' },
    training: { seqLength: 256, batchSize: 32, steps: 400, learningRate: 5e-3, evalEvery: 100, checkpointEvery: 200, validationFraction: 0.2 },
  },
};
