import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { RequestContext } from '../../../platform/subgraph/context.js';
import { badInput, conflict } from '../../../platform/errors.js';
import { requireDriver } from '../access.js';
import { isInternalIdTag } from '../session/id-tags.js';
import { RfidTag } from './rfid.entity.js';

/** What an idTag may look like: OCPP 2.0.1 idTokens have up to 36 printable ASCII characters (1.6: up to 20). */
const ID_TAG = /^[\x21-\x7e]{1,36}$/;

/** A driver's own RFID tags: link, unlink, list. A tag belongs to one account at a time. */
export class RfidTagService {
  constructor(private readonly ctx: RequestContext) {}

  async link(idTag: string): Promise<RfidTag> {
    const driverId = requireDriver(this.ctx.identity, 'link RFID tags');
    if (!ID_TAG.test(idTag)) throw badInput('idTag must be 1–36 printable ASCII characters.', 'idTag');
    if (isInternalIdTag(idTag)) throw badInput('This idTag is reserved by the platform.', 'idTag');
    const em = this.ctx.em.fork();
    const existing = await em.findOne(RfidTag, { idTag });
    if (existing) return ownOrConflict(existing, driverId);
    const tag = em.create(RfidTag, { idTag, driverId });
    try {
      await em.flush();
      return tag;
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      // Linked concurrently: by the same driver (a double tap) it is theirs; by anyone else it is taken.
      return ownOrConflict(await this.ctx.em.fork().findOneOrFail(RfidTag, { idTag }), driverId);
    }
  }

  /** True when the caller's tag was unlinked; false when the caller has no such tag (someone else's is not revealed). */
  async unlink(idTag: string): Promise<boolean> {
    const driverId = requireDriver(this.ctx.identity, 'unlink RFID tags');
    return (await this.ctx.em.nativeDelete(RfidTag, { idTag, driverId })) > 0;
  }

  mine(): Promise<RfidTag[]> {
    const driverId = requireDriver(this.ctx.identity, 'have RFID tags');
    return this.ctx.em.find(RfidTag, { driverId }, { orderBy: { linkedAt: 'asc' } });
  }
}

function ownOrConflict(tag: RfidTag, driverId: string): RfidTag {
  // Whose it is stays private: the caller only learns that it is taken.
  if (tag.driverId !== driverId) throw conflict('This RFID tag is linked to another account.');
  return tag;
}
