/**
 * Reads that cannot hang or exhaust memory: only regular files are read (a
 * named pipe would block forever, /dev/zero never ends), and never more than
 * a given size. The file is opened without blocking and checked on the open
 * descriptor, so what is checked is what is read.
 */
import * as fs from 'fs';

/** `code` is the errno code, or ESPECIAL (not a regular file) and EFBIG (over the size limit). */
export class FileReadError extends Error {
  constructor(
    readonly code: string,
    readonly file: string,
    message: string,
    /** The file's size, when known. */
    readonly size?: number,
  ) {
    super(message);
  }
}

/** A read file, or a part of it: `size` is the file's whole size. */
export interface ReadPart {
  bytes: Buffer;
  size: number;
}

/** The whole file; a file over `maxBytes` is a FileReadError with code EFBIG. */
export function readRegularFile(file: string, maxBytes = Number.MAX_SAFE_INTEGER): Buffer {
  return withRegularFile(file, (fd, size) => {
    if (size > maxBytes) throw new FileReadError('EFBIG', file, `${file} is ${formatSize(size)}, more than the ${formatSize(maxBytes)} allowed`, size);
    return readUpTo(fd, size, file);
  });
}

/** At most the first `maxBytes` bytes of the file (a prefix that may cut a character in two). */
export function readRegularFilePrefix(file: string, maxBytes: number): ReadPart {
  return withRegularFile(file, (fd, size) => ({ bytes: readUpTo(fd, Math.min(size, maxBytes), file), size }));
}

/** Calls `read` with an open descriptor of a regular file and its size; closes it after. */
export function withRegularFile<T>(file: string, read: (fd: number, size: number) => T): T {
  const { fd, size } = openRegularFile(file);
  try {
    return read(fd, size);
  } finally {
    fs.closeSync(fd);
  }
}

/** Opens a regular file for reading (the caller closes `fd`); anything else is a FileReadError. */
export function openRegularFile(file: string): { fd: number; size: number } {
  let fd: number;
  try {
    // Non-blocking: opening a named pipe would otherwise wait for a writer forever.
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (err) {
    throw errnoError(err, file);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (stat.isDirectory()) throw new FileReadError('EISDIR', file, `${file} is a folder`);
    if (!stat.isFile()) throw new FileReadError('ESPECIAL', file, `${file} is ${specialKind(stat)}, not a regular file`);
    return { fd, size: stat.size };
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
}

/** Reads up to `want` bytes from the start (fewer if the file shrank meanwhile). */
function readUpTo(fd: number, want: number, file: string): Buffer {
  const buffer = Buffer.alloc(want);
  let got = 0;
  try {
    while (got < want) {
      const n = fs.readSync(fd, buffer, got, want - got, got);
      if (n === 0) break;
      got += n;
    }
  } catch (err) {
    throw errnoError(err, file);
  }
  return got === want ? buffer : buffer.subarray(0, got);
}

export function errnoError(err: unknown, file: string): FileReadError {
  const code = (err as NodeJS.ErrnoException)?.code ?? 'EIO';
  if (code === 'ENOENT') return new FileReadError(code, file, `file not found: ${file}`);
  if (code === 'EISDIR') return new FileReadError(code, file, `${file} is a folder`);
  return new FileReadError(code, file, `cannot read ${file} (${code})`);
}

function specialKind(stat: fs.Stats): string {
  if (stat.isFIFO()) return 'a named pipe';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'a special file';
}

/** Decimal units, as the corpus limits are written ("1 MB"). */
export function formatSize(n: number): string {
  if (n >= 1e9) return `${+(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${+(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${+(n / 1e3).toFixed(1)} kB`;
  return `${n} bytes`;
}
