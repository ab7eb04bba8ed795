import type { Cell, Param } from '../types.js';
import type { ModeledEngineSpec, OptionVariant, SyscallInterception } from './params.js';

/** Nanoseconds one intercepted system call takes on the cell's hardware, in place of the host's own. */
export function interceptionNs(interception: SyscallInterception, cell: Cell): number {
  const { cpu } = cell.hardware;
  return (
    interception.kernelEntries.value * cpu.syscallNs +
    (interception.kcycles.value * 1e3) / cpu.ghz +
    interception.fixedNs.value
  );
}

function applyVariant(spec: ModeledEngineSpec, variant: OptionVariant, cell: Cell): ModeledEngineSpec {
  const costs = { ...spec.costs, ...variant.costs };
  if (variant.interception) {
    const ns = interceptionNs(variant.interception, cell);
    const extra: Param = {
      value: ns - cell.hardware.cpu.syscallNs,
      verified: variant.interception.kcycles.verified,
      source: `one interception costs ${ns.toFixed(0)} ns on ${cell.hardware.id} (${variant.interception.kernelEntries.value} kernel entries, ${variant.interception.kcycles.value} kcycles, ${variant.interception.fixedNs.value} ns) in place of the host's ${cell.hardware.cpu.syscallNs} ns system call`,
    };
    costs.syscallExtraNs = extra;
  }
  return { ...spec, boot: { ...spec.boot, ...variant.boot }, costs } as ModeledEngineSpec;
}

/**
 * The engine as the cell's options make it: each option the engine has (gVisor's platform,
 * podman's runtime) at the cell's value or the engine's default, with a note naming the choice.
 */
export function resolveVariants(spec: ModeledEngineSpec, cell: Cell): { spec: ModeledEngineSpec; notes: string[] } {
  const notes: string[] = [];
  let resolved = spec;
  const { platform, runtime } = spec.variants ?? {};
  if (platform) {
    const chosen = cell.options.platform ?? platform.default;
    const variant = platform.values[chosen];
    resolved = applyVariant(resolved, variant, cell);
    notes.push(variant.note);
  }
  if (runtime) {
    const chosen = cell.options.runtime ?? runtime.default;
    const variant = runtime.values[chosen] ?? runtime.values[runtime.default]!;
    resolved = applyVariant(resolved, variant, cell);
    notes.push(variant.note);
  }
  return { spec: resolved, notes };
}
