/**
 * Second half of `npm run build`: the files the compiled processes read at run time, next to the compiled JS —
 * the published contract (schema/*.graphql, the supergraph the gateway serves) and the IDE bundle.
 */
import { cp, mkdir, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
/** `tsx deploy/copy-assets.ts [outDir]` (default dist/). */
const out = path.resolve(root, process.argv[2] ?? 'dist');

await mkdir(path.join(out, 'schema'), { recursive: true });
for (const file of await readdir(path.join(root, 'schema'))) {
  if (file.endsWith('.graphql') || file.endsWith('.yaml'))
    await cp(path.join(root, 'schema', file), path.join(out, 'schema', file));
}
const ide = path.join(root, 'gateway', 'ide', 'dist');
if (!existsSync(path.join(ide, 'manifest.json')))
  throw new Error('gateway/ide/dist is missing: run `npm run build:ide` first');
await cp(ide, path.join(out, 'gateway', 'ide', 'dist'), { recursive: true });
console.log(`assets copied to ${path.relative(process.cwd(), out) || '.'}`);
