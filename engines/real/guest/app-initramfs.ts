import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { runCommand } from '../host/spawn.js';
import { type ArchiveEntry, cpioArchive } from './archive.js';
import { builtIn, type KernelImage, moduleClosure } from './kernel.js';
import { READY_MARKER } from './scripts.js';

/**
 * The VM's initramfs for an application server: busybox, the server binary and the shared
 * libraries ldd finds for it (each at its host path), the files of /etc it reads, its writable
 * directory's files at the same path, and virtio-net. /init brings up eth0 at QEMU's user-mode
 * network address and execs the server from its directory; the host reaches it through a port
 * forward.
 */

/** Kernel modules for the VM's network card, dependencies first. */
const VM_NET_MODULES = ['virtio_pci', 'virtio_net'] as const;

/** QEMU user-mode networking's fixed guest address and gateway. */
export const USER_NET_GUEST = { address: '10.0.2.15/24', gateway: '10.0.2.2' } as const;

const SERVER_INIT = `#!/bin/busybox sh
bb=/bin/busybox
$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t devtmpfs devtmpfs /dev
for module in $($bb cat /vb/modules); do $bb insmod "/lib/modules/$module.ko" 2>/dev/null; done
n=0; while [ ! -e /sys/class/net/eth0 ] && [ "$n" -lt 500 ]; do $bb usleep 10000; n=$((n + 1)); done
$bb ip link set lo up
$bb ip link set eth0 up
$bb ip addr add ${USER_NET_GUEST.address} dev eth0
$bb ip route add default via ${USER_NET_GUEST.gateway}
echo ${READY_MARKER}
exec $bb sh /vb/server.sh
`;

/** The shared libraries and the dynamic loader a binary needs, as `ldd` lists them. */
export async function sharedLibraries(binary: string): Promise<string[]> {
  const output = (await runCommand(['ldd', binary], { timeoutMs: 10_000, allowFailure: true })).stdout;
  return parseLdd(output);
}

export function parseLdd(output: string): string[] {
  const paths = new Set<string>();
  for (const line of output.split('\n')) {
    const resolved = line.match(/=>\s+(\/\S+)/);
    const direct = line.match(/^\s*(\/\S+)\s+\(/);
    const path = resolved?.[1] ?? direct?.[1];
    if (path) paths.add(path);
  }
  return [...paths];
}

/** Files and directories (empty ones too: a server may write into them) under dir. */
async function treeUnder(dir: string): Promise<{ files: string[]; dirs: string[] }> {
  const tree = { files: [] as string[], dirs: [dir] };
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const sub = await treeUnder(path);
      tree.files.push(...sub.files);
      tree.dirs.push(...sub.dirs);
    } else if (entry.isFile()) tree.files.push(path);
  }
  return tree;
}

export interface ServerInitramfsInput {
  readonly busybox: string;
  readonly kernel: KernelImage;
  readonly argv: readonly string[];
  readonly hostPaths: readonly string[];
  readonly writableDir?: string;
}

export async function buildServerInitramfs(input: ServerInitramfsInput): Promise<Buffer> {
  const files = new Map<string, { data: Buffer; mode: number }>();
  const add = async (path: string): Promise<void> => {
    if (files.has(path)) return;
    const info = await stat(path);
    files.set(path, { data: await readFile(path), mode: info.mode & 0o777 });
  };
  const binary = input.argv[0]!;
  await add(binary);
  for (const library of await sharedLibraries(binary)) await add(library);
  // Host directories (/usr, /lib) cannot be shared with a VM: only the libraries above go in;
  // single files (/etc/passwd) are copied.
  for (const path of input.hostPaths) if ((await stat(path)).isFile()) await add(path);
  const writable = input.writableDir ? await treeUnder(input.writableDir) : { files: [], dirs: [] };
  for (const path of writable.files) await add(path);
  let modules: { name: string; path: string }[] = [];
  const netBuiltIn =
    (await builtIn(input.kernel, 'CONFIG_VIRTIO_NET')) && (await builtIn(input.kernel, 'CONFIG_VIRTIO_PCI'));
  if (!netBuiltIn) {
    if (!input.kernel.modulesDir)
      throw new Error(
        `kernel ${input.kernel.release ?? input.kernel.path} has virtio-net as a module and no modules directory`,
      );
    modules = await moduleClosure(input.kernel.modulesDir, VM_NET_MODULES);
  }
  const dirs = new Set<string>(['bin', 'dev', 'proc', 'sys', 'tmp', 'vb', 'lib', 'lib/modules']);
  const parents = (path: string): void => {
    for (let dir = dirname(path); dir !== '/' && dir !== '.'; dir = dirname(dir)) dirs.add(dir.replace(/^\//, ''));
  };
  for (const path of files.keys()) parents(path);
  for (const dir of writable.dirs) parents(join(dir, 'x'));
  const quote = (arg: string): string => `'${arg.replaceAll("'", `'\\''`)}'`;
  const server = `cd ${quote(input.writableDir ?? '/')} && exec ${input.argv.map(quote).join(' ')}\n`;
  const entries: ArchiveEntry[] = [
    ...[...dirs].sort().map((path) => ({ type: 'dir', path }) as const),
    { type: 'char', path: 'dev/console', major: 5, minor: 1 },
    { type: 'char', path: 'dev/null', major: 1, minor: 3, mode: 0o666 },
    { type: 'file', path: 'bin/busybox', data: await readFile(input.busybox), mode: 0o755 },
    { type: 'symlink', path: 'bin/sh', target: 'busybox' },
    { type: 'file', path: 'init', data: Buffer.from(SERVER_INIT), mode: 0o755 },
    { type: 'file', path: 'vb/server.sh', data: Buffer.from(server), mode: 0o755 },
    { type: 'file', path: 'vb/modules', data: Buffer.from(`${modules.map((m) => m.name).join('\n')}\n`) },
    ...(await Promise.all(
      modules.map(
        async (m) => ({ type: 'file', path: `lib/modules/${m.name}.ko`, data: await readFile(m.path) }) as const,
      ),
    )),
    ...[...files].map(
      ([path, file]) => ({ type: 'file', path: path.replace(/^\//, ''), data: file.data, mode: file.mode }) as const,
    ),
  ];
  return gzipSync(cpioArchive(entries), { level: 1 });
}
