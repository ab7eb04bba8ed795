#!/usr/bin/env node
// The CLI is bundled into dist/bundle/ by esbuild (bin/bundle.mjs); `npm install` builds it
// through the prepare script.

// VIRTBENCH_DEBUG prints the stack of an internal error: source maps make it name the TypeScript
// files. They are read only for modules loaded after this, hence the dynamic import.
if (process.env.VIRTBENCH_DEBUG) process.setSourceMapsEnabled(true);
const { main } = await import('../dist/bundle/main.js');

process.exitCode = await main(process.argv.slice(2));
