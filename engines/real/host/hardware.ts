import { closeSync, constants, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { readFile, statfs } from 'node:fs/promises';
import { type AddressInfo, connect, createServer } from 'node:net';
import { availableParallelism, cpus, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { roundSignificant } from '../../shared/stats.js';
import type { HardwareProfile } from '../../types.js';
import { findStaticBusybox } from '../guest/busybox.js';
import { probeAccelerator } from './accelerator.js';
import { hostMemory } from './procfs.js';
import { findTool, runCommand } from './spawn.js';
import { makeTempDir } from './tempdir.js';

/**
 * The hardware profile of the machine virtbench runs on, from /proc, /sys and a few quick probes
 * (a second or two in all), so the model predicts for the same host the real drivers measure.
 * Every figure's origin is listed in the profile's source.
 */

interface CpuTopology {
  readonly sockets: number;
  readonly coresPerSocket: number;
  readonly threadsPerCore: number;
  readonly model: string;
  readonly ghz: number;
  readonly flags: readonly string[];
  readonly ghzSource: string;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

export async function cpuTopology(): Promise<CpuTopology> {
  const text = (await readText('/proc/cpuinfo')) ?? '';
  const blocks = text.split(/\n\s*\n/).filter((b) => b.includes('processor'));
  const field = (block: string, name: string): string | undefined =>
    block.match(new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm'))?.[1]?.trim();
  const logical = blocks.length || availableParallelism();
  const sockets = new Set(blocks.map((b) => field(b, 'physical id') ?? '0')).size || 1;
  const coresPerSocket = Number(field(blocks[0] ?? '', 'cpu cores')) || Math.max(1, Math.round(logical / sockets));
  const threadsPerCore = Math.max(1, Math.round(logical / (sockets * coresPerSocket)));
  const maxKHz = Number((await readText('/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq'))?.trim());
  const mhz = Number(field(blocks[0] ?? '', 'cpu MHz')) || cpus()[0]?.speed || 0;
  const ghz = maxKHz > 0 ? maxKHz / 1e6 : mhz > 0 ? mhz / 1000 : 2.0;
  const ghzSource =
    maxKHz > 0
      ? 'cpufreq cpuinfo_max_freq'
      : mhz > 0
        ? '/proc/cpuinfo cpu MHz'
        : 'assumed 2.0 GHz: no frequency reported';
  return {
    sockets,
    coresPerSocket,
    threadsPerCore,
    model: field(blocks[0] ?? '', 'model name') ?? cpus()[0]?.model ?? 'unknown CPU',
    ghz: Math.round(ghz * 1000) / 1000,
    flags: (field(blocks[0] ?? '', 'flags') ?? '').split(/\s+/),
    ghzSource,
  };
}

/** Copy bandwidth of a buffer far larger than any cache: bytes read plus bytes written per second. */
function memoryBandwidthGBs(): number {
  const size = 256 * 2 ** 20;
  const from = Buffer.alloc(size, 1);
  const to = Buffer.alloc(size);
  from.copy(to); // touch every page first
  const rounds = 4;
  const started = performance.now();
  for (let i = 0; i < rounds; i++) from.copy(to);
  const seconds = (performance.now() - started) / 1000;
  return (2 * size * rounds) / seconds / 1e9;
}

/** Mean time of a dependent load chasing a random cycle through 64 MiB: cache and TLB misses. */
function randomAccessNs(): number {
  const entries = 16 * 2 ** 20;
  const next = new Int32Array(entries);
  for (let i = 0; i < entries; i++) next[i] = i;
  // Sattolo's shuffle makes one cycle through every entry, so the chase never settles in cache.
  let seed = 0x2545f491;
  for (let i = entries - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const j = seed % i;
    const t = next[i]!;
    next[i] = next[j]!;
    next[j] = t;
  }
  const steps = 2_000_000;
  let at = 0;
  const started = performance.now();
  for (let i = 0; i < steps; i++) at = next[at]!;
  const ns = ((performance.now() - started) * 1e6) / steps;
  if (at < 0) throw new Error('unreachable'); // keeps the loop from being optimized away
  return ns;
}

/** System call cost from busybox dd copying one byte at a time: the difference of two sizes removes start-up. */
async function syscallNs(busybox: string): Promise<number> {
  const run = async (bytes: number): Promise<number> =>
    (await runCommand([busybox, 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', `count=${bytes}`], { timeoutMs: 30_000 }))
      .ms;
  const small = Math.min(await run(1000), await run(1000));
  const large = Math.min(await run(101_000), await run(101_000));
  return Math.max(1, ((large - small) * 1e6) / (2 * 100_000)); // two calls (read, write) per byte
}

/**
 * fork + exec of a small static binary to its exit, as virtbench itself starts processes (the
 * launcher's spawn, which real drivers' boots pay too): the second fastest of 4, after one
 * discarded, so that a burst of load on a shared host during the probe does not set it.
 */
async function forkExecUs(busybox: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) times.push((await runCommand([busybox, 'true'], { timeoutMs: 10_000 })).ms);
  const kept = times.slice(1).sort((a, b) => a - b);
  return kept[kept.length >> 2]! * 1000;
}

interface StorageProbe {
  readonly capacityGiB: number;
  readonly seqWriteMBs: number;
  readonly seqReadMBs: number;
  readonly latencyUs: number;
  readonly readSource: string;
}

async function storageProbe(busybox: string | undefined): Promise<StorageProbe> {
  const dir = await makeTempDir('host-probe');
  try {
    const fs = await statfs(dir.path);
    const file = join(dir.path, 'probe.bin');
    const size = 64 * 2 ** 20;
    const block = Buffer.alloc(2 ** 20, 0x5a);
    const started = performance.now();
    const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC);
    try {
      for (let written = 0; written < size; written += block.length) writeSync(fd, block);
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const seqWriteMBs = size / 1e6 / ((performance.now() - started) / 1000);
    let seqReadMBs = seqWriteMBs;
    let readSource = 'assumed equal to the write rate: no busybox for an O_DIRECT read';
    if (busybox) {
      const read = await runCommand([busybox, 'dd', `if=${file}`, 'of=/dev/null', 'bs=1M', 'iflag=direct'], {
        timeoutMs: 60_000,
        allowFailure: true,
      });
      if (read.code === 0) {
        seqReadMBs = size / 1e6 / (read.ms / 1000);
        readSource = 'busybox dd iflag=direct of the 64 MiB file, start-up included';
      }
    }
    // Queue-depth-1 latency: 4 KiB overwrites, each made durable before the next.
    const small = Buffer.alloc(4096, 0xa5);
    const syncFd = openSync(file, constants.O_WRONLY);
    const rounds = 64;
    const syncStarted = performance.now();
    try {
      for (let i = 0; i < rounds; i++) {
        writeSync(syncFd, small, 0, small.length, ((i * 7919) % 16384) * 4096);
        fdatasyncSync(syncFd);
      }
    } finally {
      closeSync(syncFd);
    }
    const latencyUs = ((performance.now() - syncStarted) * 1000) / rounds;
    return { capacityGiB: (fs.blocks * fs.bsize) / 2 ** 30, seqWriteMBs, seqReadMBs, latencyUs, readSource };
  } finally {
    dir.release();
  }
}

/** Small request/response round trips over loopback TCP: the host's own network stack. */
async function loopbackRttUs(): Promise<number> {
  const server = createServer((socket) => socket.on('data', (d) => socket.write(d)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    socket.setNoDelay(true);
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    const times: number[] = [];
    for (let i = 0; i < 300; i++) {
      const started = performance.now();
      await new Promise<void>((resolve) => {
        socket.once('data', () => resolve());
        socket.write('x');
      });
      times.push((performance.now() - started) * 1000);
    }
    socket.destroy();
    times.sort((a, b) => a - b);
    return times[times.length >> 1]!;
  } finally {
    server.close();
  }
}

async function linkGbits(): Promise<{ gbits: number; source: string }> {
  const routes = (await readText('/proc/net/route')) ?? '';
  const iface = routes
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .find((f) => f[1] === '00000000')?.[0];
  if (iface) {
    const speed = Number((await readText(`/sys/class/net/${iface}/speed`))?.trim());
    if (speed > 0) return { gbits: speed / 1000, source: `/sys/class/net/${iface}/speed` };
    return { gbits: 10, source: `assumed 10 Gbit/s: ${iface} reports no link speed (a virtual NIC)` };
  }
  return { gbits: 1, source: 'assumed 1 Gbit/s: no default route' };
}

/** Probed figures keep three significant digits: more would only repeat the probe's noise. */
const round = (value: number): number => roundSignificant(value, 3);

/** The hardware id a scenario writes to mean "this machine". */
export const HOST_HARDWARE_ID = 'host';

let cachedProfile: Promise<HardwareProfile> | undefined;

/** This machine as a hardware profile. Probed once per process. */
export function detectHostHardware(): Promise<HardwareProfile> {
  cachedProfile ??= probeHost();
  return cachedProfile;
}

async function probeHost(): Promise<HardwareProfile> {
  const cpu = await cpuTopology();
  const memory = await hostMemory();
  const { busybox } = await findStaticBusybox();
  const qemu = findTool('qemu-system-x86_64');
  let virtualization = cpu.flags.includes('vmx') || cpu.flags.includes('svm');
  let virtualizationSource = `cpu flags ${virtualization ? 'vmx/svm present' : 'without vmx/svm'}`;
  if (qemu) {
    const accelerator = await probeAccelerator(qemu);
    virtualization = accelerator.id === 'kvm';
    virtualizationSource = `KVM probe: ${accelerator.reason}`;
  }
  const bandwidth = memoryBandwidthGBs();
  const randomNs = randomAccessNs();
  const syscall = busybox ? await syscallNs(busybox.path) : undefined;
  const forkExec = busybox ? await forkExecUs(busybox.path) : undefined;
  const storage = await storageProbe(busybox?.path);
  const rttUs = await loopbackRttUs();
  const link = await linkGbits();
  const iops = 1e6 / storage.latencyUs;
  return {
    id: HOST_HARDWARE_ID,
    description: `This host (${hostname()}): ${cpu.model}, ${cpu.sockets}x${cpu.coresPerSocket}x${cpu.threadsPerCore} at ${cpu.ghz} GHz, ${round(memory.totalKiB / 2 ** 20)} GiB`,
    source: [
      'detected by virtbench on this host:',
      `topology from /proc/cpuinfo; GHz from ${cpu.ghzSource}; virtualization from ${virtualizationSource};`,
      `syscallNs from busybox dd one-byte copies (${syscall === undefined ? 'assumed 100: no busybox' : 'measured'});`,
      `kernel.forkExecUs ${forkExec === undefined ? 'from the CPU (no busybox)' : 'measured: the second fastest of 4 spawns of busybox true to its exit'}, the other kernel costs from the CPU (engines/hardware/kernel-costs.ts);`,
      'memory size from /proc/meminfo, bandwidth from a 256 MiB buffer copy, random access from a 64 MiB pointer chase;',
      `storage on ${tmpdir()}: 64 MiB write + fdatasync, read ${storage.readSource}, 4 KiB fdatasync latency (IOPS are its queue-depth-1 rate, a floor);`,
      `network: link speed from ${link.source}, round trip over loopback TCP`,
    ].join(' '),
    cpu: {
      sockets: cpu.sockets,
      coresPerSocket: cpu.coresPerSocket,
      threadsPerCore: cpu.threadsPerCore,
      ghz: cpu.ghz,
      virtualization,
      nestedPaging: virtualization && (cpu.flags.includes('ept') || cpu.flags.includes('npt')),
      syscallNs: round(syscall ?? 100),
    },
    memory: { gib: round(memory.totalKiB / 2 ** 20), bandwidthGBs: round(bandwidth), randomAccessNs: round(randomNs) },
    storage: {
      capacityGiB: round(storage.capacityGiB),
      seqReadMBs: round(storage.seqReadMBs),
      seqWriteMBs: round(storage.seqWriteMBs),
      randReadIops: round(iops),
      randWriteIops: round(iops),
      latencyUs: round(storage.latencyUs),
    },
    network: { gbits: round(link.gbits), rttUs: round(rttUs) },
    ...(forkExec === undefined ? {} : { kernel: { forkExecUs: round(forkExec) } }),
  };
}
