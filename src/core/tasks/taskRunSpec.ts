import { DEFAULT_MODEL, DEFAULT_TRAINING, type ModelSpec, type Pooling, type TaskDataSpec, type TrainingSpec } from '../spec';
import { TASK_DEFAULTS } from './taskDefaults';

/** What a user chose for a tagger or classifier (Train Model…'s answers, or the CLI's options). */
export interface TaskChoices {
  task: 'tag' | 'classify';
  bidirectional: boolean;
  /** Classify only; default: the task's (mean). */
  pooling?: Pooling;
  data: TaskDataSpec;
  model?: Partial<Pick<ModelSpec, 'cell' | 'layers' | 'hidden' | 'embedding' | 'dropout'>>;
  training?: Partial<TrainingSpec>;
}

/**
 * The model and training specs of a new tagger or classifier: the defaults of
 * a language model, then the task's (taskDefaults.ts), then the choices, in
 * the order `rnn-lab train --task …` applies them, so the same choices in
 * Train Model… and on the command line give the same run.
 */
export function taskRunSpecs(choices: TaskChoices): { model: Omit<ModelSpec, 'vocabSize'>; training: TrainingSpec } {
  const defaults = TASK_DEFAULTS[choices.task];
  const training: TrainingSpec = { ...DEFAULT_TRAINING, ...defaults.training, ...choices.training, data: { ...choices.data } };
  const m = { ...DEFAULT_MODEL, ...defaults.model };
  const model: Omit<ModelSpec, 'vocabSize'> = {
    ...m,
    ...choices.model,
    bidirectional: choices.bidirectional,
    task: choices.task,
    ...(choices.task === 'classify' ? { pooling: choices.pooling ?? m.pooling ?? 'mean' } : {}),
  };
  return { model, training };
}
