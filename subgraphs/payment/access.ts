import { canManageOperator, isPlatform } from '../../platform/subgraph/auth.js';
import { forbidden, unauthenticated } from '../../platform/errors.js';
import { Role, type Identity } from '../../platform/identity.js';

/*
 * Who may do what with money, in one place. PLATFORM_ADMIN and SERVICE (another ChargeGraph process, e.g. the
 * sweeper) are "platform" and pass every check; an OPERATOR_ADMIN acts only for its own operator; a DRIVER only
 * on their own cards, sessions and payments. Type-graphql's @Authorized gates the role; these check the row.
 *
 *  - payments, refunds, receipts (`Payment` by key, `ChargingSession.payment`, `Operator.payments`): the paying
 *    driver, the receiving operator's admins, the platform; the card on a receipt: the paying driver and the
 *    platform only; the 3-D Secure client secret: the paying driver only;
 *  - the payment account (`Operator.paymentAccount`, onboarding): that operator's admins and the platform;
 *  - revenue (`Operator.revenue`, an aggregate): that operator's admins, the platform and analysts;
 *  - cards (`myPaymentMethods`, save, remove): the driver themselves;
 *  - refunds, disputes' books and the ledger (`Payment.ledger`): the receiving operator's admins and the platform;
 *    fee policies: the platform;
 *  - reconciliation (`Operator.reconciliation`): that operator's admins and the platform (`reconcileOperator`: the
 *    platform); its differences name the operator's own balance transaction or charge (txn_, ch_), so its
 *    accountant can find it at the provider;
 *  - session holds placed, raised and released by the session subgraph: SERVICE only;
 *  - ANALYST and PARTNER change nothing here; PARTNER and anonymous callers see nothing here.
 * Provider ids (acct_, pi_, pm_, cus_, re_) are never fields of the schema.
 */

interface Owned {
  driverId: string;
  operatorId: string;
}

function signedIn(identity: Identity): void {
  if (!identity.role) throw unauthenticated();
}

/** The driver themselves: their cards. Returns the driver id. */
export function requireDriver(identity: Identity): string {
  signedIn(identity);
  if (identity.role !== Role.DRIVER || !identity.sub) throw forbidden('Only drivers have payment methods.');
  return identity.sub;
}

/** Payments (and their receipts, refunds): the paying driver, the receiving operator's admins, the platform. */
export const canSeePayment = (identity: Identity, payment: Owned): boolean =>
  canManageOperator(identity, payment.operatorId) ||
  (identity.role === Role.DRIVER && identity.sub !== undefined && identity.sub === payment.driverId);

export function requireSeePayment(identity: Identity, payment: Owned): void {
  signedIn(identity);
  if (!canSeePayment(identity, payment)) throw forbidden('This payment belongs to another driver or operator.');
}

/** The card (brand, last 4) on a receipt: the paying driver's own data; operators see the payment, not the card. */
export const canSeeCard = (identity: Identity, payment: Owned): boolean =>
  isPlatform(identity) ||
  (identity.role === Role.DRIVER && identity.sub !== undefined && identity.sub === payment.driverId);

/** Revenue is an aggregate: analysts read it for every operator, an operator's admins for their own. */
export function requireRevenueAccess(identity: Identity, operatorId: string): void {
  signedIn(identity);
  if (identity.role !== Role.ANALYST && !canManageOperator(identity, operatorId))
    throw forbidden("Only this operator's admins and analysts may read its revenue.");
}

/** The books of a payment (ledger entries, provider fees): the receiving operator's admins and the platform. */
export const canSeeBooks = (identity: Identity, payment: Owned): boolean =>
  canManageOperator(identity, payment.operatorId);

/** The 3-D Secure client secret: only the paying driver ever needs it. */
export const canSeeClientSecret = (identity: Identity, payment: Owned): boolean =>
  identity.role === Role.DRIVER && identity.sub !== undefined && identity.sub === payment.driverId;

/** Operator money views and onboarding: that operator's admins and the platform. */
export function requireOperatorAdmin(identity: Identity, operatorId: string): void {
  signedIn(identity);
  if (!canManageOperator(identity, operatorId)) throw forbidden("Only this operator's admins may do this.");
}

/** Fee policies are the platform's business. */
export function requirePlatformAdmin(identity: Identity): void {
  signedIn(identity);
  if (!isPlatform(identity)) throw forbidden('Only platform admins may do this.');
}

/** A hold is placed by the session's own driver, with their own card. */
export function requireSessionDriver(identity: Identity, session: { driverId: string }): void {
  signedIn(identity);
  if (identity.role !== Role.DRIVER || identity.sub !== session.driverId)
    throw forbidden("Only the session's driver may authorize its payment.");
}

/** Charging a completed session: its driver, its operator's admins, the platform or a service (the sweeper). */
export function requireChargeSession(
  identity: Identity,
  session: { driverId: string; operator: { id: string } },
): void {
  signedIn(identity);
  if (!canSeePayment(identity, { driverId: session.driverId, operatorId: session.operator.id }))
    throw forbidden("Only the session's driver or operator may charge it.");
}

/** Refunds: the receiving operator's admins and the platform; never the driver, never another operator. */
export function requireRefund(identity: Identity, payment: Owned): void {
  signedIn(identity);
  if (!canManageOperator(identity, payment.operatorId))
    throw forbidden('Only the admins of the operator that received this payment may refund it.');
}

/** Service-only operations (the session subgraph's hold calls): never a client, not even a platform admin. */
export function requireService(identity: Identity): void {
  signedIn(identity);
  if (identity.role !== Role.SERVICE) throw forbidden('Only ChargeGraph services may do this.');
}
