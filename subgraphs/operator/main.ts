import { runSubgraph } from '../../platform/subgraph/main.js';
import { operatorSubgraph } from './index.js';

await runSubgraph(operatorSubgraph);
