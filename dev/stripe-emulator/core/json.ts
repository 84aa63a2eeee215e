/** JSON value types: every object the emulator stores or returns is plain JSON. */
export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
export type JsonObject = { [key: string]: JsonValue };

export function isJsonObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Deep copy, used for responses and event snapshots so later mutations never leak into them. */
export function cloneJson<T extends JsonValue>(value: T): T {
  return structuredClone(value);
}

/** Top-level keys whose values differ, mapped to their previous values (an event's `previous_attributes`). */
export function previousAttributes(before: JsonObject, after: JsonObject): JsonObject | undefined {
  const changed: JsonObject = {};
  for (const key of Object.keys(after)) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) changed[key] = cloneJson(before[key] ?? null);
  }
  return Object.keys(changed).length > 0 ? changed : undefined;
}
