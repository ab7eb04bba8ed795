// Bundles the CLI, the worker pool's thread and the programmatic API into dist/bundle/ with
// esbuild. Node then loads a few files instead of hundreds of modules, which was half of what a
// short `virtbench run` spent; tsc (`npm run build`) still checks the types and writes the
// published .d.ts files.
//
//   node bin/bundle.mjs              build
//   node bin/bundle.mjs --if-stale   build unless the bundle is newer than every file it was built from
//
// prepare uses --if-stale: `npx virtbench` installs this package into npx's cache as a link to
// the working tree and runs prepare again, so its first run would otherwise build twice.
import { readFileSync, statSync, writeFileSync } from 'node:fs';

const OUT_DIR = 'dist/bundle';
const ENTRY_POINTS = {
  // bin/virtbench.js
  main: 'bench/cli/main.ts',
  // The pool's thread: bench/run/pool/pool.ts looks for it next to itself (workerFile()).
  worker: 'bench/run/pool/worker.ts',
  // package.json "exports"
  index: 'bench/index.ts',
};
/** Every file the last build read, and what else decides its output; outside dist/bundle/ so that it is not published. */
const INPUTS_FILE = 'dist/bundle-inputs.json';
const BUILD_SETTINGS = ['bin/bundle.mjs', 'package.json'];

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

/** Whether the last build is newer than every file it read and every entry point's output exists. */
function upToDate() {
  try {
    const builtAt = statSync(INPUTS_FILE).mtimeMs;
    const outputs = Object.keys(ENTRY_POINTS).map((name) => `${OUT_DIR}/${name}.js`);
    const { inputs } = JSON.parse(readFileSync(INPUTS_FILE, 'utf8'));
    for (const output of outputs) statSync(output);
    return [...inputs, ...BUILD_SETTINGS].every((file) => statSync(file).mtimeMs <= builtAt);
  } catch {
    // A file missing or unreadable: build.
    return false;
  }
}

if (!(process.argv.includes('--if-stale') && upToDate())) {
  // Loaded only to build: a prepare with nothing to do then costs little more than Node's start.
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: ENTRY_POINTS,
    outdir: OUT_DIR,
    bundle: true,
    // One file per entry point. Split into shared chunks, with one per dynamic import (each
    // command, engine and real driver), a default run loads some thirty files, and resolving and
    // linking them cost it about 13% more CPU, measured alternately, than compiling the code it
    // does not use. Dynamic imports inside a file still defer running that code until needed.
    splitting: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minify: true,
    // For stack traces: bin/virtbench.js turns source maps on with VIRTBENCH_DEBUG.
    sourcemap: true,
    // Piscina starts its threads from a file of its own package, so it stays a dependency.
    external: ['piscina'],
    // CommonJS dependencies (commander, csv-stringify...) call require() for Node's modules.
    banner: {
      js: "import { createRequire as __virtbenchRequire } from 'node:module'; const require = __virtbenchRequire(import.meta.url);",
    },
    plugins: [withoutZodLocales],
    metafile: true,
    logLevel: 'warning',
  });
  const inputs = Object.keys(result.metafile.inputs).filter((file) => !file.includes(':'));
  writeFileSync(INPUTS_FILE, `${JSON.stringify({ inputs }, null, 1)}\n`);
}
