/**
 * A test rig for resilience tests: a test pool's keys and Cognito-shaped tokens, served through the
 * faulty IdP (JWKS, token and revoke endpoints whose behaviour tests switch), and apps wired to it.
 *
 * The token endpoint answers like Cognito: `authorization_code` for codes made by {@link Rig.codeFor},
 * `refresh_token` for refresh tokens made by {@link Rig.newRefreshToken} (or issued by a grant);
 * with `rotation` on, each refresh returns a new refresh token and the old one is refused afterwards.
 */
import { randomBytes } from 'node:crypto'
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify'
import { Agent } from 'undici'
import fastifyCognito from '../../lib/index.js'
import type { FastifyCognitoOptions } from '../../lib/types.js'
import { createTestPool, type TestPool, type TestUser } from '../../lib/testing/index.js'
import { startFaultyIdp, type FaultyIdp } from './faulty-idp.js'

interface Teardown { teardown (fn: () => unknown): void }

export interface RigUser { username: string, groups?: string[] }

export interface Rig {
  pool: TestPool
  idp: FaultyIdp
  /**
   * Plugin options pointing at the faulty IdP (issuer, domain): timeouts of 1 s (short enough for
   * hang tests, long enough for a loaded machine), JWKS cooldown 0. Tests that wait for a timeout to
   * expire and need no success afterwards pass shorter ones.
   */
  options (overrides?: Partial<FastifyCognitoOptions>): FastifyCognitoOptions
  /** Makes the faulty IdP's JWKS serve the pool's current keys. */
  serveKeys (): Promise<void>
  mintAccessToken (user: TestUser): Promise<string>
  mintTokens (user: TestUser): Promise<{ accessToken: string, idToken: string }>
  /** A refresh token the token endpoint accepts, for `user`. */
  newRefreshToken (user: RigUser): string
  /** An authorization code the token endpoint exchanges for `user`'s tokens carrying `nonce`. */
  codeFor (user: RigUser, nonce: string): string
  /** Refresh-token rotation (Cognito's April 2025 setting), off by default. */
  rotation: boolean
  /** Grants answered with tokens, by type. */
  grants: { authorization_code: number, refresh_token: number }
}

/** An opaque refresh token the size of Cognito's (about 1,850 bytes). */
function opaqueRefreshToken (): string {
  return `rt.${randomBytes(1380).toString('base64url')}`
}

/**
 * Starts a faulty IdP serving `shared`'s keys (or a new pool's). Key generation is the slow part of a
 * rig: tests that do not rotate keys can share one pool per file.
 */
export async function startRig (t: Teardown, shared?: TestPool): Promise<Rig> {
  const pool = shared ?? await createTestPool()
  if (shared === undefined) t.teardown(() => pool.close())
  const idp = await startFaultyIdp({ poolId: pool.userPoolId })
  t.teardown(() => idp.close())

  // No keep-alive towards the faulty IdP. A long run of inject() calls is all microtasks: neither the
  // IdP server's idle-socket timer nor undici's runs until it ends, and then both fire at once; the next
  // call, already written to the pooled socket, meets a reset (ECONNRESET). A remote Cognito's timers
  // do not share our event loop, so this is a test artefact, not a plugin bug.
  const dispatcher = new Agent({ pipelining: 0 })
  t.teardown(() => dispatcher.close())
  const refreshTokens = new Map<string, RigUser>()
  const codes = new Map<string, { user: RigUser, nonce: string }>()
  const withIss = (user: TestUser): TestUser => ({ ...user, claims: { iss: idp.issuer, ...user.claims } })

  const rig: Rig = {
    pool,
    idp,
    rotation: false,
    grants: { authorization_code: 0, refresh_token: 0 },
    options: (overrides = {}) => ({
      ...pool.pluginOptions(),
      issuer: idp.issuer,
      domain: idp.url,
      timeout: 1000,
      dispatcher,
      ...overrides,
      jwks: { timeout: 1000, cooldown: 0, ...overrides.jwks }
    }),
    serveKeys: async () => {
      const res = await fetch(pool.jwksUri)
      idp.setJwksBody(await res.json() as object)
    },
    mintAccessToken: user => pool.mintAccessToken(withIss(user)),
    mintTokens: user => pool.mintTokens(withIss(user)),
    newRefreshToken: (user) => {
      const token = opaqueRefreshToken()
      refreshTokens.set(token, user)
      return token
    },
    codeFor: (user, nonce) => {
      const code = randomBytes(16).toString('hex')
      codes.set(code, { user, nonce })
      return code
    }
  }

  idp.onToken(async (form) => {
    const grantType = form.get('grant_type')
    if (grantType === 'authorization_code') {
      const entry = codes.get(form.get('code') ?? '')
      if (entry === undefined) return { status: 400, json: { error: 'invalid_grant' } }
      codes.delete(form.get('code') as string)
      rig.grants.authorization_code++
      const { user, nonce } = entry
      const { accessToken } = await rig.mintTokens(user)
      const idToken = await pool.mintIdToken({ ...withIss(user), nonce })
      return { json: { access_token: accessToken, id_token: idToken, refresh_token: rig.newRefreshToken(user), token_type: 'Bearer', expires_in: 3600 } }
    }
    if (grantType === 'refresh_token') {
      const old = form.get('refresh_token') ?? ''
      const user = refreshTokens.get(old)
      if (user === undefined) return { status: 400, json: { error: 'invalid_grant' } }
      rig.grants.refresh_token++
      // Rotation with no grace period: the old refresh token is refused from now on.
      const rotated = rig.rotation ? rig.newRefreshToken(user) : undefined
      if (rotated !== undefined) refreshTokens.delete(old)
      const { accessToken, idToken } = await rig.mintTokens(user)
      const json: Record<string, unknown> = { access_token: accessToken, id_token: idToken, token_type: 'Bearer', expires_in: 3600 }
      if (rotated !== undefined) json.refresh_token = rotated
      return { json }
    }
    return { status: 400, json: { error: 'unsupported_grant_type' } }
  })

  await rig.serveKeys()
  return rig
}

/** An app with the plugin and three routes: /public (unguarded), /me (authenticated), /admin (group admin). */
export async function buildApp (t: Teardown, options: FastifyCognitoOptions, before?: (app: FastifyInstance) => void): Promise<FastifyInstance> {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyCognito, options)
  app.get('/public', async () => ({ public: true }))
  app.get('/me', { preHandler: app.cognito.authenticate }, async request => ({
    username: request.cognito?.username,
    source: request.cognito?.source,
    hasIdToken: request.cognito?.idToken !== null
  }))
  app.get('/admin', { preHandler: app.cognito.requireGroups(['admin']) }, async () => ({ admin: true }))
  before?.(app)
  await app.ready()
  return app
}

/** A Cookie header from a name -> value map. */
export function cookieHeader (cookies: Record<string, string>): string {
  return Object.entries(cookies).map(([name, value]) => `${name}=${value}`).join('; ')
}

export interface SetCookie { name: string, value: string, cleared: boolean }

/** The Set-Cookie headers of a response, parsed; `cleared` when the cookie is deleted (empty value or Max-Age=0). */
export function setCookies (res: LightMyRequestResponse): SetCookie[] {
  const raw = res.headers['set-cookie']
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]
  return list.map((line) => {
    const [pair = '', ...attributes] = line.split(';').map(s => s.trim())
    const eq = pair.indexOf('=')
    const name = pair.slice(0, eq)
    const value = pair.slice(eq + 1)
    const cleared = value === '' || attributes.some(a => /^max-age=0$/i.test(a) || /^expires=thu, 01 jan 1970/i.test(a))
    return { name, value, cleared }
  })
}

/** The session cookies (access, ID, refresh and their chunks) a response clears. */
export function clearedSessionCookies (res: LightMyRequestResponse): string[] {
  return setCookies(res).filter(c => c.cleared && /^(__Host-)?cognito_(access|id|refresh)/.test(c.name)).map(c => c.name)
}

/** Applies a response's Set-Cookie headers to a cookie jar (name -> value). */
export function applySetCookies (jar: Record<string, string>, res: LightMyRequestResponse): Record<string, string> {
  const next = { ...jar }
  for (const c of setCookies(res)) {
    if (c.cleared) delete next[c.name]
    else next[c.name] = c.value
  }
  return next
}

/** Starts a login on `app`: the transaction cookie and the state and nonce sent to the hosted UI. */
export async function startLogin (app: FastifyInstance): Promise<{ cookie: string, state: string, nonce: string }> {
  const res = await app.inject({ url: '/login' })
  const location = new URL(String(res.headers.location))
  const tx = setCookies(res).find(c => c.name.includes('_tx_'))
  if (tx === undefined) throw new Error('the login set no transaction cookie')
  return { cookie: `${tx.name}=${tx.value}`, state: String(location.searchParams.get('state')), nonce: String(location.searchParams.get('nonce')) }
}

export const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))
