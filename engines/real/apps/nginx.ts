import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type AppFigures, durationUs, required, type ServerApp } from './app.js';

/**
 * nginx serving one small static page, driven by wrk on the host with `workload.clients`
 * connections: kept alive (http-keepalive), or closed after every response (http-new-connection,
 * wrk sending `Connection: close`), so each request pays a TCP handshake and teardown.
 */

/** The page: 1 KiB, so one response fits one segment and the request rate, not bandwidth, counts. */
export const PAGE_BYTES = 1024;

const WORKLOADS = ['http-keepalive', 'http-new-connection'] as const;

/** nginx.conf for one worker serving dir/html; master and worker run as root, as in a minimal container. */
export function nginxConfig(dir: string, listen: { address: string; port: number }): string {
  const temp = join(dir, 'temp');
  return `# virtbench: one worker serving a static page.
worker_processes 1;
daemon off;
user root root;
pid ${join(dir, 'nginx.pid')};
error_log stderr warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${temp}/body;
  proxy_temp_path ${temp}/proxy;
  fastcgi_temp_path ${temp}/fastcgi;
  uwsgi_temp_path ${temp}/uwsgi;
  scgi_temp_path ${temp}/scgi;
  keepalive_requests 1000000;
  server {
    listen ${listen.address}:${listen.port};
    root ${join(dir, 'html')};
  }
}
`;
}

export const nginxApp: ServerApp = {
  kind: 'server',
  workloads: WORKLOADS,
  packages: ['nginx', 'wrk'],
  tools: ['nginx', 'wrk'],
  hostPaths: ['/usr', '/lib', '/lib64', '/etc/passwd', '/etc/group', '/etc/nsswitch.conf'],
  dimension: 'overhead_network',
  operation: () => 'HTTP requests',
  notes: (workload) => [
    `${workload}: nginx, one worker, a ${PAGE_BYTES}-byte static page; wrk, one thread, ${workload === 'http-new-connection' ? 'a new connection per request (Connection: close)' : 'keep-alive connections'}`,
  ],
  prepareServer: async (dir, listen, tools) => {
    await mkdir(join(dir, 'html'), { recursive: true });
    await mkdir(join(dir, 'temp'), { recursive: true });
    await writeFile(join(dir, 'html', 'index.html'), `${'v'.repeat(PAGE_BYTES - 1)}\n`);
    const config = join(dir, 'nginx.conf');
    await writeFile(config, nginxConfig(dir, listen));
    return [tools.nginx!, '-e', 'stderr', '-p', dir, '-c', config];
  },
  boundedBy: 'seconds',
  probe: { send: 'GET /index.html HTTP/1.0\r\n\r\n', expect: 'HTTP/1.1 200' },
  client: (workload, target, clients, tools, run) => [
    tools.wrk!,
    '-t1',
    `-c${clients}`,
    `-d${run.seconds}s`,
    '--latency',
    ...(workload === 'http-new-connection' ? ['-H', 'Connection: close'] : []),
    `http://${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}/index.html`,
  ],
  parse: (_workload, output) => parseWrk(output),
};

/** wrk --latency: "Requests/sec:" and the 50% and 99% lines of its latency distribution. */
export function parseWrk(output: string): AppFigures {
  const rate = output.match(/^Requests\/sec:\s+([\d.]+)/m);
  const percentile = (p: number): number | undefined => {
    const line = output.match(new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm'));
    return line ? durationUs(Number(line[1]), line[2]!) : undefined;
  };
  const failed = output.match(/Non-2xx or 3xx responses:\s+(\d+)/);
  if (failed) throw new Error(`wrk: ${failed[1]} responses were not 2xx or 3xx`);
  return {
    throughput: required(rate ? Number(rate[1]) : undefined, 'Requests/sec', 'wrk'),
    latencyUs: required(percentile(50), '50% latency', 'wrk'),
    latencyP99Us: required(percentile(99), '99% latency', 'wrk'),
  };
}
