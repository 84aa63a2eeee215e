import { runSubgraph } from '../../platform/subgraph/main.js';
import { loadPaymentConfig } from './config.js';
import { paymentSubgraph } from './index.js';
import { paymentMetrics } from './metrics.js';

await runSubgraph(paymentSubgraph, { config: [loadPaymentConfig], metrics: paymentMetrics });
