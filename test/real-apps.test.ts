import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseFioJson } from '../engines/real/apps/fio.js';
import { parseWrk } from '../engines/real/apps/nginx.js';
import { parseRedisBenchmarkCsv, redisApp } from '../engines/real/apps/redis.js';
import { parseSysbench } from '../engines/real/apps/sysbench.js';
import type { RealDriver } from '../engines/real/driver-spec.js';
import { findLeftovers } from '../engines/real/host/leaks.js';
import { pickPrivateSubnet } from '../engines/real/host/netns.js';
import { splitSteps, stepsScript } from '../engines/real/host/server.js';
import { findTool } from '../engines/real/host/spawn.js';
import { loadEngine } from '../engines/registry.js';
import type { Cell, NetworkMode } from '../engines/types.js';
import { realTestCell } from './real-cells.js';

/**
 * Real applications (engines/real/apps): each parser on output recorded from the Debian tools on
 * a test host, then real runs natively and in runc that must leave nothing behind. Runs skip,
 * saying why, when a package is missing or the user is not root.
 */

const fixture = (name: string): Promise<string> => readFile(new URL(`fixtures/apps/${name}`, import.meta.url), 'utf8');

describe('application output parsers, on recorded output', () => {
  it('redis-benchmark --csv: requests per second, p50 and p99 in µs', async () => {
    expect(parseRedisBenchmarkCsv(await fixture('redis-get.csv'))).toEqual({
      throughput: 15384.62,
      latencyUs: 31,
      latencyP99Us: 1143,
    });
  });

  it('wrk --latency, keep-alive and Connection: close', async () => {
    expect(parseWrk(await fixture('wrk-keepalive.txt'))).toEqual({
      throughput: 13828.12,
      latencyUs: 36,
      latencyP99Us: 4420,
    });
    expect(parseWrk(await fixture('wrk-close.txt'))).toEqual({
      throughput: 4913.49,
      latencyUs: 273,
      latencyP99Us: 9310,
    });
  });

  it('wrk output with failed responses is refused', () => {
    expect(() => parseWrk('Requests/sec: 10\n  Non-2xx or 3xx responses: 7\n')).toThrow('7 responses');
  });

  it('sysbench: events over total time, p50 and p99 from its latency histogram', async () => {
    const cpu = parseSysbench(await fixture('sb-cpu.txt'));
    expect(cpu.throughput).toBeCloseTo(3045 / 1.0167, 9);
    expect(cpu.latencyUs).toBeCloseTo(230, 9);
    expect(cpu.latencyP99Us).toBeCloseTo(4252, 9); // sysbench printed "99th percentile: 4.25" from the same histogram
    const memory = parseSysbench(await fixture('sb-mem.txt'));
    expect(memory.throughput).toBeCloseTo(11332 / 1.0072, 9);
    const fileio = parseSysbench(await fixture('sb-fileio.txt'));
    expect(fileio.throughput).toBeCloseTo(28912 / 1.0062, 9);
  });

  it('fio JSON: IOPS and completion-latency percentiles of the job side that ran', async () => {
    expect(parseFioJson(await fixture('fio-seq.json'), 'read')).toEqual({
      throughput: 5237.52495,
      latencyUs: 56.064,
      latencyP99Us: 4227.072,
    });
    expect(() => parseFioJson('fio: no such file', 'read')).toThrow('no JSON');
  });

  it('a missing figure names the tool and what is missing', () => {
    expect(() => parseRedisBenchmarkCsv('ERROR: connection refused')).toThrow('redis-benchmark output has no rps');
  });

  it('a bridge subnet avoids every range the host uses, a default route aside', () => {
    // Every draw, 10.130.7.0/24, lies in 10.130.0.0/16.
    expect(() => pickPrivateSubnet(['0.0.0.0/0', '10.130.0.0/16'], (max) => (max === 128 ? 2 : 7))).toThrow(
      'no free private /24',
    );
    expect(pickPrivateSubnet(['0.0.0.0/0', '10.130.7.5/24', '192.168.1.1'], (max) => (max === 128 ? 2 : 8))).toBe(
      '10.130.8.0/24',
    );
  });

  it('step scripts quote every argument and split the output by step', () => {
    const script = stepsScript(
      [
        ['/usr/bin/fio', "--name=it's"],
        ['echo', 'b c'],
      ],
      '/tmp/x',
    );
    expect(script).toContain(`'/usr/bin/fio' '--name=it'\\''s' || exit 1`);
    expect(splitSteps('one\nvirtbench-step-done-0\ntwo\nvirtbench-step-done-1\n', 2)).toEqual(['one\n', '\ntwo\n']);
    expect(() => splitSteps('one\nvirtbench-step-done-0\n', 2)).toThrow('step 2 of 2 did not finish');
  });
});

const isRoot = process.getuid?.() === 0;

function appCell(workload: string, clients: number, network: NetworkMode, timeoutMs?: number): Cell {
  return realTestCell({
    scenario: 'real-apps-test',
    workload: { name: workload, clients },
    network,
    real: { workloadRepetitions: 1, ...(timeoutMs ? { timeoutMs } : {}) },
    repetitions: 1,
    metrics: ['overhead'],
  });
}

function missingTools(tools: readonly string[]): string {
  const missing = tools.filter((t) => !findTool(t));
  return missing.length > 0 ? ` (skipped: ${missing.join(', ')} not installed)` : '';
}

const redisMissing = missingTools(redisApp.tools);
const runcMissing = missingTools(['runc']) || (isRoot ? '' : ' (skipped: runc needs root)');

describe('real applications natively and in runc', () => {
  it.skipIf(redisMissing !== '')(
    `kv-get natively (the process driver): throughput, latency and overhead, nothing left${redisMissing}`,
    async () => {
      const driver = (await loadEngine('process', 'real')) as RealDriver;
      const measurement = await driver.measure(appCell('kv-get', 1, 'host'));
      if (measurement.state === 'unsuitable') throw new Error(measurement.reasons.join('; '));
      const s = measurement.samples;
      expect(s.throughput![0]).toBeGreaterThan(0);
      expect(s.latency![0]).toBeGreaterThan(0);
      expect(s['latency.p99']![0]).toBeGreaterThanOrEqual(s.latency![0]!);
      expect(s.overhead_total).toHaveLength(1);
      expect(s.overhead_network).toEqual(s.overhead_total);
      expect(measurement.details).toEqual({ throughput: 'GET requests' });
      expect(await findLeftovers()).toEqual([]);
    },
    120_000,
  );

  for (const network of ['host', 'bridge'] as const) {
    const skip = redisMissing || runcMissing || missingTools(network === 'bridge' ? ['ip'] : []);
    it.skipIf(skip !== '')(
      `kv-set in runc, ${network} network: measured beside native, nothing left${skip}`,
      async () => {
        const driver = (await loadEngine('runc', 'real')) as RealDriver;
        const measurement = await driver.measure(appCell('kv-set', 50, network));
        if (measurement.state === 'unsuitable') throw new Error(measurement.reasons.join('; '));
        expect(measurement.samples.throughput![0], measurement.notes?.join('\n')).toBeGreaterThan(0);
        const reached = measurement.notes?.find((n) => n.startsWith('server in the instance reached at'));
        expect(reached).toMatch(network === 'host' ? /at 127\.0\.0\.1:/ : /at 10\.\d+\.\d+\.\d+:/);
        expect(await findLeftovers()).toEqual([]);
      },
      180_000,
    );
  }

  const bridgeSkip = redisMissing || runcMissing || missingTools(['ip']);
  it.skipIf(bridgeSkip !== '')(
    `a bridge-mode server that times out leaves no namespace, veth or container behind${bridgeSkip}`,
    async () => {
      const driver = (await loadEngine('runc', 'real')) as RealDriver;
      // 1 ms: the server cannot announce itself in time, so startServer fails after its network exists.
      const measurement = await driver.measure(appCell('kv-get', 1, 'bridge', 1));
      const said = measurement.state === 'unsuitable' ? measurement.reasons : (measurement.notes ?? []);
      expect(said.join('\n')).toMatch(/overhead not measured: .*(timed out|within 1 ms)/);
      expect(await findLeftovers()).toEqual([]);
    },
    120_000,
  );
});
