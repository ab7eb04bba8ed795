/**
 * Benchmark of virtbench's real boot measurement against hyperfine: the same boot commands, timed
 * by virtbench (tinybench; boot_time = spawn to workload ready, teardown_time = ready to exit, both
 * on the launcher's clock) and by `hyperfine -N` (spawn to exit). hyperfine's median is compared
 * with boot_time p50 + teardown_time p50, the same span. Rounds alternate the two tools, each
 * first in every other round, so that host load drifts through both.
 *
 *   npm run bench:hyperfine -- [--runs 20] [--slow-runs 6] [--rounds 6] [--drivers process,runc] [--check]
 *
 * Commands that take longer than half a second to boot (docker, qemu) get --slow-runs per round.
 * Exits 1 when a difference lies outside ±tolerance (default 10%) and --check is given.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { buildCell } from '../../bench/run/plan.js';
import { loadScenario } from '../../bench/scenario/load.js';
import type { BootCommand, RealDriver } from '../../engines/real/driver-spec.js';
import { installSignalCleanup, runAllCleanups } from '../../engines/real/host/cleanup.js';
import { findTool, runCommand } from '../../engines/real/host/spawn.js';
import { makeTempDir } from '../../engines/real/host/tempdir.js';
import { measureBoot } from '../../engines/real/measure/boot.js';
import { exclusive } from '../../engines/real/measure/exclusive.js';
import { openSession } from '../../engines/real/measure/session.js';
import { engineIds, loadEngine } from '../../engines/registry.js';
import { packageRoot } from '../../engines/shared/environment.js';
import { median } from '../../engines/shared/stats.js';

const SCENARIO = 'scenarios/real-host.yaml';

/** hyperfine -N splits its command like a POSIX shell would, without running one: quote each word. */
export function hyperfineCommand(argv: readonly string[]): string {
  return argv.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`)).join(' ');
}

interface Row {
  readonly driver: string;
  /** p50 over all rounds' samples, ms. */
  readonly bootMs: number;
  /** p50 of teardown_time; 0 for commands whose exit is their readiness (no teardown_time). */
  readonly teardownMs: number;
  readonly hyperfineMs: number;
  /** Median over rounds of ((boot p50 + teardown p50) / hyperfine median - 1) within the round, %. */
  readonly differencePercent: number;
}

async function hyperfineTimes(boot: BootCommand, runs: number, warmup: number, timeoutMs: number): Promise<number[]> {
  const dir = await makeTempDir('hyperfine');
  try {
    const json = join(dir.path, 'result.json');
    // Where virtbench waits (untimed) for the host to settle after a boot, hyperfine does too.
    const prepare = boot.settleCommand ? ['--prepare', hyperfineCommand(boot.settleCommand)] : [];
    await runCommand(
      [
        'hyperfine',
        '-N',
        '--style',
        'none',
        '--warmup',
        String(warmup),
        '--runs',
        String(runs),
        ...prepare,
        '--export-json',
        json,
        hyperfineCommand(boot.argv),
      ],
      {
        timeoutMs: timeoutMs * (runs + warmup + 2),
      },
    );
    const result = JSON.parse(await readFile(json, 'utf8')) as { results: { times: number[] }[] };
    return result.results[0]!.times.map((s) => s * 1000);
  } finally {
    dir.release();
  }
}

const SLOW_BOOT_MS = 500;

async function compareDriver(
  id: string,
  fastRuns: number,
  slowRuns: number,
  rounds: number,
  warmup: number,
): Promise<Row | string> {
  const scenario = await loadScenario(join(packageRoot(), SCENARIO));
  const entry = scenario.engines.find((e) => e.engine.driver === 'real' && e.engine.id === id);
  if (!entry) return `${id}: not a real driver of ${SCENARIO}`;
  const driver = entry.engine as RealDriver;
  const opened = await openSession(driver.spec, buildCell(scenario, entry, {}));
  if (opened.state === 'unavailable') return opened.reason;
  try {
    const probe = await measureBoot(opened.session, {
      bootIterations: 1,
      bootWarmup: 0,
      timeoutMs: opened.options.timeoutMs,
    });
    const runs = probe.boot_time![0]! > SLOW_BOOT_MS ? slowRuns : fastRuns;
    const boots: number[] = [];
    const teardowns: number[] = [];
    const hyperfine: number[] = [];
    const differences: number[] = [];
    // Short alternating rounds, each tool first in every other one: host load drifts through
    // both, and each round's difference compares measurements taken seconds apart.
    for (let round = 0; round < rounds; round++) {
      const ours = (): Promise<Record<string, number[]>> =>
        measureBoot(opened.session!, { bootIterations: runs, bootWarmup: warmup, timeoutMs: opened.options.timeoutMs });
      const theirs = (): Promise<number[]> =>
        hyperfineTimes(opened.session!.boot, runs, warmup, opened.options.timeoutMs);
      let v: Record<string, number[]>;
      let h: number[];
      if (round % 2 === 0) {
        v = await ours();
        h = await theirs();
      } else {
        h = await theirs();
        v = await ours();
      }
      const teardown = v.teardown_time ?? [0];
      boots.push(...v.boot_time!);
      teardowns.push(...teardown);
      hyperfine.push(...h);
      differences.push(((median(v.boot_time!) + median(teardown)) / median(h) - 1) * 100);
    }
    return {
      driver: id,
      bootMs: median(boots),
      teardownMs: median(teardowns),
      hyperfineMs: median(hyperfine),
      differencePercent: median(differences),
    };
  } finally {
    await opened.close();
  }
}

function format(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '20' },
      'slow-runs': { type: 'string', default: '6' },
      rounds: { type: 'string', default: '6' },
      warmup: { type: 'string', default: '3' },
      drivers: { type: 'string' },
      tolerance: { type: 'string', default: '10' },
      check: { type: 'boolean', default: false },
    },
  });
  installSignalCleanup();
  if (!findTool('hyperfine')) {
    console.error('hyperfine not found: apt-get install -y hyperfine');
    return 2;
  }
  const ids = values.drivers ? values.drivers.split(',') : engineIds('real');
  const tolerance = Number(values.tolerance) / 100;
  const rows: Row[] = [];
  console.log(
    `virtbench boot_time p50 + teardown_time p50 vs hyperfine -N median (spawn to exit), same commands; ${values.rounds} alternating rounds x ${values.runs} runs (${values['slow-runs']} for boots over ${SLOW_BOOT_MS} ms)`,
  );
  console.log("difference: median over rounds of (virtbench's sum / hyperfine's median - 1), per round");
  console.log(['driver', 'boot_time p50', 'teardown_time p50', 'sum ms', 'hyperfine ms', 'difference'].join('\t'));
  for (const id of ids) {
    await loadEngine(id, 'real');
    const row = await exclusive(() =>
      compareDriver(id, Number(values.runs), Number(values['slow-runs']), Number(values.rounds), Number(values.warmup)),
    );
    if (typeof row === 'string') {
      console.log(`${id}\tskipped: ${row}`);
      continue;
    }
    rows.push(row);
    console.log(
      [
        row.driver,
        format(row.bootMs),
        format(row.teardownMs),
        format(row.bootMs + row.teardownMs),
        format(row.hyperfineMs),
        `${row.differencePercent >= 0 ? '+' : ''}${row.differencePercent.toFixed(1)}%`,
      ].join('\t'),
    );
  }
  const outside = rows.filter((r) => Math.abs(r.differencePercent) > tolerance * 100);
  if (outside.length > 0) console.log(`outside ±${values.tolerance}%: ${outside.map((r) => r.driver).join(', ')}`);
  return values.check && outside.length > 0 ? 1 : 0;
}

// Run only when executed, not when imported (the tests import hyperfineCommand).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main()
    .then((code) => {
      runAllCleanups();
      process.exitCode = code;
    })
    .catch((error: unknown) => {
      runAllCleanups();
      console.error(error instanceof Error ? error.message : String(error));
      process.exitCode = 2;
    });
}
