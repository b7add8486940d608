/**
 * `returnTo` is honoured only for a same-origin path: anything a browser could read as another
 * origin (absolute URLs, `//host`, `/\host`, other schemes, control characters, encoded forms of
 * those) falls back to the default. See RFC 9700 §4.11 (open redirectors).
 */
const MAX_LENGTH = 2048
const BASE = 'http://return-to.invalid'

function isPlainPath (value: string): boolean {
  // Must start with exactly one "/"; no backslash (browsers treat "\" as "/"), no control characters or spaces.
  return value.startsWith('/') && !value.startsWith('//') && !/[\\\x00-\x20\x7f]/.test(value)
}

/** Returns a safe same-origin path for `value`, or `undefined` when it is not one. */
export function sanitizeReturnTo (value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_LENGTH) return undefined
  if (!isPlainPath(value)) return undefined
  let decoded: string
  try {
    decoded = decodeURIComponent(value)
  } catch {
    return undefined
  }
  // An encoded "//" or "\" may be decoded by a proxy or the app on the way back: refuse those too.
  if (!isPlainPath(decoded)) return undefined
  const url = new URL(value, BASE)
  if (url.origin !== BASE) return undefined
  return url.pathname + url.search + url.hash
}
