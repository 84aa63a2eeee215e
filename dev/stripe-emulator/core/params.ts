import type { FormObject, FormValue } from '../http/form.js';
import { invalidParam } from './errors.js';
import type { JsonObject } from './json.js';

/**
 * Typed access to decoded request parameters. Errors carry the full parameter path
 * (`automatic_payment_methods[enabled]`) and are validation errors: raised before anything changes.
 */
export class ParamReader {
  constructor(
    readonly values: FormObject,
    private readonly prefix = '',
  ) {}

  path(name: string): string {
    return this.prefix === '' ? name : `${this.prefix}[${name}]`;
  }

  has(name: string): boolean {
    return this.values[name] !== undefined;
  }

  raw(name: string): FormValue | undefined {
    return this.values[name];
  }

  /** A nested object parameter; an empty string (Stripe's "unset") reads as absent. */
  child(name: string): ParamReader | undefined {
    const value = this.values[name];
    if (value === undefined || value === '') return undefined;
    if (typeof value === 'string' || Array.isArray(value)) {
      throw invalidParam(this.path(name), `Invalid object: ${this.path(name)} must be a hash.`);
    }
    return new ParamReader(value, this.path(name));
  }

  string(name: string): string | undefined {
    const value = this.values[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string')
      throw invalidParam(this.path(name), `Invalid string: ${this.path(name)} must be a string.`);
    return value;
  }

  requiredString(name: string): string {
    const value = this.string(name);
    if (value === undefined || value === '') {
      throw invalidParam(this.path(name), `Missing required param: ${this.path(name)}.`, 'parameter_missing');
    }
    return value;
  }

  /** A string where `''` means "clear the field" (null). */
  nullableString(name: string): string | null | undefined {
    const value = this.string(name);
    return value === '' ? null : value;
  }

  integer(name: string, options: { min?: number } = {}): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
      throw invalidParam(this.path(name), `Invalid integer: ${value}`, 'parameter_invalid_integer');
    }
    const parsed = Number(value);
    if (options.min !== undefined && parsed < options.min) {
      const what = options.min === 1 ? 'positive integer' : `integer greater than or equal to ${options.min}`;
      throw invalidParam(this.path(name), `Invalid ${what}: ${value}`, 'parameter_invalid_integer');
    }
    return parsed;
  }

  requiredInteger(name: string, options: { min?: number } = {}): number {
    const value = this.integer(name, options);
    if (value === undefined)
      throw invalidParam(this.path(name), `Missing required param: ${this.path(name)}.`, 'parameter_missing');
    return value;
  }

  boolean(name: string): boolean | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if (value !== 'true' && value !== 'false') throw invalidParam(this.path(name), `Invalid boolean: ${value}`);
    return value === 'true';
  }

  enumValue<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const match = allowed.find((candidate) => candidate === value);
    if (match === undefined) {
      throw invalidParam(this.path(name), `Invalid ${this.path(name)}: must be one of ${allowed.join(', ')}`);
    }
    return match;
  }

  stringList(name: string): string[] | undefined {
    const value = this.values[name];
    if (value === undefined) return undefined;
    if (value === '') return [];
    if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) {
      throw invalidParam(this.path(name), `Invalid array: ${this.path(name)} must be a list of strings.`);
    }
    return value;
  }

  /** Applies Stripe's metadata update rules: `metadata[k]=''` deletes a key, `metadata=''` clears all. */
  metadata(current: Record<string, string> = {}): Record<string, string> {
    const value = this.values.metadata;
    if (value === undefined) return current;
    if (value === '') return {};
    if (typeof value === 'string' || Array.isArray(value))
      throw invalidParam('metadata', 'Invalid object: metadata must be a hash.');
    const next = { ...current };
    for (const [key, entry] of Object.entries(value)) {
      if (typeof entry !== 'string')
        throw invalidParam(`metadata[${key}]`, `Invalid string: metadata[${key}] must be a string.`);
      if (entry === '') delete next[key];
      else next[key] = entry;
    }
    return next;
  }

  /** A nested hash kept as given (all leaves are strings), e.g. `shipping`; `''` clears it. */
  hash(name: string): JsonObject | null | undefined {
    const value = this.values[name];
    if (value === undefined) return undefined;
    if (value === '') return null;
    if (typeof value === 'string' || Array.isArray(value))
      throw invalidParam(this.path(name), `Invalid object: ${this.path(name)} must be a hash.`);
    return value;
  }
}
