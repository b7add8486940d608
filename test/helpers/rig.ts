/**
 * A test rig for resilience tests: a test pool's keys and Cognito-shaped tokens, served through the
 * faulty IdP (JWKS, token and revoke endpoints whose behaviour tests switch); apps get `rig.options()`.
 *
 * The token endpoint answers like Cognito: `authorization_code` for codes made by {@link Rig.codeFor},
 * `refresh_token` for refresh tokens made by {@link Rig.newRefreshToken} (or issued by a grant);
 * with `rotation` on, each refresh returns a new refresh token and the old one is refused afterwards.
 */
import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { Agent } from 'undici'
import type { FastifyCognitoOptions } from '../../lib/types.js'
import { createTestPool, type TestPool, type TestUser } from '../../lib/testing/index.js'
import { parseSetCookies } from './cookies.js'
import { startFaultyIdp, type FaultyIdp } from './faulty-idp.js'
import type { Teardown } from './teardown.js'

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

export interface Login { cookie: string, state: string, nonce: string }

/** Starts a login on `app`: the transaction cookie and the state and nonce sent to the hosted UI. */
export async function startLogin (app: FastifyInstance): Promise<Login> {
  const res = await app.inject({ url: '/login' })
  const location = new URL(String(res.headers.location))
  const tx = parseSetCookies(res).find(c => c.name.endsWith('_tx'))
  if (tx === undefined) throw new Error('the login set no transaction cookie')
  return { cookie: `${tx.name}=${tx.value}`, state: String(location.searchParams.get('state')), nonce: String(location.searchParams.get('nonce')) }
}

/**
 * The hosted UI's redirect back to the app for `login`, with a code the rig exchanges for `user`'s
 * tokens (for `app.inject`); `cookie` adds cookies the browser holds besides the transaction cookie.
 */
export function callbackRequest (rig: Rig, login: Login, user: RigUser, cookie?: string): { url: string, query: Record<string, string>, headers: { cookie: string } } {
  return {
    url: '/auth/callback',
    query: { state: login.state, code: rig.codeFor(user, login.nonce) },
    headers: { cookie: cookie === undefined ? login.cookie : `${login.cookie}; ${cookie}` }
  }
}
