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

/** The run's newest good checkpoint, relative to the run folder (run.json's record, else the newest folder). */
export function runCheckpointPath(run: RunFolder, info: RunInfo): string {
  const checkpoint = info.checkpoint ?? latestCheckpointPath(run.dir);
  if (!checkpoint) throw new CheckpointError(`run ${run.id} has no checkpoint yet`);
  return checkpoint;
}

function latestCheckpointPath(runDir: string): string | undefined {
  const names = listCheckpoints(runDir);
  return names.length ? path.join('checkpoints', names[names.length - 1]) : undefined;
}
