#!/usr/bin/env node
// `npm run package`: one .vsix per platform, each holding only what runs there
// (docs/architecture.md, "Packaging").
//
//   node scripts/package.mjs [--target T]... [--out DIR]
//
// Targets default to every platform whose onnxruntime-node binary ships in the
// installed package; naming one that has none is an error. Output goes to vsix/.
//
// How: a staging folder (out/package/) gets the production build (minified, no
// source maps), media/, the manifest without development fields, README,
// CHANGELOG and LICENSE. The engine keeps TensorFlow.js, onnxruntime-node and
// tree-sitter external (scripts/build.mjs), so esbuild traces which of their
// files the bundles can load; those files, their package.json and licence
// files, and the binaries they read at run time (the target's onnxruntime, the
// wasm files) are linked into the staging node_modules, and a generated
// .vscodeignore lets vsce take nothing else. Sources, tests, fixtures and other
// platforms' binaries stay out. vsce runs offline: it reads `npm list` and zips.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const STAGE = path.join(REPO, 'out', 'package');

/** VS Code's target names → onnxruntime-node's binary folder (bin/napi-v6/<platform>/<arch>). */
export const TARGETS = {
  'linux-x64': 'linux/x64',
  'linux-arm64': 'linux/arm64',
  'darwin-x64': 'darwin/x64',
  'darwin-arm64': 'darwin/arm64',
  'win32-x64': 'win32/x64',
  'win32-arm64': 'win32/arm64',
};

/** The bundles the extension runs (the CLI, dist/cli.js, is not part of it). */
const BUNDLES = ['dist/extension.js', 'dist/engine.js', 'dist/fusedWorker.js'];
/** Loaded with require() only when installed by the user (see src/engine/backend.ts). */
const USER_INSTALLED = ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'];
/** Read from disk at run time, so no require() names them. */
const RUNTIME_ASSETS = [
  // tfjs's wasm backend: setWasmPaths points at the package's dist/ (src/engine/backend.ts).
  { dir: 'node_modules/@tensorflow/tfjs-backend-wasm/dist', match: /\.wasm$/ },
  // web-tree-sitter's runtime and the grammars (src/core/features/grammars.ts).
  { dir: 'node_modules/@vscode/tree-sitter-wasm/wasm', match: /\.wasm$/ },
];
const ONNXRUNTIME_BIN = 'node_modules/onnxruntime-node/bin/napi-v6';
const LICENCE_FILE = /^(licen[cs]e|copying|notice)(\.|$)/i;

const log = (m) => console.log(`[package] ${m}`);
class PackageError extends Error {}

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) {
    const tail = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-15).join('\n');
    throw new PackageError(`\`${path.basename(cmd)} ${args.join(' ')}\` exited with ${r.status ?? r.signal}\n${tail}`);
  }
  return r.stdout;
}

/** Targets whose onnxruntime binary ships in the installed onnxruntime-node. */
export function shippedTargets(repo = REPO) {
  return Object.keys(TARGETS).filter((t) => fs.existsSync(path.join(repo, ONNXRUNTIME_BIN, TARGETS[t], 'onnxruntime_binding.node')));
}

function parseArgs(argv) {
  const targets = [];
  let outDir = path.join(REPO, 'vsix');
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--target') targets.push(...(argv[++i] ?? '').split(','));
    else if (argv[i] === '--out') outDir = path.resolve(argv[++i] ?? '');
    else throw new PackageError(`unknown argument ${argv[i]} (usage: package.mjs [--target T]... [--out DIR])`);
  }
  return { targets, outDir };
}

function chooseTargets(requested) {
  const shipped = shippedTargets();
  for (const t of requested) {
    if (!(t in TARGETS)) throw new PackageError(`unknown target "${t}"; targets: ${Object.keys(TARGETS).join(', ')}`);
    if (!shipped.includes(t)) throw new PackageError(`${t}: onnxruntime-node ships no binary for it (${ONNXRUNTIME_BIN}/${TARGETS[t]} is missing)`);
  }
  if (requested.length > 0) return requested;
  for (const t of Object.keys(TARGETS).filter((x) => !shipped.includes(x))) {
    log(`${t}: not built: onnxruntime-node ships no binary for it (${ONNXRUNTIME_BIN}/${TARGETS[t]} is missing)`);
  }
  return shipped;
}

/** The manifest as users get it: no scripts, development or CLI fields; dependencies are what ships. */
function stageManifest(runtimePackages) {
  const manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
  for (const key of ['scripts', 'devDependencies', 'optionalDependencies', 'bin']) delete manifest[key];
  manifest.dependencies = Object.fromEntries(
    runtimePackages.map((name) => [name, JSON.parse(fs.readFileSync(path.join(REPO, 'node_modules', name, 'package.json'), 'utf8')).version]),
  );
  fs.writeFileSync(path.join(STAGE, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

function stageFiles() {
  fs.rmSync(STAGE, { recursive: true, force: true });
  fs.mkdirSync(STAGE, { recursive: true });
  // media/ first (icons, walkthrough images), without the development bundles' source maps;
  // the production build then overwrites the bundles.
  fs.cpSync(path.join(REPO, 'media'), path.join(STAGE, 'media'), { recursive: true, filter: (src) => !src.endsWith('.map') });
  run(process.execPath, [path.join(REPO, 'scripts', 'build.mjs'), '--production', '--outdir', STAGE], REPO);
  for (const file of ['README.md', 'CHANGELOG.md', 'LICENSE']) fs.copyFileSync(path.join(REPO, file), path.join(STAGE, file));
}

/** A hard link where the file system allows one (no copying 100 MB of binaries), else a copy. */
function linkInto(rel) {
  const dest = path.join(STAGE, rel);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  try {
    fs.linkSync(path.join(REPO, rel), dest);
  } catch {
    fs.copyFileSync(path.join(REPO, rel), dest);
  }
}

/** The folder Node would load `name` from when required inside `fromDir` (both relative to the repository). */
function resolvePackage(fromDir, name) {
  for (let dir = fromDir; ; dir = path.posix.dirname(dir)) {
    const candidate = dir === '.' ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
    if (fs.existsSync(path.join(REPO, candidate, 'package.json'))) return candidate;
    if (dir === '.') return null;
  }
}

/**
 * The packages `npm list` expects below the direct ones (dependencies, required peers, installed optional
 * dependencies). Their package.json files go into the staging folder too, so that vsce's `npm list` finds a
 * whole tree; the ignore file keeps those of packages the bundles never load out of the package.
 */
function dependencyClosure(direct) {
  const seen = new Set();
  const visit = (root) => {
    if (seen.has(root)) return;
    seen.add(root);
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, root, 'package.json'), 'utf8'));
    const optionalPeers = new Set(Object.keys(pkg.peerDependenciesMeta ?? {}).filter((n) => pkg.peerDependenciesMeta[n].optional));
    const names = [
      ...Object.keys(pkg.dependencies ?? {}),
      ...Object.keys(pkg.peerDependencies ?? {}).filter((n) => !optionalPeers.has(n)),
      ...Object.keys(pkg.optionalDependencies ?? {}),
    ];
    for (const name of names) {
      const found = resolvePackage(root, name);
      if (found) visit(found);
      else if (!(name in (pkg.optionalDependencies ?? {}))) throw new PackageError(`${root} needs ${name}, which is not installed: run npm ci`);
    }
  };
  for (const name of direct) visit(`node_modules/${name}`);
  return [...seen];
}

/** Files under node_modules that the bundles can load, as esbuild resolves them (Node's rules, comments ignored). */
async function tracedModuleFiles() {
  const result = await build({
    entryPoints: BUNDLES.map((b) => path.join(STAGE, b)),
    absWorkingDir: REPO,
    bundle: true,
    platform: 'node',
    write: false,
    metafile: true,
    outdir: path.join(STAGE, 'trace'),
    logLevel: 'error',
    external: ['vscode', ...USER_INSTALLED],
    // onnxruntime picks its binding by process.platform/arch; the target's folder is added whole below.
    loader: { '.node': 'empty' },
  });
  return Object.keys(result.metafile.inputs).filter((f) => f.startsWith('node_modules/') && !f.endsWith('.node'));
}

/** node_modules/<name> or node_modules/@scope/<name>, and any nested node_modules/… below it. */
function packageRoot(file) {
  const parts = file.split('/');
  const i = parts.lastIndexOf('node_modules');
  return parts.slice(0, i + (parts[i + 1].startsWith('@') ? 3 : 2)).join('/');
}

/** Every package.json from the file's folder up to its package root (a nested one can set "type"), and the root's licences. */
function packageMetadata(file) {
  const root = packageRoot(file);
  const out = [`${root}/package.json`];
  for (let dir = path.posix.dirname(file); dir.length > root.length; dir = path.posix.dirname(dir)) {
    if (fs.existsSync(path.join(REPO, dir, 'package.json'))) out.push(`${dir}/package.json`);
  }
  for (const f of fs.readdirSync(path.join(REPO, root))) if (LICENCE_FILE.test(f)) out.push(`${root}/${f}`);
  return out;
}

function runtimeAssets() {
  return RUNTIME_ASSETS.flatMap(({ dir, match }) =>
    fs
      .readdirSync(path.join(REPO, dir))
      .filter((f) => match.test(f))
      .map((f) => `${dir}/${f}`),
  );
}

/** The packages the manifest lists: those the bundles require directly. */
function directPackages(files) {
  return [...new Set(files.map(packageRoot).filter((r) => r.split('/').length <= 3))].map((r) => r.slice('node_modules/'.length)).sort();
}

/** A .vscodeignore that leaves out everything but what runs on the target. */
function ignoreFileFor(target, moduleFiles) {
  const keep = [
    'dist/extension.js',
    'dist/engine.js',
    'dist/fusedWorker.js',
    'dist/*.wasm',
    'media/**',
    'CHANGELOG.md',
    'LICENSE',
    ...moduleFiles,
    `${ONNXRUNTIME_BIN}/${TARGETS[target]}/**`,
  ];
  return [`# Written by scripts/package.mjs for ${target}: only what runs there.`, '**', ...keep.map((k) => `!${k}`), ''].join('\n');
}

/** Only the target's onnxruntime binaries in the staging folder. */
function stageBinary(target) {
  fs.rmSync(path.join(STAGE, ONNXRUNTIME_BIN), { recursive: true, force: true });
  const dir = `${ONNXRUNTIME_BIN}/${TARGETS[target]}`;
  for (const f of fs.readdirSync(path.join(REPO, dir))) linkInto(`${dir}/${f}`);
}

function vsce(target, outFile, manifest) {
  const args = [path.join(REPO, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--target', target, '--out', outFile];
  // Without a repository URL vsce cannot make README's relative links absolute; it would stop to ask.
  if (!manifest.repository) args.push('--allow-missing-repository', '--no-rewrite-relative-links');
  run(process.execPath, args, STAGE);
}

function zipEntryCount(file) {
  // The central directory's end record: entry count at offset 10 (no zip64 at these sizes).
  const buf = fs.readFileSync(file);
  const end = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  return end >= 0 ? buf.readUInt16LE(end + 10) : NaN;
}

/** Builds the packages; returns [{ target, file, bytes, files }]. */
export async function packageExtension({ targets = [], outDir = path.join(REPO, 'vsix') } = {}) {
  const chosen = chooseTargets(targets);
  const started = Date.now();
  stageFiles();
  const traced = await tracedModuleFiles();
  const moduleFiles = [...new Set([...traced, ...traced.flatMap(packageMetadata), ...runtimeAssets()])].sort();
  const direct = directPackages(traced);
  const manifest = stageManifest(direct);
  for (const rel of new Set([...moduleFiles, ...dependencyClosure(direct).map((root) => `${root}/package.json`)])) linkInto(rel);
  fs.mkdirSync(outDir, { recursive: true });
  const built = [];
  for (const target of chosen) {
    const file = path.join(outDir, `${manifest.name}-${manifest.version}-${target}.vsix`);
    stageBinary(target);
    fs.writeFileSync(path.join(STAGE, '.vscodeignore'), ignoreFileFor(target, moduleFiles));
    vsce(target, file, manifest);
    const bytes = fs.statSync(file).size;
    built.push({ target, file, bytes, files: zipEntryCount(file) });
    log(`${target.padEnd(13)} ${(bytes / 1e6).toFixed(1).padStart(5)} MB  ${path.relative(process.cwd(), file)}`);
  }
  log(`${built.length} package(s) in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return built;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  Promise.resolve()
    .then(() => packageExtension(parseArgs(process.argv.slice(2))))
    .catch((e) => {
      console.error(`[package] ${e instanceof PackageError ? e.message : e.stack}`);
      process.exit(1);
    });
}
