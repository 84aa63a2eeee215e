import { runSubgraph } from '../../platform/subgraph/main.js';
import { sessionSubgraph } from './index.js';

await runSubgraph(sessionSubgraph);
