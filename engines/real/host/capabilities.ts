import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { probeAccelerator } from './accelerator.js';
import { findTool, runCommand } from './spawn.js';
import { makeTempDir } from './tempdir.js';

/**
 * What this host's kernel and tools allow, probed rather than assumed: the cgroup layout, user
 * namespaces for unprivileged users, a working KVM, and the gVisor platforms the installed runsc
 * knows and can run. Drivers turn these into reasons they cannot run; `virtbench doctor` prints them.
 */

export type CgroupLayout = 'v1' | 'hybrid' | 'v2' | 'none';

export interface Capability<T> {
  readonly value: T;
  /** The probe's outcome in words, for doctor and the run's notes. */
  readonly detail: string;
}

/** How the cgroup hierarchies are mounted, read from this process's mount table. */
export async function cgroupLayout(
  mountinfo?: string,
): Promise<Capability<CgroupLayout> & { readonly v2MountPoint?: string }> {
  const table = mountinfo ?? (await readFile('/proc/self/mountinfo', 'utf8'));
  const mounts = table
    .split('\n')
    .map((line) => {
      const [before, after] = line.split(' - ');
      return { point: before?.split(' ')[4] ?? '', type: after?.split(' ')[0] ?? '' };
    })
    .filter((m) => m.type === 'cgroup' || m.type === 'cgroup2');
  const v2 = mounts.find((m) => m.type === 'cgroup2');
  const v1 = mounts.filter((m) => m.type === 'cgroup');
  if (v2 && v1.length === 0)
    return { value: 'v2', detail: `cgroup v2 (unified) at ${v2.point}`, v2MountPoint: v2.point };
  if (v2)
    return {
      value: 'hybrid',
      detail: `hybrid: ${v1.length} cgroup v1 hierarchies, cgroup v2 at ${v2.point}`,
      v2MountPoint: v2.point,
    };
  if (v1.length > 0) return { value: 'v1', detail: `cgroup v1 (${v1.length} hierarchies), no cgroup v2` };
  return { value: 'none', detail: 'no cgroup file system mounted' };
}

/** The user every unprivileged probe and run uses: Debian's `nobody`, which exists on every system. */
export const UNPRIVILEGED_USER = { name: 'nobody', uid: 65534, gid: 65534 } as const;

/** argv that runs `argv` as the unprivileged user (root only): util-linux setpriv, no shell. */
export function asUnprivileged(argv: readonly string[]): string[] | undefined {
  const setpriv = findTool('setpriv');
  if (!setpriv) return undefined;
  const { uid, gid } = UNPRIVILEGED_USER;
  return [setpriv, `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--', ...argv];
}

const PROBE_TIMEOUT_MS = 10_000;

async function readNumber(path: string): Promise<number | undefined> {
  try {
    return Number((await readFile(path, 'utf8')).trim());
  } catch {
    return undefined;
  }
}

/**
 * Whether an unprivileged user may create a user namespace: the sysctls that forbid it, then a
 * real `unshare --user` as `nobody` (root only; otherwise the current user is the unprivileged one).
 */
export async function unprivilegedUserNamespaces(): Promise<Capability<boolean>> {
  if ((await readNumber('/proc/sys/user/max_user_namespaces')) === 0)
    return { value: false, detail: 'user namespaces are disabled (user.max_user_namespaces = 0)' };
  if ((await readNumber('/proc/sys/kernel/unprivileged_userns_clone')) === 0)
    return { value: false, detail: 'unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0)' };
  if ((await readNumber('/proc/sys/kernel/apparmor_restrict_unprivileged_userns')) === 1)
    return {
      value: false,
      detail: 'AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = 1)',
    };
  const unshare = findTool('unshare');
  if (!unshare) return { value: false, detail: 'unshare (util-linux) not found to probe user namespaces' };
  const root = process.getuid?.() === 0;
  const argv = root ? asUnprivileged([unshare, '--user', 'true']) : [unshare, '--user', 'true'];
  if (!argv) return { value: false, detail: 'setpriv (util-linux) not found to probe as an unprivileged user' };
  const who = root ? UNPRIVILEGED_USER.name : 'this user';
  const result = await runCommand(argv, { timeoutMs: PROBE_TIMEOUT_MS, allowFailure: true }).catch((error: Error) => ({
    code: -1,
    stderr: error.message,
  }));
  return result.code === 0
    ? { value: true, detail: `unprivileged user namespaces allowed (unshare --user as ${who} succeeded)` }
    : {
        value: false,
        detail: `unprivileged user namespaces refused (unshare --user as ${who}: ${result.stderr.trim().split('\n')[0] || `exit ${result.code}`})`,
      };
}

/**
 * A working KVM: /dev/kvm opens read-write and, when qemu is installed, a probe guest runs under
 * it within a timeout (under nested virtualization /dev/kvm can exist and hang on the first vCPU run).
 */
export async function workingKvm(): Promise<Capability<boolean>> {
  try {
    await access('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { value: false, detail: code === 'ENOENT' ? 'no /dev/kvm' : `/dev/kvm is not usable (${code})` };
  }
  const qemu = findTool('qemu-system-x86_64');
  if (!qemu) return { value: true, detail: '/dev/kvm opens (no qemu to run a probe guest)' };
  const accelerator = await probeAccelerator(qemu);
  return { value: accelerator.id === 'kvm', detail: accelerator.reason };
}

export const GVISOR_PLATFORM_IDS = ['systrap', 'ptrace', 'kvm'] as const;
export type GvisorPlatformId = (typeof GVISOR_PLATFORM_IDS)[number];

export interface GvisorPlatforms {
  /** Platforms this runsc build knows, in order of preference (fastest first). */
  readonly known: readonly GvisorPlatformId[];
  /** Known platforms this host can run, in order of preference. */
  readonly runnable: readonly GvisorPlatformId[];
  /** Why each platform is or is not usable. */
  readonly details: Readonly<Record<GvisorPlatformId, string>>;
}

let gvisorCache: Promise<GvisorPlatforms> | undefined;

/**
 * The platforms an installed runsc supports (`runsc --platform=<p> list` exits non-zero with
 * "unknown platform" for one it lacks) and which of them can run: ptrace and systrap need only
 * the kernel's ptrace and seccomp, kvm a working KVM. Cached for the process.
 */
export function gvisorPlatforms(runsc: string): Promise<GvisorPlatforms> {
  gvisorCache ??= probeGvisorPlatforms(runsc);
  return gvisorCache;
}

async function probeGvisorPlatforms(runsc: string): Promise<GvisorPlatforms> {
  const state = await makeTempDir('runsc-probe');
  try {
    const known: GvisorPlatformId[] = [];
    const details = {} as Record<GvisorPlatformId, string>;
    for (const platform of GVISOR_PLATFORM_IDS) {
      const result = await runCommand([runsc, `--platform=${platform}`, '--root', state.path, 'list'], {
        timeoutMs: PROBE_TIMEOUT_MS,
        allowFailure: true,
      }).catch((error: Error) => ({ code: -1, stderr: error.message }));
      if (result.code === 0) known.push(platform);
      else details[platform] = `not in this runsc (${result.stderr.trim().split('\n').pop() || `exit ${result.code}`})`;
    }
    const runnable: GvisorPlatformId[] = [];
    for (const platform of known) {
      if (platform === 'kvm') {
        const kvm = await workingKvm();
        details.kvm = kvm.value ? `runnable: ${kvm.detail}` : `known but not runnable: ${kvm.detail}`;
        if (kvm.value) runnable.push('kvm');
      } else {
        details[platform] = 'runnable (needs only ptrace and seccomp)';
        runnable.push(platform);
      }
    }
    // Preference: systrap (gVisor's default since 2023), then kvm where it works, then ptrace.
    const order: GvisorPlatformId[] = ['systrap', 'kvm', 'ptrace'];
    runnable.sort((a, b) => order.indexOf(a) - order.indexOf(b));
    return { known, runnable, details };
  } finally {
    state.release();
  }
}

/** What `virtbench doctor` reports of the host, beside each driver. */
export interface HostCapabilities {
  readonly cgroups: Capability<CgroupLayout>;
  readonly userNamespaces: Capability<boolean>;
  readonly kvm: Capability<boolean>;
  /** undefined when runsc is not installed. */
  readonly gvisor?: GvisorPlatforms;
}

export async function probeHostCapabilities(): Promise<HostCapabilities> {
  const { value, detail } = await cgroupLayout();
  const runsc = findTool('runsc');
  return {
    cgroups: { value, detail },
    userNamespaces: await unprivilegedUserNamespaces(),
    kvm: await workingKvm(),
    ...(runsc ? { gvisor: await gvisorPlatforms(runsc) } : {}),
  };
}
