/**
 * Small runtime checks for messages that cross a process or webview boundary.
 * Each returns a description of the first problem, or undefined when the value
 * has the expected shape.
 */
export type Check = (value: unknown, path: string) => string | undefined;

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const str: Check = (v, p) => (typeof v === 'string' ? undefined : `${p} must be a string`);
export const bool: Check = (v, p) => (typeof v === 'boolean' ? undefined : `${p} must be true or false`);
export const num: Check = (v, p) => (typeof v === 'number' && Number.isFinite(v) ? undefined : `${p} must be a finite number`);
export const int: Check = (v, p) => (Number.isSafeInteger(v) ? undefined : `${p} must be a whole number`);

export function oneOf(...choices: readonly string[]): Check {
  return (v, p) => (typeof v === 'string' && choices.includes(v) ? undefined : `${p} must be one of ${choices.join(', ')}`);
}

export function optional(check: Check): Check {
  return (v, p) => (v === undefined ? undefined : check(v, p));
}

export function arrayOf(check: Check, maxLength = 10_000): Check {
  return (v, p) => {
    if (!Array.isArray(v)) return `${p} must be a list`;
    if (v.length > maxLength) return `${p} has more than ${maxLength} items`;
    for (let i = 0; i < v.length; i++) {
      const problem = check(v[i], `${p}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  };
}

/** An object with exactly these fields checked (extra fields are a problem: they hint at a version mismatch). */
export function shape(fields: Record<string, Check>): Check {
  return (v, p) => {
    if (!isRecord(v)) return `${p} must be an object`;
    // Own fields only: `constructor` or `__proto__` as a key is unexpected, not a field of every object.
    for (const key of Object.keys(v)) if (!Object.hasOwn(fields, key)) return `${p}.${key.slice(0, 100)} is not expected`;
    for (const [key, check] of Object.entries(fields)) {
      const problem = check(v[key], `${p}.${key}`);
      if (problem) return problem;
    }
    return undefined;
  };
}
