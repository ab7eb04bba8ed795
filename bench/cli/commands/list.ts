import { readdir, readFile } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import type { Command } from 'commander';
import { parseDocument } from 'yaml';
import { BUILTIN_HARDWARE } from '../../../engines/hardware/index.js';
import { BUILTIN_IMAGES } from '../../../engines/images.js';
import { fixedMetricIds, metricInfo } from '../../../engines/metrics.js';
import { stormParams } from '../../../engines/model/storm-plan.js';
import type { ModeledEngine } from '../../../engines/modeled/define.js';
import { engineIds, loadEngine } from '../../../engines/registry.js';
import { packageRoot } from '../../../engines/shared/environment.js';
import { usageError } from '../../../engines/shared/errors.js';
import type { Param } from '../../../engines/types.js';
import { BUILTIN_WORKLOADS } from '../../../engines/workloads.js';
import { didYouMean } from '../../scenario/suggest.js';
import { type CliContext, write } from '../context.js';

const TOPICS = ['engines', 'hardware', 'scenarios', 'metrics', 'images', 'workloads'] as const;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length)));
  return rows.map((r) => r.map((v, col) => (col === r.length - 1 ? v : v.padEnd(widths[col]!))).join('  ')).join('\n');
}

function paramLines(group: string, params: Record<string, Param>): string[][] {
  return Object.entries(params).map(([name, p]) => [`  ${group}.${name}`, String(p.value), p.verified, p.source]);
}

async function listEngines(showParams: boolean): Promise<string> {
  const rows: string[][] = [['id', 'kind', 'driver', 'title']];
  const details: string[] = [];
  for (const id of engineIds()) {
    const engine = await loadEngine(id);
    rows.push([engine.id, engine.kind, engine.driver, engine.title]);
    if (showParams && engine.driver === 'model' && 'spec' in engine) {
      const spec = (engine as ModeledEngine).spec;
      details.push(
        `\n${engine.id}\n` +
          table([
            ['  parameter', 'value', 'verified', 'source'],
            ...paramLines('boot', spec.boot as unknown as Record<string, Param>),
            ...paramLines('memory', spec.memory as unknown as Record<string, Param>),
            ...paramLines('costs', spec.costs as unknown as Record<string, Param>),
            ...paramLines('noise', spec.noise as unknown as Record<string, Param>),
            ...paramLines('storm', stormParams(spec) as unknown as Record<string, Param>),
          ]),
      );
    }
  }
  const real: string[][] = [['id', 'kind', 'driver', 'compared with', 'title']];
  for (const id of engineIds('real')) {
    const driver = await loadEngine(id, 'real');
    real.push([driver.id, driver.kind, driver.driver, driver.modeledCounterpart ?? '', driver.title]);
  }
  return (
    `${table(rows)}${details.join('\n')}\n\n` +
    'Real drivers, measured on this host (a scenario entry sets driver: real; `virtbench doctor` tells which this host has):\n' +
    `${table(real)}\n` +
    'qemu uses KVM when a probe with a timeout succeeds, and emulation (TCG) otherwise; its kind and the modeled engine it is compared with follow.\n' +
    'The modeled namespaces engine is an engine profile, loaded by scenarios/real-host.yaml with profile:.'
  );
}

function listHardware(): string {
  const rows = [['id', 'cpu', 'memory', 'storage', 'network', 'description']];
  for (const h of BUILTIN_HARDWARE) {
    rows.push([
      h.id,
      `${h.cpu.sockets}x${h.cpu.coresPerSocket}x${h.cpu.threadsPerCore} @ ${h.cpu.ghz} GHz${h.cpu.virtualization ? '' : ' (no VT-x)'}`,
      `${h.memory.gib} GiB, ${h.memory.bandwidthGBs} GB/s`,
      `${h.storage.seqReadMBs} MB/s, ${h.storage.randReadIops} IOPS`,
      `${h.network.gbits} Gbit/s, ${h.network.rttUs} us RTT`,
      h.description,
    ]);
  }
  return table(rows);
}

/**
 * The scenarios in ./scenarios, else the bundled ones, by a path `virtbench run` accepts from
 * here. Engine profiles live beside them but are not scenarios (they have no engines: list).
 */
async function listScenarios(context: CliContext): Promise<string> {
  const rows = [['file', 'description']];
  for (const dir of [join(context.cwd, 'scenarios'), join(packageRoot(), 'scenarios')]) {
    let files: string[];
    try {
      files = (await readdir(dir, { recursive: true })).filter((f) => /\.ya?ml$/.test(f)).sort();
    } catch {
      continue;
    }
    for (const f of files) {
      const document = parseDocument(await readFile(join(dir, f), 'utf8'));
      if (!document.has('engines')) continue;
      const description = String(document.get('description') ?? '').split('\n')[0] ?? '';
      const fromHere = relative(context.cwd, join(dir, f));
      rows.push([fromHere.startsWith('..') || isAbsolute(fromHere) ? join(dir, f) : fromHere, description]);
    }
    break;
  }
  return table(rows);
}

function listMetrics(): string {
  const rows = [['metric', 'unit', 'description']];
  for (const id of fixedMetricIds()) rows.push([id, metricInfo(id).unit, metricInfo(id).description]);
  rows.push(['boot_time.<phase>', 'ms', 'One start-up phase, for example kernel_init or runtime_start']);
  return table(rows);
}

function listImages(): string {
  const rows = [['id', 'container', 'VM disk', 'description']];
  for (const i of BUILTIN_IMAGES) {
    rows.push([i.id, `${i.containerUnpackedMiB.value.toFixed(1)} MiB`, `${i.vmInstalledMiB.value} MiB`, i.description]);
  }
  return table(rows);
}

function listWorkloads(): string {
  const rows = [['id', 'kind', 'one run', 'description']];
  for (const w of BUILTIN_WORKLOADS)
    rows.push([
      w.id,
      w.kind,
      `${w.units.toLocaleString('en-US', { maximumSignificantDigits: 6 })} ${w.unit}`,
      w.description,
    ]);
  return (
    table(rows) +
    '\n\nUse one with `workload: <id>` in a scenario; application workloads are built from the micro-benchmarks.'
  );
}

export function register(program: Command, context: CliContext): void {
  program
    .command('list')
    .description(`list ${TOPICS.join(', ')}`)
    .argument('<topic>', TOPICS.join('|'))
    .option('--params', 'with engines: every model parameter with its value and source')
    .action(async (topic: string, flags: { params?: boolean }) => {
      switch (topic) {
        case 'engines':
          return write(context.stdout, await listEngines(flags.params === true));
        case 'hardware':
          return write(context.stdout, listHardware());
        case 'scenarios':
          return write(context.stdout, await listScenarios(context));
        case 'metrics':
          return write(context.stdout, listMetrics());
        case 'images':
          return write(context.stdout, listImages());
        case 'workloads':
          return write(context.stdout, listWorkloads());
        default:
          throw usageError(`unknown topic "${topic}" (expected ${TOPICS.join(', ')})`, didYouMean(topic, TOPICS));
      }
    });
}
