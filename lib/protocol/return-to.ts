/**
 * `returnTo` is honoured only for a same-origin path: anything a browser could read as another
 * origin (absolute URLs, `//host`, `/\host`, other schemes, control characters, encoded forms of
 * those) falls back to the default. See RFC 9700 §4.11 (open redirectors).
 */
const MAX_LENGTH = 2048
const BASE = 'http://return-to.invalid'

function isPlainPath (value: string): boolean {
  // Must start with exactly one "/"; no backslash (browsers treat "\" as "/"), no control characters or spaces.
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
  return value.startsWith('/') && !value.startsWith('//') && !/[\\\x00-\x20\x7f]/.test(value)
}

/** Whether the path part, percent-decoded, is still a plain path (a proxy or the app may decode it on the way back). */
function decodesToPlainPath (path: string): boolean {
  try {
    return isPlainPath(decodeURIComponent(path.replace(/[?#].*$/, '')))
  } catch {
    return false
  }
}

/** Returns a safe same-origin path for `value`, or `undefined` when it is not one. */
export function sanitizeReturnTo (value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_LENGTH) return undefined
  // The query and fragment stay encoded in the redirect, so "?q=a%20b" is a search, not a host: only the path is decoded.
  if (!isPlainPath(value) || !decodesToPlainPath(value)) return undefined
  const url = new URL(value, BASE)
  // Dot segments are resolved here: "/..//evil.example" comes out as "//evil.example", a host, and
  // "/./%2f%2fevil.example" as "/%2f%2fevil.example", a host once decoded. The result is what the
  // browser will be sent to, so it is checked again, decoded too.
  const path = url.pathname + url.search + url.hash
  if (url.origin !== BASE || !isPlainPath(path) || !decodesToPlainPath(path)) return undefined
  return path
}
