/**
 * A Cognito stand-in that misbehaves on demand, for fault tests of the plugin.
 *
 * One loopback HTTP server (127.0.0.1, free port) serves the endpoints the plugin calls:
 * - `GET  ${issuer}/.well-known/jwks.json`
 * - `POST ${url}/oauth2/token`  (form)
 * - `POST ${url}/oauth2/revoke` (form)
 * - `GET  ${url}/oauth2/userInfo` (Bearer; see {@link FaultyIdp.onUserInfo})
 * - `GET  ${url}/logout?client_id=..&logout_uri=..` (302 to `logout_uri`; never faulty)
 *
 * Each of the three API endpoints has its own {@link Behaviour}, switchable at any time. The
 * behaviour in force when a request *arrives* decides its fate. Every other path answers 404, a
 * wrong method on a known path 405; neither counts.
 *
 * @example
 * ```ts
 * const idp = await startFaultyIdp()
 * t.teardown(() => idp.close())
 * idp.onToken((form) => ({ json: { access_token: '...', id_token: '...', token_type: 'Bearer', expires_in: 3600 } }))
 * idp.setToken('hang')            // the next token request never gets an answer
 * idp.setJwks('slow', { delayMs: 3000 })
 * ```
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * - `ok`: the normal answer (see {@link FaultyIdp.setJwksBody}, {@link FaultyIdp.onToken}; revoke: 200, empty body).
 * - `down`: the socket is destroyed as soon as the request arrives: no status, no body (the client
 *   sees a reset / "other side closed"). For a refused connection, {@link FaultyIdp.close} the server.
 * - `hang`: the request is read and never answered (until {@link FaultyIdp.close}).
 * - `slow`: the `ok` answer, sent after `delayMs` (default 1000).
 * - `status500`: 500, `text/plain`.
 * - `html`: 200, `text/html` (a login or proxy page where JSON was expected).
 * - `garbage`: 200, `application/json`, but the body is not JSON.
 * - `json-without-tokens`: 200, valid JSON with neither tokens nor keys.
 * - `invalid-grant`: 400 `{ "error": "invalid_grant" }`.
 */
export type Behaviour =
  | 'ok'
  | 'down'
  | 'hang'
  | 'slow'
  | 'status500'
  | 'html'
  | 'garbage'
  | 'json-without-tokens'
  | 'invalid-grant'

export type Endpoint = 'jwks' | 'token' | 'revoke' | 'userinfo'

export interface BehaviourOptions {
  /** For `slow`: milliseconds before the answer. Default 1000. */
  delayMs?: number
}

export interface TokenReply {
  /** Default 200. */
  status?: number
  json: unknown
}

export type TokenHandler = (form: URLSearchParams, headers: IncomingHttpHeaders) => TokenReply | Promise<TokenReply>

/** One request that reached an endpoint, whatever its behaviour. */
export interface ReceivedRequest {
  endpoint: Endpoint
  behaviour: Behaviour
  headers: IncomingHttpHeaders
  /** The parsed form body of token and revoke requests; undefined for JWKS and for `down`. */
  form: URLSearchParams | undefined
}

export interface FaultyIdp {
  /** `http://127.0.0.1:<port>`: the `domain` (token, revoke, logout). */
  readonly url: string
  /** `${url}/<poolId>`: JWKS at `${issuer}/.well-known/jwks.json`. */
  readonly issuer: string
  setJwks (b: Behaviour, opts?: BehaviourOptions): void
  setToken (b: Behaviour, opts?: BehaviourOptions): void
  setRevoke (b: Behaviour, opts?: BehaviourOptions): void
  setUserInfo (b: Behaviour, opts?: BehaviourOptions): void
  /** What userInfo answers when `ok` (or `slow`), given the bearer token. Without a handler: 401 `invalid_token`. */
  onUserInfo (fn: (token: string) => TokenReply | Promise<TokenReply>): void
  /** What the JWKS endpoint serves when `ok` (or `slow`). Default `{ keys: [] }`. */
  setJwksBody (jwks: object): void
  /**
   * What the token endpoint answers when `ok` (or `slow`). Without a handler it answers 400
   * `invalid_request`; a handler that throws gives 500 `server_error` with the message.
   */
  onToken (fn: TokenHandler): void
  /** Requests received per endpoint (live; `down`, `hang` and `slow` requests count too). */
  readonly counts: { jwks: number, token: number, revoke: number, userinfo: number }
  /** Every request that reached an endpoint, in arrival order (live). */
  readonly requests: readonly ReceivedRequest[]
  /** Stops listening and destroys every connection, hanging and slow ones included. Idempotent. */
  close (): Promise<void>
}

const DEFAULT_DELAY_MS = 1000
const MAX_BODY = 1024 * 1024

interface Mode { behaviour: Behaviour, delayMs: number }

function send (res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...extra })
  res.end(body)
}

function sendJson (res: ServerResponse, status: number, json: unknown): void {
  send(res, status, 'application/json;charset=UTF-8', JSON.stringify(json))
}

async function readBody (req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY) return undefined
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** Resolves after `ms`, or as soon as the response is gone (client gave up, server closed). */
async function waitUnlessGone (res: ServerResponse, ms: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const timer = setTimeout(() => {
      res.off('close', gone)
      resolve(true)
    }, ms)
    function gone (): void {
      clearTimeout(timer)
      resolve(false)
    }
    res.once('close', gone)
  })
}

function modeOf (b: Behaviour, opts: BehaviourOptions | undefined): Mode {
  return { behaviour: b, delayMs: opts?.delayMs ?? DEFAULT_DELAY_MS }
}

export async function startFaultyIdp (opts: { poolId?: string } = {}): Promise<FaultyIdp> {
  const poolId = opts.poolId ?? 'us-east-1_Faulty'
  const modes: Record<Endpoint, Mode> = { jwks: modeOf('ok', undefined), token: modeOf('ok', undefined), revoke: modeOf('ok', undefined), userinfo: modeOf('ok', undefined) }
  const counts = { jwks: 0, token: 0, revoke: 0, userinfo: 0 }
  const requests: ReceivedRequest[] = []
  let jwksBody: object = { keys: [] }
  let tokenHandler: TokenHandler | undefined
  let userInfoHandler: ((token: string) => TokenReply | Promise<TokenReply>) | undefined
  let closing: Promise<void> | undefined

  const routes: Record<string, { endpoint: Endpoint, methods: string[] }> = {
    [`/${poolId}/.well-known/jwks.json`]: { endpoint: 'jwks', methods: ['GET', 'HEAD'] },
    '/oauth2/token': { endpoint: 'token', methods: ['POST'] },
    '/oauth2/revoke': { endpoint: 'revoke', methods: ['POST'] },
    '/oauth2/userInfo': { endpoint: 'userinfo', methods: ['GET'] }
  }

  async function answerOk (endpoint: Endpoint, form: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (endpoint === 'jwks') return sendJson(res, 200, jwksBody)
    if (endpoint === 'revoke') return send(res, 200, 'application/json;charset=UTF-8', '')
    if (endpoint === 'userinfo') {
      const token = String(req.headers.authorization ?? '').replace(/^Bearer /, '')
      const reply = userInfoHandler === undefined ? { status: 401, json: { error: 'invalid_token' } } : await userInfoHandler(token)
      if (!res.destroyed) sendJson(res, reply.status ?? 200, reply.json)
      return
    }
    if (tokenHandler === undefined) {
      return sendJson(res, 400, { error: 'invalid_request', error_description: 'faulty-idp: no onToken handler set' })
    }
    let reply: TokenReply
    try {
      reply = await tokenHandler(form, req.headers)
    } catch (err) {
      return sendJson(res, 500, { error: 'server_error', error_description: `faulty-idp onToken threw: ${(err as Error).message}` })
    }
    if (!res.destroyed) sendJson(res, reply.status ?? 200, reply.json)
  }

  async function handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(String(req.url), 'http://localhost')
    if (url.pathname === '/logout' && req.method === 'GET') {
      const target = url.searchParams.get('logout_uri')
      if (target === null) return send(res, 400, 'text/plain', 'logout_uri is required')
      return send(res, 302, 'text/plain', '', { location: target })
    }
    const route = routes[url.pathname]
    if (route === undefined) return sendJson(res, 404, { error: 'not_found' })
    if (!route.methods.includes(String(req.method))) return sendJson(res, 405, { error: 'method_not_allowed' })

    const { endpoint } = route
    const { behaviour, delayMs } = modes[endpoint]
    counts[endpoint]++
    if (behaviour === 'down') {
      requests.push({ endpoint, behaviour, headers: req.headers, form: undefined })
      req.socket.destroy()
      return
    }
    const body = await readBody(req)
    if (body === undefined) return send(res, 413, 'text/plain', 'body too large')
    const hasForm = endpoint === 'token' || endpoint === 'revoke'
    const form = new URLSearchParams(hasForm ? body : '')
    requests.push({ endpoint, behaviour, headers: req.headers, form: hasForm ? form : undefined })

    switch (behaviour) {
      case 'hang':
        return // close() destroys the connection
      case 'slow':
        if (await waitUnlessGone(res, delayMs)) await answerOk(endpoint, form, req, res)
        return
      case 'ok':
        return await answerOk(endpoint, form, req, res)
      case 'status500':
        return send(res, 500, 'text/plain', 'Internal Server Error')
      case 'html':
        return send(res, 200, 'text/html; charset=utf-8', '<!DOCTYPE html><html><head><title>Signin</title></head><body><h1>Please sign in</h1></body></html>')
      case 'garbage':
        return send(res, 200, 'application/json;charset=UTF-8', '{"access_token":"eyJ\u0000\u00ff not json')
      case 'json-without-tokens':
        return sendJson(res, 200, { token_type: 'Bearer', expires_in: 3600 })
      case 'invalid-grant':
        return sendJson(res, 400, { error: 'invalid_grant' })
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy())
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url,
    issuer: `${url}/${poolId}`,
    counts,
    requests,
    setJwks: (b, o) => { modes.jwks = modeOf(b, o) },
    setToken: (b, o) => { modes.token = modeOf(b, o) },
    setRevoke: (b, o) => { modes.revoke = modeOf(b, o) },
    setUserInfo: (b, o) => { modes.userinfo = modeOf(b, o) },
    onUserInfo: (fn) => { userInfoHandler = fn },
    setJwksBody: (jwks) => { jwksBody = jwks },
    onToken: (fn) => { tokenHandler = fn },
    close: async () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      await closing
    }
  }
}
