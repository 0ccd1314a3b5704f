// Records the Neurons view's test fixture (test/fixtures/neurons/) from a real
// run through the built engine process, as the extension would ask it:
//
//   node bin/rnn-lab.js train src --layers 1 --hidden 64 --steps 300 --lr 1e-2 --out /tmp/n
//   npm run build && node scripts/record-neurons-fixture.mjs /tmp/n/<run> src/core/clipping.ts
import { fork } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [runDir, file, out = 'test/fixtures/neurons/lstm-1x64.json'] = process.argv.slice(2);
if (!runDir || !file) {
  console.error('usage: node scripts/record-neurons-fixture.mjs <runDir> <source file> [out.json]');
  process.exit(2);
}
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const text = readFileSync(file, 'utf8');
const engine = fork(join(root, 'dist', 'engine.js'), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
let nextId = 1;
const pending = new Map();
engine.on('message', (m) => {
  if (m.kind !== 'response') return;
  const p = pending.get(m.id);
  pending.delete(m.id);
  if (m.ok) p.resolve(m.result);
  else p.reject(new Error(`${m.error.code}: ${m.error.message}`));
});
const request = (method, params) =>
  new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject });
    engine.send({ kind: 'request', id, method, params });
  });

const source = { runDir };
const rank = await request('rankNeurons', { source, text, language: 'typescript', top: 5 });
const best = rank.features.find((f) => f.feature === 'inString').top[0];
const trace = await request('neuronTrace', { source, text, layer: best.layer, kind: best.kind, unit: best.unit });
// The first string literal of the file, quotes included.
const literal = /(['"`])(?:(?!\1)[^\\\n]|\\.)+\1/.exec(text);
const match = await request('matchSelection', { source, text, start: literal.index, end: literal.index + literal[0].length });
const chosen = match.neurons[0];
const matchTrace = await request('neuronTrace', { source, text, layer: chosen.layer, kind: chosen.kind, unit: chosen.unit, start: match.window.start });
engine.disconnect();

const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
const recorded = {
  recorded: `node scripts/record-neurons-fixture.mjs <run> ${file}`,
  run: { id: run.id, model: run.model, steps: run.progress.step },
  file: basename(file),
  language: 'typescript',
  text,
  rank: { ...rank, model: { ...rank.model, file: 'model.onnx' } },
  trace: { ...trace, model: { ...trace.model, file: 'model.onnx' } },
  match: { ...match, model: { ...match.model, file: 'model.onnx' } },
  matchTrace: { ...matchTrace, model: { ...matchTrace.model, file: 'model.onnx' } },
};
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(recorded) + '\n');
console.log(
  `${out}: ${rank.features.length} features, ${rank.gates.length} gates, trace of ${trace.values.length} characters, ` +
    `${match.neurons.length} selected neurons, ${match.matches.length} matches`,
);
for (const f of rank.features)
  console.log(`  ${f.feature.padEnd(18)} ${f.top.map((n) => `${n.label} ${n.score.toFixed(3)}${n.sign < 0 ? '−' : '+'}`).join('  ')}`);
