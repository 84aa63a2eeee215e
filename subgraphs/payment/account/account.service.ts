import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { LockMode } from '@mikro-orm/core';
import type { LoaderFactory } from '../../../platform/subgraph/context.js';
import type { EntityClient } from '../../../platform/entity-client.js';
import { notFound } from '../../../platform/errors.js';
import type { PaymentConfig } from '../config.js';
import { operatorNotPayable } from '../errors.js';
import { isUuid } from '../../../platform/ids.js';
import { LockNamespace, locked, type Orm } from '../locks.js';
import type { FeePolicy } from '../payment/fees.js';
import { idempotencyKey } from '../provider/idempotency-keys.js';
import type { PaymentProvider, ProviderAccount } from '../provider/payment-provider.js';
import { OnboardingStatus, OperatorPaymentAccount } from './account.entity.js';

interface OperatorFacts {
  id: string;
  country: string;
  contactEmail: string;
}

/** Operators' connected accounts: onboarding, provider state, fee policy. */
export class AccountService {
  constructor(
    private readonly orm: Orm,
    private readonly provider: PaymentProvider,
    private readonly entities: EntityClient,
    private readonly onboarding: PaymentConfig['onboarding'],
  ) {}

  find(em: EntityManager, operatorId: string): Promise<OperatorPaymentAccount | null> {
    return isUuid(operatorId) ? em.findOne(OperatorPaymentAccount, { operatorId }) : Promise.resolve(null);
  }

  /** The account money can be sent to now, or OPERATOR_NOT_PAYABLE. */
  async payable(
    em: EntityManager,
    operatorId: string,
  ): Promise<OperatorPaymentAccount & { providerAccountId: string }> {
    const account = await this.find(em, operatorId);
    if (!account?.providerAccountId || !account.chargesEnabled) throw operatorNotPayable();
    return Object.assign(account, { providerAccountId: account.providerAccountId });
  }

  /**
   * Creates the operator's connected account once (idempotency key `account:<operatorId>`, under the operator's
   * lock) and returns a fresh onboarding link every call. The operator's country and email come from the operator
   * subgraph, never from the client.
   */
  async startOnboarding(operatorId: string): Promise<{ url: string; expiresAt: Date }> {
    const operator = await this.operator(operatorId);
    const account = await locked(this.orm, LockNamespace.OPERATOR_ACCOUNT, operatorId, async (em) => {
      const existing = await em.findOne(OperatorPaymentAccount, { operatorId });
      if (existing?.providerAccountId) return { id: existing.providerAccountId };
      const created = await this.provider.createConnectedAccount(
        { operatorId, country: operator.country, email: operator.contactEmail },
        idempotencyKey.account(operatorId),
      );
      const row = existing ?? em.create(OperatorPaymentAccount, { operatorId });
      row.providerAccountId = created.id;
      applyProviderState(row, created);
      await em.flush();
      return { id: created.id };
    });
    return this.provider.createOnboardingLink(account.id, this.onboarding);
  }

  async setFeePolicy(operatorId: string, policy: FeePolicy): Promise<OperatorPaymentAccount> {
    await this.operator(operatorId);
    return locked(this.orm, LockNamespace.OPERATOR_ACCOUNT, operatorId, async (em) => {
      const row =
        (await em.findOne(OperatorPaymentAccount, { operatorId })) ?? em.create(OperatorPaymentAccount, { operatorId });
      row.feeBasisPoints = policy.basisPoints;
      row.feeFixedAmount = policy.fixedAmount;
      row.refundApplicationFee = policy.refundApplicationFee;
      await em.flush();
      return row;
    });
  }

  /**
   * account.updated: re-fetch the account and apply what the provider says now. The row lock serializes concurrent
   * deliveries, so an older fetch can never overwrite a newer one. Returns false for accounts that are not ours.
   */
  async refreshFromProvider(em: EntityManager, providerAccountId: string): Promise<boolean> {
    const row = await em.findOne(
      OperatorPaymentAccount,
      { providerAccountId },
      { lockMode: LockMode.PESSIMISTIC_WRITE },
    );
    if (!row) return false;
    applyProviderState(row, await this.provider.retrieveAccount(providerAccountId));
    await em.flush();
    return true;
  }

  private async operator(operatorId: string): Promise<OperatorFacts> {
    const operator = isUuid(operatorId)
      ? await this.entities.resolveOne<OperatorFacts>('operator', 'Operator', operatorId, 'id country contactEmail')
      : null;
    if (!operator) throw notFound('Operator', operatorId);
    return operator;
  }
}

export function onboardingStatusOf(state: ProviderAccount): OnboardingStatus {
  if (state.chargesEnabled && state.payoutsEnabled && state.detailsSubmitted) return OnboardingStatus.COMPLETE;
  if (state.disabledReason && state.detailsSubmitted) return OnboardingStatus.RESTRICTED;
  if (state.detailsSubmitted && !state.chargesEnabled) return OnboardingStatus.RESTRICTED;
  return OnboardingStatus.PENDING;
}

function applyProviderState(row: OperatorPaymentAccount, state: ProviderAccount): void {
  row.chargesEnabled = state.chargesEnabled;
  row.payoutsEnabled = state.payoutsEnabled;
  row.detailsSubmitted = state.detailsSubmitted;
  row.onboardingStatus = onboardingStatusOf(state);
  row.providerStateAt = new Date();
}

export const accountByOperator: LoaderFactory<string, OperatorPaymentAccount | null> = (ctx) =>
  new DataLoader<string, OperatorPaymentAccount | null>(async (operatorIds) => {
    const rows = await ctx.em.find(OperatorPaymentAccount, { operatorId: { $in: operatorIds.filter(isUuid) } });
    const byOperator = new Map(rows.map((row) => [row.operatorId, row]));
    return operatorIds.map((id) => byOperator.get(id) ?? null);
  });
