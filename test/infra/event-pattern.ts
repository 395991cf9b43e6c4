/**
 * A small, pure EventBridge pattern matcher for the parts of the pattern
 * language rollgate's rules use: a field's array of allowed values (exact
 * match; an array field in the event matches if any element does) and nested
 * objects. Anything else in a pattern is refused, so a rule that grows a new
 * operator cannot pass these tests unnoticed.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 */

type Pattern = Readonly<Record<string, unknown>>;

function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether `event` matches `pattern`. */
export function matchesPattern(pattern: Pattern, event: unknown): boolean {
  if (!isObject(event)) return false;
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = event[key];
    if (Array.isArray(expected)) {
      for (const allowed of expected) {
        if (typeof allowed === 'object' && allowed !== null) {
          throw new Error(`content filter ${JSON.stringify(allowed)} at "${key}" is not supported by this matcher`);
        }
      }
      const values: readonly unknown[] = Array.isArray(actual) ? actual : [actual];
      return values.some((v) => (expected as readonly unknown[]).includes(v));
    }
    if (isObject(expected)) return matchesPattern(expected, actual);
    throw new Error(`pattern field "${key}" must be an array or an object`);
  });
}
