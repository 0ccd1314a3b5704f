import * as fs from 'fs';
import * as path from 'path';
import { EXPERIMENT_FILE, type ExperimentInfo } from '../../core/experiments/experimentFormat';
import { readExperimentInfo } from '../../core/experiments/experimentIndex';
import { ensureWritableDirectory, writeJsonAtomic } from '../../core/runStore';

/** One experiment folder: experiment.json (replaced atomically) beside its member run folders. */
export class ExperimentFolder {
  private constructor(readonly dir: string) {}

  /** A new folder under `parent`; never shares one with another experiment started in the same second. */
  static create(parent: string, id: string): ExperimentFolder {
    ensureWritableDirectory(parent);
    for (let n = 1; ; n++) {
      const dir = path.join(parent, n === 1 ? id : `${id}-${n}`);
      try {
        fs.mkdirSync(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw err;
      }
      return new ExperimentFolder(dir);
    }
  }

  static open(dir: string): ExperimentFolder {
    readExperimentInfo(dir); // throws with a clear message when it is not an experiment
    return new ExperimentFolder(dir);
  }

  get id(): string {
    return path.basename(this.dir);
  }

  readInfo(): ExperimentInfo {
    return readExperimentInfo(this.dir);
  }

  writeInfo(info: ExperimentInfo): void {
    writeJsonAtomic(path.join(this.dir, EXPERIMENT_FILE), { ...info, updatedAt: new Date().toISOString() });
  }
}
