import { runSubgraph } from '../common/main.js';
import { stationSubgraph } from './index.js';

await runSubgraph(stationSubgraph);
