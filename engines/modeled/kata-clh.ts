import { cloudHypervisor } from './cloud-hypervisor.js';
import { kataEngine } from './kata.js';

/** Kata Containers with Cloud Hypervisor as the VMM. */
export const kataClh = kataEngine('kata-clh', 'Kata Containers (Cloud Hypervisor)', cloudHypervisor.spec);
