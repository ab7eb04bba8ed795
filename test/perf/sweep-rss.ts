import { Writable } from 'node:stream';
import { main } from '../../bench/cli/main.js';

/**
 * Runs `virtbench run` in this process and prints its peak resident memory, worker threads
 * included, as JSON. The benchmark starts it as a child so its own memory does not count.
 * Usage: node .perf/test/perf/sweep-rss.js <virtbench run arguments...>
 */
const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
const started = performance.now();
const code = await main(process.argv.slice(2), {
  stdout: sink,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
const seconds = (performance.now() - started) / 1000;
process.stdout.write(`${JSON.stringify({ code, seconds, peakRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`);
process.exitCode = code;
