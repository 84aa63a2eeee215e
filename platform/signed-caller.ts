import type { IncomingMessage } from 'node:http';
import express, { type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import { hashBody, IDENTITY_HEADER, IdentityVerifier, type SignedCall } from './identity.js';
import type { ReplayGuard } from './replay-guard.js';

export interface SignedCallerOptions {
  secrets: string[];
  replayGuard: ReplayGuard;
  logger: Logger;
  bodyLimit: string;
}

/**
 * Only the gateway or a sibling service may call a subgraph, each call signed for itself: the signature is checked
 * before anything of the body is parsed, then the body must be the one signed, then the token must be new.
 * Sets `res.locals.identity` for the GraphQL context; anything else is a 401 and a log line.
 */
export function signedCallerOnly({ secrets, replayGuard, logger, bodyLimit }: SignedCallerOptions): RequestHandler[] {
  const verifier = new IdentityVerifier(secrets);
  const bodyHashes = new WeakMap<IncomingMessage, string>();
  const refuse = (res: Response, message: string) =>
    void res.status(401).json({ errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] });
  const signedCall = (res: Response) => res.locals.signedCall as SignedCall;

  const checkSignature: RequestHandler = (req, res, next) => {
    const header = req.header(IDENTITY_HEADER);
    if (!header) return refuse(res, 'Missing gateway signature.');
    try {
      res.locals.signedCall = verifier.verify(header);
    } catch (error) {
      logger.warn(
        { reason: (error as Error).message, ip: req.ip },
        'rejected request with an invalid gateway signature',
      );
      return refuse(res, 'Invalid gateway signature.');
    }
    next();
  };

  const parseBody = express.json({
    limit: bodyLimit,
    verify: (req, _res, raw) => void bodyHashes.set(req, hashBody(raw)),
  });

  const checkCall: RequestHandler = async (req, res, next) => {
    const call = signedCall(res);
    if ((bodyHashes.get(req) ?? hashBody('')) !== call.bodyHash) {
      logger.warn({ ip: req.ip, subject: call.identity.sub }, 'rejected request whose body is not the one signed');
      return refuse(res, 'The gateway signature does not match the request body.');
    }
    try {
      if (!(await replayGuard.firstUse(call.tokenId, call.expiresAt))) {
        logger.warn(
          { ip: req.ip, subject: call.identity.sub, tokenId: call.tokenId },
          'rejected a replayed gateway signature',
        );
        return refuse(res, 'This gateway signature was already used.');
      }
    } catch (error) {
      return next(error);
    }
    res.locals.identity = call.identity;
    next();
  };

  return [checkSignature, parseBody, checkCall];
}
