import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after } from 'node:test';

/** A fresh temporary folder, removed when the test file ends. */
export function tempDir(prefix = 'rnnlab-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A small corpus folder: a few code-like files with quoted strings, repeated so tiny models can learn it. */
export function writeTinyCorpus(dir: string, repeat = 20): string {
  const corpus = path.join(dir, 'corpus');
  fs.mkdirSync(corpus, { recursive: true });
  const lines = ['say("hello") and say("world");\n', 'x = "abc" + "def";\n', 'log("start"); log("stop");\n'];
  for (let f = 0; f < 4; f++)
    fs.writeFileSync(path.join(corpus, `file${f}.js`), Array.from({ length: repeat }, (_, i) => lines[(i + f) % lines.length]).join(''));
  return corpus;
}
