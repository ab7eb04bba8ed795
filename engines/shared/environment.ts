import { existsSync, readFileSync } from 'node:fs';
import { cpus, release, type } from 'node:os';
import { dirname, join } from 'node:path';
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

/** Where results were produced. Gates compare these before comparing numbers. */
export interface Environment {
  readonly virtbench: string;
  readonly node: string;
  readonly os: string;
  readonly arch: string;
  readonly cpu: string;
  readonly cores: number;
}

export function currentEnvironment(): Environment {
  const list = cpus();
  return {
    virtbench: virtbenchVersion(),
    node: process.version,
    os: `${type()} ${release()}`,
    arch: process.arch,
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
  };
}
