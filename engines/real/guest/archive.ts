/**
 * The two archive formats the real drivers need, written directly: a POSIX ustar layer for
 * the OCI/docker image and a newc cpio for the VM's initramfs. Both hold only what virtbench
 * generates (directories, regular files, symlinks, device nodes), owned by root.
 */

export type ArchiveEntry =
  | { readonly type: 'dir'; readonly path: string; readonly mode?: number }
  | { readonly type: 'file'; readonly path: string; readonly data: Buffer; readonly mode?: number }
  | { readonly type: 'symlink'; readonly path: string; readonly target: string }
  | {
      readonly type: 'char';
      readonly path: string;
      readonly major: number;
      readonly minor: number;
      readonly mode?: number;
    };

const MTIME = 0; // fixed, so an archive's bytes depend only on its contents

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function tarHeader(
  name: string,
  mode: number,
  size: number,
  typeflag: string,
  linkname = '',
  major = 0,
  minor = 0,
): Buffer {
  const header = Buffer.alloc(512, 0);
  if (Buffer.byteLength(name) > 100) throw new Error(`tar path too long: ${name}`);
  header.write(name, 0, 100, 'utf8');
  header.write(octal(mode, 8), 100, 8, 'ascii');
  header.write(octal(0, 8), 108, 8, 'ascii'); // uid
  header.write(octal(0, 8), 116, 8, 'ascii'); // gid
  header.write(octal(size, 12), 124, 12, 'ascii');
  header.write(octal(MTIME, 12), 136, 12, 'ascii');
  header.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  header.write(typeflag, 156, 1, 'ascii');
  header.write(linkname, 157, 100, 'utf8');
  header.write('ustar\0', 257, 6, 'ascii');
  header.write('00', 263, 2, 'ascii');
  header.write('root', 265, 32, 'ascii');
  header.write('root', 297, 32, 'ascii');
  header.write(octal(major, 8), 329, 8, 'ascii');
  header.write(octal(minor, 8), 337, 8, 'ascii');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${octal(sum, 7)} `, 148, 8, 'ascii');
  return header;
}

/** A ustar archive, paths relative (./bin/busybox) as image layers have them. */
export function tarArchive(entries: readonly ArchiveEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const name = entry.type === 'dir' ? `./${entry.path}/` : `./${entry.path}`;
    switch (entry.type) {
      case 'dir':
        parts.push(tarHeader(name, entry.mode ?? 0o755, 0, '5'));
        break;
      case 'file': {
        parts.push(tarHeader(name, entry.mode ?? 0o644, entry.data.length, '0'), entry.data);
        const pad = (512 - (entry.data.length % 512)) % 512;
        if (pad > 0) parts.push(Buffer.alloc(pad));
        break;
      }
      case 'symlink':
        parts.push(tarHeader(name, 0o777, 0, '2', entry.target));
        break;
      case 'char':
        parts.push(tarHeader(name, entry.mode ?? 0o666, 0, '3', '', entry.major, entry.minor));
        break;
    }
  }
  parts.push(Buffer.alloc(1024)); // two zero blocks end the archive
  return Buffer.concat(parts);
}

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function hex8(value: number): string {
  return value.toString(16).padStart(8, '0');
}

function cpioRecord(ino: number, name: string, mode: number, data: Buffer, rdevMajor = 0, rdevMinor = 0): Buffer[] {
  const nameBytes = Buffer.from(`${name}\0`, 'utf8');
  const header =
    '070701' +
    hex8(ino) +
    hex8(mode) +
    hex8(0) + // uid
    hex8(0) + // gid
    hex8(1) + // nlink
    hex8(MTIME) +
    hex8(data.length) +
    hex8(0) + // devmajor
    hex8(0) + // devminor
    hex8(rdevMajor) +
    hex8(rdevMinor) +
    hex8(nameBytes.length) +
    hex8(0); // check
  const head = Buffer.concat([Buffer.from(header, 'ascii'), nameBytes]);
  const headPad = Buffer.alloc((4 - (head.length % 4)) % 4);
  const dataPad = Buffer.alloc((4 - (data.length % 4)) % 4);
  return [head, headPad, data, dataPad];
}

/** A newc ("070701") cpio archive, the format the kernel unpacks as an initramfs. */
export function cpioArchive(entries: readonly ArchiveEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  for (const entry of entries) {
    switch (entry.type) {
      case 'dir':
        parts.push(...cpioRecord(ino++, entry.path, S_IFDIR | (entry.mode ?? 0o755), Buffer.alloc(0)));
        break;
      case 'file':
        parts.push(...cpioRecord(ino++, entry.path, S_IFREG | (entry.mode ?? 0o644), entry.data));
        break;
      case 'symlink':
        parts.push(...cpioRecord(ino++, entry.path, S_IFLNK | 0o777, Buffer.from(entry.target, 'utf8')));
        break;
      case 'char':
        parts.push(
          ...cpioRecord(ino++, entry.path, S_IFCHR | (entry.mode ?? 0o600), Buffer.alloc(0), entry.major, entry.minor),
        );
        break;
    }
  }
  parts.push(...cpioRecord(0, 'TRAILER!!!', 0, Buffer.alloc(0)));
  return Buffer.concat(parts);
}
