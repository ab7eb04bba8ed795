import { assumed, derived } from '../param.js';
import { defineModeledEngine } from './define.js';
import { firecracker } from './firecracker.js';

const fc = firecracker.spec;

/** Config-file and API-socket launches of the same runs differ by this much with 10 in flight, ms. */
const API_EXTRA_MS = 179.1 - 157.328;
/** Requests a launch makes over the socket. */
const API_CALLS = 5;
/** Starting the API client, Mcycles. */
const CLIENT_START_MCYCLES = 15;

/**
 * Firecracker launched through its API socket: the VMM starts with no configuration, and a client
 * configures it with a series of HTTP requests (boot source, drives, machine configuration,
 * InstanceStart). Everything else is Firecracker's.
 */
export const firecrackerApi = defineModeledEngine({
  ...fc,
  id: 'firecracker-api',
  title: 'Firecracker microVM (API socket launch)',
  boot: {
    ...fc.boot,
    controlSetupMcycles: assumed(
      fc.boot.controlSetupMcycles.value + CLIENT_START_MCYCLES,
      "Firecracker's own configuration work (its controlSetupMcycles), plus starting the API client and the shell polling for the socket: about 6 ms at 2.5 GHz",
    ),
    controlCalls: assumed(
      API_CALLS,
      'boot source, root drive, machine configuration, logger and InstanceStart: one PUT each',
    ),
    controlCallMcycles: derived(
      (API_EXTRA_MS * 2.5 - CLIENT_START_MCYCLES) / API_CALLS,
      'nsdi20-boot-par10-fc-api-p50 - nsdi20-boot-par10-fc-p50: 21.8 ms more for the API launch on a busy host, x 2.5 GHz, less the client start, over 5 requests',
    ),
  },
});
