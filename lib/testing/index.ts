/**
 * `fastify-cognito/testing`: a test kit for applications that guard their Fastify routes with
 * `fastify-cognito`. It stands in for an Amazon Cognito user pool without any network access
 * beyond the loopback interface: a tiny JWKS server plus Cognito-shaped access and ID tokens
 * signed with the keys it serves.
 *
 * Layout of this module, so that further helpers slot in without reshuffling:
 * 1. public types ({@link TestPoolOptions}, {@link TestUser}, {@link TestPool}), in `types.ts`;
 * 2. key material (two RS256 key pairs, one for access tokens and one for ID tokens, as Cognito does);
 * 3. token minting (claim sets that mirror what Cognito issues);
 * 4. the loopback JWKS server;
 * 5. {@link createTestPool}, which ties them together;
 * 6. session cookies (`cookies.ts`) and an ALB's signed headers (`alb.ts`).
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import fastifyCognito from 'fastify-cognito'
 * import { createTestPool } from 'fastify-cognito/testing'
 *
 * const pool = await createTestPool()
 * const app = Fastify()
 * await app.register(fastifyCognito, pool.pluginOptions())
 * app.get('/admin', { preHandler: app.cognito.requireGroups(['admin']) }, async () => 'hi')
 * const token = await pool.mintAccessToken({ username: 'alice', groups: ['admin'] })
 * const res = await app.inject({ url: '/admin', headers: pool.bearer(token) }) // 200
 * await app.close()
 * await pool.close()
 * ```
 *
 * @packageDocumentation
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { parsePoolId } from '../util/pool-id.js'
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose'
import type { TestPool, TestPoolOptions, TestUser } from './types.js'

export type { TestMachine, TestPluginOptions, TestPool, TestPoolOptions, TestUser } from './types.js'
export { sessionCookieHeader, sessionCookies, type AppWithCognito } from './cookies.js'
export { createTestAlb, type AlbHeadersOptions, type TestAlb, type TestAlbOptions } from './alb.js'

// ---------------------------------------------------------------------------------------------
// 2. Key material
// ---------------------------------------------------------------------------------------------

const ALG = 'RS256'
const DEFAULT_TTL = 3600
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost'])

interface SigningKey {
  kid: string
  privateKey: CryptoKey
  publicJwk: JWK
}

interface KeySet {
  access: SigningKey
  id: SigningKey
}

async function makeSigningKey (): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(ALG)
  const { kty, n, e } = await exportJWK(publicKey)
  const kid = await calculateJwkThumbprint({ kty, n, e })
  return { kid, privateKey, publicJwk: { kid, alg: ALG, kty, e, n, use: 'sig' } }
}

async function makeKeySet (): Promise<KeySet> {
  const [access, id] = await Promise.all([makeSigningKey(), makeSigningKey()])
  return { access, id }
}

// ---------------------------------------------------------------------------------------------
// 3. Token minting
// ---------------------------------------------------------------------------------------------

/** What an access token and an ID token of one sign-in have in common. */
interface SignIn {
  sub: string
  iat: number
  exp: number
  originJti: string
}

function signIn (user: TestUser, subFor: (username: string) => string): SignIn {
  const now = Math.floor(Date.now() / 1000)
  const expiresIn = user.expiresIn ?? DEFAULT_TTL
  const exp = now + expiresIn
  const iat = expiresIn > 0 ? now : exp - DEFAULT_TTL
  return { sub: user.sub ?? subFor(user.username), iat, exp, originJti: randomUUID() }
}

function withGroups (groups: string[] | undefined): Record<string, unknown> {
  return groups !== undefined && groups.length > 0 ? { 'cognito:groups': [...groups] } : {}
}

/** Applies `user.claims`; a claim set to `undefined` is removed. */
function finish (claims: Record<string, unknown>, overrides: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { ...claims, ...overrides }
  for (const [name, value] of Object.entries(out)) {
    if (value === undefined) delete out[name]
  }
  return out
}

async function sign (claims: Record<string, unknown>, key: SigningKey): Promise<string> {
  return await new SignJWT(claims).setProtectedHeader({ kid: key.kid, alg: ALG }).sign(key.privateKey)
}

/** OIDC `at_hash`: the left half of the SHA-256 of the access token, base64url encoded. */
function atHash (accessToken: string): string {
  return createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url')
}

// ---------------------------------------------------------------------------------------------
// 4. The loopback JWKS server
// ---------------------------------------------------------------------------------------------

function sendJson (res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text)
  })
  res.end(text)
}

async function listen (server: Server, host: string): Promise<number> {
  return await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, () => {
      server.off('error', reject)
      resolve((server.address() as AddressInfo).port)
    })
  })
}

// ---------------------------------------------------------------------------------------------
// 5. The pool
// ---------------------------------------------------------------------------------------------

/**
 * Starts a stand-in Cognito user pool: generates two RS256 key pairs (access and ID tokens are
 * signed with different keys, as Cognito does) and serves their public halves at
 * `${issuer}/.well-known/jwks.json` from a loopback HTTP server on a free port. Every other path
 * answers 404.
 *
 * @param options - pool id, client id and loopback host; all optional.
 * @returns the running pool. Close it with {@link TestPool.close | close()}.
 * @throws TypeError when `userPoolId` is not of the form `<region>_<id>`; the listen error when
 * the server cannot bind.
 *
 * @example
 * ```ts
 * import { test } from 'tap'
 * import Fastify from 'fastify'
 * import fastifyCognito from 'fastify-cognito'
 * import { createTestPool } from 'fastify-cognito/testing'
 *
 * test('admins may read the report', async (t) => {
 *   const pool = await createTestPool()
 *   t.teardown(() => pool.close())
 *   const app = Fastify()
 *   t.teardown(() => app.close())
 *   await app.register(fastifyCognito, pool.pluginOptions())
 *   app.get('/report', { preHandler: app.cognito.requireGroups(['admin']) }, async () => 'ok')
 *
 *   const token = await pool.mintAccessToken({ username: 'alice', groups: ['admin'] })
 *   const res = await app.inject({ url: '/report', headers: pool.bearer(token) })
 *   t.equal(res.statusCode, 200)
 * })
 * ```
 */
export async function createTestPool (options: TestPoolOptions = {}): Promise<TestPool> {
  const userPoolId = options.userPoolId ?? 'us-east-1_TestPool'
  const clientId = options.clientId ?? 'test-client'
  const host = options.host ?? '127.0.0.1'
  const poolId = parsePoolId(userPoolId)
  if (poolId === undefined) {
    throw new TypeError(`userPoolId must look like "<region>_<id>", got ${JSON.stringify(userPoolId)}`)
  }
  // An emulator-style id (`local_abc`) names no AWS region: its prefix stands in for one.
  const region = poolId.region ?? poolId.prefix
  // A test pool is a loopback service: it never listens on an address other machines could reach.
  if (!LOOPBACK_HOSTS.has(host)) {
    throw new TypeError(`host must be a loopback address (127.0.0.1, ::1 or localhost), got ${JSON.stringify(host)}`)
  }

  let keys = await makeKeySet()
  const subs = new Map<string, string>()
  const subFor = (username: string): string => {
    let sub = subs.get(username)
    if (sub === undefined) {
      sub = randomUUID()
      subs.set(username, sub)
    }
    return sub
  }

  const jwksPath = `/${userPoolId}/.well-known/jwks.json`
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const { pathname } = new URL(String(req.url), 'http://localhost')
    if (pathname === jwksPath && (req.method === 'GET' || req.method === 'HEAD')) {
      sendJson(res, 200, { keys: [keys.access.publicJwk, keys.id.publicJwk] })
    } else {
      sendJson(res, 404, { message: 'Not Found' })
    }
  })
  const port = await listen(server, host)
  const domain = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  const issuer = `${domain}/${userPoolId}`
  const secret = randomBytes(32).toString('base64url')
  let closing: Promise<void> | undefined

  const accessClaims = (user: TestUser, s: SignIn): Record<string, unknown> => finish({
    sub: s.sub,
    iss: issuer,
    client_id: clientId,
    token_use: 'access',
    scope: (user.scopes ?? ['openid']).join(' '),
    auth_time: s.iat,
    exp: s.exp,
    iat: s.iat,
    jti: randomUUID(),
    origin_jti: s.originJti,
    username: user.username,
    ...withGroups(user.groups),
    event_id: randomUUID(),
    version: 2
  }, user.claims)

  const idClaims = (user: TestUser & { nonce?: string }, s: SignIn, extra: Record<string, unknown>): Record<string, unknown> => finish({
    sub: s.sub,
    iss: issuer,
    aud: clientId,
    token_use: 'id',
    'cognito:username': user.username,
    email: user.email ?? `${user.username}@example.com`,
    email_verified: true,
    ...withGroups(user.groups),
    auth_time: s.iat,
    exp: s.exp,
    iat: s.iat,
    jti: randomUUID(),
    origin_jti: s.originJti,
    ...(user.nonce === undefined ? {} : { nonce: user.nonce }),
    ...extra
  }, user.claims)

  return {
    userPoolId,
    region,
    clientId,
    issuer,
    jwksUri: `${issuer}/.well-known/jwks.json`,
    pluginOptions: () => ({
      userPoolId,
      region,
      clientId,
      issuer,
      domain,
      redirectUri: 'http://localhost/auth/callback',
      logoutUri: 'http://localhost/',
      secret
    }),
    mintAccessToken: async (user) => await sign(accessClaims(user, signIn(user, subFor)), keys.access),
    mintIdToken: async (user) => await sign(idClaims(user, signIn(user, subFor), {}), keys.id),
    mintTokens: async (user) => {
      const s = signIn(user, subFor)
      const { access, id } = keys
      const accessToken = await sign(accessClaims(user, s), access)
      const idToken = await sign(idClaims(user, s, { at_hash: atHash(accessToken) }), id)
      return { accessToken, idToken }
    },
    mintMachineToken: async (machine) => {
      const s = signIn({ username: '', expiresIn: machine.expiresIn }, () => '')
      const id = machine.clientId ?? clientId
      // Claims in the order Cognito issues them for a client credentials grant.
      const claims = { sub: id, token_use: 'access', scope: (machine.scopes ?? []).join(' '), auth_time: s.iat, iss: issuer, exp: s.exp, iat: s.iat, version: 2, jti: randomUUID(), client_id: id }
      return await sign(finish(claims, machine.claims), keys.access)
    },
    bearer: (token) => ({ authorization: `Bearer ${token}` }),
    rotateKeys: async () => {
      keys = await makeKeySet()
    },
    close: async () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      await closing
    }
  }
}
