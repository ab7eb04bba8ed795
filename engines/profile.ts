import { z } from 'zod';
import {
  type BootParamsFor,
  isContainerKind,
  type ModeledEngineSpec,
  PARAMETERS,
  type ParamGroup,
  type ParamsOf,
  paramNames,
} from './model/params.js';
import { defineModeledEngine, type ModeledEngine } from './modeled/define.js';
import { assumed } from './param.js';
import { ENGINE_KINDS, type EngineKind, type Param, VERIFICATIONS } from './types.js';

/**
 * Engine profile files: a built-in kind with its own costs, written in YAML or JSON. A profile
 * either names a `base` engine and overrides some parameters, or gives every parameter itself.
 * A bare number is cited as coming from the profile file; an object carries its own source.
 */

export const paramInputSchema = z.union([
  z.number().nonnegative(),
  z.strictObject({
    value: z.number().nonnegative(),
    source: z.string().min(1),
    verified: z.enum(VERIFICATIONS).default('assumed'),
  }),
]);

type ParamInput = z.infer<typeof paramInputSchema>;

/** A strict object that may set any parameter of the group, each described by its meaning. */
function optionalParams<Group extends ParamGroup>(group: Group) {
  const shape = {} as { [Name in keyof Group]: z.ZodOptional<typeof paramInputSchema> };
  for (const name of paramNames(group)) shape[name] = paramInputSchema.optional().describe(group[name]!);
  return z.strictObject(shape);
}

/** Every boot parameter of every kind: which of them a profile may set depends on its kind, checked once it is known. */
const ALL_BOOT_PARAMETERS = { ...PARAMETERS.boot.native, ...PARAMETERS.boot.container, ...PARAMETERS.boot.vm };

export const engineProfileSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, dots, dashes and underscores'),
  title: z.string().min(1).optional(),
  base: z.string().min(1).optional(),
  kind: z.enum(ENGINE_KINDS).optional(),
  requiresVirtualization: z.boolean().optional(),
  boot: optionalParams(ALL_BOOT_PARAMETERS).default({}),
  memory: optionalParams(PARAMETERS.memory).default({}),
  costs: optionalParams(PARAMETERS.costs).default({}),
  noise: optionalParams(PARAMETERS.noise).default({}),
});

export type EngineProfileInput = z.infer<typeof engineProfileSchema>;

function toParam(input: ParamInput, file: string): Param {
  if (typeof input === 'number') return assumed(input, `engine profile ${file}`);
  return input;
}

type ProfileGroup = 'boot' | 'memory' | 'costs' | 'noise';

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
  /** The group's parameters, each from the profile or else from the base; undefined when one is missing. */
  const merge = <Group extends ParamGroup>(name: ProfileGroup, group: Group): ParamsOf<Group> | undefined => {
    const names: readonly string[] = paramNames(group);
    const baseGroup: Readonly<Record<string, Param | undefined>> = base?.[name] ?? {};
    const given: Readonly<Record<string, ParamInput | undefined>> = profile[name];
    for (const key of Object.keys(given)) {
      if (given[key] !== undefined && !names.includes(key)) {
        problems.push({
          path: `${name}.${key}`,
          message: `a ${kind} engine has no parameter ${key}; its ${name} parameters are ${names.join(', ')}`,
        });
      }
    }
    const merged: Partial<Record<keyof Group, Param>> = {};
    let complete = true;
    for (const key of paramNames(group)) {
      const value = given[key];
      const inherited = baseGroup[key];
      if (value !== undefined) merged[key] = toParam(value, file);
      else if (inherited) merged[key] = inherited;
      else {
        problems.push({ path: `${name}.${key}`, message: `missing parameter ${key}, and no base engine supplies it` });
        complete = false;
      }
    }
    return complete ? (merged as ParamsOf<Group>) : undefined;
  };
  const common = {
    id: profile.id,
    title: profile.title ?? (base ? `${base.title} (${profile.id})` : profile.id),
    requiresVirtualization: profile.requiresVirtualization ?? base?.requiresVirtualization,
  };
  const boot = withBoot(kind, (group) => merge('boot', group));
  const memory = merge('memory', PARAMETERS.memory);
  const costs = merge('costs', PARAMETERS.costs);
  const noise = merge('noise', PARAMETERS.noise);
  if (problems.length > 0 || !boot || !memory || !costs || !noise) return { problems };
  return { engine: defineModeledEngine({ ...common, ...boot, memory, costs, noise }), problems };
}

type KindAndBoot = { [K in EngineKind]: { readonly kind: K; readonly boot: BootParamsFor<K> } }[EngineKind];

/** The kind with the boot parameters it has, which the kind's boot group decides. */
function withBoot(
  kind: EngineKind,
  merge: <Group extends ParamGroup>(group: Group) => ParamsOf<Group> | undefined,
): KindAndBoot | undefined {
  if (kind === 'native') {
    const boot = merge(PARAMETERS.boot.native);
    return boot && { kind, boot };
  }
  if (isContainerKind(kind)) {
    const boot = merge(PARAMETERS.boot.container);
    return boot && { kind, boot };
  }
  const boot = merge(PARAMETERS.boot.vm);
  return boot && { kind, boot };
}
