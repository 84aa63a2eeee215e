import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { Role } from '../../platform/identity.js';
import { createTokenVerifier } from '../auth.js';

const JWT_SECRET = 'auth-test-secret-that-is-long-enough-0000';
const key = new TextEncoder().encode(JWT_SECRET);
const token = (claims: Record<string, unknown>, expiresIn: string | number = '1h') =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime(expiresIn).sign(key);

describe('client token verification', () => {
  it('answers a token it verified from memory, the same identity, without verifying again', async () => {
    const verify = createTokenVerifier({ JWT_SECRET });
    const header = `Bearer ${await token({ role: Role.DRIVER, sub: 'driver-7' })}`;
    const first = await verify(header);
    expect(first).toEqual({ role: Role.DRIVER, sub: 'driver-7', operatorId: undefined });
    expect(await verify(header)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('never answers from memory past the token’s own expiry', async () => {
    const verify = createTokenVerifier({ JWT_SECRET });
    const expiresAt = Math.floor(Date.now() / 1000) + 1; // within the next second, far inside the 30 s of memory
    const header = `Bearer ${await token({ role: Role.DRIVER, sub: 'driver-8' }, expiresAt)}`;
    expect((await verify(header)).sub).toBe('driver-8');
    await new Promise((resolve) => setTimeout(resolve, expiresAt * 1000 - Date.now() + 50));
    await expect(verify(header)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
  });

  it('does not remember failures: a bad token is refused every time, a good one still passes', async () => {
    const verify = createTokenVerifier({ JWT_SECRET });
    const forged = `Bearer ${await new SignJWT({ role: Role.PLATFORM_ADMIN, sub: 'mallory' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('x'.repeat(40)))}`;
    for (let i = 0; i < 2; i++)
      await expect(verify(forged)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    expect((await verify(`Bearer ${await token({ role: Role.ANALYST, sub: 'ann' })}`)).role).toBe(Role.ANALYST);
  });
});
