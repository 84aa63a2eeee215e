import { invalidParam, platformOnly, resourceMissing } from '../core/errors.js';
import { nowSeconds, randomToken } from '../core/ids.js';
import type { JsonObject } from '../core/json.js';
import type { ApiContext, RouteDefinition } from '../http/router.js';
import { findConnectedAccount } from './accounts.js';

/** Stripe's account links expire after a few minutes. */
const LINK_LIFETIME_SECONDS = 300;
export const ONBOARDING_PATH_PREFIX = '/_emulator/connect/onboarding/';

/** A hosted-onboarding link; opening it (GET, e.g. in a browser) completes onboarding in the emulator. */
function createAccountLink(ctx: ApiContext): JsonObject {
  if (!ctx.account.isPlatform) throw platformOnly();
  const { params } = ctx;
  const accountId = params.requiredString('account');
  params.enumValue('type', ['account_onboarding', 'account_update'] as const);
  params.enumValue('collect', ['currently_due', 'eventually_due'] as const);
  if (!findConnectedAccount(ctx.state, accountId)) throw resourceMissing('account', accountId, 'account', 400);
  const returnUrl = params.string('return_url') ?? null;
  const refreshUrl = params.string('refresh_url') ?? null;
  for (const [name, value] of [
    ['return_url', returnUrl],
    ['refresh_url', refreshUrl],
  ] as const) {
    if (value !== null && !URL.canParse(value)) throw invalidParam(name, `Not a valid URL: ${name}`, 'url_invalid');
  }
  const created = nowSeconds();
  const token = randomToken(24);
  ctx.state.accountLinks.set(token, {
    account: accountId,
    expiresAt: created + LINK_LIFETIME_SECONDS,
    returnUrl,
    refreshUrl,
  });
  return {
    object: 'account_link',
    created,
    expires_at: created + LINK_LIFETIME_SECONDS,
    url: `${ctx.baseUrl}${ONBOARDING_PATH_PREFIX}${token}`,
  };
}

export const accountLinkRoutes: RouteDefinition[] = [
  { method: 'POST', path: '/v1/account_links', handler: createAccountLink },
];
