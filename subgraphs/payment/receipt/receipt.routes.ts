import type { Response, Router } from 'express';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { DomainError, ErrorCode } from '../../../platform/errors.js';
import { ANONYMOUS, type Identity } from '../../../platform/identity.js';
import { isUuid } from '../../../platform/ids.js';
import { canSeeCard, canSeePayment } from '../access.js';
import type { Orm } from '../locks.js';
import { Payment } from '../payment/payment.entity.js';
import { Refund } from '../refund/refund.entity.js';
import { renderReceiptPdf } from './receipt.pdf.js';
import { receiptView, type ReceiptService } from './receipt.service.js';

/** Mounted behind the subgraph's signature check (SubgraphServices.signedRoutes); the gateway forwards to it. */
export const RECEIPTS_PATH = '/receipts';

const refuse = (res: Response, status: number, code: string, message: string) =>
  void res.status(status).json({ errors: [{ message, extensions: { code } }] });

/**
 * `GET /receipts/<payment id>.pdf`: the receipt of a succeeded payment as a PDF, for the paying driver, the receiving
 * operator's admins and the platform (the same rule as `Payment.receipt`); 401 without an identity, 403 for anyone
 * else, 404 for an unknown payment or one without a receipt. Issues the receipt if nobody read it before.
 */
export function receiptRoutes(orm: Orm, receipts: ReceiptService, logger: Logger) {
  return (router: Router): void => {
    router.get('/:file', async (req, res) => {
      const identity = (res.locals.identity as Identity | undefined) ?? ANONYMOUS;
      if (!identity.role) return refuse(res, 401, 'UNAUTHENTICATED', 'Sign in to read a receipt.');
      const match = /^([0-9a-f-]{36})\.pdf$/i.exec(req.params.file);
      const paymentId = match?.[1];
      if (!paymentId || !isUuid(paymentId)) return refuse(res, 404, 'NOT_FOUND', 'No such receipt.');
      const em: EntityManager = orm.em.fork();
      try {
        const payment = await em.findOne(Payment, { id: paymentId });
        if (!payment) return refuse(res, 404, 'NOT_FOUND', `Payment ${paymentId} was not found.`);
        if (!canSeePayment(identity, payment))
          return refuse(res, 403, 'FORBIDDEN', 'This payment belongs to another driver or operator.');
        const issued = await receipts.receiptOf(payment);
        if (!issued) return refuse(res, 404, 'NOT_FOUND', 'This payment has no receipt (it has not succeeded).');
        const refunds = await em.find(Refund, { payment: paymentId });
        const receipt = receiptView(issued, refunds, canSeeCard(identity, payment));
        const pdf = await renderReceiptPdf(receipt);
        res
          .status(200)
          .set({
            'content-type': 'application/pdf',
            'content-disposition': `inline; filename="receipt-${receipt.number}.pdf"`,
            'cache-control': 'private, no-store',
          })
          .send(pdf);
      } catch (error) {
        if (error instanceof DomainError && error.extensions.code === ErrorCode.UPSTREAM_UNAVAILABLE)
          return refuse(res, 503, 'UPSTREAM_UNAVAILABLE', 'The receipt cannot be issued right now; try again shortly.');
        logger.error({ err: error, paymentId }, 'receipt PDF failed');
        refuse(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error.');
      }
    });
  };
}
