import type { RealDriver, RealDriverSpec } from './driver-spec.js';
import { measureCell } from './measure/cell.js';
import { exclusive } from './measure/exclusive.js';

/** Turns a driver spec into an Engine whose measure() boots, sizes, packs and loads the real thing. */
export function defineRealDriver(spec: RealDriverSpec): RealDriver {
  return {
    id: spec.id,
    title: spec.title,
    get kind() {
      return spec.kind();
    },
    driver: 'real',
    get modeledCounterpart() {
      return spec.modeledCounterpart();
    },
    spec,
    availability: (cell) => spec.availability(cell),
    measure: (cell) => exclusive(() => measureCell(spec, cell)),
  };
}
