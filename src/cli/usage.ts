import { parseArgs } from 'util';

/** A mistake in the command line: exit code 2. */
export class UsageError extends Error {}

export type OptionKind = 'string' | 'boolean';
export interface OptionSpec {
  type: OptionKind;
  short?: string;
  multiple?: boolean;
  /** One line for --help, e.g. '<N>  hidden units per layer (default 128)'. */
  help: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  options: Record<string, OptionSpec>;
}

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** Strict parsing: unknown flags and missing values are usage errors that name the flag. */
export function parseCommandLine(command: CommandSpec, argv: string[]): Parsed {
  const all: Record<string, OptionSpec> = { ...command.options, help: { type: 'boolean', short: 'h', help: '' } };
  const options = Object.fromEntries(
    Object.entries(all).map(([name, o]) => [name, { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) }]),
  );
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: values as Parsed['values'], positionals };
  } catch (err) {
    throw new UsageError(simplifyParseError((err as Error).message, command.name));
  }
}

function simplifyParseError(message: string, command: string): string {
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) return `unknown option ${unknown[1]} for "${command}" (see rnn-lab ${command} --help)`;
  const missing = /Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/.exec(message);
  if (missing) return `${missing[1]} needs a value`;
  return message.split('\n')[0].replace(/\. To specify a positional argument.*$/, '');
}

export function formatHelp(command: CommandSpec): string {
  const width = Math.max(...Object.keys(command.options).map((n) => n.length)) + 4;
  const lines = Object.entries(command.options).map(([name, o]) => `  --${name.padEnd(width)}${o.help}`);
  return `${command.summary}\n\nUsage: ${command.usage}\n\nOptions:\n${lines.join('\n')}\n  --${'help'.padEnd(width)}show this help\n`;
}

/** Readers for option values; each throws a UsageError naming the flag. */
export function intOption(values: Parsed['values'], name: string, fallback: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^-?\d+$/.test(raw.trim())) throw new UsageError(`--${name} expects a whole number; got "${raw}"`);
  return Number(raw);
}

export function numberOption(values: Parsed['values'], name: string, fallback: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isFinite(n)) throw new UsageError(`--${name} expects a number; got "${raw}"`);
  return n;
}

export function choiceOption<T extends string>(values: Parsed['values'], name: string, choices: readonly T[], fallback: T): T {
  const raw = values[name];
  if (raw === undefined) return fallback;
  if (!choices.includes(raw as T)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}; got "${raw}"`);
  return raw as T;
}

export function stringOption(values: Parsed['values'], name: string): string | undefined {
  const raw = values[name];
  return typeof raw === 'string' ? raw : undefined;
}
