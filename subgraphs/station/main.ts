import { runSubgraph } from '../../platform/subgraph/main.js';
import { stationSubgraph } from './index.js';

await runSubgraph(stationSubgraph);
