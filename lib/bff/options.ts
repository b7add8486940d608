/**
 * The backend for frontend's options, checked once at registration: every problem is a coded
 * `FST_COGNITO_INVALID_OPTION` naming the option, never a surprise on the first request.
 */
import { InvalidOptionError } from '../errors.js'
import type { CognitoGroupName } from '../types.js'

/** One API the single-page app calls through the backend for frontend. */
export interface BffProxyOptions {
  /** The path under which the app calls this API, for example `/api/orders`: starts with `/`, no trailing `/`, no `*` or `:`. */
  prefix: string
  /** The API's base URL, `http:` or `https:`; a path in it is kept (`https://orders.internal/v1`: `/api/orders/7` goes to `/v1/7`). */
  upstream: string
  /** Groups the user must belong to (all of them, or any with `anyGroup`): 403 before anything is sent upstream. */
  groups?: readonly CognitoGroupName[]
  /** Any one of `groups` is enough. Default false. */
  anyGroup?: boolean
  /** Scopes the user's access token must all have: 403 before anything is sent upstream. */
  scopes?: readonly string[]
  /** Time allowed to connect and to receive the answer's headers, in ms: 504 beyond. Default 30000. */
  timeout?: number
  /** Time allowed between two chunks of the answer's body, in ms; 0 for none (server-sent events that stay quiet). Default 0. */
  bodyTimeout?: number
  /** Let the API's `Set-Cookie` headers reach the browser. Default false: they are dropped. */
  allowSetCookie?: boolean
  /** Proxy WebSocket upgrades under the prefix too (authenticated by the session, same-origin `Origin` required). Default false. */
  websocket?: boolean
}

/** Options of the `fastify-cognito/bff` plugin. */
export interface CognitoBffOptions {
  /** The APIs, each under its own prefix. */
  proxies: readonly BffProxyOptions[]
  /** The header every proxied request must carry (a cross-site form or simple request cannot send one). Default `x-csrf`. */
  csrfHeader?: string
  /** The value the header must have; without it, any non-empty value will do. */
  csrfValue?: string
  /** State-changing requests may come from another origin of the same site (`Sec-Fetch-Site: same-site`). Default false. */
  allowSameSite?: boolean
  /** Drop the anti-CSRF header before the request goes upstream. Default true. */
  stripCsrfHeader?: boolean
  /** The session endpoint's path, or `false` to not mount it. Default `/session`. */
  sessionPath?: string | false
  /** The session endpoint offers a silent sign-in link (`prompt=none`) to anonymous callers. Default false. */
  silentLogin?: boolean
  /** More ID token claims the session endpoint puts in `user` (for example `['given_name', 'custom:tenant']`). Default none. */
  userClaims?: readonly string[]
}

/** A proxy's options, resolved. */
export interface BffProxy {
  prefix: string
  origin: string
  basePath: string
  guard: { groups?: readonly string[], anyGroup?: boolean, scopes?: readonly string[] }
  timeout: number
  bodyTimeout: number
  allowSetCookie: boolean
  websocket: boolean
}

/** All the options, resolved. */
export interface BffConfig {
  proxies: readonly BffProxy[]
  csrfHeader: string
  csrfValue: string | undefined
  allowSameSite: boolean
  stripCsrfHeader: boolean
  sessionPath: string | false
  silentLogin: boolean
  userClaims: readonly string[]
}

const DEFAULT_TIMEOUT = 30_000
/** An HTTP header name (RFC 9110 §5.1: a token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/i

function fail (name: string, problem: string): never {
  throw new InvalidOptionError(`${name} ${problem}`)
}

function flag (value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') fail(name, 'must be a boolean')
  return value
}

function millis (value: unknown, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) fail(name, `must be a whole number of ms, at least ${min}`)
  return value
}

function path (value: unknown, name: string): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.length < 2) fail(name, 'must be a path starting with "/", other than "/"')
  if (value.endsWith('/') || /[*:?#\s]/.test(value)) fail(name, 'must not end with "/" nor hold "*", ":", "?", "#" or spaces')
  return value
}

function upstreamUrl (value: unknown, name: string): URL {
  let url: URL
  try {
    url = new URL(value as string)
  } catch {
    fail(name, 'must be an absolute http: or https: URL')
  }
  if (typeof value !== 'string' || (url.protocol !== 'http:' && url.protocol !== 'https:')) fail(name, 'must be an absolute http: or https: URL')
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') fail(name, 'must not hold credentials, a query or a fragment')
  return url
}

/** Whether one path is the other or lies under it. */
function overlaps (a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`)
}

function resolveProxy (raw: unknown, index: number): BffProxy {
  const name = `proxies[${index}]`
  if (raw === null || typeof raw !== 'object') fail(name, 'must be an object')
  const p = raw as BffProxyOptions
  const url = upstreamUrl(p.upstream, `${name}.upstream`)
  return {
    prefix: path(p.prefix, `${name}.prefix`),
    origin: url.origin,
    basePath: url.pathname.replace(/\/+$/, ''),
    // Groups and scopes are the guards' options: the guard checks them when it is made.
    guard: {
      ...(p.groups !== undefined ? { groups: p.groups } : {}),
      ...(p.anyGroup !== undefined ? { anyGroup: p.anyGroup } : {}),
      ...(p.scopes !== undefined ? { scopes: p.scopes } : {})
    },
    timeout: millis(p.timeout, `${name}.timeout`, DEFAULT_TIMEOUT, 1),
    bodyTimeout: millis(p.bodyTimeout, `${name}.bodyTimeout`, 0, 0),
    allowSetCookie: flag(p.allowSetCookie, `${name}.allowSetCookie`, false),
    websocket: flag(p.websocket, `${name}.websocket`, false)
  }
}

export function resolveBffOptions (options: CognitoBffOptions): BffConfig {
  if (!Array.isArray(options.proxies)) fail('proxies', 'must be a list of { prefix, upstream }')
  const proxies = options.proxies.map(resolveProxy)
  const csrfHeader = options.csrfHeader ?? 'x-csrf'
  if (typeof csrfHeader !== 'string' || !HEADER_NAME.test(csrfHeader)) fail('csrfHeader', 'must be a header name')
  const csrfValue = options.csrfValue
  if (csrfValue !== undefined && (typeof csrfValue !== 'string' || csrfValue === '')) fail('csrfValue', 'must be a non-empty string')
  const sessionPath = options.sessionPath === false ? false : path(options.sessionPath ?? '/session', 'sessionPath')
  const userClaims = options.userClaims ?? []
  if (!Array.isArray(userClaims) || userClaims.some(c => typeof c !== 'string' || c === '')) fail('userClaims', 'must be a list of claim names')

  const paths = [...proxies.map(p => p.prefix), ...(sessionPath === false ? [] : [sessionPath])]
  paths.forEach((a, i) => {
    const clash = paths.find((b, j) => j > i && overlaps(a, b))
    if (clash !== undefined) fail('proxies', `"${a}" and "${clash}" overlap: each prefix (and the sessionPath) needs a path of its own`)
  })
  return {
    proxies,
    csrfHeader: csrfHeader.toLowerCase(),
    csrfValue,
    allowSameSite: flag(options.allowSameSite, 'allowSameSite', false),
    stripCsrfHeader: flag(options.stripCsrfHeader, 'stripCsrfHeader', true),
    sessionPath,
    silentLogin: flag(options.silentLogin, 'silentLogin', false),
    userClaims: [...userClaims]
  }
}
