/**
 * Every error the plugin raises, with a stable `FST_COGNITO_*` code and an HTTP status, and the one
 * place where lower-level errors (jose, undici, the token endpoint) are mapped to them.
 */
import createError from '@fastify/error'
import { errors as joseErrors } from 'jose'

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

/** An OAuth error answer of Cognito's token endpoint (HTTP 400/401 with `{ error }`). */
export class OAuthError extends Error {
  readonly error: string
  constructor (error: string, description: string | undefined) {
    super(description ? `${error}: ${description}` : error)
    this.name = 'OAuthError'
    this.error = error
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
  if (err instanceof joseErrors.JWTExpired) return new TokenExpiredError({ cause: err })
  if (isFastifyCognitoError(err)) return err
  const reason = err instanceof joseErrors.JOSEError ? err.code : 'malformed token'
  return new InvalidTokenError(reason, { cause: err })
}

/** Maps a failure of a call to Cognito's endpoints (undici error, timeout, bad answer) to a 502. */
export function toIdpError (err: unknown, endpoint: string): Error {
  if (isFastifyCognitoError(err)) return err
  const reason = err instanceof Error && err.name === 'TimeoutError'
    ? 'timed out'
    : (err as { code?: string })?.code ?? (err instanceof Error ? err.message : 'failed')
  return new IdpError(`${endpoint} ${reason}`, { cause: err })
}

export function isFastifyCognitoError (err: unknown): err is Error & { code: string, statusCode: number } {
  const code = (err as { code?: unknown } | undefined)?.code
  return err instanceof Error && typeof code === 'string' && code.startsWith('FST_COGNITO_')
}

/** The login route's query is not usable (an identity provider, language or prompt Cognito would refuse). */
export const InvalidLoginRequestError = createError('FST_COGNITO_INVALID_LOGIN_REQUEST', 'Invalid login request: %s', 400)
