// Bundles the CLI and the extension with esbuild. TensorFlow.js,
// onnxruntime and @vscode/tree-sitter-wasm stay external: they load native or
// wasm binaries from their installed packages (src/core/features finds the
// grammars with require.resolve), and tfjs-node must share one tfjs-core with our code.
//
//   node scripts/build.mjs [--production] [--outdir DIR]
// --production minifies and writes no source maps (scripts/package.mjs uses it); --outdir puts
// dist/ and media/'s bundles under DIR instead of the repository (the packager's staging folder).
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { build } from 'esbuild';

const production = process.argv.includes('--production');
const outdirFlag = process.argv.indexOf('--outdir');
const outRoot = outdirFlag >= 0 ? process.argv[outdirFlag + 1] : '.';
if (!outRoot) throw new Error('--outdir needs a folder');
const out = (file) => path.join(outRoot, file);
const memoryLimits = JSON.parse(readFileSync('assembly/memory.json', 'utf8'));
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  external: ['vscode', '@tensorflow/*', 'onnxruntime-node', '@vscode/tree-sitter-wasm'],
};

// Webviews run in the editor's Chromium: one script and one stylesheet per
// webview (media/<name>/<name>.js and .css), loaded under a CSP that allows
// only the extension's media files.
const webview = {
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'chrome120',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
};

// The codicon font for vscode-elements' icons, served from media/ like the bundles.
mkdirSync(out('media/codicons'), { recursive: true });
mkdirSync(out('dist'), { recursive: true });
for (const file of ['codicon.css', 'codicon.ttf']) {
  cpSync(`node_modules/@vscode/codicons/dist/${file}`, out(`media/codicons/${file}`));
}

// The fused training kernels (assembly/): AssemblyScript → dist/fused.wasm, 128-bit SIMD, one
// memory shared by the worker threads (imported, so no instance owns it), and
// dist/fused-relaxed.wasm with relaxed SIMD (fused multiply-add), used where the runtime validates
// it. The memory maximum comes from assembly/memory.json, as in src/engine/fused/kernels.ts.
for (const [output, extra] of [
  ['dist/fused.wasm', []],
  ['dist/fused-relaxed.wasm', ['--enable', 'relaxed-simd']],
]) {
  execFileSync(
    process.execPath,
    [
      'node_modules/assemblyscript/bin/asc.js',
      'assembly/index.ts',
      '-o',
      out(output),
      '-O3',
      '--runtime',
      'stub',
      '--noAssert',
      '--use',
      'abort=',
      '--enable',
      'simd',
      ...extra,
      '--enable',
      'threads',
      '--importMemory',
      '--sharedMemory',
      '--initialMemory',
      '1',
      '--maximumMemory',
      String(memoryLimits.maximumPages),
    ],
    { stdio: 'inherit' },
  );
}

await Promise.all([
  build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: out('dist/cli.js') }),
  build({ ...common, entryPoints: ['src/engine/main.ts'], outfile: out('dist/engine.js') }),
  build({ ...common, entryPoints: ['src/engine/fused/worker.ts'], outfile: out('dist/fusedWorker.js') }),
  build({ ...common, entryPoints: ['src/extension/extension.ts'], outfile: out('dist/extension.js') }),
  build({ ...webview, entryPoints: { dashboard: 'webview/dashboard/main.ts' }, outdir: out('media/dashboard') }),
  build({ ...webview, entryPoints: { samples: 'webview/samples/main.ts' }, outdir: out('media/samples') }),
  build({ ...webview, entryPoints: { neurons: 'webview/neurons/main.ts' }, outdir: out('media/neurons') }),
  build({ ...webview, entryPoints: { compare: 'webview/compare/main.ts' }, outdir: out('media/compare') }),
]);
