/**
 * The backend for frontend's defence against cross-site requests, with no token in the page.
 *
 * - Every proxied request carries a custom header (`x-csrf: 1`). A form, a link, an image or any
 *   other "simple" cross-site request cannot set one; a cross-site `fetch` that sets one needs a CORS
 *   preflight, which the BFF never grants (the preflight has no such header and is refused).
 * - A state-changing method (anything but GET, HEAD, OPTIONS) must also not say it comes from another
 *   site: `Origin` must be the app's when sent, else `Sec-Fetch-Site` must not be `cross-site` (nor
 *   `same-site` unless allowed). A browser that sends neither (an old one) is let through on the header.
 * - A WebSocket upgrade cannot carry custom headers: its `Origin`, which browsers always send, must be
 *   the app's.
 */
import type { FastifyRequest } from 'fastify'
import { CrossSiteRequestError, CsrfHeaderError } from '../errors.js'
import { assertSameOrigin } from '../fastify/request.js'
import type { BffConfig } from './options.js'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** Whether the request asks to become a WebSocket. */
export function isWebSocketUpgrade (request: FastifyRequest): boolean {
  return request.method === 'GET' && (request.headers.upgrade ?? '').toLowerCase() === 'websocket'
}

/** Throws a 403 when `request` may have been sent by another site. */
export function assertNotForged (request: FastifyRequest, config: BffConfig, appOrigin: string): void {
  if (isWebSocketUpgrade(request)) {
    if (request.headers.origin !== appOrigin) throw new CrossSiteRequestError()
    return
  }
  const sent = request.headers[config.csrfHeader]
  if (typeof sent !== 'string' || sent === '' || (config.csrfValue !== undefined && sent !== config.csrfValue)) {
    throw new CsrfHeaderError(config.csrfHeader)
  }
  if (!SAFE_METHODS.has(request.method)) assertSameOrigin(request, appOrigin, { allowSameSite: config.allowSameSite })
}
