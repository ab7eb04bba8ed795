#!/usr/bin/env node
// The CLI is bundled into dist/bundle/ by esbuild (scripts/bundle.mjs); `npm install` builds it
// through the prepare script.
import { main } from '../dist/bundle/main.js';

process.exitCode = await main(process.argv.slice(2));
