/** The fields that were given: GraphQL leaves omitted input fields undefined (or null), and those must not overwrite. */
export function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== null)) as Partial<T>;
}
