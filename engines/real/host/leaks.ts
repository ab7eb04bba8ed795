import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { labeledHostState } from './leftovers.js';
import { vethPrefix } from './netns.js';
import { findTool, REAL_RUN_ID, RUN_ENV, runCommandSync } from './spawn.js';
import { TEMP_PREFIX } from './tempdir.js';

/**
 * What a real run left behind, found by the run id every resource carries: in a process's
 * environment, a runc container id, a docker label or image tag, a temporary directory's name.
 * A run id is "<pid>-<time>", so the prefix "<pid>-" finds the leftovers of one virtbench process.
 */
export async function findLeftovers(runIdPrefix: string = REAL_RUN_ID): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const environ = await readFile(`/proc/${entry}/environ`, 'utf8');
      if (environ.split('\0').some((v) => v.startsWith(`${RUN_ENV}=${runIdPrefix}`))) {
        const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).replaceAll('\0', ' ').trim();
        found.push(`process ${entry}: ${cmdline.slice(0, 120)}`);
      }
    } catch {
      // gone, or not ours to read
    }
  }
  const tag = `virtbench-${runIdPrefix}`;
  const runc = findTool('runc');
  if (runc) {
    for (const id of runCommandSync([runc, 'list', '--quiet'], { timeoutMs: 10_000 }).stdout.split('\n')) {
      if (id.includes(tag)) found.push(`runc container ${id}`);
    }
  }
  const docker = findTool('docker');
  if (docker) {
    const containers = runCommandSync(
      [docker, 'ps', '--all', '--filter', 'label=virtbench.run', '--format', '{{.ID}} {{.Label "virtbench.run"}}'],
      { timeoutMs: 20_000 },
    );
    if (containers.code === 0) {
      for (const line of containers.stdout.split('\n')) {
        const [id, run] = line.trim().split(' ');
        if (id && run?.startsWith(runIdPrefix)) found.push(`docker container ${id}`);
      }
      const images = runCommandSync([docker, 'images', '--format', '{{.Repository}}:{{.Tag}}', 'virtbench/rootfs'], {
        timeoutMs: 20_000,
      });
      for (const image of images.stdout.split('\n'))
        if (image.includes(`:${runIdPrefix}`)) found.push(`docker image ${image}`);
    }
  }
  for (const name of await readdir(tmpdir())) {
    if (name.startsWith(`${TEMP_PREFIX}${runIdPrefix}`)) found.push(`directory ${tmpdir()}/${name}`);
  }
  const mounts = await readFile('/proc/mounts', 'utf8');
  for (const line of mounts.split('\n'))
    if (line.includes(`${TEMP_PREFIX}${runIdPrefix}`)) found.push(`mount ${line.split(' ')[1]}`);
  const ip = findTool('ip');
  if (ip) {
    for (const ns of runCommandSync([ip, 'netns', 'list'], { timeoutMs: 10_000 }).stdout.split('\n'))
      if (ns.includes(tag)) found.push(`network namespace ${ns}`);
    const pid = Number(runIdPrefix.split('-')[0]);
    if (Number.isInteger(pid) && pid > 0) {
      for (const link of runCommandSync([ip, '-o', 'link', 'show'], { timeoutMs: 10_000 }).stdout.split('\n')) {
        const name = link.split(':')[1]?.trim().split('@')[0];
        if (name?.startsWith(vethPrefix(pid))) found.push(`veth ${name}`);
      }
    }
  }
  found.push(...labeledHostState(runIdPrefix).map((leftover) => leftover.what));
  return found;
}
