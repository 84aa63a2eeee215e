import { ObjectType } from 'type-graphql';
import { ConnectionType } from '../../../platform/subgraph/pagination.js';
import { Payment } from './payment.entity.js';

@ObjectType()
export class PaymentConnection extends ConnectionType(Payment, 'Payment') {}
