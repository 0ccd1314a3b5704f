/**
 * The layer rules of docs/architecture.md, checked by `npm run lint`:
 * core ← protocol ← {engine, extension, webview}; cli runs the engine in-process.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'Modules import each other in one direction only.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-imports-nothing-above-it',
      severity: 'error',
      comment: 'src/core is pure TypeScript: no protocol, engine, extension, CLI or webview, and no VS Code, TensorFlow.js or onnxruntime.',
      from: { path: '^src/core/' },
      to: { path: ['^src/(protocol|engine|extension|cli)/', '^webview/', '^vscode$', '@tensorflow', 'onnxruntime'] },
    },
    {
      name: 'protocol-imports-only-core',
      severity: 'error',
      comment: 'Message shapes and their checks depend on core types only.',
      from: { path: '^src/protocol/' },
      to: { path: ['^src/(engine|extension|cli)/', '^webview/', '^vscode$', '@tensorflow', 'onnxruntime'] },
    },
    {
      name: 'extension-never-imports-engine',
      severity: 'error',
      comment: 'The extension host talks to the engine process by messages; it never loads TensorFlow.js or onnxruntime.',
      from: { path: '^src/extension/' },
      to: { path: ['^src/(engine|cli)/', '^webview/', '@tensorflow', 'onnxruntime'] },
    },
    {
      name: 'engine-and-cli-never-import-the-extension',
      severity: 'error',
      comment: 'The engine and the CLI run without VS Code.',
      from: { path: '^src/(engine|cli)/' },
      to: { path: ['^src/extension/', '^webview/', '^vscode$'] },
    },
    {
      name: 'engine-never-imports-the-cli',
      severity: 'error',
      from: { path: '^src/engine/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'webview-imports-only-protocol-and-core',
      severity: 'error',
      comment: 'Webviews render what the host sends; they share only message types and pure helpers.',
      from: { path: '^webview/' },
      to: { path: ['^src/(engine|extension|cli)/', '^vscode$', '@tensorflow', 'onnxruntime'] },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      comment: 'tfjs-node (and tfjs-node-gpu) are optional: loaded where installed.',
      from: {},
      to: { couldNotResolve: true, pathNot: '^@tensorflow/tfjs-node(-gpu)?$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(out|dist|media|node_modules)/' },
  },
};
