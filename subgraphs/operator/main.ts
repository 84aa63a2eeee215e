import { runSubgraph } from '../common/main.js';
import { operatorSubgraph } from './index.js';

await runSubgraph(operatorSubgraph);
