import { findTool } from '../host/spawn.js';
import { inspectFile } from './binary-file.js';

/** Where Debian's busybox-static installs its binary, then the usual places. */
const CANDIDATES = ['/bin/busybox', '/usr/bin/busybox', '/usr/local/bin/busybox'];

export const BUSYBOX_PACKAGE = 'busybox-static';

export interface Busybox {
  readonly path: string;
}

/**
 * A statically linked busybox: the one binary every instance runs. It must be static because
 * containers and the VM have no C library of their own.
 */
export async function findStaticBusybox(): Promise<{ busybox?: Busybox; reason?: string }> {
  const fromPath = findTool('busybox');
  const candidates = [...new Set([...(fromPath ? [fromPath] : []), ...CANDIDATES])];
  let dynamicOne: string | undefined;
  for (const path of candidates) {
    const linkage = await elfLinkage(path);
    if (linkage === 'static') return { busybox: { path } };
    if (linkage === 'dynamic') dynamicOne ??= path;
  }
  return {
    reason: dynamicOne
      ? `${dynamicOne} is dynamically linked; instances need a static busybox`
      : 'no busybox binary found',
  };
}

/** Whether an ELF executable asks for a dynamic loader (has a PT_INTERP program header). */
export async function elfLinkage(path: string): Promise<'static' | 'dynamic' | undefined> {
  return inspectFile(path, async (file) => {
    const header = Buffer.alloc(64);
    await file.read(header, 0, 64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1) return undefined; // 64-bit little-endian ELF only
    const phoff = Number(header.readBigUInt64LE(32));
    const phentsize = header.readUInt16LE(54);
    const phnum = header.readUInt16LE(56);
    const table = Buffer.alloc(phentsize * phnum);
    await file.read(table, 0, table.length, phoff);
    const PT_INTERP = 3;
    for (let i = 0; i < phnum; i++) {
      if (table.readUInt32LE(i * phentsize) === PT_INTERP) return 'dynamic';
    }
    return 'static';
  });
}
