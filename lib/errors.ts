/**
 * Every error the plugin raises, with a stable `FST_COGNITO_*` code and an HTTP status, and the one
 * place where lower-level errors (aws-jwt-verify, undici, the token endpoint) are mapped to them.
 */
import createError from '@fastify/error'
import {
  JwkInvalidKtyError, JwtExpiredError, JwtInvalidIssuerError, JwtInvalidSignatureAlgorithmError, JwtInvalidSignatureError,
  JwtNotBeforeError, JwtWithoutValidKidError, KidNotFoundInJwksError, ParameterValidationError
} from 'aws-jwt-verify/error'

/** A registration-time option problem: `ready()` fails with it. */
export const InvalidOptionError = createError('FST_COGNITO_INVALID_OPTION', 'fastify-cognito: option %s', 500, TypeError)

/** No session cookie and no bearer token. */
export const UnauthenticatedError = createError('FST_COGNITO_UNAUTHENTICATED', 'Authentication required', 401)
/** A token was presented but it is not one this app accepts (signature, issuer, client, use, shape). */
export const InvalidTokenError = createError('FST_COGNITO_INVALID_TOKEN', 'Invalid token: %s', 401)
/** A token was presented and it has expired (and no refresh could renew it). */
export const TokenExpiredError = createError('FST_COGNITO_TOKEN_EXPIRED', 'Token expired', 401)
/** The user is authenticated but lacks a required group. */
export const GroupRequiredError = createError('FST_COGNITO_GROUP_REQUIRED', 'Missing required group membership', 403)
/** The access token lacks a required scope. */
export const ScopeRequiredError = createError('FST_COGNITO_SCOPE_REQUIRED', 'Missing required scope', 403)
/** The application's own claims check refused the user. */
export const AccessDeniedError = createError('FST_COGNITO_ACCESS_DENIED', 'Access denied', 403)
/** The caller is of the other kind than the route allows: a machine where users are required, or the reverse. */
export const CallerKindError = createError('FST_COGNITO_WRONG_CALLER_KIND', 'This route is for %s callers', 403)
/** The caller's app client is not one this route allows. */
export const ClientNotAllowedError = createError('FST_COGNITO_CLIENT_NOT_ALLOWED', 'This app client may not call this route', 403)
/** Cognito's userInfo endpoint refused the access token: its sign-in was revoked (or the user disabled or deleted). */
export const TokenRevokedError = createError('FST_COGNITO_TOKEN_REVOKED', 'Token revoked', 401)
/** A state-changing route was called cross-site. */
export const CrossSiteRequestError = createError('FST_COGNITO_CROSS_SITE_REQUEST', 'Cross-site request refused', 403)

/** The callback has no matching, unexpired login transaction (state mismatch, replay, expired, cookies lost). */
export const LoginTransactionError = createError('FST_COGNITO_LOGIN_TRANSACTION', 'No matching login in progress (%s); start again at %s', 400)
/** The callback is malformed (no code). */
export const InvalidCallbackError = createError('FST_COGNITO_INVALID_CALLBACK', 'Invalid login callback: %s', 400)
/** Cognito redirected back with `?error=`. */
export const AuthorizeError = createError('FST_COGNITO_AUTHORIZE_ERROR', 'Cognito refused the login: %s', 400)
/** The ID token's nonce is not the one this login sent. */
export const NonceMismatchError = createError('FST_COGNITO_NONCE_MISMATCH', 'The ID token nonce does not match this login', 400)
/** Cognito refused the authorization code (used twice, expired, wrong verifier). */
export const CodeRejectedError = createError('FST_COGNITO_CODE_REJECTED', 'Cognito refused the authorization code (%s); start again at %s', 400)

/** No refresh token in the session. */
export const NoRefreshTokenError = createError('FST_COGNITO_NO_REFRESH_TOKEN', 'No refresh token in the session', 401)
/** Cognito refused the refresh token (expired, revoked, rotated away): the session is over. */
export const RefreshRejectedError = createError('FST_COGNITO_REFRESH_REJECTED', 'Cognito refused the refresh token (%s)', 401)

/** Cognito's token, revoke or userinfo endpoint failed: down, slow, 5xx, not JSON, no tokens, or it refused our client. */
export const IdpError = createError('FST_COGNITO_IDP_ERROR', 'Cognito endpoint failed: %s', 502)
/** Cognito answered with tokens that do not verify. */
export const IdpTokenError = createError('FST_COGNITO_IDP_TOKEN_INVALID', 'Cognito returned a token that does not verify: %s', 502)
/** The JWKS could not be fetched and no cached keys can answer. */
export const JwksUnavailableError = createError('FST_COGNITO_JWKS_UNAVAILABLE', 'Cognito signing keys are unavailable: %s', 503)

/** An OAuth error answer of Cognito's token endpoint (HTTP 400/401 with `{ error }`). Internal: mapped by the functions below. */
export class OAuthError extends Error {
  readonly error: string
  constructor (error: string, description: string | undefined) {
    super(description ? `${error}: ${description}` : error)
    this.name = 'OAuthError'
    this.error = error
  }
}

/** A call to Cognito that brought no whole answer in time. `reason` is words, never hosts, ports or socket codes. */
export class TransportError extends Error {
  readonly endpoint: string
  readonly reason: string
  constructor (endpoint: string, reason: string, options?: { cause?: unknown }) {
    super(`${endpoint} ${reason}`, options)
    this.name = 'TransportError'
    this.endpoint = endpoint
    this.reason = reason
  }
}

/** Raised by the JWKS cache when it cannot obtain keys. */
export class JwksFetchError extends Error {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'JwksFetchError'
  }
}

/** Keeps Cognito's error codes (letters and underscores) and drops anything else a client could inject. */
export function safeErrorCode (value: unknown): string {
  return typeof value === 'string' && /^[a-z_]{1,64}$/i.test(value) ? value : 'unknown_error'
}

/**
 * Maps an error from token verification to the plugin's 401 / 503 errors, keeping it as `cause`.
 * Anything not recognised is an invalid token: a client can send any bytes, and none of them may
 * produce a 500.
 */
export function toVerificationError (err: unknown): Error {
  if (err instanceof JwksFetchError) return new JwksUnavailableError(err.message, { cause: err })
  if (err instanceof JwtExpiredError) return new TokenExpiredError({ cause: err })
  if (isFastifyCognitoError(err)) return err
  return new InvalidTokenError(refusalReason(err), { cause: err })
}

/**
 * The reason an InvalidTokenError gives for one of aws-jwt-verify's refusals. Its messages quote the
 * token's own values; the reason given back is fixed by the kind of error.
 */
function refusalReason (err: unknown): string {
  if (err instanceof JwtInvalidSignatureError) return 'signature does not verify'
  if (err instanceof JwtInvalidSignatureAlgorithmError || err instanceof JwkInvalidKtyError) return 'alg is not RS256'
  if (err instanceof KidNotFoundInJwksError || err instanceof JwtWithoutValidKidError) return 'no key of the pool matches the token\'s kid'
  // The only ParameterValidationError a token can cause: its iss is not a configured issuer.
  if (err instanceof JwtInvalidIssuerError || err instanceof ParameterValidationError) return 'iss is not this user pool'
  if (err instanceof JwtNotBeforeError) return 'nbf is in the future'
  return 'malformed token'
}

/** Maps a failed JWKS fetch (transport, HTTP status, not a key set) to the cache's error. */
export function toJwksFetchError (err: unknown): JwksFetchError {
  const reason = err instanceof TransportError ? err.reason : (err as Error).message
  return new JwksFetchError(`JWKS fetch failed: ${reason}`, { cause: err })
}

/** Maps a failure of a call to Cognito's endpoints (a transport failure in words, or an already coded error) to a 502. */
export function toIdpError (err: unknown): Error {
  return isFastifyCognitoError(err) ? err : new IdpError((err as TransportError).message, { cause: err })
}

/**
 * Reads a token endpoint answer (RFC 6749 §5.1, §5.2): Cognito's `{ error }` answers become an
 * `OAuthError` (mapped by {@link toGrantError}), anything else that is not a token set a 502.
 */
export function tokenEndpointFailure (status: number, json: unknown): Error | undefined {
  const body = (json !== null && typeof json === 'object' ? json : {}) as Record<string, unknown>
  if ((status === 400 || status === 401) && typeof body.error === 'string') {
    return new OAuthError(safeErrorCode(body.error), typeof body.error_description === 'string' ? body.error_description.slice(0, 200) : undefined)
  }
  if (status !== 200) return new IdpError(`token endpoint answered HTTP ${status}`)
  if (json === undefined) return new IdpError('token endpoint answered something that is not JSON')
  return undefined
}

/** Which grant failed: the refused answer means a different thing for each. */
export type GrantType = 'authorization_code' | 'refresh_token'

/**
 * Maps a failed grant: `invalid_grant` is the user's (a code used twice or expired: 400; a refresh
 * token expired, revoked or rotated away: 401); any other OAuth error means Cognito refused our
 * client or request (502), and transport failures are 502 too.
 */
export function toGrantError (err: unknown, grant: GrantType, loginPath: string): Error {
  if (err instanceof OAuthError) {
    if (err.error === 'invalid_grant') {
      return grant === 'authorization_code'
        ? new CodeRejectedError(err.error, loginPath, { cause: err })
        : new RefreshRejectedError(err.error, { cause: err })
    }
    return new IdpError(`token endpoint refused the ${grant === 'authorization_code' ? 'code exchange' : 'refresh'}: ${err.error}`, { cause: err })
  }
  return toIdpError(err)
}

/** Maps a failed client credentials grant: every refusal (`invalid_client`, `invalid_scope`, ...) and every transport failure is a 502. */
export function toClientCredentialsError (err: unknown): Error {
  if (err instanceof OAuthError) return new IdpError(`token endpoint refused the client credentials grant: ${err.error}`, { cause: err })
  return toIdpError(err)
}

/**
 * Maps a userInfo answer: 401 means Cognito no longer honours the token (revoked, user disabled or
 * deleted), another status or a transport failure is Cognito's failure (502).
 */
export function toUserInfoError (err: unknown, status?: number): Error {
  if (status === 401) return new TokenRevokedError()
  if (status === 200) return new IdpError('userInfo endpoint answered something that is not a JSON object')
  if (status !== undefined) return new IdpError(`userInfo endpoint answered HTTP ${status}`)
  return toIdpError(err)
}

/** Maps a failed fetch of an ALB public key: an unknown `kid` (404, 403) is a token we cannot trust (401); anything else means the keys are unavailable (503). */
export function toAlbKeyError (err: unknown, status?: number): Error {
  if (status === 404 || status === 403) return new InvalidTokenError('ALB key not found')
  const reason = err instanceof TransportError ? err.reason : status === 200 ? 'answered something that is not a P-256 public key' : `answered HTTP ${status}`
  return new JwksUnavailableError(`ALB key fetch failed: ${reason}`, { cause: err })
}

/** Tokens Cognito just issued that do not verify are Cognito's failure (502); without keys it is a 503. */
export function toIssuedTokenError (err: unknown): Error {
  if (err instanceof JwksUnavailableError || err instanceof IdpError || err instanceof NonceMismatchError) return err
  const reason = err instanceof TokenExpiredError ? 'already expired' : (err as Error).message
  return new IdpTokenError(reason, { cause: err })
}

/** Cognito's authorize errors that mean Cognito failed, not the request. */
const AUTHORIZE_FAILURES = new Set(['server_error', 'temporarily_unavailable'])

/**
 * The error codes an authorize answer can carry (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6), which are the
 * ones Cognito documents. Only these are named back; anything else a link could carry is `unknown_error`.
 */
const AUTHORIZE_ERRORS = new Set([
  'invalid_request', 'unauthorized_client', 'access_denied', 'unsupported_response_type', 'invalid_scope',
  'server_error', 'temporarily_unavailable', 'login_required', 'interaction_required', 'consent_required',
  'account_selection_required'
])

/** Maps `?error=` on the callback of a login in progress: Cognito failing is a 502, a refused login a 400. */
export function toAuthorizeError (value: unknown): Error {
  const code = typeof value === 'string' && AUTHORIZE_ERRORS.has(value) ? value : 'unknown_error'
  return AUTHORIZE_FAILURES.has(code) ? new IdpError(`authorize answered ${code}`) : new AuthorizeError(code)
}

export function isFastifyCognitoError (err: unknown): err is Error & { code: string, statusCode: number } {
  const code = (err as { code?: unknown } | undefined)?.code
  return err instanceof Error && typeof code === 'string' && code.startsWith('FST_COGNITO_')
}

/** The login route's query is not usable (an identity provider, language or prompt Cognito would refuse). */
export const InvalidLoginRequestError = createError('FST_COGNITO_INVALID_LOGIN_REQUEST', 'Invalid login request: %s', 400)
/** Cognito issued a token too large to keep in the session cookies, even split into chunks. */
export const CookieBudgetError = createError('FST_COGNITO_TOKEN_TOO_LARGE', 'Cognito issued a %s token too large for the session cookies', 502)
/** The session reached its absolute or idle timeout (`session` option) and has ended. */
export const SessionExpiredError = createError('FST_COGNITO_SESSION_EXPIRED', 'Session ended: %s', 401)
/** The route needs a more recent sign-in than the session's (`maxAge` guard option, RFC 9470). */
export const StepUpRequiredError = createError('FST_COGNITO_STEP_UP_REQUIRED', 'A more recent sign-in is required (max_age %s)', 401)
/** The server-side session store (Redis) did not answer in time or failed: nothing was decided about the session. */
export const SessionStoreUnavailableError = createError('FST_COGNITO_SESSION_STORE_UNAVAILABLE', 'The session store is unavailable: %s', 503)
/** A request to a backend-for-frontend proxy without its anti-CSRF header (or with another value than the one configured). */
export const CsrfHeaderError = createError('FST_COGNITO_CSRF_HEADER_REQUIRED', 'The %s request header is required', 403)
/** The upstream of a backend-for-frontend proxy could not be reached, or broke off its answer. */
export const UpstreamUnavailableError = createError('FST_COGNITO_UPSTREAM_UNAVAILABLE', 'The upstream API is unavailable', 502)
/** The upstream of a backend-for-frontend proxy did not answer in time. */
export const UpstreamTimeoutError = createError('FST_COGNITO_UPSTREAM_TIMEOUT', 'The upstream API did not answer in time', 504)
/** A WebSocket upgrade under a backend-for-frontend prefix whose proxy does not carry WebSockets (`websocket: false`). */
export const WebSocketNotProxiedError = createError('FST_COGNITO_WEBSOCKET_NOT_PROXIED', 'WebSocket upgrades are not proxied under %s', 400)
