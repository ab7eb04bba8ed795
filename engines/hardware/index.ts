import type { HardwareProfile } from '../types.js';
import { BUILTIN_HARDWARE } from './profiles.js';

export function hardwareIds(): string[] {
  return BUILTIN_HARDWARE.map((h) => h.id);
}

export function findHardware(id: string): HardwareProfile | undefined {
  return BUILTIN_HARDWARE.find((h) => h.id === id);
}

export { BUILTIN_HARDWARE };
