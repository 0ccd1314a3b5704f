/**
 * Activations for the editor overlay (issue 5): a 10,000-character source
 * file through a 2×LSTM-256 character model (onnxruntime, one intra-op
 * thread, chunks of 256 tokens, a cache that holds the whole file), from a
 * cold document; then the cost of an update after a one-character edit in
 * the middle: the diff and re-split, and the recomputation of the edited
 * line, of the visible lines around it and of the rest of the file. Each
 * figure is the median of `runs` runs.
 *
 *   npm run bench
 *   node out/bench/activations.js --runs 5 --chars 10000
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const LAYERS = 2;
const HIDDEN = 256;

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const n = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!(Number.isInteger(n) && n > 0)) throw new Error(`--${name} expects a positive whole number`);
  return n;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Real source text: this repository's TypeScript, concatenated, cut to `chars` code points. */
function sourceText(chars: number): string {
  let text = '';
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (text.length > chars * 2) return;
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.ts')) text += fs.readFileSync(p, 'utf8');
    }
  };
  walk(path.join(ROOT, 'src'));
  return [...text].slice(0, chars).join('');
}

async function main(): Promise<void> {
  const runs = option('runs', 3);
  const chars = option('chars', 10_000);
  const { initBackend } = await import('../src/engine/backend');
  const { RecurrentModel } = await import('../src/engine/model');
  const { Vocabulary } = await import('../src/core/vocabulary');
  const { writeOnnxModel } = await import('../src/engine/onnx/onnxExport');
  const { ActivationModel } = await import('../src/engine/activations/activationModel');
  const { ActivationDocument } = await import('../src/engine/activations/activationDocument');

  await initBackend('auto');
  const vocab = Vocabulary.buildChar([Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('') + '\n']);
  const spec = { cell: 'lstm' as const, layers: LAYERS, hidden: HIDDEN, embedding: 0, dropout: 0, vocabSize: vocab.size, bidirectional: false };
  const tfModel = new RecurrentModel(spec, 1);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlab-bench-activations-'));
  const file = path.join(dir, 'model.onnx');
  writeOnnxModel(file, { spec, weights: await tfModel.readWeights(), vocab });
  tfModel.dispose();

  const text = sourceText(chars);
  const length = [...text].length;
  const middle = Math.floor(length / 2);
  const edited = (() => {
    const cps = [...text];
    cps[middle] = cps[middle] === 'x' ? 'y' : 'x';
    return cps.join('');
  })();
  // About 50 lines of 40 characters: what an editor shows around the cursor.
  const visible = { from: Math.max(0, middle - 1000), to: Math.min(length, middle + 1000) };

  let started = performance.now();
  const model = await ActivationModel.open(file);
  const openMs = performance.now() - started;
  const time = async (work: () => Promise<unknown>) => {
    const t = performance.now();
    await work();
    return performance.now() - t;
  };

  const results: Record<string, number[]> = {
    full: [],
    fullInternals: [],
    window: [],
    updateDiff: [],
    updateLine: [],
    updateWindow: [],
    updateRest: [],
    updateFull: [],
  };
  const options = { cacheBytes: 512 * 1024 * 1024 };
  const computed: Record<string, number> = {};
  await new ActivationDocument(model, text.slice(0, 600)).range(0, 600); // warm-up
  for (let r = 0; r < runs; r++) {
    results.full.push(await time(() => new ActivationDocument(model, text, { ...options, internals: false }).range(0, length)));
    const doc = new ActivationDocument(model, text, options);
    results.fullInternals.push(await time(() => doc.range(0, length)));
    results.window.push(await time(() => new ActivationDocument(model, text, options).range(visible.from, visible.to)));

    // One-character edit in the middle of a fully computed document.
    started = performance.now();
    doc.update(edited);
    results.updateDiff.push(performance.now() - started);
    let before = doc.stats.computedTokens;
    results.updateLine.push(await time(() => doc.range(middle - 20, middle + 20)));
    computed.line = doc.stats.computedTokens - before;
    before = doc.stats.computedTokens;
    results.updateWindow.push(await time(() => doc.range(visible.from, visible.to)));
    computed.window = doc.stats.computedTokens - before;
    before = doc.stats.computedTokens;
    results.updateRest.push(await time(() => doc.range(0, length)));
    computed.rest = doc.stats.computedTokens - before;

    const again = new ActivationDocument(model, text, options);
    await again.range(0, length);
    again.update(edited);
    results.updateFull.push(await time(() => again.range(0, length)));
  }
  await model.close();
  fs.rmSync(dir, { recursive: true, force: true });

  const ms = (key: string) => `${median(results[key]).toFixed(1).padStart(8)} ms`;
  const rate = (key: string, tokens: number) => `${Math.round(tokens / (median(results[key]) / 1000)).toLocaleString('en-US')} chars/s`;
  const out = process.stdout;
  out.write(
    `activations, ${LAYERS}×LSTM-${HIDDEN}, vocabulary ${vocab.size}, ${length.toLocaleString('en-US')} characters of TypeScript, ` +
      `chunks of 256, onnxruntime 1 thread, whole file cached, median of ${runs}\n`,
  );
  out.write(`  open model (session + probe)        ${openMs.toFixed(1).padStart(8)} ms\n`);
  out.write(`  whole file, h only                  ${ms('full')}  (${rate('full', length)})\n`);
  out.write(`  whole file, h, c and gates i, f, o  ${ms('fullInternals')}  (${rate('fullInternals', length)})\n`);
  out.write(
    `  cold window of ${String(visible.to - visible.from).padEnd(5)} chars mid-file  ${ms('window')}  (from the start of the file to the window's end)\n`,
  );
  out.write(`  one-character edit at ${middle}:\n`);
  out.write(`    update() (diff, re-split)         ${ms('updateDiff')}\n`);
  out.write(`    the edited line                   ${ms('updateLine')}  (${computed.line} tokens recomputed: the chunk holding the edit)\n`);
  out.write(`    then the visible lines around it   ${ms('updateWindow')}  (${computed.window} more tokens, to the window's end)\n`);
  out.write(`    then the rest of the file         ${ms('updateRest')}  (${computed.rest} more tokens)\n`);
  out.write(`    whole file after the edit         ${ms('updateFull')}  (vs ${median(results.fullInternals).toFixed(1)} ms from scratch)\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
