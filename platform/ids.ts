import { v7 as uuidv7, validate as isUuid } from 'uuid';

/** Ids are UUIDv7: unique across subgraphs and sortable by creation time, so keyset pagination can use them. */
export const newId = (): string => uuidv7();

/**
 * Ids reach us from clients and from federation representations. A string that is not a UUID cannot name a row,
 * and PostgreSQL would reject the whole statement over it (failing every other id in the batch), so drop it early.
 */
export const uuidsOnly = (ids: readonly string[]): string[] => ids.filter((id) => isUuid(id));

export { isUuid };
