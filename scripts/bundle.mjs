// Bundles the CLI, the worker pool's thread and the programmatic API into dist/bundle/ with
// esbuild. Node then loads a few files instead of hundreds of modules, which is most of what a
// short `virtbench run` used to spend; tsc (`npm run build`) is still what checks types and
// writes the published .d.ts files.
import { build } from 'esbuild';

/**
 * zod's `locales` namespace (every language's error messages) is imported by `zod` as a whole,
 * so it cannot be tree-shaken; virtbench reports its own messages and never uses it. Leaving it
 * out makes the bundle a fifth smaller.
 */
const withoutZodLocales = {
  name: 'without-zod-locales',
  setup(esbuild) {
    esbuild.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer) ? { path: 'zod-locales', namespace: 'empty' } : undefined,
    );
    esbuild.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({ contents: 'export {};', loader: 'js' }));
  },
};

await build({
  entryPoints: {
    // bin/virtbench.js
    main: 'bench/cli/main.ts',
    // The pool's thread: bench/run/pool/run.ts looks for it next to itself (workerFile()).
    worker: 'bench/run/pool/worker.ts',
    // package.json "exports"
    index: 'bench/index.ts',
  },
  outdir: 'dist/bundle',
  bundle: true,
  // Shared code goes to chunks, and each dynamic import (a command, a real driver, an engine)
  // to its own, loaded only when used.
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  // Error classes keep their names in messages and `instanceof` checks stay as they are.
  keepNames: true,
  sourcemap: true,
  // Piscina starts its threads from a file of its own package, so it stays a dependency.
  external: ['piscina'],
  // CommonJS dependencies (commander, csv-stringify...) call require() for Node's modules.
  banner: {
    js: "import { createRequire as __virtbenchRequire } from 'node:module'; const require = __virtbenchRequire(import.meta.url);",
  },
  plugins: [withoutZodLocales],
  logLevel: 'warning',
});
