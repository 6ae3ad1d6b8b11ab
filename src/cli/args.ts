/** A small strict option parser: `--name value` and boolean `--flag`; unknown options are errors. */
export interface ArgSpec {
  values?: string[];
  flags?: string[];
}

export interface ParsedArgs {
  values: Map<string, string>;
  flags: Set<string>;
}

export class UsageError extends Error {}

export function parseArgs(argv: string[], spec: ArgSpec): ParsedArgs {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const valueNames = new Set(spec.values ?? []);
  const flagNames = new Set(spec.flags ?? []);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    if (flagNames.has(name)) {
      if (eq > 0) throw new UsageError(`--${name} takes no value`);
      flags.add(name);
    } else if (valueNames.has(name)) {
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      values.set(name, value);
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  return { values, flags };
}

export function required(a: ParsedArgs, name: string): string {
  const v = a.values.get(name);
  if (v === undefined) throw new UsageError(`--${name} is required`);
  return v;
}

export function numberOption(a: ParsedArgs, name: string, fallback?: number): number | undefined {
  const v = a.values.get(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  // Number('') and Number(' ') are 0: an empty value is a mistake, not zero.
  if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${v}"`);
  return n;
}
