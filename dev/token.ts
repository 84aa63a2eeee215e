/**
 * Prints a development token alone on stdout.
 * npm run --silent token -- --role DRIVER|OPERATOR_ADMIN|PLATFORM_ADMIN|ANALYST|PARTNER [--sub ID] [--operator ID] [--ttl 12h]
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../platform/config.js';
import { CLIENT_ROLES, signDevToken, type TokenClaims } from './tokens.js';

const usage = `usage: npm run --silent token -- --role ${CLIENT_ROLES.join('|')} [--sub ID] [--operator ID] [--ttl 12h]`;
let values: { role?: string; sub?: string; operator?: string; ttl?: string };
try {
  ({ values } = parseArgs({
    options: {
      role: { type: 'string' },
      sub: { type: 'string' },
      operator: { type: 'string' },
      ttl: { type: 'string' },
    },
  }));
} catch (error) {
  console.error(`${(error as Error).message}\n${usage}`);
  process.exit(64);
}
const role = CLIENT_ROLES.find((r) => r === values.role);
if (!role) {
  console.error(usage);
  process.exit(64);
}
if (role === 'OPERATOR_ADMIN' && !values.operator) {
  console.error(`OPERATOR_ADMIN needs --operator <operator id>\n${usage}`);
  process.exit(64);
}
const claims: TokenClaims = { role, sub: values.sub ?? `dev-${role.toLowerCase()}`, operatorId: values.operator };
console.log(await signDevToken(claims, loadConfig().JWT_SECRET, values.ttl));
