/**
 * The session lifecycle, one owner for every decision about a browser session: it starts (a login's
 * verified tokens), is resumed (a guarded request), is renewed (by a guard when the access token has
 * expired, or by `POST /refresh`), and ends (logout). Routes and guards call these methods and never a
 * store; a store (store.ts) decides only where the tokens live.
 *
 * The rule for the browser's session state, in one place:
 * - **written** when a session starts, and when a renewal succeeds (new access and ID tokens, and the
 *   refresh token when Cognito rotated it);
 * - **re-sealed** when a token was opened with an older secret (key rotation), so the next request
 *   opens it with the newest key;
 * - **cleared** when the session ends: logout (whether or not Cognito's revocation answered), and an
 *   explicit refresh that Cognito refused (the session is over and the user asked to know);
 * - **kept** whenever Cognito or the JWKS fails (502/503: nothing is lost while Cognito is down), and
 *   when a guard's own renewal is refused: a parallel request (another tab, another instance) may just
 *   have renewed the session, and clearing here could wipe the renewed cookies in the browser. The
 *   refused token is remembered, so it does not call Cognito again, and the guard answers 401.
 *
 * A store shared by several instances (Redis) may offer `exclusive`: a renewal then runs under the
 * session's lock, and a renewal that lost the race to another instance takes the winner's tokens
 * from the store instead of making a second grant (with rotation, a second grant would be refused).
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { JwksUnavailableError, NoRefreshTokenError, RefreshRejectedError, UnauthenticatedError } from '../errors.js'
import type { Grants, VerifiedTokens } from '../protocol/grants.js'
import { buildIdentity } from '../protocol/identity.js'
import type { Verifier } from '../protocol/verifier.js'
import type { Opened } from './codec.js'
import type { SessionStore } from './store.js'
import type { CognitoIdentity } from '../types.js'

/** The slice of configuration the lifecycle uses. */
export interface LifecycleConfig {
  /** The refresh flow is on: refresh tokens are kept and used. */
  refresh: boolean
  /** Guards renew an expired access token by themselves. */
  autoRefresh: boolean
}

export class SessionLifecycle {
  readonly #config: LifecycleConfig
  readonly #store: SessionStore
  readonly #verifier: Verifier
  readonly #grants: Grants

  constructor (config: LifecycleConfig, store: SessionStore, verifier: Verifier, grants: Grants) {
    this.#config = config
    this.#store = store
    this.#verifier = verifier
    this.#grants = grants
  }

  /** Starts the session of a login: the tokens Cognito issued, already verified. */
  async start (request: FastifyRequest, reply: FastifyReply, tokens: VerifiedTokens): Promise<CognitoIdentity> {
    await this.#store.create(request, reply, {
      accessToken: tokens.accessToken,
      ...(tokens.idToken !== undefined ? { idToken: tokens.idToken } : {}),
      ...(tokens.refreshToken !== undefined ? { refreshToken: tokens.refreshToken } : {})
    })
    return buildIdentity('cookie', tokens.access, tokens.id)
  }

  /** The identity of the request's session; renews an expired one when it can. Throws a coded 401, 502 or 503. */
  async resume (request: FastifyRequest, reply: FastifyReply, withIdToken: boolean): Promise<CognitoIdentity> {
    const access = await this.#store.read(request, 'access')
    let failure: unknown = new UnauthenticatedError()
    if (access !== undefined) {
      try {
        const claims = await this.#verifier.verifyAccessToken(access.value)
        if (access.rotated) await this.#store.update(request, reply, { accessToken: access.value })
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
    if (!this.#config.autoRefresh) throw failure
    const refresh = await this.#store.read(request, 'refresh')
    if (refresh === undefined) throw failure
    return this.#renew(request, reply, refresh, false)
  }

  /** Puts the session's verified ID token on the identity; a missing or unverifiable one leaves `idToken` null. */
  async loadIdToken (request: FastifyRequest, reply: FastifyReply, identity: CognitoIdentity): Promise<void> {
    const id = await this.#store.read(request, 'id')
    if (id === undefined) return
    try {
      const claims = await this.#verifier.verifyIdToken(id.value)
      if (claims.sub !== identity.sub) return
      identity.idToken = claims
      if (id.rotated) await this.#store.update(request, reply, { idToken: id.value })
    } catch {
      // An ID token that does not verify is left out. (A JWKS outage cannot get here: the access token was
      // just verified, so the keys are cached, and a warm cache keeps serving while Cognito is down.)
    }
  }

  /** `POST /refresh`: new tokens now. A refusal ends the session (see the rule above). */
  async renew (request: FastifyRequest, reply: FastifyReply): Promise<CognitoIdentity> {
    const refresh = this.#config.refresh ? await this.#store.read(request, 'refresh') : undefined
    if (refresh === undefined) throw new NoRefreshTokenError()
    try {
      return await this.#renew(request, reply, refresh, true)
    } catch (err) {
      if (err instanceof RefreshRejectedError) await this.#store.destroy(request, reply)
      throw err
    }
  }

  /** Logout: the refresh token is revoked at Cognito (a failure is logged) and the session cleared. */
  async end (request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const refresh = this.#config.refresh ? await this.#store.read(request, 'refresh') : undefined
    if (refresh !== undefined) {
      try {
        await this.#grants.revoke(refresh.value)
      } catch (err) {
        // The session ends anyway: the user asked to leave.
        request.log.warn({ code: (err as { code?: string }).code, reason: (err as Error).message }, 'fastify-cognito: revoking the refresh token failed')
      }
    }
    await this.#store.destroy(request, reply)
  }

  async #renew (request: FastifyRequest, reply: FastifyReply, refresh: Opened<string>, explicit: boolean): Promise<CognitoIdentity> {
    if (this.#store.exclusive === undefined) return this.#grant(request, reply, refresh, explicit)
    const renewed = await this.#store.exclusive(request, () => this.#grant(request, reply, refresh, explicit))
    if (renewed !== undefined) return renewed
    // Renewed by another holder of the lock: its tokens are in the store.
    const access = await this.#store.read(request, 'access')
    if (access === undefined) throw new UnauthenticatedError()
    const identity = buildIdentity('cookie', await this.#verifier.verifyAccessToken(access.value), null)
    await this.loadIdToken(request, reply, identity)
    return identity
  }

  async #grant (request: FastifyRequest, reply: FastifyReply, refresh: Opened<string>, explicit: boolean): Promise<CognitoIdentity> {
    const tokens = await this.#grants.refresh(refresh.value, { explicit })
    await this.#store.update(request, reply, {
      accessToken: tokens.accessToken,
      ...(tokens.idToken !== undefined ? { idToken: tokens.idToken } : {}),
      // Rotation: a new refresh token replaces the old one; without rotation the old one stays (re-sealed if it was opened with an older key).
      ...(tokens.refreshToken !== undefined ? { refreshToken: tokens.refreshToken } : refresh.rotated ? { refreshToken: refresh.value } : {})
    })
    return buildIdentity('cookie', tokens.access, tokens.id)
  }
}
