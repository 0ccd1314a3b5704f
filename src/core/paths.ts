import * as fs from 'fs';
import * as path from 'path';

/** True when `child` is `parent` or lies inside it (no `..` escape). Textual: see isInsideReal for what is on disk. */
export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(path.resolve(parent), path.resolve(child));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Where a path leads on disk: symlinks resolved in the part that exists, the
 * rest (folders still to be created) appended as written.
 */
export function realPathOf(p: string): string {
  const missing: string[] = [];
  let existing = path.resolve(p);
  for (;;) {
    try {
      return path.join(fs.realpathSync.native(existing), ...missing.reverse());
    } catch {
      const parent = path.dirname(existing);
      if (parent === existing) return path.resolve(p);
      missing.push(path.basename(existing));
      existing = parent;
    }
  }
}

/**
 * True when `child` lies inside one of `parents` after resolving symlinks in
 * both: a committed `link -> /elsewhere` makes a path that reads as inside the
 * workspace lead outside it.
 */
export function isInsideReal(child: string, parents: readonly string[]): boolean {
  const real = realPathOf(child);
  return parents.some((parent) => isInside(real, realPathOf(parent)));
}
