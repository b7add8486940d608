/**
 * Public types of the optional features: session lifetimes, the sessions API of a store, the events'
 * messages, OpenAPI, the ALB option. Re-exported by `types.ts`.
 */
import type { SessionTokens } from './types.js'

/** `FastifyCognitoOptions.alb`. */
export interface AlbOptions {
  /** The ARNs of the load balancers allowed to sign the header. */
  signers: readonly string[]
  /** Region of the ALB public keys; read from the first signer ARN when absent. */
  region?: string
  /** Overrides `https://public-keys.auth.elb.<region>.amazonaws.com` (tests). */
  keysUrl?: string
}

/** Session lifetimes of `FastifyCognitoOptions.session`, in seconds. */
export interface SessionLifetimeOptions {
  /** A session ends at most this long after the user signed in (`auth_time`), whatever the refresh token's own life. */
  absoluteTimeout?: number
  /** A session unused this long ends. Each guarded request moves it on (at most one cookie write a minute). */
  idleTimeout?: number
  /** A guard renews an access token that has less than this long left, so a downstream call made with it does not fail a moment later. */
  refreshAhead?: number
}

/** One signed-in browser of a user, as `sessions.list` shows it: never a token. */
export interface SessionInfo {
  /** What `sessions.end` takes. Not the session-id cookie's value: knowing it does not sign anyone in. */
  id: string
  /** When the session started (the login). */
  created: Date
  /** The last request seen, to within the store's touch interval. */
  lastSeen: Date
  /** The `User-Agent` of the login, cut to 256 characters. */
  userAgent: string | undefined
}

/** `fastify.cognito.sessions`: the sessions of a server-side store (`sessionStore`). */
export interface CognitoSessions {
  /** Starts a stored session (as a login would) and answers its cookie (name → value) once the store holds it. */
  create (tokens: SessionTokens): Promise<Record<string, string>>
  /** The user's live sessions, oldest first. */
  list (sub: string): Promise<SessionInfo[]>
  /** Ends one session (its refresh token revoked at Cognito); false when it had already ended. Its next request, on any instance, is a 401. */
  end (id: string): Promise<boolean>
  /**
   * Ends every session of the user ("log out everywhere"); answers how many were ended. With
   * `redisSessionStore({ mode: 'revocation' })` (cookie sessions) it sets the user's cut-off and answers 0: the count is not known.
   */
  endAll (sub: string): Promise<number>
}

/** Passed to `onLogout`, and published on the `fastify-cognito:session-ended` channel. */
export interface SessionEnded {
  /** The user, when the session could still be read. */
  sub: string | undefined
  reason: 'logout' | 'refused' | 'absolute timeout' | 'idle timeout' | 'ended everywhere'
}

/** Passed to `onDenied`, and published on the `fastify-cognito:denied` channel. */
export interface AccessDenied {
  /** The error code: `FST_COGNITO_UNAUTHENTICATED`, `FST_COGNITO_TOKEN_EXPIRED`, `FST_COGNITO_GROUP_REQUIRED`... */
  reason: string
  statusCode: number
  /** The user, when authenticated (a 403). */
  sub: string | undefined
}

/** An OpenAPI 3 security scheme of the plugin, as `components.securitySchemes` holds it. */
export type CognitoSecurityScheme =
  | { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: string }
  | { type: 'apiKey', in: 'cookie', name: string, description: string }

/** One OpenAPI security requirement: scheme label → scopes. A route's `security` lists alternatives. */
export type SecurityRequirement = Record<string, string[]>

/** `fastify.cognito.openapi`. */
export interface CognitoOpenapi {
  /** `{ cognitoBearer, cognitoCookie }` (named after `cookie.name`): the same as `openapiSecuritySchemes(options)`. */
  readonly securitySchemes: Readonly<Record<string, CognitoSecurityScheme>>
  /** The `security` of a route a guard protects where the plugin cannot see it (`app.auth([...])`, a context-wide hook). */
  security (options?: { scopes?: readonly string[], optional?: boolean }): SecurityRequirement[]
}
