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
 * Lifetimes (`session` option), each checked when a session is resumed:
 * - **absolute**: older than `absoluteTimeout` since the user signed in (`auth_time`, signed by Cognito,
 *   so it holds across instances and secret rotations) ends the session;
 * - **idle**: unused for `idleTimeout` ends it; each use moves the clock, written at most once a minute;
 * - **refresh ahead**: an access token with less than `refreshAhead` left is renewed now; if that fails,
 *   the still-valid token serves.
 * - **cut off**: with a store that has `cutOff` (cookie sessions of `redisSessionStore({ mode: 'revocation' })`),
 *   a session that started before its user's "log out everywhere" ends, checked once the access token
 *   verifies (the user is known) on every resume and renewal.
 * An ending by timeout or cut-off clears the session (and revokes its refresh token) like a logout, and is
 * logged with its reason.
 *
 * The warm path (`resumeWarm`, warm.ts) answers at once when nothing above is due: a store that can
 * answer without waiting (cookies; Redis for a session in its local cache), tokens opened and verified
 * before, no renewal, re-sealing, lifetime, clock or cut-off to act on. Whenever one might apply it
 * answers `undefined`, and `resume` decides by the rules above: it never decides anything differently.
 *
 * A store shared by several instances (Redis) may offer `exclusive`: a renewal then runs under the
 * session's lock, and a renewal that lost the race to another instance takes the winner's tokens
 * from the store instead of making a second grant (with rotation, a second grant would be refused).
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { JwksUnavailableError, NoRefreshTokenError, RefreshRejectedError, SessionExpiredError, UnauthenticatedError } from '../errors.js'
import type { Grants, VerifiedTokens } from '../protocol/grants.js'
import { buildIdentity } from '../protocol/identity.js'
import type { Verifier } from '../protocol/verifier.js'
import type { Opened } from './codec.js'
import type { SessionStore } from './store.js'
import { TOUCH_EVERY_MS, warmIdentity } from './warm.js'
import { publish } from '../util/events.js'
import type { CognitoUserIdentity, FastifyCognitoOptions, SessionEnded } from '../types.js'

/** A renewed session: its identity and its raw access token. */
interface Renewed { identity: CognitoUserIdentity, accessToken: string }

/** The slice of configuration the lifecycle uses. */
export interface LifecycleConfig {
  /** The refresh flow is on: refresh tokens are kept and used. */
  refresh: boolean
  /** Guards renew an expired access token by themselves. */
  autoRefresh: boolean
  session: { absoluteTimeout: number | undefined, idleTimeout: number | undefined, refreshAhead: number | undefined }
  onLogout: FastifyCognitoOptions['onLogout']
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
  async start (request: FastifyRequest, reply: FastifyReply, tokens: VerifiedTokens): Promise<CognitoUserIdentity> {
    // A code grant always brings an ID token (the openid scope, checked by the grant) and a refresh token.
    await this.#store.create(request, reply, { accessToken: tokens.accessToken, idToken: tokens.idToken, refreshToken: tokens.refreshToken })
    if (this.#config.session.idleTimeout !== undefined) await this.#store.touch(request, reply, Date.now())
    publish('login', () => ({ sub: tokens.access.sub, username: tokens.access.username }))
    return buildIdentity('cookie', tokens.access, tokens.id, tokens.accessToken)
  }

  /** The identity of the request's session; renews an expired one when it can. Throws a coded 401, 502 or 503. */
  async resume (request: FastifyRequest, reply: FastifyReply, withIdToken: boolean): Promise<CognitoUserIdentity> {
    const identity = await this.#resume(request, reply, withIdToken)
    await this.#checkCutOff(request, reply, identity.sub)
    const { absoluteTimeout, idleTimeout } = this.#config.session
    if (absoluteTimeout !== undefined || idleTimeout !== undefined) await this.#checkLifetime(request, reply, identity)
    return identity
  }

  /**
   * {@link resume} without waiting, for a session whose tokens were opened and verified before when
   * nothing is due (see the header): its identity; `null` when the request has no session at all;
   * `undefined` when `resume` must decide.
   */
  resumeWarm (request: FastifyRequest, withIdToken: boolean): CognitoUserIdentity | null | undefined {
    return warmIdentity(this.#config, this.#store, this.#verifier, request, withIdToken)
  }

  async #resume (request: FastifyRequest, reply: FastifyReply, withIdToken: boolean): Promise<CognitoUserIdentity> {
    const access = await this.#store.read(request, 'access')
    // Made only when it is thrown: an error's stack trace is costly, and most requests succeed.
    let failure: unknown
    if (access !== undefined) {
      try {
        const claims = await this.#verifier.verifySessionAccessToken(access.value)
        const ahead = this.#config.session.refreshAhead
        if (ahead !== undefined && this.#config.autoRefresh && claims.exp - Date.now() / 1000 < ahead) {
          const renewed = await this.#renewAhead(request, reply)
          if (renewed !== undefined) return renewed
        }
        if (access.rotated) await this.#store.update(request, reply, { accessToken: access.value })
        const identity = buildIdentity('cookie', claims, null, access.value)
        if (withIdToken) await this.loadIdToken(request, reply, identity)
        return identity
      } catch (err) {
        // A JWKS outage cannot be renewed by a refresh.
        if (err instanceof JwksUnavailableError) throw err
        failure = err
      }
    }
    // No access token, or one that is expired or no longer verifiable (keys rotated, config changed): the refresh token can renew it.
    if (!this.#config.autoRefresh) throw failure ?? new UnauthenticatedError()
    const refresh = await this.#store.read(request, 'refresh')
    if (refresh === undefined) throw failure ?? new UnauthenticatedError()
    return (await this.#renew(request, reply, refresh, false)).identity
  }

  /**
   * The session's raw access token for the app's own calls to other APIs, renewed first (through the
   * refresh grant, the renewed cookies written) when it has less than `minTtl` seconds left. Throws a
   * coded 401 when there is no session or it cannot be renewed, 502 or 503 when Cognito fails.
   */
  async accessToken (request: FastifyRequest, reply: FastifyReply, minTtl: number): Promise<string> {
    const access = await this.#store.read(request, 'access')
    let failure: unknown
    let stillValid: string | undefined
    if (access !== undefined) {
      try {
        const claims = await this.#verifier.verifySessionAccessToken(access.value)
        if (claims.exp - Math.floor(Date.now() / 1000) >= minTtl) return access.value
        stillValid = access.value
      } catch (err) {
        if (err instanceof JwksUnavailableError) throw err
        failure = err
      }
    }
    const refresh = this.#config.refresh ? await this.#store.read(request, 'refresh') : undefined
    if (refresh === undefined) {
      // Nothing to renew with: a token close to its end still beats none.
      if (stillValid !== undefined) return stillValid
      throw failure ?? new UnauthenticatedError()
    }
    return (await this.#renew(request, reply, refresh, false)).accessToken
  }

  /** Puts the session's verified ID token on the identity; a missing or unverifiable one leaves `idToken` null. */
  async loadIdToken (request: FastifyRequest, reply: FastifyReply, identity: CognitoUserIdentity): Promise<void> {
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
  async renew (request: FastifyRequest, reply: FastifyReply): Promise<CognitoUserIdentity> {
    const refresh = await this.#store.read(request, 'refresh')
    if (refresh === undefined) throw new NoRefreshTokenError()
    let identity: CognitoUserIdentity
    try {
      identity = (await this.#renew(request, reply, refresh, true)).identity
    } catch (err) {
      if (err instanceof RefreshRejectedError) {
        await this.#store.destroy(request, reply)
        await this.#ended(request, { sub: undefined, reason: 'refused' })
      }
      throw err
    }
    await this.#checkCutOff(request, reply, identity.sub)
    return identity
  }

  /** Logout: the refresh token is revoked at Cognito (a failure is logged) and the session cleared. */
  async end (request: FastifyRequest, reply: FastifyReply, reason: SessionEnded['reason'] = 'logout'): Promise<void> {
    const sub = await this.#subOf(request)
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
    if (reason === 'logout') publish('logout', () => ({ sub }))
    await this.#ended(request, { sub, reason })
  }

  /** The session's user, read for the events of its end; `undefined` when its access token no longer verifies. */
  async #subOf (request: FastifyRequest): Promise<string | undefined> {
    const access = await this.#store.read(request, 'access')
    if (access === undefined) return undefined
    return this.#verifier.verifyAccessToken(access.value).then(claims => claims.sub, () => undefined)
  }

  async #ended (request: FastifyRequest, ended: SessionEnded): Promise<void> {
    publish('sessionEnded', () => ended)
    if (this.#config.onLogout === undefined) return
    try {
      await this.#config.onLogout(request, ended)
    } catch (err) {
      request.log.error({ err }, 'fastify-cognito: onLogout failed')
    }
  }

  /** Renews a still-valid access token early; `undefined` (the current token serves) when that is not possible now. */
  async #renewAhead (request: FastifyRequest, reply: FastifyReply): Promise<CognitoUserIdentity | undefined> {
    const refresh = await this.#store.read(request, 'refresh')
    if (refresh === undefined) return undefined
    try {
      return (await this.#renew(request, reply, refresh, false)).identity
    } catch (err) {
      request.log.debug({ code: (err as { code?: string }).code }, 'fastify-cognito: renewing ahead failed; the current access token serves')
      return undefined
    }
  }

  /** Ends a session past its absolute or idle timeout; moves the idle clock of one in use. */
  async #checkLifetime (request: FastifyRequest, reply: FastifyReply, identity: CognitoUserIdentity): Promise<void> {
    const { absoluteTimeout, idleTimeout } = this.#config.session
    const now = Date.now()
    const authTime = identity.accessToken.auth_time
    if (absoluteTimeout !== undefined && typeof authTime === 'number' && now / 1000 - authTime > absoluteTimeout) {
      return this.#expire(request, reply, 'absolute timeout')
    }
    if (idleTimeout === undefined) return
    const seen = await this.#store.lastSeen(request)
    if (seen !== undefined && now - seen > idleTimeout * 1000) return this.#expire(request, reply, 'idle timeout')
    if (seen === undefined || now - seen >= TOUCH_EVERY_MS) await this.#store.touch(request, reply, now)
  }

  /** Ends a session that started before its user's cut-off ("log out everywhere" in cookie mode). */
  async #checkCutOff (request: FastifyRequest, reply: FastifyReply, sub: string): Promise<void> {
    if (this.#store.cutOff === undefined || !await this.#store.cutOff(request, reply, sub)) return
    return this.#expire(request, reply, 'ended everywhere')
  }

  async #expire (request: FastifyRequest, reply: FastifyReply, reason: 'absolute timeout' | 'idle timeout' | 'ended everywhere'): Promise<never> {
    request.log.info({ reason }, 'fastify-cognito: session ended')
    await this.end(request, reply, reason)
    throw new SessionExpiredError(reason)
  }

  /** A renewal, under the store's lock when it has one (several instances): answers the identity and its raw access token. */
  async #renew (request: FastifyRequest, reply: FastifyReply, refresh: Opened<string>, explicit: boolean): Promise<Renewed> {
    if (this.#store.exclusive === undefined) return this.#grant(request, reply, refresh, explicit)
    const renewed = await this.#store.exclusive(request, () => this.#grant(request, reply, refresh, explicit))
    if (renewed !== undefined) return renewed
    // Renewed by another holder of the lock: its tokens are in the store.
    const access = await this.#store.read(request, 'access')
    if (access === undefined) throw new UnauthenticatedError()
    const identity = buildIdentity('cookie', await this.#verifier.verifySessionAccessToken(access.value), null, access.value)
    await this.loadIdToken(request, reply, identity)
    return { identity, accessToken: access.value }
  }

  async #grant (request: FastifyRequest, reply: FastifyReply, refresh: Opened<string>, explicit: boolean): Promise<Renewed> {
    const tokens = await this.#grants.refresh(refresh.value, { explicit })
    await this.#store.update(request, reply, {
      accessToken: tokens.accessToken,
      ...(tokens.idToken !== undefined ? { idToken: tokens.idToken } : {}),
      // Rotation: a new refresh token replaces the old one; without rotation the old one stays (re-sealed if it was opened with an older key).
      ...(tokens.refreshToken !== undefined ? { refreshToken: tokens.refreshToken } : refresh.rotated ? { refreshToken: refresh.value } : {})
    })
    return { identity: buildIdentity('cookie', tokens.access, tokens.id, tokens.accessToken), accessToken: tokens.accessToken }
  }
}
