import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { DEFAULT_SPEC_DIR } from '../../../dev/stripe-emulator/spec/generate-operations.js';

/** Where Stripe's OpenAPI subset and its request checker live (vendored; STRIPE_OPENAPI_DIR for another copy). */
export const SPEC_DIR = process.env.STRIPE_OPENAPI_DIR ?? DEFAULT_SPEC_DIR;
export const SPEC_AVAILABLE =
  existsSync(path.join(SPEC_DIR, 'spec3.subset.json')) && existsSync(path.join(SPEC_DIR, 'check-request.mjs'));

type Schema = Record<string, unknown>;

function asSchema(value: unknown): Schema {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Schema) : {};
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Checks a JSON value against a component schema of the spec: required properties, types, nullability
 * and enums, recursively through `$ref`, `anyOf` and arrays. Properties the schema does not know are
 * allowed (the spec never sets additionalProperties: false on responses, and the SDK's API is newer).
 */
export class SchemaChecker {
  private readonly schemas: Record<string, unknown>;

  constructor(spec: unknown) {
    this.schemas = asSchema(asSchema(asSchema(spec).components).schemas);
  }

  has(name: string): boolean {
    return name in this.schemas;
  }

  check(name: string, value: unknown): string[] {
    const problems: string[] = [];
    this.checkValue(asSchema(this.schemas[name]), value, name, problems, 0);
    return problems;
  }

  private resolve(schema: Schema): Schema {
    const ref = schema.$ref;
    return typeof ref === 'string' ? asSchema(this.schemas[ref.replace('#/components/schemas/', '')]) : schema;
  }

  private checkValue(rawSchema: Schema, value: unknown, at: string, problems: string[], depth: number): void {
    if (depth > 12) return;
    const schema = this.resolve(rawSchema);
    if (value === null) {
      if (schema.nullable !== true) problems.push(`${at}: null but not nullable`);
      return;
    }
    if (Array.isArray(schema.anyOf)) {
      const attempts = schema.anyOf.map((branch) => {
        const found: string[] = [];
        this.checkValue(asSchema(branch), value, at, found, depth + 1);
        return found;
      });
      if (!attempts.some((found) => found.length === 0)) {
        problems.push(...attempts.reduce((best, found) => (found.length < best.length ? found : best)));
      }
      return;
    }
    if (Array.isArray(schema.enum) && !schema.enum.includes(value)) {
      problems.push(`${at}: ${JSON.stringify(value)} not in enum [${schema.enum.join(', ')}]`);
    }
    const type = schema.type ?? (schema.properties ? 'object' : undefined);
    if (type === 'string' && typeof value !== 'string')
      problems.push(`${at}: expected string, got ${JSON.stringify(value)}`);
    if (type === 'integer' && !Number.isInteger(value))
      problems.push(`${at}: expected integer, got ${JSON.stringify(value)}`);
    if (type === 'number' && typeof value !== 'number')
      problems.push(`${at}: expected number, got ${JSON.stringify(value)}`);
    if (type === 'boolean' && typeof value !== 'boolean')
      problems.push(`${at}: expected boolean, got ${JSON.stringify(value)}`);
    if (type === 'array') {
      if (!Array.isArray(value)) problems.push(`${at}: expected array`);
      else
        value.forEach((item, i) => this.checkValue(asSchema(schema.items), item, `${at}[${i}]`, problems, depth + 1));
    }
    if (type === 'object') {
      if (!isPlainObject(value)) {
        problems.push(`${at}: expected object`);
        return;
      }
      for (const name of Array.isArray(schema.required) ? schema.required : []) {
        if (typeof name === 'string' && !(name in value)) problems.push(`${at}.${name}: required but missing`);
      }
      const properties = asSchema(schema.properties);
      for (const [name, child] of Object.entries(value)) {
        if (name in properties)
          this.checkValue(asSchema(properties[name]), child, `${at}.${name}`, problems, depth + 1);
      }
    }
  }
}

export function loadSpec(): unknown {
  return JSON.parse(readFileSync(path.join(SPEC_DIR, 'spec3.subset.json'), 'utf8'));
}

export interface CheckReport {
  ok: boolean;
  template?: string;
  unknown?: string[];
  missingRequired?: string[];
  error?: string;
  exitCode: number;
}

/**
 * Runs the shared check-request.mjs, unmodified, with --sdk (names the stripe@23 SDK sends are
 * accepted). A worker thread instead of a child process: Node starts far faster, and the script's
 * process.exit() only ends the worker.
 */
export function checkRequest(method: string, pathWithQuery: string, body: string): Promise<CheckReport> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(SPEC_DIR, 'check-request.mjs'), {
      argv: ['--json', '--sdk', method, pathWithQuery, body],
      stdout: true,
    });
    let output = '';
    worker.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    worker.on('error', reject);
    worker.on('exit', (exitCode) => {
      const report = output.trim() === '' ? { ok: false } : (JSON.parse(output) as Omit<CheckReport, 'exitCode'>);
      resolve({ ...report, exitCode });
    });
  });
}

/** Maps `items` with at most `limit` calls of `fn` in flight (each check parses the 1.6 MB spec). */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let index = next++; index < items.length; index = next++) results[index] = await fn(items[index]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
