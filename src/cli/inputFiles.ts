import * as fs from 'fs';
import { decodeUtf8Text } from '../core/corpus';

/** A text file named on the command line cannot be used: exit 1 with what is wrong. */
export class InputFileError extends Error {}

/** The file's text, strict UTF-8; a missing, binary or non-UTF-8 file is an InputFileError that says which. */
export function readTextFile(file: string): string {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputFileError(
      code === 'ENOENT' ? `file not found: ${file}` : code === 'EISDIR' ? `${file} is a folder; give text files` : `cannot read ${file} (${code})`,
    );
  }
  const decoded = decodeUtf8Text(bytes);
  if (!decoded.ok) throw new InputFileError(decoded.reason === 'binary' ? `${file} is a binary file, not text` : `${file} is not UTF-8 text`);
  return decoded.text;
}
