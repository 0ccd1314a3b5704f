import * as fs from 'fs';
import * as path from 'path';
import { CorpusError, gatherCorpus, type GatherOptions, type SkippedFile } from '../corpus';
import type { ClassifyExample } from './taskData';

/**
 * A folder with one sub-folder per class, as Keras' text_dataset_from_directory
 * reads it: `data/<label>/**` — each file is one example labelled by its
 * sub-folder's name. Files are gathered as for a language model (binary,
 * invalid UTF-8, empty and oversized files are skipped and counted).
 */
export async function readLabelledFolders(root: string, options: GatherOptions = {}): Promise<{ examples: ClassifyExample[]; skipped: SkippedFile[] }> {
  const labels = fs
    .readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  if (labels.length < 2) {
    throw new CorpusError(`${root} needs one sub-folder per class (at least two), found ${labels.length === 0 ? 'none' : `only "${labels[0]}"`}`);
  }
  const examples: ClassifyExample[] = [];
  const skipped: SkippedFile[] = [];
  for (const label of labels) {
    const folder = path.join(root, label);
    const corpus = await gatherCorpus([folder], options);
    for (const doc of corpus.documents) {
      const source = path.join(label, doc.path);
      examples.push({ text: doc.text, label, source, group: source });
    }
    skipped.push(...corpus.skipped.map((s) => ({ ...s, path: path.join(label, s.path) })));
  }
  return { examples, skipped };
}
