import { randomInt } from 'node:crypto';
import { type CleanupHandle, registerCleanup } from './cleanup.js';
import { findTool, REAL_RUN_ID, runCommand, runCommandSync } from './spawn.js';

/**
 * Bridge networking for instances that do not bring their own (runc, bare namespaces): a
 * network namespace joined to the host by a veth pair, each end addressed in a /30 of a private
 * /24 this run picks at random among those the host does not use. Host-to-instance traffic is
 * routed directly; nothing is NATed, so no iptables rule is made. The namespace and the host end
 * of the pair carry this run's id, and both are removed on success, failure, timeout and Ctrl-C.
 */

/** Names start with this and the run id; a leak check finds them by it. */
export const NETNS_PREFIX = 'virtbench-';
/** Host-side veth names: "vb", this virtbench process's pid in base 36, "-", the network's index. */
export function vethPrefix(pid: number = process.pid): string {
  return `vb${pid.toString(36)}-`;
}

export interface BridgeNetwork {
  /** The namespace's name (ip netns) and its path, as runtimes and nsenter take it. */
  readonly name: string;
  readonly path: string;
  readonly hostVeth: string;
  /** The host end's address and the instance's, where the server listens. */
  readonly hostAddress: string;
  readonly instanceAddress: string;
  /** Deletes the namespace (and with it both veth ends). Safe to call twice. */
  release(): void;
}

let subnet: string | undefined;
let networks = 0;

/** Parses "a.b.c.d/n" into an integer range. */
function cidrRange(cidr: string): [number, number] | undefined {
  const match = cidr.match(/^(\d+)\.(\d+)\.(\d+)\.(\d+)(?:\/(\d+))?$/);
  if (!match) return undefined;
  const address = match.slice(1, 5).reduce((n, octet) => n * 256 + Number(octet), 0);
  const bits = Number(match[5] ?? 32);
  const size = 2 ** (32 - bits);
  const start = address - (address % size);
  return [start, start + size - 1];
}

/** A /24 in 10.128.0.0/9 that overlaps no address or route on the host. */
export function pickPrivateSubnet(inUse: readonly string[], random: (max: number) => number = randomInt): string {
  const used = inUse.map(cidrRange).filter((r): r is [number, number] => r !== undefined);
  for (let attempt = 0; attempt < 256; attempt++) {
    const candidate = `10.${128 + random(128)}.${random(256)}.0/24`;
    const [start, end] = cidrRange(candidate)!;
    // A default route (0.0.0.0/0) overlaps everything and is not a conflict.
    if (!used.some(([s, e]) => e - s < 2 ** 31 && s <= end && start <= e)) return candidate;
  }
  throw new Error('no free private /24 in 10.128.0.0/9 on this host');
}

function hostPrefixes(ip: string): string[] {
  const words = [
    ...runCommandSync([ip, '-4', '-o', 'addr', 'show'], { timeoutMs: 10_000 }).stdout.split(/\s+/),
    ...runCommandSync([ip, '-4', 'route', 'show', 'table', 'all'], { timeoutMs: 10_000 }).stdout.split(/\s+/),
  ];
  return words.filter((w) => /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(w));
}

function address(base: string, offset: number): string {
  const [a, b, c] = base.split('.');
  return `${a}.${b}.${c}.${offset}`;
}

/** Creates a namespace and a veth pair into it; `label` names the instance it is for. */
export async function createBridgeNetwork(label: string, timeoutMs = 10_000): Promise<BridgeNetwork> {
  const ip = findTool('ip');
  if (!ip) throw new Error('ip (iproute2) not found: bridge networking needs it');
  subnet ??= pickPrivateSubnet(hostPrefixes(ip));
  const index = networks++;
  if (index >= 64) throw new Error('more than 64 bridge networks in one run');
  const name = `${NETNS_PREFIX}${REAL_RUN_ID}-${label}-${index}`;
  const hostVeth = `${vethPrefix()}${index}`;
  const instanceVeth = 'eth0';
  const hostAddress = address(subnet, index * 4 + 1);
  const instanceAddress = address(subnet, index * 4 + 2);
  const handle: CleanupHandle = registerCleanup(`network namespace ${name} and veth ${hostVeth}`, () => {
    runCommandSync([ip, 'link', 'delete', hostVeth], { timeoutMs: 10_000 });
    runCommandSync([ip, 'netns', 'delete', name], { timeoutMs: 10_000 });
  });
  try {
    const run = (...args: string[]) => runCommand([ip, ...args], { timeoutMs });
    await run('netns', 'add', name);
    await run('link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', instanceVeth, 'netns', name);
    await run('addr', 'add', `${hostAddress}/30`, 'dev', hostVeth);
    await run('link', 'set', hostVeth, 'up');
    await run('-n', name, 'addr', 'add', `${instanceAddress}/30`, 'dev', instanceVeth);
    await run('-n', name, 'link', 'set', instanceVeth, 'up');
    await run('-n', name, 'link', 'set', 'lo', 'up');
  } catch (error) {
    handle.release();
    throw error;
  }
  return {
    name,
    path: `/var/run/netns/${name}`,
    hostVeth,
    hostAddress,
    instanceAddress,
    release: () => handle.release(),
  };
}
