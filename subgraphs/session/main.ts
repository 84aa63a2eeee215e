import { runSubgraph } from '../common/main.js';
import { sessionSubgraph } from './index.js';

await runSubgraph(sessionSubgraph);
