/**
 * Text files named on the command line (score, activations, neurons): regular
 * files only (a named pipe would block forever, /dev/zero never ends), strict
 * UTF-8, and never more in memory than the command needs.
 */
import * as fs from 'fs';
import { decodeUtf8Text } from '../core/corpus';
import { FileReadError, errnoError, formatSize, openRegularFile, readRegularFile, readRegularFilePrefix } from '../core/regularFile';

/** A text file named on the command line cannot be used: exit 1 with what is wrong. */
export class InputFileError extends Error {}

/** Longest file read whole when the command gives no other limit (a token-level `score`). */
export const MAX_INPUT_BYTES = 100_000_000;

export interface TextLimit {
  /** Most UTF-16 code units the command takes, and what it is, for the message ("activations reads"). */
  maxChars: number;
  purpose: string;
}

/** The file's text, strict UTF-8; a missing, special, binary, non-UTF-8 or too long file is an InputFileError that says which. */
export function readTextFile(file: string, limit?: TextLimit): string {
  // A UTF-8 character is at most 4 bytes: a file over 4 × maxChars bytes is too long without reading it.
  const maxBytes = limit ? Math.min(MAX_INPUT_BYTES, 4 * limit.maxChars) : MAX_INPUT_BYTES;
  let bytes: Buffer;
  try {
    bytes = readRegularFile(file, maxBytes);
  } catch (err) {
    if (err instanceof FileReadError && err.code === 'EFBIG' && limit) throw new InputFileError(tooLong(file, limit, `it is ${formatSize(err.size ?? 0)}`));
    throw inputError(err, file);
  }
  const text = decode(bytes, file);
  if (limit && text.length > limit.maxChars) throw new InputFileError(tooLong(file, limit, `it has ${text.length.toLocaleString('en-US')}`));
  return text;
}

/**
 * The text of the file's first `maxChars` characters (code points) at most,
 * reading no more than those can take: a prefix cut inside a character drops
 * that character. `whole` tells whether that was the whole file.
 */
export function readTextPrefix(file: string, maxChars: number): { text: string; whole: boolean; bytes: number } {
  let part: { bytes: Buffer; size: number };
  try {
    part = readRegularFilePrefix(file, Math.min(MAX_INPUT_BYTES, 4 * maxChars));
  } catch (err) {
    throw inputError(err, file);
  }
  const whole = part.bytes.length === part.size;
  const text = decode(whole ? part.bytes : part.bytes.subarray(0, completeLength(part.bytes)), file);
  return { text, whole, bytes: part.size };
}

/** Checks a file before any work: it exists, is a regular file, and starts as UTF-8 text (its first 64 kB). */
export function checkInputFile(file: string): void {
  readTextPrefix(file, 16_384);
}

/**
 * Reads a file piece by piece, each piece whole characters of strict UTF-8, so
 * a file of any size is read in bounded memory. `read` gets the pieces in order.
 */
export async function readTextPieces(file: string, read: (piece: string) => Promise<void>, pieceBytes = 1 << 20): Promise<void> {
  let opened: { fd: number; size: number };
  try {
    opened = openRegularFile(file);
  } catch (err) {
    throw inputError(err, file);
  }
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const buffer = Buffer.alloc(pieceBytes);
  try {
    for (let at = 0; ;) {
      let n: number;
      try {
        n = fs.readSync(opened.fd, buffer, 0, pieceBytes, at);
      } catch (err) {
        throw inputError(errnoError(err, file), file);
      }
      at += n;
      const bytes = buffer.subarray(0, n);
      if (bytes.includes(0)) throw new InputFileError(`${file} is a binary file, not text`);
      let piece: string;
      try {
        piece = decoder.decode(bytes, { stream: n > 0 });
      } catch {
        throw new InputFileError(`${file} is not UTF-8 text`);
      }
      if (piece) await read(piece);
      if (n === 0) return;
    }
  } finally {
    fs.closeSync(opened.fd);
  }
}

function decode(bytes: Uint8Array, file: string): string {
  const decoded = decodeUtf8Text(bytes);
  if (!decoded.ok) throw new InputFileError(decoded.reason === 'binary' ? `${file} is a binary file, not text` : `${file} is not UTF-8 text`);
  return decoded.text;
}

/** Bytes of `bytes` up to the last complete UTF-8 character. */
function completeLength(bytes: Uint8Array): number {
  let start = bytes.length - 1;
  while (start >= 0 && start > bytes.length - 4 && (bytes[start] & 0xc0) === 0x80) start--;
  if (start < 0) return 0;
  const lead = bytes[start];
  const size = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return start + size <= bytes.length ? bytes.length : start;
}

function tooLong(file: string, limit: TextLimit, actual: string): string {
  return `${file} is too long: ${limit.purpose} at most ${limit.maxChars.toLocaleString('en-US')} characters and ${actual}`;
}

function inputError(err: unknown, file: string): InputFileError {
  if (!(err instanceof FileReadError)) return new InputFileError(`cannot read ${file} (${(err as Error).message})`);
  if (err.code === 'ENOENT') return new InputFileError(`file not found: ${file}`);
  if (err.code === 'EISDIR') return new InputFileError(`${file} is a folder; give text files`);
  if (err.code === 'ESPECIAL') return new InputFileError(`${err.message}: give text files`);
  if (err.code === 'EFBIG')
    return new InputFileError(`${file} is too large: ${formatSize(err.size ?? 0)}, more than the ${formatSize(MAX_INPUT_BYTES)} read at once`);
  return new InputFileError(`cannot read ${file} (${err.code})`);
}
