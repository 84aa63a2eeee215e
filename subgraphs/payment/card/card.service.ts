import type { EntityManager } from '@mikro-orm/postgresql';
import { notFound } from '../../../platform/errors.js';
import { isUuid } from '../../../platform/ids.js';
import { LockNamespace, locked, type Orm } from '../locks.js';
import { idempotencyKey } from '../provider/idempotency-keys.js';
import type { PaymentProvider } from '../provider/payment-provider.js';
import { DriverCustomer, SavedPaymentMethod } from './card.entity.js';

/** Drivers' cards, saved once on the platform account (a Customer per driver). */
export class CardService {
  constructor(
    private readonly orm: Orm,
    private readonly provider: PaymentProvider,
  ) {}

  /**
   * Attaches a payment method the app created client-side (Stripe.js / test tokens) to the driver's Customer and
   * remembers brand, last 4 and expiry only. The same card saved twice (same fingerprint) stays one saved card.
   */
  async save(driverId: string, paymentMethodId: string): Promise<SavedPaymentMethod> {
    const customer = await this.customerOf(driverId);
    const card = await this.provider.attachPaymentMethod(
      paymentMethodId,
      customer.providerCustomerId,
      idempotencyKey.attach(driverId, paymentMethodId),
    );
    return locked(this.orm, LockNamespace.DRIVER, driverId, async (em) => {
      const same =
        (await em.findOne(SavedPaymentMethod, { providerPaymentMethodId: card.id })) ??
        (card.fingerprint
          ? await em.findOne(SavedPaymentMethod, { driverId, fingerprint: card.fingerprint, removedAt: null })
          : null);
      if (same) {
        same.removedAt = null;
        await em.flush();
        return same;
      }
      const saved = em.create(SavedPaymentMethod, {
        driverId,
        providerPaymentMethodId: card.id,
        fingerprint: card.fingerprint,
        brand: card.brand,
        last4: card.last4,
        expMonth: card.expMonth,
        expYear: card.expYear,
      });
      await em.flush();
      return saved;
    });
  }

  list(em: EntityManager, driverId: string): Promise<SavedPaymentMethod[]> {
    return em.find(SavedPaymentMethod, { driverId, removedAt: null }, { orderBy: { createdAt: 'desc', id: 'desc' } });
  }

  /** The card an off-session charge uses: the driver's most recently saved one. */
  async newest(em: EntityManager, driverId: string): Promise<SavedPaymentMethod | null> {
    const [card] = await em.find(
      SavedPaymentMethod,
      { driverId, removedAt: null },
      { orderBy: { createdAt: 'desc', id: 'desc' }, limit: 1 },
    );
    return card ?? null;
  }

  async active(em: EntityManager, driverId: string, id: string): Promise<SavedPaymentMethod> {
    const card = isUuid(id) ? await em.findOne(SavedPaymentMethod, { id, driverId, removedAt: null }) : null;
    if (!card) throw notFound('PaymentMethod', id);
    return card;
  }

  /**
   * Soft delete: the card is never used again; payments keep their receipt snapshot. (Detaching it at the provider
   * is a follow-up: the emulator's API subset has no detach endpoint.)
   */
  async remove(driverId: string, id: string): Promise<boolean> {
    return locked(this.orm, LockNamespace.DRIVER, driverId, async (em) => {
      const card = await this.active(em, driverId, id);
      card.removedAt = new Date();
      await em.flush();
      return true;
    });
  }

  customer(em: EntityManager, driverId: string): Promise<DriverCustomer | null> {
    return em.findOne(DriverCustomer, { driverId });
  }

  /** The driver's platform Customer, created once (lock + idempotency key `customer:<driverId>`). */
  private customerOf(driverId: string): Promise<DriverCustomer> {
    return locked(this.orm, LockNamespace.DRIVER, driverId, async (em) => {
      const existing = await em.findOne(DriverCustomer, { driverId });
      if (existing) return existing;
      const created = await this.provider.createCustomer(driverId, idempotencyKey.customer(driverId));
      const customer = em.create(DriverCustomer, { driverId, providerCustomerId: created.id });
      await em.flush();
      return customer;
    });
  }
}
