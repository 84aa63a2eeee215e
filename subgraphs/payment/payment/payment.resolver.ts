import { Arg, Authorized, Ctx, Directive, FieldResolver, ID, Int, Mutation, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../../platform/subgraph/context.js';
import type { ReferenceResolvers } from '../../../platform/subgraph/federation.js';
import { Role } from '../../../platform/identity.js';
import { canSeeClientSecret, canSeePayment, requireSeePayment } from '../access.js';
import { Refund } from '../refund/refund.entity.js';
import { refundsByPayment } from '../refund/refund.service.js';
import { ChargingSession, Operator } from '../references.js';
import type { PaymentProvider } from '../provider/payment-provider.js';
import { accountOf, Payment } from './payment.entity.js';
import { AuthorizeChargingSessionInput } from './payment.inputs.js';
import { SessionHoldIncrement } from './payment.types.js';
import { paymentById, paymentBySession } from './payment.reads.js';
import type { PaymentService } from './payment.service.js';
import { PaymentStatus } from './payment.status.js';

@Resolver(() => Payment)
export class PaymentResolver {
  constructor(
    private readonly payments: PaymentService,
    private readonly provider: PaymentProvider,
  ) {}

  @FieldResolver(() => ChargingSession)
  session(@Root() payment: Payment): ChargingSession {
    return ChargingSession.ref(payment.sessionId);
  }

  @FieldResolver(() => Operator, { description: 'The operator whose account received the money.' })
  operator(@Root() payment: Payment): Operator {
    return Operator.ref(payment.operatorId);
  }

  @FieldResolver(() => [Refund])
  refunds(@Root() payment: Payment, @Ctx() ctx: RequestContext): Promise<Refund[]> {
    return ctx.loader(refundsByPayment).load(payment.id);
  }

  @FieldResolver(() => String, {
    nullable: true,
    description:
      "Only for the paying driver while REQUIRES_ACTION: hand it to the provider's client SDK (with the operator's account) to run 3-D Secure.",
  })
  async clientSecret(@Root() payment: Payment, @Ctx() ctx: RequestContext): Promise<string | null> {
    if (
      payment.status !== PaymentStatus.REQUIRES_ACTION ||
      !payment.paymentIntentId ||
      !canSeeClientSecret(ctx.identity, payment)
    )
      return null;
    return (await this.provider.retrieveIntent(payment.paymentIntentId, accountOf(payment))).clientSecret;
  }

  @Authorized(Role.DRIVER)
  @Mutation(() => Payment, {
    description: "The session's driver places the hold on the operator's account when the session starts.",
  })
  authorizeChargingSession(
    @Arg('input', () => AuthorizeChargingSessionInput) input: AuthorizeChargingSessionInput,
    @Ctx() ctx: RequestContext,
  ): Promise<Payment> {
    return this.payments.authorize(ctx.identity, input.sessionId, input.paymentMethodId);
  }

  @Authorized(Role.SERVICE)
  @Directive('@inaccessible')
  @Mutation(() => Payment, {
    description:
      "Service only (session subgraph): places the hold of a PENDING or ACTIVE session on its operator's account, with the given card of the session's driver or their newest. REQUIRES_ACTION (3-D Secure) comes back as the payment in that state.",
  })
  placeSessionHold(
    @Arg('sessionId', () => ID) sessionId: string,
    @Arg('paymentMethodId', () => ID, { nullable: true }) paymentMethodId: string | null | undefined,
    @Ctx() ctx: RequestContext,
  ): Promise<Payment> {
    return this.payments.placeSessionHold(ctx.identity, sessionId, paymentMethodId ?? undefined);
  }

  @Authorized(Role.SERVICE)
  @Directive('@inaccessible')
  @Mutation(() => Payment, {
    nullable: true,
    description:
      'Service only: cancels the uncaptured hold of a FAILED or CANCELLED session; null when it has no payment. Idempotent.',
  })
  releaseSessionHold(
    @Arg('sessionId', () => ID) sessionId: string,
    @Ctx() ctx: RequestContext,
  ): Promise<Payment | null> {
    return this.payments.releaseSessionHold(ctx.identity, sessionId);
  }

  @Authorized(Role.SERVICE)
  @Directive('@inaccessible')
  @Mutation(() => SessionHoldIncrement, {
    description:
      "Service only: raises the session's hold to `amount` (the new total, minor units) by incremental authorisation.",
  })
  async incrementSessionHold(
    @Arg('sessionId', () => ID) sessionId: string,
    @Arg('amount', () => Int) amount: number,
    @Ctx() ctx: RequestContext,
  ): Promise<SessionHoldIncrement> {
    return Object.assign(
      new SessionHoldIncrement(),
      await this.payments.incrementSessionHold(ctx.identity, sessionId, amount),
    );
  }

  @Authorized(Role.DRIVER, Role.OPERATOR_ADMIN, Role.SERVICE)
  @Mutation(() => Payment, {
    description: "Charges a completed session on its operator's account, exactly once. Safe to retry.",
  })
  chargeSession(@Arg('sessionId', () => ID) sessionId: string, @Ctx() ctx: RequestContext): Promise<Payment> {
    return this.payments.charge(ctx.identity, sessionId);
  }
}

/** Contributes `ChargingSession.payment`: null unless the caller is the driver, the operator's admin or the platform. */
@Resolver(() => ChargingSession)
export class SessionPaymentResolver {
  @FieldResolver(() => Payment, { nullable: true })
  async payment(@Root() session: ChargingSession, @Ctx() ctx: RequestContext): Promise<Payment | null> {
    const payment = await ctx.loader(paymentBySession).load(session.id);
    return payment && canSeePayment(ctx.identity, payment) ? payment : null;
  }
}

export const paymentReferences: ReferenceResolvers = {
  Payment: {
    // type-graphql's @Authorized does not run here: check access ourselves.
    __resolveReference: async (reference: { id: string }, ctx: RequestContext) => {
      const payment = await ctx.loader(paymentById).load(reference.id);
      if (payment) requireSeePayment(ctx.identity, payment);
      return payment;
    },
  },
  Operator: { __resolveReference: (reference: { id: string }) => Operator.ref(reference.id) },
  ChargingSession: { __resolveReference: (reference: { id: string }) => ChargingSession.ref(reference.id) },
};
