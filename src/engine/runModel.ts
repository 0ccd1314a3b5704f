import * as fs from 'fs';
import * as path from 'path';
import { RUN_FILES, type RunInfo } from '../core/runFormat';
import { Vocabulary } from '../core/vocabulary';
import { CheckpointError, checkVocabularyMatches, listCheckpoints, loadCheckpoint } from './checkpoint';
import { RecurrentModel } from './model';
import { RunFolder } from '../core/runStore';

export interface LoadedRunModel {
  run: RunFolder;
  info: RunInfo;
  vocab: Vocabulary;
  model: RecurrentModel;
  step: number;
}

/** The newest good checkpoint of a run as a tfjs model (the caller disposes `model`). */
export function loadRunModel(runDir: string): LoadedRunModel {
  const run = RunFolder.open(runDir);
  const info = run.readInfo();
  const vocab = Vocabulary.fromJSON(run.readVocabulary());
  const checkpoint = runCheckpointPath(run, info);
  const loaded = loadCheckpoint(path.join(run.dir, checkpoint));
  checkVocabularyMatches(loaded, vocab, RUN_FILES.vocab);
  const model = new RecurrentModel(loaded.manifest.model, 0);
  try {
    model.setWeights(loaded.weights);
  } catch (err) {
    model.dispose();
    throw new CheckpointError(`checkpoint ${checkpoint} does not fit its model: ${(err as Error).message}`);
  }
  return { run, info, vocab, model, step: loaded.manifest.step };
}

/**
 * The run's checkpoint, relative to the run folder: the one run.json names,
 * else (none named yet, or the named one is gone: an older RNN Lab killed
 * while saving) the newest complete folder, not newer than the named one.
 */
export function runCheckpointPath(run: RunFolder, info: RunInfo): string {
  const named = info.checkpoint;
  const complete = (relative: string) => fs.existsSync(path.join(run.dir, relative, 'checkpoint.json'));
  if (named && complete(named)) return named;
  const namedStep = named ? checkpointStep(named) : Infinity;
  const candidates = listCheckpoints(run.dir)
    .map((name) => path.join(RUN_FILES.checkpoints, name))
    .filter((relative) => checkpointStep(relative) <= namedStep && complete(relative));
  const newest = candidates.at(-1);
  if (newest) return newest;
  throw new CheckpointError(named ? `run ${run.id}: its checkpoint ${named} is missing and no older one is complete` : `run ${run.id} has no checkpoint yet`);
}

function checkpointStep(relative: string): number {
  return Number(/step-(\d+)$/.exec(relative)?.[1] ?? NaN);
}
