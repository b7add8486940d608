/**
 * One API behind the backend for frontend, on @fastify/http-proxy (and so @fastify/reply-from and
 * undici). Every request under the prefix, WebSocket upgrades included, goes through one onRequest
 * hook before anything is read or sent upstream: the anti-CSRF rule, then the session guard (with the
 * proxy's groups and scopes), then the user's access token, renewed first when it is about to expire.
 *
 * What goes upstream: the request with `Authorization: Bearer <access token>`, and without the
 * browser's cookies, its own `Authorization`, the anti-CSRF header (unless kept), hop-by-hop headers,
 * and `Forwarded`/`X-Forwarded-*` as the browser sent them (replaced by the BFF's own view of the
 * client: `X-Forwarded-For`, `-Proto`, `-Host`). What comes back: the answer as it is, streamed (server-sent
 * events included), without hop-by-hop headers, and without `Set-Cookie` unless allowed.
 */
import httpProxy, { type FastifyHttpProxyOptions } from '@fastify/http-proxy'
import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import type { IncomingHttpHeaders } from 'node:http'
import { UnauthenticatedError, UpstreamTimeoutError, UpstreamUnavailableError, WebSocketNotProxiedError } from '../errors.js'
import type { CognitoInternals } from '../fastify/internals.js'
import type { FastifyCognito } from '../types.js'
import { assertNotForged, isWebSocketUpgrade } from './csrf.js'
import type { BffConfig, BffProxy } from './options.js'

/** Hop-by-hop headers (RFC 9110 §7.6.1), and the proxy ones: never forwarded, either way. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']
/** What the browser says of its credentials and its path here: the BFF speaks for it instead. */
const BROWSER_ONLY = ['cookie', 'authorization', 'forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port']

/** The access token a request will carry upstream, from its onRequest hook to the header rewrite. */
const tokens = new WeakMap<FastifyRequest, string>()

function tokenOf (request: FastifyRequest): string {
  const token = tokens.get(request)
  /* c8 ignore next: the onRequest hook always runs first; a request without a token is refused there. */
  if (token === undefined) throw new UnauthenticatedError()
  return token
}

/** The headers an upstream request carries, from the browser's. */
export function upstreamHeaders (request: FastifyRequest, headers: IncomingHttpHeaders, config: BffConfig): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = { ...headers }
  for (const name of [...HOP_BY_HOP, ...BROWSER_ONLY]) delete out[name]
  if (config.stripCsrfHeader) delete out[config.csrfHeader]
  out.authorization = `Bearer ${tokenOf(request)}`
  out['x-forwarded-for'] = request.ip
  out['x-forwarded-proto'] = request.protocol
  out['x-forwarded-host'] = request.host
  return out
}

/** The headers of the upstream's answer that reach the browser. */
export function answerHeaders (headers: IncomingHttpHeaders, proxy: BffProxy): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = { ...headers }
  for (const name of HOP_BY_HOP) delete out[name]
  if (!proxy.allowSetCookie) delete out['set-cookie']
  return out
}

/** A failed upstream call: too slow is a 504, anything else (refused, reset, broken answer) a 502. The reason is logged, not sent. */
export function upstreamError (error: Error & { statusCode?: number }): Error {
  return error.statusCode === 504 ? new UpstreamTimeoutError({ cause: error }) : new UpstreamUnavailableError({ cause: error })
}

/** Registers the proxy for `proxy.prefix` in its own encapsulated context of `fastify`. */
export async function registerProxy (fastify: FastifyInstance, cognito: FastifyCognito, internals: CognitoInternals, config: BffConfig, proxy: BffProxy): Promise<void> {
  // Session only: a bearer token the browser sends is not how a BFF's user is identified (dropped below).
  const guard: preHandlerAsyncHookHandler = cognito.guard({ ...proxy.guard, redirectToLogin: false, idToken: false })

  async function authorize (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    // Another prefix's WebSocket support routes every upgrade through Fastify: answer this one, not leave it hanging.
    if (!proxy.websocket && isWebSocketUpgrade(request)) throw new WebSocketNotProxiedError(proxy.prefix)
    assertNotForged(request, config, internals.appOrigin)
    delete request.headers.authorization
    await guard.call(this, request, reply)
    // `disabled: true` lets every guard through with no identity: there is then no token to send.
    if (request.cognito === null) throw new UnauthenticatedError()
    tokens.set(request, await cognito.accessToken(request, reply))
  }

  await fastify.register(async (scope) => {
    scope.addHook('onRequest', authorize)
    const options: FastifyHttpProxyOptions & { websocket?: boolean } = {
      upstream: proxy.origin,
      rewritePrefix: proxy.basePath,
      // The agent verifies the upstream's certificate: reply-from's default does not.
      undici: {
        connect: { timeout: proxy.timeout, rejectUnauthorized: true },
        // undici reads `tls` too, and reply-from sets it to not verify.
        ...({ tls: { rejectUnauthorized: true } } as object),
        headersTimeout: proxy.timeout,
        bodyTimeout: proxy.bodyTimeout
      },
      replyOptions: {
        rewriteRequestHeaders: (request, headers) => upstreamHeaders(request as FastifyRequest, headers, config),
        rewriteHeaders: headers => answerHeaders(headers, proxy),
        onError: (reply, { error }) => { reply.send(upstreamError(error)) }
      },
      ...(proxy.websocket
        ? {
            websocket: true as const,
            wsClientOptions: {
              handshakeTimeout: proxy.timeout,
              rejectUnauthorized: true,
              // The upstream connection carries the bearer token and nothing of the browser's.
              rewriteRequestHeaders: (_headers: Record<string, string>, request: FastifyRequest) => ({ authorization: `Bearer ${tokenOf(request)}` })
            } as FastifyHttpProxyOptions['wsClientOptions']
          }
        : {})
    }
    // Its types split the websocket options into a union that a computed object cannot satisfy.
    await scope.register(httpProxy as unknown as FastifyPluginCallback<typeof options>, options)
  }, { prefix: proxy.prefix })
}
