import { existsSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../../engines/shared/environment.js';
import { excerpt } from '../../engines/shared/errors.js';

/**
 * Where a scenario may reach. A `module:` engine runs its code with the user's permissions, and a
 * `profile:` file is read and quoted in messages, so a scenario from someone else (a pull
 * request, a download) may only name files inside its own folder, packages, and the profiles
 * virtbench bundles. Anything else, an absolute path or one that leaves the folder with `..` or
 * through a symbolic link, needs the user's say-so: --allow-outside-modules.
 */

export const ALLOW_OUTSIDE_FLAG = '--allow-outside-modules';

/** Why a reference was refused, as the parts of an InputProblem. */
export interface Refusal {
  readonly message: string;
  readonly expected: string;
  readonly hint: string;
}

export type Checked = { readonly target: string } | { readonly refusal: Refusal };

/** The folders of the profiles virtbench bundles, which every scenario may name. */
function bundledProfileFolders(): string[] {
  const root = packageRoot();
  return [resolve(root, 'engines/data/profiles'), resolve(root, 'scenarios/profiles')];
}

/** A URL such as data: or file:, rather than a path or a package name. */
const URL_LIKE = /^[a-z][a-z\d+.-]+:/i;

/** An npm package name, optionally scoped, with an optional subpath. */
const PACKAGE_NAME = /^(@[a-z\d][\w.-]*\/)?[a-z\d][\w.-]*(\/[\w.@-]+)*$/i;

async function realOrResolved(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return path;
  }
}

async function isInside(path: string, folders: readonly string[]): Promise<boolean> {
  const real = await realOrResolved(path);
  for (const folder of folders) {
    const within = relative(await realOrResolved(folder), real);
    if (within === '' || (!within.startsWith(`..${sep}`) && within !== '..' && !isAbsolute(within))) return true;
  }
  return false;
}

const outside = (what: string, specifier: string, where: string): Refusal => ({
  message: `${what} "${excerpt(specifier)}" is outside ${where}`,
  expected: `a path inside ${where}${what === 'engine module' ? ', or a package name' : ''}`,
  hint: `${what === 'engine module' ? 'a module runs with your permissions' : 'a profile is read and quoted in messages'}: move it beside the scenario, or pass ${ALLOW_OUTSIDE_FLAG} if you trust this scenario`,
});

/** The import specifier of a `module:` entry: a file URL inside the scenario's folder, or a package name. */
export async function checkModule(specifier: string, baseDir: string, allowOutside: boolean): Promise<Checked> {
  const isPath = specifier.startsWith('.') || isAbsolute(specifier);
  if (!isPath) {
    if (PACKAGE_NAME.test(specifier) && !specifier.split('/').includes('..')) return { target: specifier };
    if (URL_LIKE.test(specifier) && allowOutside) return { target: specifier };
    return {
      refusal: {
        message: `engine module "${excerpt(specifier)}" is neither a path nor a package name`,
        expected: 'a path starting with ./ (relative to the scenario), or a package name',
        hint: 'write ./path/to/engine.js for a file beside the scenario',
      },
    };
  }
  const file = resolve(baseDir, specifier);
  if (!allowOutside && !(await isInside(file, [baseDir])))
    return { refusal: outside('engine module', specifier, "the scenario's folder") };
  if (!existsSync(file)) {
    return {
      refusal: {
        message: `engine module "${excerpt(specifier)}" not found`,
        expected: 'a path (relative to the scenario) of an ES module',
        hint: 'check the path',
      },
    };
  }
  return { target: pathToFileURL(file).href };
}

/** The file of a `profile:` entry: inside the scenario's folder or a bundled profile folder. */
export async function checkProfile(specifier: string, baseDir: string, allowOutside: boolean): Promise<Checked> {
  const file = resolve(baseDir, specifier);
  if (!allowOutside && !(await isInside(file, [baseDir, ...bundledProfileFolders()])))
    return { refusal: outside('engine profile', specifier, "the scenario's folder and the bundled profiles") };
  return { target: file };
}
