#!/usr/bin/env node
// The compiled CLI lives in dist/; `npm install` builds it through the prepare script.
import { main } from '../dist/bench/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
