/**
 * What the plugin reads from a request, decided once: the bearer token, whether the request is a
 * browser navigation, whether it comes from another site, and single query parameters.
 */
import type { FastifyRequest } from 'fastify'
import { CrossSiteRequestError, InvalidTokenError } from '../errors.js'

/** RFC 6750 §2.1: `Bearer` and a token68 value. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i

/**
 * The Authorization header uses the Bearer scheme (RFC 7235 §2.1: the scheme is case-insensitive).
 * Another scheme (the Basic credentials of a proxy protecting a staging site) is not a token of ours:
 * the request is then identified by its session cookie, as if the header were absent.
 */
export function isBearerScheme (header: string | undefined): boolean {
  return header !== undefined && /^bearer(?:\s|$)/i.test(header)
}

/**
 * The value after `Bearer ` in the header's usual spelling, unchecked: for a lookup among tokens
 * verified before, where only an exact match counts. Any other spelling is `undefined` (read it with
 * {@link bearerToken}).
 */
export function usualBearerValue (header: string): string | undefined {
  return header.startsWith('Bearer ') ? header.slice(7) : undefined
}

/** The bearer token, `undefined` when there is no Bearer Authorization header; throws a 401 on a malformed one. */
export function bearerToken (request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (!isBearerScheme(header)) return undefined
  const match = BEARER.exec(header as string)
  if (!match) throw new InvalidTokenError('malformed Authorization header')
  return match[1]
}

/**
 * The headers an Application Load Balancer adds once it has signed a user in: `x-amzn-oidc-data` (its
 * signed claims) and `x-amzn-oidc-accesstoken`; `undefined` without the data header.
 */
export function albHeaders (request: FastifyRequest): { data: string, accessToken: string | undefined } | undefined {
  const data = request.headers['x-amzn-oidc-data']
  if (typeof data !== 'string') return undefined
  const accessToken = request.headers['x-amzn-oidc-accesstoken']
  return { data, accessToken: typeof accessToken === 'string' ? accessToken : undefined }
}

/**
 * A browser asking for a page: it accepts HTML. Guards send such a GET to login instead of a 401;
 * `POST /refresh` answers a form post from a page with a redirect instead of JSON.
 */
export function isBrowserNavigation (request: FastifyRequest, { method }: { method?: string } = {}): boolean {
  return (method === undefined || request.method === method) && (request.headers.accept ?? '').includes('text/html')
}

/** Refuses state-changing requests sent by another site (CSRF): the browser says so in Origin or Sec-Fetch-Site. */
export function assertSameOrigin (request: FastifyRequest, appOrigin: string, { allowSameSite }: { allowSameSite: boolean }): void {
  const origin = request.headers.origin
  if (origin !== undefined) {
    if (origin !== appOrigin) throw new CrossSiteRequestError()
    return
  }
  const site = request.headers['sec-fetch-site']
  if (site === 'cross-site' || (site === 'same-site' && !allowSameSite)) throw new CrossSiteRequestError()
}

/** A single query parameter; repeated or missing parameters are `undefined`. */
export function param (query: unknown, name: string): string | undefined {
  const value = (query as Record<string, unknown> | undefined)?.[name]
  return typeof value === 'string' ? value : undefined
}

/** How a request is logged on routes whose query holds secrets (the callback's code): the path only. */
export function pathOnly (request: FastifyRequest): { method: string, url: string } {
  return { method: request.method, url: request.url.split('?')[0] as string }
}
