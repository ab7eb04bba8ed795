import { type Availability, combineAvailability, missing, present } from '../availability.js';
import { defineRealDriver } from '../define-driver.js';
import { findTool, runCommandSync } from '../host/spawn.js';
import { dockerDriver } from './docker.js';

/**
 * Docker Engine handing its containers to gVisor: the docker driver with `--runtime runsc`, so
 * the image, labels, teardown and measurements are the docker driver's own. It needs a daemon
 * that knows runsc as a runtime, which only the daemon's configuration can give it.
 */

const RUNTIME = 'runsc';

/** How to give dockerd the runtime: gVisor's netstack fails on new host kernels, so the host network. */
const CONFIGURE_HINT =
  'add it to /etc/docker/daemon.json: {"runtimes": {"runsc": {"path": "/usr/bin/runsc", "runtimeArgs": ["--platform=ptrace", "--network=host"]}}} and restart dockerd';

interface DaemonRuntime {
  readonly path?: string;
  readonly runtimeArgs?: readonly string[];
}

/** The runtimes the answering daemon knows, by name, or why they could not be read. */
function daemonRuntimes(docker: string): Record<string, DaemonRuntime> | string {
  const info = runCommandSync([docker, 'info', '--format', '{{json .Runtimes}}'], { timeoutMs: 15_000 });
  if (info.code !== 0)
    return `no Docker daemon answers (${info.stderr.trim().split('\n').pop() ?? `exit ${info.code ?? info.signal}`}); start dockerd`;
  try {
    return JSON.parse(info.stdout) as Record<string, DaemonRuntime>;
  } catch {
    return `docker info printed no runtimes (${info.stdout.trim().slice(0, 80)})`;
  }
}

/** The gVisor platform the daemon's runsc runs with: its --platform argument, else runsc's default (ptrace). */
export function daemonRunscPlatform(runtime: DaemonRuntime): string {
  for (const arg of runtime.runtimeArgs ?? []) {
    const match = arg.match(/^--?platform=(\w+)$/);
    if (match) return match[1]!;
  }
  return 'ptrace';
}

async function availability(): Promise<Availability> {
  const base = await dockerDriver.availability();
  if (!base.available)
    return combineAvailability(base, missing(`needs dockerd with the ${RUNTIME} runtime`, ['runsc']));
  const docker = findTool('docker')!;
  const runtimes = daemonRuntimes(docker);
  if (typeof runtimes === 'string') return combineAvailability(base, missing(runtimes, ['docker.io']));
  const runsc = runtimes[RUNTIME];
  if (!runsc) {
    const known = Object.keys(runtimes).join(', ');
    return combineAvailability(
      base,
      missing(`dockerd has no "${RUNTIME}" runtime (it knows ${known}); ${CONFIGURE_HINT}`, ['runsc']),
    );
  }
  return combineAvailability(
    base,
    present(`dockerd runtime ${RUNTIME}: ${runsc.path ?? RUNTIME} ${(runsc.runtimeArgs ?? []).join(' ')}`.trim()),
  );
}

export const dockerRunscDriver = defineRealDriver({
  ...dockerDriver.spec,
  id: 'docker-runsc',
  title: 'Docker Engine with gVisor (runsc)',
  kind: () => 'sandbox',
  modeledCounterpart: () => 'gvisor',
  // The sandbox's ptrace platform makes each start and the workloads slower than runc's.
  defaultTimeoutMs: 120_000,
  requires: [...dockerDriver.spec.requires, 'runsc'],
  availability,
  open: async (context) => {
    const docker = findTool('docker')!;
    const runtimes = daemonRuntimes(docker);
    const runsc = typeof runtimes === 'string' ? undefined : runtimes[RUNTIME];
    context.notes.push(`OCI runtime: ${RUNTIME} (through dockerd)`);
    if (runsc) context.notes.push(`gVisor platform: ${daemonRunscPlatform(runsc)}`);
    return dockerDriver.spec.open({ ...context, options: { ...context.options, runtime: RUNTIME } });
  },
});
