// Bundles the CLI and the extension with esbuild. TensorFlow.js and
// onnxruntime stay external: they load native or wasm binaries from their
// installed packages, and tfjs-node must share one tfjs-core with our code.
import { build } from 'esbuild';

const production = process.argv.includes('--production');
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  external: ['vscode', '@tensorflow/*', 'onnxruntime-node'],
};

await Promise.all([
  build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js' }),
  build({ ...common, entryPoints: ['src/engine/main.ts'], outfile: 'dist/engine.js' }),
  build({ ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js' }),
]);
