import { access, constants, mkdir, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { findTool, runCommand } from '../host/spawn.js';
import { inspectFile } from './binary-file.js';

/**
 * The guest kernel for the qemu driver, found in this order: the path a scenario gives, the
 * host's /boot/vmlinuz-*, a kernel already in virtbench's cache, and finally the
 * distribution's cloud kernel fetched with `apt-get download` into the cache.
 */

/** Debian's cloud kernel metapackage; it depends on the versioned package holding vmlinuz. */
export const CLOUD_KERNEL_PACKAGE = 'linux-image-cloud-amd64';

export interface KernelImage {
  readonly path: string;
  /** Where it was found, for reports: "scenario", "/boot", "cache" or "apt-get download". */
  readonly origin: string;
  /** The release string from the bzImage header, e.g. 6.1.0-56-cloud-amd64. */
  readonly release?: string;
  /** The matching /lib/modules/<release> tree, when there is one. */
  readonly modulesDir?: string;
  /** The kernel's build config, when there is one (to see what is built in). */
  readonly configPath?: string;
}

/** $XDG_CACHE_HOME/virtbench, else ~/.cache/virtbench. */
export function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME?.startsWith('/') ? process.env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'virtbench');
}

async function readable(path: string): Promise<boolean> {
  try {
    await access(path, constants.R_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The release string a bzImage carries in its setup header (boot protocol 2.00+). */
export async function bzImageRelease(path: string): Promise<string | undefined> {
  return inspectFile(path, async (file) => {
    const header = Buffer.alloc(0x210);
    await file.read(header, 0, header.length, 0);
    if (header.toString('ascii', 0x202, 0x206) !== 'HdrS') return undefined;
    const offset = header.readUInt16LE(0x20e) + 0x200;
    const text = Buffer.alloc(128);
    await file.read(text, 0, 128, offset);
    const release = text.toString('ascii').split(/[\s\0]/)[0];
    return release && /^\d+\.\d+/.test(release) ? release : undefined;
  });
}

function compareReleases(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

async function describe(path: string, origin: string, treeRoot = ''): Promise<KernelImage> {
  const release = await bzImageRelease(path);
  let modulesDir: string | undefined;
  let configPath: string | undefined;
  if (release) {
    for (const candidate of [join(treeRoot, 'lib/modules', release), join(treeRoot, 'usr/lib/modules', release)]) {
      if (await exists(candidate)) {
        modulesDir = candidate;
        break;
      }
    }
    const config = join(treeRoot || '/', 'boot', `config-${release}`);
    if (await readable(config)) configPath = config;
  }
  return { path, origin, release, modulesDir, configPath };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function newestVmlinuz(bootDir: string): Promise<string | undefined> {
  let names: string[];
  try {
    names = await readdir(bootDir);
  } catch {
    return undefined;
  }
  const kernels = names.filter((n) => n.startsWith('vmlinuz-')).sort((a, b) => compareReleases(b, a));
  for (const name of kernels) {
    if (await readable(join(bootDir, name))) return join(bootDir, name);
  }
  return undefined;
}

/** Cached kernel trees, newest package first. */
async function cachedKernel(): Promise<KernelImage | undefined> {
  const root = join(cacheDir(), 'kernels');
  let trees: string[];
  try {
    trees = (await readdir(root)).filter((n) => !n.startsWith('.')).sort((a, b) => compareReleases(b, a));
  } catch {
    return undefined;
  }
  for (const tree of trees) {
    const vmlinuz = await newestVmlinuz(join(root, tree, 'boot'));
    if (vmlinuz) return describe(vmlinuz, 'cache', join(root, tree));
  }
  return undefined;
}

export interface KernelLookup {
  readonly kernel?: KernelImage;
  /** Why none was found, or what would be done to get one. */
  readonly reason?: string;
  /** A kernel can be fetched with apt-get download when none is found. */
  readonly downloadable?: boolean;
}

/** Finds a kernel without downloading anything: what `virtbench doctor` reports. */
export async function locateKernel(scenarioPath?: string): Promise<KernelLookup> {
  if (scenarioPath) {
    if (!(await readable(scenarioPath)))
      return { reason: `kernel ${scenarioPath} (from the scenario) is not a readable file` };
    return { kernel: await describe(scenarioPath, 'scenario') };
  }
  const boot = await newestVmlinuz('/boot');
  if (boot) return { kernel: await describe(boot, '/boot') };
  const cached = await cachedKernel();
  if (cached) return { kernel: cached };
  const canDownload = Boolean(findTool('apt-get') && findTool('dpkg-deb'));
  return canDownload
    ? {
        downloadable: true,
        reason: `no kernel in /boot or ${join(cacheDir(), 'kernels')}; \`apt-get download ${CLOUD_KERNEL_PACKAGE}\` will fetch one`,
      }
    : {
        reason: `no kernel in /boot or ${join(cacheDir(), 'kernels')}, and no apt-get/dpkg-deb to fetch ${CLOUD_KERNEL_PACKAGE}`,
      };
}

/** Finds a kernel, downloading the distribution's cloud kernel into the cache if need be. */
export async function obtainKernel(scenarioPath: string | undefined, timeoutMs: number): Promise<KernelImage> {
  const found = await locateKernel(scenarioPath);
  if (found.kernel) return found.kernel;
  if (!found.downloadable) throw new Error(found.reason ?? 'no kernel found');
  return downloadCloudKernel(timeoutMs);
}

/**
 * `apt-get download` of the metapackage, then of the versioned package it depends on, unpacked
 * with dpkg-deb into $XDG_CACHE_HOME/virtbench/kernels/<package>. The tree is unpacked beside
 * its final place and renamed into it, so an interrupted download never leaves half a kernel.
 */
export async function downloadCloudKernel(timeoutMs: number): Promise<KernelImage> {
  const root = join(cacheDir(), 'kernels');
  await mkdir(root, { recursive: true });
  const work = await mkdtemp(join(root, '.download-'));
  try {
    await runCommand(['apt-get', 'download', CLOUD_KERNEL_PACKAGE], { cwd: work, timeoutMs });
    const meta = (await readdir(work)).find((n) => n.endsWith('.deb'));
    if (!meta) throw new Error(`apt-get download ${CLOUD_KERNEL_PACKAGE} produced no .deb`);
    const depends = (await runCommand(['dpkg-deb', '-f', join(work, meta), 'Depends'], { timeoutMs })).stdout;
    const versioned = depends
      .split(/[,|]/)
      .map((d) => d.trim().split(/\s/)[0] ?? '')
      .find((d) => d.startsWith('linux-image-'));
    if (!versioned)
      throw new Error(`${CLOUD_KERNEL_PACKAGE} depends on no linux-image package (Depends: ${depends.trim()})`);
    await runCommand(['apt-get', 'download', versioned], { cwd: work, timeoutMs });
    const deb = (await readdir(work)).find((n) => n.startsWith(`${versioned}_`) && n.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${versioned} produced no .deb`);
    const tree = join(work, 'tree');
    await runCommand(['dpkg-deb', '-x', join(work, deb), tree], { timeoutMs });
    const final = join(root, versioned);
    await rm(final, { recursive: true, force: true });
    await rename(tree, final);
    const vmlinuz = await newestVmlinuz(join(final, 'boot'));
    if (!vmlinuz) throw new Error(`${versioned} holds no boot/vmlinuz-*`);
    return describe(vmlinuz, 'apt-get download', final);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Whether a kernel config builds an option in (=y), or undefined without a config. */
export async function builtIn(kernel: KernelImage, option: string): Promise<boolean | undefined> {
  if (!kernel.configPath) return undefined;
  const text = await readFile(kernel.configPath, 'utf8');
  return new RegExp(`^${option}=y$`, 'm').test(text);
}

/**
 * The .ko files for `wanted` modules and their dependencies, dependencies first. Dependencies
 * come from each module's own .modinfo "depends=" entry, so no modules.dep is needed (package
 * trees have none until depmod runs).
 */
export async function moduleClosure(
  modulesDir: string,
  wanted: readonly string[],
): Promise<{ name: string; path: string }[]> {
  const files = new Map<string, string>();
  for (const entry of await readdir(modulesDir, { recursive: true })) {
    const name = String(entry);
    if (name.endsWith('.ko')) files.set(basename(name, '.ko').replaceAll('-', '_'), join(modulesDir, name));
  }
  const ordered: { name: string; path: string }[] = [];
  const visiting = new Set<string>();
  const visit = async (module: string): Promise<void> => {
    const name = module.replaceAll('-', '_');
    if (ordered.some((m) => m.name === name) || visiting.has(name)) return;
    const path = files.get(name);
    if (!path) throw new Error(`module ${name} not found under ${modulesDir}`);
    visiting.add(name);
    const data = await readFile(path);
    const at = data.indexOf('\0depends=');
    if (at >= 0) {
      const end = data.indexOf(0, at + 1);
      const list = data.toString('utf8', at + '\0depends='.length, end);
      for (const dep of list.split(',').filter(Boolean)) await visit(dep);
    }
    ordered.push({ name, path });
  };
  for (const module of wanted) await visit(module);
  return ordered;
}
