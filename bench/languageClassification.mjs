// Issue 13's language-classification measurement in one command (docs/architecture.md, "Tasks"):
// builds the corpus of bench/languageCorpus.mjs in a temporary folder, trains a classifier on it
// with `rnn-lab train <corpus> --task classify --labels extension --snippet-lines 20` and the
// classification defaults (plus any options given here, passed on to `rnn-lab train`), and prints
// each evaluation's held-out accuracy, the final one's macro-F1, the most confused pair and the
// wall time. Needs `npm run build` first. `--set packages` draws Python, C headers and Perl from
// the Debian packages beside node_modules' JavaScript, TypeScript, JSON and Markdown (see there);
// `--files N` takes up to N files per language instead of 400.
//   node bench/languageClassification.mjs [--set node|packages|distinct] [--files N] [rnn-lab train options, e.g. --steps 200 --seed 2]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildCorpus } from './languageCorpus.mjs';

const repo = path.join(path.dirname(new URL(import.meta.url).pathname), '..');
const argv = process.argv.slice(2);
const setAt = argv.indexOf('--set');
const setName = setAt >= 0 ? argv.splice(setAt, 2)[1] : 'node';
const filesAt = argv.indexOf('--files');
const perLanguage = filesAt >= 0 ? Number(argv.splice(filesAt, 2)[1]) : undefined;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlab-langclass-'));
try {
  const corpus = path.join(work, 'corpus');
  for (const [language, r] of Object.entries(buildCorpus(corpus, setName, perLanguage))) {
    console.log(`corpus ${setName} ${language}: ${r.files} files from ${r.packages} packages or folders`);
  }
  const args = ['train', corpus, '--task', 'classify', '--labels', 'extension', '--snippet-lines', '20', '--out', path.join(work, 'runs'), ...argv];
  console.log(`rnn-lab ${args.join(' ')}`);
  const started = Date.now();
  const run = spawnSync(process.execPath, [path.join(repo, 'bin', 'rnn-lab.js'), ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (run.status !== 0) process.exit(run.status ?? 1);
  const seconds = (Date.now() - started) / 1000;
  const [runDir] = fs.readdirSync(path.join(work, 'runs'));
  const info = JSON.parse(fs.readFileSync(path.join(work, 'runs', runDir, 'run.json'), 'utf8'));
  const evals = fs
    .readFileSync(path.join(work, 'runs', runDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.includes('"taskEval"'))
    .map((line) => JSON.parse(line));
  const last = evals[evals.length - 1];
  const labels = info.task.labels;
  let worst = { count: 0, pair: 'none' };
  last.confusion.forEach((row, truth) =>
    row.forEach((count, predicted) => {
      if (truth !== predicted && count > worst.count) worst = { count, pair: `${labels[truth]} taken for ${labels[predicted]}` };
    }),
  );
  const pct = (x) => `${(100 * x).toFixed(1)}%`;
  const spread = info.task.evaluatedExamples !== undefined ? `an even spread of ${info.task.evaluatedExamples} of ` : '';
  console.log(`held-out accuracy by step: ${evals.map((e) => `${e.step}: ${pct(e.accuracy)}`).join(', ')}`);
  console.log(
    `RESULT accuracy ${pct(last.accuracy)} macro-F1 ${last.macroF1.toFixed(3)} on ${spread}${info.task.validationExamples} held-out snippets ` +
      `(${info.corpus.validationDocuments} files); most confused: ${worst.pair} (${worst.count}); wall time ${Math.round(seconds)} s`,
  );
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
