import { existsSync, readFileSync, statSync } from 'node:fs';
import { cpus, hostname, release, type } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root, found by walking up from this module (it runs from engines/shared/ in tests and dist/engines/shared/ when built). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate) && JSON.parse(readFileSync(candidate, 'utf8')).name === 'virtbench') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`virtbench package.json not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

let cachedVersion: string | undefined;
export function virtbenchVersion(): string {
  cachedVersion ??= JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')).version as string;
  return cachedVersion;
}

/** How busy the host was when real drivers started measuring on it. */
export interface HostLoad {
  /** The 1-minute load average from /proc/loadavg. */
  readonly loadAverage1m: number;
  readonly cores: number;
  /** Percent of CPU time the hypervisor gave to other guests, over a short sample of /proc/stat. */
  readonly stealPercent: number;
}

/**
 * Where results were produced. Gates compare these before comparing numbers. Results written by
 * older versions lack `hostname` and `kernel` (their `os` held the kernel release).
 */
export interface Environment {
  readonly virtbench: string;
  readonly node: string;
  /** The operating system: the distribution's name where /etc/os-release gives one. */
  readonly os: string;
  readonly kernel?: string;
  readonly hostname?: string;
  readonly arch: string;
  readonly cpu: string;
  readonly cores: number;
  /** Present for runs with real drivers. */
  readonly load?: HostLoad;
}

/** The distribution's PRETTY_NAME, else the kernel's name (Linux, Darwin, Windows_NT). */
function operatingSystem(): string {
  try {
    const release = readFileSync('/etc/os-release', 'utf8');
    const pretty = /^PRETTY_NAME=(["']?)(.*)\1$/m.exec(release)?.[2];
    if (pretty) return pretty;
  } catch {
    // Not Linux, or a minimal container: the kernel's name is the best there is.
  }
  return type();
}

export function currentEnvironment(): Environment {
  const list = cpus();
  return {
    virtbench: virtbenchVersion(),
    node: process.version,
    os: operatingSystem(),
    kernel: `${type()} ${release()}`,
    hostname: hostname(),
    arch: process.arch,
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
  };
}

/** What produced a result and when, beyond the host: the code's commit and the time the run started. */
export interface Provenance {
  /** The commit of virtbench's own git checkout, when it runs from one; "-dirty" is not detected. */
  readonly commit?: string;
  /** ISO 8601, UTC. */
  readonly startedAt: string;
}

export function currentProvenance(now: Date = new Date()): Provenance {
  const commit = gitCommit(packageRoot());
  return { ...(commit ? { commit } : {}), startedAt: now.toISOString() };
}

/**
 * The commit checked out in `dir`, read from its .git without running git: HEAD, then the ref it
 * names, loose or packed. A worktree's .git is a file naming its own git folder, whose refs live
 * in the common folder. Only `dir` itself is looked at, so an installed virtbench inside someone
 * else's repository does not report that repository's commit.
 */
export function gitCommit(dir: string): string | undefined {
  try {
    let gitDir = join(dir, '.git');
    if (!existsSync(gitDir)) return undefined;
    if (!statSync(gitDir).isDirectory()) {
      const pointer = /^gitdir: (.+)$/m.exec(readFileSync(gitDir, 'utf8'))?.[1]?.trim();
      if (!pointer) return undefined;
      gitDir = resolve(dir, pointer);
    }
    const commonFile = join(gitDir, 'commondir');
    const commonDir = existsSync(commonFile) ? resolve(gitDir, readFileSync(commonFile, 'utf8').trim()) : gitDir;
    const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
    const ref = /^ref: (.+)$/.exec(head)?.[1];
    if (!ref) return /^[0-9a-f]{40,64}$/.test(head) ? head : undefined;
    for (const base of [gitDir, commonDir]) {
      const loose = join(base, ref);
      if (existsSync(loose)) return readFileSync(loose, 'utf8').trim();
    }
    const packed = join(commonDir, 'packed-refs');
    if (!existsSync(packed)) return undefined;
    for (const line of readFileSync(packed, 'utf8').split('\n')) {
      const [hash, name] = line.split(' ');
      if (name === ref && hash && /^[0-9a-f]{40,64}$/.test(hash)) return hash;
    }
  } catch {
    // An unreadable checkout records no commit rather than failing the run.
  }
  return undefined;
}
