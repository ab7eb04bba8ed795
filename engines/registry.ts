import { DRIVERS, type Driver, ENGINE_KINDS, type Engine } from './types.js';

/**
 * Every built-in engine, by id. Each entry loads its module on first use, so listing engines or
 * running one of them does not load the rest. Adding an engine is one file plus one line here.
 */
export const ENGINE_LOADERS: Readonly<Record<string, () => Promise<Engine>>> = {
  native: async () => (await import('./modeled/native.js')).native,
  docker: async () => (await import('./modeled/docker.js')).docker,
  gvisor: async () => (await import('./modeled/gvisor.js')).gvisor,
  firecracker: async () => (await import('./modeled/firecracker.js')).firecracker,
  kvm: async () => (await import('./modeled/kvm.js')).kvm,
  esxi: async () => (await import('./modeled/esxi.js')).esxi,
  xen: async () => (await import('./modeled/xen.js')).xen,
  hyperv: async () => (await import('./modeled/hyperv.js')).hyperv,
  virtualbox: async () => (await import('./modeled/virtualbox.js')).virtualbox,
  'vmware-workstation': async () => (await import('./modeled/vmware-workstation.js')).vmwareWorkstation,
  'qemu-tcg': async () => (await import('./modeled/qemu-tcg.js')).qemuTcg,
  'firecracker-api': async () => (await import('./modeled/firecracker-api.js')).firecrackerApi,
  'cloud-hypervisor': async () => (await import('./modeled/cloud-hypervisor.js')).cloudHypervisor,
  'qemu-qboot': async () => (await import('./modeled/qemu-qboot.js')).qemuQboot,
  'qemu-seabios': async () => (await import('./modeled/qemu-seabios.js')).qemuSeabios,
  'qemu-microvm': async () => (await import('./modeled/qemu-microvm.js')).qemuMicrovm,
  'solo5-hvt': async () => (await import('./modeled/solo5-hvt.js')).solo5Hvt,
  'kata-qemu': async () => (await import('./modeled/kata-qemu.js')).kataQemu,
  'kata-clh': async () => (await import('./modeled/kata-clh.js')).kataClh,
  'cloud-instance': async () => (await import('./modeled/cloud-instance.js')).cloudInstance,
  runc: async () => (await import('./modeled/runc.js')).runc,
  crun: async () => (await import('./modeled/crun.js')).crun,
  podman: async () => (await import('./modeled/podman.js')).podman,
  containerd: async () => (await import('./modeled/containerd.js')).containerd,
  lxc: async () => (await import('./modeled/lxc.js')).lxc,
  nspawn: async () => (await import('./modeled/nspawn.js')).nspawn,
  bwrap: async () => (await import('./modeled/bwrap.js')).bwrap,
};

/**
 * Real drivers, by id: the same kinds of engine measured on this host. An id may name both a
 * modeled engine and a real driver (docker); a scenario entry picks one with `driver:`.
 */
export const REAL_DRIVER_LOADERS: Readonly<Record<string, () => Promise<Engine>>> = {
  process: async () => (await import('./real/drivers/process.js')).processDriver,
  namespaces: async () => (await import('./real/drivers/namespaces.js')).namespacesDriver,
  runc: async () => (await import('./real/drivers/runc.js')).runcDriver,
  docker: async () => (await import('./real/drivers/docker.js')).dockerDriver,
  qemu: async () => (await import('./real/drivers/qemu.js')).qemuDriver,
  'qemu-microvm': async () => (await import('./real/drivers/qemu-microvm.js')).qemuMicrovmDriver,
  podman: async () => (await import('./real/drivers/podman.js')).podmanDriver,
  containerd: async () => (await import('./real/drivers/containerd.js')).containerdDriver,
  'docker-runsc': async () => (await import('./real/drivers/docker-runsc.js')).dockerRunscDriver,
  crun: async () => (await import('./real/drivers/crun.js')).crunDriver,
  runsc: async () => (await import('./real/drivers/runsc.js')).runscDriver,
  bwrap: async () => (await import('./real/drivers/bwrap.js')).bwrapDriver,
  nspawn: async () => (await import('./real/drivers/nspawn.js')).nspawnDriver,
  lxc: async () => (await import('./real/drivers/lxc.js')).lxcDriver,
};

function loadersFor(driver: Driver): Readonly<Record<string, () => Promise<Engine>>> {
  return driver === 'real' ? REAL_DRIVER_LOADERS : ENGINE_LOADERS;
}

export function engineIds(driver: Driver = 'model'): string[] {
  return Object.keys(loadersFor(driver));
}

export function hasEngine(id: string, driver: Driver = 'model'): boolean {
  return Object.hasOwn(loadersFor(driver), id);
}

export async function loadEngine(id: string, driver: Driver = 'model'): Promise<Engine> {
  const loader = loadersFor(driver)[id];
  if (!loader) throw new Error(`unknown ${driver} engine "${id}"; known: ${engineIds(driver).join(', ')}`);
  return loader();
}

/** Checks that a value from outside (a plugin module) has the shape of an Engine. */
export function engineShapeProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return ['expected an object implementing Engine'];
  const candidate = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const field of ['id', 'title', 'kind', 'driver'] as const) {
    if (typeof candidate[field] !== 'string') problems.push(`"${field}" must be a string`);
  }
  if (typeof candidate.measure !== 'function')
    problems.push('"measure" must be a function (cell) => Promise<Measurement>');
  const kinds: readonly string[] = ENGINE_KINDS;
  if (typeof candidate.kind === 'string' && !kinds.includes(candidate.kind)) {
    problems.push(`"kind" must be one of ${kinds.join(', ')}`);
  }
  const drivers: readonly string[] = DRIVERS;
  if (typeof candidate.driver === 'string' && !drivers.includes(candidate.driver)) {
    problems.push(`"driver" must be ${drivers.map((driver) => `"${driver}"`).join(' or ')}`);
  }
  return problems;
}
