import { type AppFigures, required, type ServerApp } from './app.js';

/**
 * Redis (redis-server) driven by redis-benchmark on the host: GET or SET of a 3-byte value,
 * `workload.clients` connections, no pipelining. Persistence is off so SETs stay in memory.
 */

const COMMANDS: Readonly<Record<string, 'get' | 'set'>> = { 'kv-get': 'get', 'kv-set': 'set' };

/** The key redis-benchmark uses without -r, and its default 3-byte value. */
const BENCHMARK_KEY = 'key:__rand_int__';

export const redisApp: ServerApp = {
  kind: 'server',
  workloads: Object.keys(COMMANDS),
  packages: ['redis-server', 'redis-tools'],
  tools: ['redis-server', 'redis-benchmark'],
  hostPaths: ['/usr', '/lib', '/lib64', '/etc/passwd', '/etc/group'],
  dimension: 'overhead_network',
  operation: (workload) => `${(COMMANDS[workload] ?? 'get').toUpperCase()} requests`,
  notes: (workload) => [
    `${workload}: redis-server ${COMMANDS[workload]?.toUpperCase()} of a 3-byte value, no pipelining, persistence off`,
  ],
  prepareServer: async (dir, listen, tools) => [
    tools['redis-server']!,
    '--port',
    String(listen.port),
    '--bind',
    listen.address,
    '--protected-mode',
    'no',
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
    '--dir',
    dir,
  ],
  // Setting the key GET reads shows the server answers, and makes every GET a hit.
  boundedBy: 'requests',
  probe: { send: `SET ${BENCHMARK_KEY} xxx\r\n`, expect: '+OK' },
  client: (workload, target, clients, tools, run) => [
    tools['redis-benchmark']!,
    '-h',
    target.host,
    '-p',
    String(target.port),
    '-c',
    String(clients),
    '-n',
    String(run.requests),
    '-t',
    COMMANDS[workload] ?? 'get',
    '--csv',
  ],
  parse: (_workload, output) => parseRedisBenchmarkCsv(output),
};

/** The row of `redis-benchmark --csv`: requests per second and latency percentiles in ms. */
export function parseRedisBenchmarkCsv(output: string): AppFigures {
  const rows = output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('"'))
    .map((line) => line.split(',').map((cell) => cell.replace(/^"|"$/g, '')));
  const header = rows.find((row) => row[0] === 'test');
  const data = rows.find((row) => row[0] !== 'test');
  const field = (name: string): number | undefined => {
    const index = header?.indexOf(name) ?? -1;
    return index >= 0 && data ? Number(data[index]) : undefined;
  };
  return {
    throughput: required(field('rps'), 'rps', 'redis-benchmark'),
    latencyUs: required(field('p50_latency_ms'), 'p50_latency_ms', 'redis-benchmark') * 1000,
    latencyP99Us: required(field('p99_latency_ms'), 'p99_latency_ms', 'redis-benchmark') * 1000,
  };
}
