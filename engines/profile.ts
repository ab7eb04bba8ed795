import { z } from 'zod';
import type { ModeledEngineSpec } from './model/params.js';
import { defineModeledEngine, type ModeledEngine } from './modeled/define.js';
import { ENGINE_KINDS, type Param } from './types.js';

/**
 * Engine profile files: a built-in kind with its own costs, written in YAML or JSON. A profile
 * either names a `base` engine and overrides some parameters, or gives every parameter itself.
 * A bare number is cited as coming from the profile file; an object carries its own source.
 */

const verification = z.enum(['read', 'derived', 'recalled', 'partly recalled', 'unverified', 'measured', 'assumed']);

export const paramInputSchema = z.union([
  z.number().nonnegative(),
  z.strictObject({
    value: z.number().nonnegative(),
    source: z.string().min(1),
    verified: verification.default('assumed'),
  }),
]);

const group = (keys: readonly string[]) =>
  z.strictObject(
    Object.fromEntries(keys.map((k) => [k, paramInputSchema.optional()])) as Record<
      string,
      z.ZodOptional<typeof paramInputSchema>
    >,
  );

export const PARAM_GROUPS = {
  boot: {
    native: ['execMs'],
    container: [
      'daemonMs',
      'runtimeStartMs',
      'namespacesMs',
      'networkNamespaceMs',
      'cgroupMs',
      'layerMountMs',
      'sandboxKernelStartMs',
    ],
    vm: ['vmmStartMs', 'firmwareMs', 'bootloaderMs', 'devices', 'deviceProbeMs'],
  },
  memory: ['instanceOverheadMiB', 'hostReserveMiB', 'pageSharingFraction', 'workingSetOverheadFraction'],
  costs: [
    'cpuFraction',
    'unpinnedParallelFraction',
    'memoryBandwidthFraction',
    'randomAccessExtraNs',
    'syscallExtraNs',
    'diskSeqFraction',
    'diskIoPathUs',
    'diskWritePathUs',
    'networkPacketUs',
    'networkRoundTripExtraUs',
    'emulationFraction',
  ],
  noise: ['bootCov', 'runCov'],
} as const;

const allBootKeys = [...PARAM_GROUPS.boot.native, ...PARAM_GROUPS.boot.container, ...PARAM_GROUPS.boot.vm];

export const engineProfileSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, dots, dashes and underscores'),
  title: z.string().min(1).optional(),
  base: z.string().min(1).optional(),
  kind: z.enum(ENGINE_KINDS as [string, ...string[]]).optional(),
  requiresVirtualization: z.boolean().optional(),
  boot: group(allBootKeys).default({}),
  memory: group(PARAM_GROUPS.memory).default({}),
  costs: group(PARAM_GROUPS.costs).default({}),
  noise: group(PARAM_GROUPS.noise).default({}),
});

export type EngineProfileInput = z.infer<typeof engineProfileSchema>;

function toParam(input: z.infer<typeof paramInputSchema>, file: string): Param {
  if (typeof input === 'number') return { value: input, source: `engine profile ${file}`, verified: 'assumed' };
  return input;
}

function bootKeysFor(kind: string): readonly string[] {
  if (kind === 'native') return PARAM_GROUPS.boot.native;
  if (kind === 'container' || kind === 'sandbox') return PARAM_GROUPS.boot.container;
  return PARAM_GROUPS.boot.vm;
}

/** Problems that make a profile unusable: a parameter that its kind needs and nothing sets, or one it does not use. */
export function buildEngineFromProfile(
  profile: EngineProfileInput,
  base: ModeledEngineSpec | undefined,
  file: string,
): { engine?: ModeledEngine; problems: { path: string; message: string }[] } {
  const problems: { path: string; message: string }[] = [];
  const kind = profile.kind ?? base?.kind;
  if (!kind) return { problems: [{ path: 'kind', message: 'a profile without `base` must name its `kind`' }] };
  if (base && profile.kind && profile.kind !== base.kind) {
    problems.push({ path: 'kind', message: `kind ${profile.kind} differs from its base's kind ${base.kind}` });
  }
  const merge = (name: 'boot' | 'memory' | 'costs' | 'noise', keys: readonly string[]): Record<string, Param> => {
    const out: Record<string, Param> = {};
    const baseGroup = (base?.[name] ?? {}) as Record<string, Param>;
    const given = profile[name] as Record<string, z.infer<typeof paramInputSchema> | undefined>;
    for (const key of Object.keys(given)) {
      if (given[key] !== undefined && !keys.includes(key)) {
        problems.push({
          path: `${name}.${key}`,
          message: `a ${kind} engine has no parameter ${key}; its ${name} parameters are ${keys.join(', ')}`,
        });
      }
    }
    for (const key of keys) {
      const value = given[key];
      if (value !== undefined) out[key] = toParam(value, file);
      else if (baseGroup[key]) out[key] = baseGroup[key]!;
      else
        problems.push({ path: `${name}.${key}`, message: `missing parameter ${key}, and no base engine supplies it` });
    }
    return out;
  };
  const spec = {
    id: profile.id,
    title: profile.title ?? (base ? `${base.title} (${profile.id})` : profile.id),
    kind,
    requiresVirtualization: profile.requiresVirtualization ?? base?.requiresVirtualization,
    boot: merge('boot', bootKeysFor(kind)),
    memory: merge('memory', PARAM_GROUPS.memory),
    costs: merge('costs', PARAM_GROUPS.costs),
    noise: merge('noise', PARAM_GROUPS.noise),
  } as unknown as ModeledEngineSpec;
  if (problems.length > 0) return { problems };
  return { engine: defineModeledEngine(spec), problems };
}
