/**
 * Who is calling: the access token from `Authorization: Bearer` or from the session cookie, verified;
 * an expired cookie session renewed with its refresh token; the ID token loaded when asked for.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import {
  IdpError, IdpTokenError, InvalidTokenError, JwksUnavailableError, NoRefreshTokenError, OAuthError,
  RefreshRejectedError, TokenExpiredError, UnauthenticatedError
} from './errors.js'
import type { ResolvedConfig } from './options.js'
import type { Refresher } from './refresher.js'
import type { Opened, SessionStore } from './session.js'
import type { TokenSet } from './token-client.js'
import { groupsOf, scopesOf } from './verifier.js'
import type { Verifier } from './verifier.js'
import type { CognitoAccessTokenClaims, CognitoIdentity, CognitoIdTokenClaims } from './types.js'

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

export function buildIdentity (source: CognitoIdentity['source'], access: CognitoAccessTokenClaims, id: CognitoIdTokenClaims | null): CognitoIdentity {
  return {
    source,
    sub: access.sub,
    username: access.username,
    groups: groupsOf(access),
    scopes: scopesOf(access),
    accessToken: access,
    idToken: id
  }
}

export class Authenticator {
  readonly #config: ResolvedConfig
  readonly #store: SessionStore
  readonly #verifier: Verifier
  readonly #refresher: Refresher

  constructor (config: ResolvedConfig, store: SessionStore, verifier: Verifier, refresher: Refresher) {
    this.#config = config
    this.#store = store
    this.#verifier = verifier
    this.#refresher = refresher
  }

  /** The bearer token of the request, `undefined` when there is no Bearer Authorization header; throws on a malformed one. */
  bearerToken (request: FastifyRequest): string | undefined {
    const header = request.headers.authorization
    if (!this.#config.tokenSources.bearer || !isBearerScheme(header)) return undefined
    const match = BEARER.exec(header as string)
    if (!match) throw new InvalidTokenError('malformed Authorization header')
    return match[1]
  }

  /** Identifies the caller; throws a coded 401, 502 or 503. */
  async identify (request: FastifyRequest, reply: FastifyReply, withIdToken: boolean): Promise<CognitoIdentity> {
    const bearer = this.bearerToken(request)
    if (bearer !== undefined) return buildIdentity('bearer', await this.#verifier.verifyAccessToken(bearer), null)
    if (!this.#config.tokenSources.cookie) throw new UnauthenticatedError()

    const access = this.#store.readToken(request, 'access')
    let failure: unknown = new UnauthenticatedError()
    if (access !== undefined) {
      try {
        const claims = await this.#verifier.verifyAccessToken(access.value)
        if (access.rotated) this.#store.writeTokens(request, reply, { accessToken: access.value })
        const identity = buildIdentity('cookie', claims, null)
        if (withIdToken) await this.loadIdToken(request, reply, identity)
        return identity
      } catch (err) {
        // A JWKS outage cannot be renewed by a refresh.
        if (err instanceof JwksUnavailableError) throw err
        failure = err
      }
    }
    // No access token, or one that is expired or no longer verifiable (keys rotated, config changed): the refresh token can renew it.
    const refresh = this.#config.autoRefresh ? this.#store.readToken(request, 'refresh') : undefined
    if (refresh === undefined) throw failure
    return this.refreshSession(request, reply, refresh)
  }

  /** Puts the session's verified ID token on the identity; a missing or unverifiable one leaves `idToken` null. */
  async loadIdToken (request: FastifyRequest, reply: FastifyReply, identity: CognitoIdentity): Promise<void> {
    const id = this.#store.readToken(request, 'id')
    if (id === undefined) return
    try {
      const claims = await this.#verifier.verifyIdToken(id.value)
      if (claims.sub !== identity.sub) return
      identity.idToken = claims
      if (id.rotated) this.#store.writeTokens(request, reply, { idToken: id.value })
    } catch {
      // An ID token that does not verify is left out. (A JWKS outage cannot get here: the access token was
      // just verified, so the keys are cached, and a warm cache keeps serving while Cognito is down.)
    }
  }

  /**
   * Exchanges the session's refresh token and stores the new tokens (and a rotated refresh token).
   * Throws 401 when there is none or Cognito refuses it, 502 when Cognito fails, 503 without keys;
   * it never clears cookies itself: that is the caller's decision.
   */
  async refreshSession (request: FastifyRequest, reply: FastifyReply, refresh: Opened<string> | undefined = this.#store.readToken(request, 'refresh')): Promise<CognitoIdentity> {
    if (refresh === undefined) throw new NoRefreshTokenError()
    let tokens: TokenSet
    try {
      tokens = await this.#refresher.refresh(refresh.value)
    } catch (err) {
      if (err instanceof OAuthError) {
        if (err.error === 'invalid_grant') throw new RefreshRejectedError(err.error, { cause: err })
        throw new IdpError(`token endpoint refused the refresh: ${err.error}`, { cause: err })
      }
      throw err
    }
    const { access, id } = await this.verifyTokenSet(tokens)
    this.#store.writeTokens(request, reply, {
      accessToken: tokens.access_token,
      ...(tokens.id_token !== undefined ? { idToken: tokens.id_token } : {}),
      // Rotation: a new refresh token replaces the old one; without rotation the old one stays.
      ...(tokens.refresh_token !== undefined ? { refreshToken: tokens.refresh_token } : refresh.rotated ? { refreshToken: refresh.value } : {})
    })
    return buildIdentity('cookie', access, id)
  }

  /** Verifies the tokens Cognito just issued; one that does not verify is Cognito's failure (502), or 503 without keys. */
  async verifyTokenSet (tokens: TokenSet): Promise<{ access: CognitoAccessTokenClaims, id: CognitoIdTokenClaims | null }> {
    try {
      const access = await this.#verifier.verifyAccessToken(tokens.access_token)
      const id = tokens.id_token === undefined ? null : await this.#verifier.verifyIdToken(tokens.id_token)
      if (id !== null && id.sub !== access.sub) throw new InvalidTokenError('the ID and access tokens are for different users')
      return { access, id }
    } catch (err) {
      if (err instanceof JwksUnavailableError) throw err
      const reason = err instanceof TokenExpiredError ? 'already expired' : (err as Error).message
      throw new IdpTokenError(reason, { cause: err })
    }
  }
}
