import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: new URL('../../', import.meta.url).pathname });

/** Lints `source` as if it were the file at `filePath` (relative to the repository) and returns the boundary errors. */
async function boundaryErrors(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath });
  return result.messages.filter((m) => m.ruleId === 'import-x/no-restricted-paths').map((m) => m.message);
}

describe('npm run lint keeps the processes apart', () => {
  it.each([
    ['gateway/example.ts', "import '../subgraphs/station/index.js';"],
    ['gateway/example.ts', "import '../dev/stack.js';"],
    ['subgraphs/payment/example.ts', "import '../session/index.js';"],
    ['subgraphs/payment/account/example.ts', "import '../../station/station/station.entity.js';"],
    ['platform/example.ts', "import '../subgraphs/operator/index.js';"],
    ['platform/subgraph/example.ts', "import '../../gateway/gateway.js';"],
    ['gateway/example.ts', "import '../platform/subgraph/server.js';"],
    ['ocpp/example.ts', "import '../platform/subgraph/federation.js';"],
    ['subgraphs/session/example.ts', "import '../../bench/scale.js';"],
  ])('refuses %s importing %s', async (filePath, source) => {
    expect(await boundaryErrors(filePath, source)).toEqual([expect.stringContaining('crosses a process boundary')]);
  });

  it.each([
    ['gateway/example.ts', "import '../platform/errors.js';"],
    ['ocpp/example.ts', "import '../platform/database.js';"],
    ['subgraphs/payment/example.ts', "import './charging-session/session.directory.js';"],
    ['subgraphs/station/example.ts', "import '../../platform/subgraph/server.js';"],
    ['subgraphs/station/test/example.test.ts', "import '../../operator/index.js';"],
    ['dev/example.ts', "import '../subgraphs/station/index.js';"],
  ])('allows %s importing %s', async (filePath, source) => {
    expect(await boundaryErrors(filePath, source)).toEqual([]);
  });
});
