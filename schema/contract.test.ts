import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { subgraphModules } from '../subgraphs/index.js';
import { loadSupergraphConfig } from './config.js';
import { buildContract } from './publish.js';

describe('published contract (schema/)', () => {
  it('matches the code of every subgraph and the supergraph composed from schema/supergraph.yaml', async () => {
    const contract = await buildContract(await loadSupergraphConfig(), subgraphModules);
    expect(contract.ownership).toEqual([]);
    expect(contract.files.size).toBeGreaterThan(1);
    for (const [path, content] of contract.files) {
      const committed = await readFile(path, 'utf8');
      expect(committed, `${relative(process.cwd(), path)} drifted: run npm run compose`).toBe(content);
    }
  });
});
