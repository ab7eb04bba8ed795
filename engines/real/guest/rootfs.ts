import { chmod, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ImageSizes } from '../driver-spec.js';
import { findTool, REAL_RUN_ID, RUN_ENV, runCommand } from '../host/spawn.js';
import type { ArchiveEntry } from './archive.js';
import { tarArchive } from './archive.js';
import { IDLE_SCRIPT, READY_MARKER, WORK_SCRIPT } from './scripts.js';

/** Inside every container: the static busybox and virtbench's scripts, nothing else. */
export const IN_INSTANCE = {
  busybox: '/bin/busybox',
  work: '/vb/work.sh',
  idle: '/vb/idle.sh',
  nsSetup: '/vb/ns-setup.sh',
  diskTarget: '/tmp/virtbench-disk',
} as const;

/** The workload script and its arguments, as the rootfs's `sh` takes them. */
function workScript(repetitions: number): string[] {
  return [IN_INSTANCE.work, IN_INSTANCE.busybox, IN_INSTANCE.diskTarget, String(repetitions)];
}

/** What a container runs inside the generated rootfs to boot, to idle, and to run the workload. */
export const IN_ROOTFS = {
  boot: [IN_INSTANCE.busybox, 'echo', READY_MARKER],
  idle: [IN_INSTANCE.busybox, 'sh', IN_INSTANCE.idle, IN_INSTANCE.busybox],
  work: (repetitions: number): string[] => [IN_INSTANCE.busybox, 'sh', ...workScript(repetitions)],
  /** The workload behind ns-setup.sh, which first gives a bare-namespaces container its /proc and /dev. */
  workInBareNamespaces: (repetitions: number): string[] => [
    IN_INSTANCE.busybox,
    'sh',
    IN_INSTANCE.nsSetup,
    ...workScript(repetitions),
  ],
} as const;

/**
 * What a bare-namespaces container does before its workload, as a runtime would: its own /proc
 * and a /dev with only the nodes the workload reads. Arguments: the script to run and its own.
 */
const NS_SETUP_SCRIPT = `# virtbench: give a bare-namespaces container its own /proc and a minimal /dev.
bb=/bin/busybox
$bb mount -t proc proc /proc
$bb mount -t tmpfs -o mode=755 dev /dev
$bb mknod -m 666 /dev/null c 1 3
$bb mknod -m 666 /dev/zero c 1 5
exec $bb sh "$@"
`;

export async function rootfsEntries(busyboxPath: string): Promise<ArchiveEntry[]> {
  const busybox = await readFile(busyboxPath);
  return [
    ...['bin', 'dev', 'etc', 'proc', 'sys', 'tmp', 'vb'].map(
      (path) => ({ type: 'dir', path, mode: path === 'tmp' ? 0o1777 : 0o755 }) as const,
    ),
    { type: 'file', path: 'bin/busybox', data: busybox, mode: 0o755 },
    { type: 'symlink', path: 'bin/sh', target: 'busybox' },
    { type: 'file', path: 'vb/work.sh', data: Buffer.from(WORK_SCRIPT), mode: 0o755 },
    { type: 'file', path: 'vb/idle.sh', data: Buffer.from(IDLE_SCRIPT), mode: 0o755 },
    { type: 'file', path: 'vb/ns-setup.sh', data: Buffer.from(NS_SETUP_SCRIPT), mode: 0o755 },
  ];
}

/** Writes entries into a directory (a runc or unshare root). Device nodes are skipped. */
export async function materialize(entries: readonly ArchiveEntry[], root: string): Promise<void> {
  for (const entry of entries) {
    const path = join(root, entry.path);
    await mkdir(dirname(path), { recursive: true });
    if (entry.type === 'dir') {
      await mkdir(path, { recursive: true });
      await chmod(path, entry.mode ?? 0o755);
    } else if (entry.type === 'file') {
      await writeFile(path, entry.data);
      await chmod(path, entry.mode ?? 0o644);
    } else if (entry.type === 'symlink') {
      await symlink(entry.target, path);
    }
  }
}

/** The generated rootfs written out under workDir/rootfs, for runtimes that chroot into a directory. */
export async function materializeRootfs(
  busyboxPath: string,
  workDir: string,
): Promise<{ entries: ArchiveEntry[]; rootfs: string }> {
  const entries = await rootfsEntries(busyboxPath);
  const rootfs = join(workDir, 'rootfs');
  await materialize(entries, rootfs);
  return { entries, rootfs };
}

/**
 * The rootfs as an image to unpack (start mode image-inclusive): its gzip-compressed layer written
 * beside the rootfs directory; unpack() extracts it with tar as an image store unpacks a layer,
 * discard() removes the directory.
 */
export async function unpackableRootfs(
  entries: readonly ArchiveEntry[],
  rootfs: string,
  timeoutMs: number,
): Promise<{ unpack(): Promise<void>; discard(): Promise<void> }> {
  const tar = findTool('tar');
  if (!tar) throw new Error('start mode image-inclusive unpacks the rootfs layer with tar, which is not installed');
  const layerPath = `${rootfs}.tar.gz`;
  await writeFile(layerPath, imageLayer(entries).gzip);
  return {
    unpack: async () => {
      await mkdir(rootfs, { recursive: true });
      await runCommand([tar, '-xzf', layerPath, '-C', rootfs], { timeoutMs });
    },
    discard: () => rm(rootfs, { recursive: true, force: true }),
  };
}

/** Bytes of file content, what an unpacked image holds. */
export function unpackedBytes(entries: readonly ArchiveEntry[]): number {
  return entries.reduce(
    (sum, e) => sum + (e.type === 'file' ? e.data.length : e.type === 'symlink' ? e.target.length : 0),
    0,
  );
}

export interface Layer {
  readonly tar: Buffer;
  readonly gzip: Buffer;
}

export function imageLayer(entries: readonly ArchiveEntry[]): Layer {
  const tar = tarArchive(entries);
  return { tar, gzip: gzipSync(tar, { level: 9 }) };
}

/**
 * The sizes of an image an engine imported from the layer into its own store: what its
 * `image inspect --format {{.Size}}` reports on disk, and the gzip layer as what would be fetched.
 */
export async function importedImageSizes(
  engine: string,
  image: string,
  inspectArgv: readonly string[],
  layer: Layer,
  store: string,
  timeoutMs: number,
): Promise<ImageSizes> {
  const size = Number((await runCommand(inspectArgv, { timeoutMs })).stdout.trim());
  return {
    onDiskBytes: size,
    compressedBytes: layer.gzip.length,
    description: `${engine}: image ${image} ${(size / 2 ** 20).toFixed(2)} MiB in ${store}, imported from a ${(layer.gzip.length / 2 ** 20).toFixed(2)} MiB gzip layer`,
  };
}

/** An OCI runtime config for one container of the generated rootfs, following `runc spec`. */
export function ociConfig(rootfs: string, args: readonly string[], hostname: string): Record<string, unknown> {
  const caps = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args,
      env: ['PATH=/bin', `${RUN_ENV}=${REAL_RUN_ID}`],
      cwd: '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps, ambient: caps },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: rootfs, readonly: false },
    hostname,
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      {
        destination: '/dev',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
      },
      {
        destination: '/dev/pts',
        type: 'devpts',
        source: 'devpts',
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'],
      },
      {
        destination: '/dev/shm',
        type: 'tmpfs',
        source: 'shm',
        options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
      },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: [
        '/proc/acpi',
        '/proc/kcore',
        '/proc/keys',
        '/proc/latency_stats',
        '/proc/timer_list',
        '/proc/sched_debug',
        '/sys/firmware',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}
