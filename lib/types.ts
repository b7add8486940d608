/**
 * Public types: the options, the claims, the identity on the request, and the Fastify augmentation.
 */
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import type { Dispatcher } from 'undici'
import type { CognitoIdentity, CognitoMachineAccessTokenClaims } from './identity-types.js'

export type {
  AlbDataClaims, CognitoAlbIdentity, CognitoIdentity, CognitoMachineAccessTokenClaims, CognitoMachineIdentity, CognitoUserIdentity
} from './identity-types.js'
import type { SessionStoreFactory } from './session/store.js'

export type { SessionStoreFactory } from './session/store.js'
export type {
  AccessDenied, AlbOptions, CognitoOpenapi, CognitoSecurityScheme, CognitoSessions, SecurityRequirement, SessionEnded, SessionInfo, SessionLifetimeOptions
} from './feature-types.js'
import type { AlbOptions, CognitoOpenapi, CognitoSessions, SessionEnded, AccessDenied, SessionLifetimeOptions } from './feature-types.js'

/** SameSite attribute of the plugin's cookies. */
export type SameSite = 'lax' | 'strict' | 'none'

/** Options of `fastify.register(fastifyCognito, options)`. Durations are in seconds unless the name says ms. */
export interface FastifyCognitoOptions {
  /** The user pool id, `<region>_<id>`. Env: `AWS_COGNITO_USER_POOL_ID`. */
  userPoolId: string
  /** AWS region; read from `userPoolId` when absent. Env: `AWS_REGION`. */
  region?: string
  /** The app client id. Env: `AWS_COGNITO_USER_POOL_CLIENT_ID`. */
  clientId: string
  /** The app client secret; absent for a public client. Env: `AWS_COGNITO_USER_POOL_CLIENT_SECRET`. */
  clientSecret?: string
  /** The hosted UI (managed login) domain, `https://<prefix>.auth.<region>.amazoncognito.com` or a custom domain. Env: `AWS_COGNITO_DOMAIN`. */
  domain: string
  /** The callback URL registered on the app client, absolute. Env: `AWS_COGNITO_REDIRECT_URL`. */
  redirectUri: string
  /** The sign-out URL registered on the app client, absolute. Env: `AWS_COGNITO_LOGOUT_URL`. */
  logoutUri: string
  /** Cookie encryption secret, at least 32 characters; or a list, newest first, for rotation. Env: `SECRET_KEY`. */
  secret: string | Buffer | ReadonlyArray<string | Buffer>
  /** Scopes asked at login; must include `openid`. Default `['openid']`. Env: `AWS_COGNITO_SCOPES` (space or comma separated). */
  scopes?: readonly string[]
  /** Overrides the issuer `https://cognito-idp.<region>.amazonaws.com/<userPoolId>` (emulators, tests). Env: `AWS_COGNITO_ISSUER`. */
  issuer?: string
  /** More accepted issuers (for example the multi-region `issuer-cognito-idp` form). */
  additionalIssuers?: readonly string[]
  /** Clock tolerance for `exp`, `nbf` and `iat`, in seconds. Default 5. Env: `AWS_COGNITO_EXPIRATION_LEEWAY`. */
  leeway?: number
  /** Turns every guard off (they let every request through) and warns at start. Default false. Env: `AWS_COGNITO_DISABLED`. */
  disabled?: boolean
  /** Refresh flow: the refresh token is kept (encrypted) and used. Default true. Env: `AWS_COGNITO_REFRESH_FLOW_ENABLED`. */
  refresh?: boolean
  /** Guards renew an expired access token with the refresh token by themselves. Default true. */
  autoRefresh?: boolean
  /** Where to go after login when the login had no `returnTo`. Default `'/'`. */
  defaultReturnTo?: string
  /** Route paths, or `false` to not mount one. Defaults: `/login`, the path of `redirectUri`, `/refresh`, `/logout`. */
  routes?: {
    login?: string | false
    callback?: string | false
    refresh?: string | false
    logout?: string | false
    /** Starts a login at Cognito's sign-up page. Default `/signup`. */
    signup?: string | false
    /** Sends a signed-in user to Cognito's passkey enrolment and back. Default `/passkeys/add`. */
    passkeys?: string | false
  }
  /** Languages of your managed login pages (`['en', 'fr', 'de']`): a login without `lang` picks one from `Accept-Language`. Default none. */
  languages?: readonly string[]
  /** Session lifetimes, in seconds; each is off unless set. */
  session?: SessionLifetimeOptions
  /** Runs after a successful login instead of the redirect to `returnTo`, like flask-cognito-lib's `@cognito_login_callback` handler. */
  onLogin?: (request: FastifyRequest, reply: FastifyReply, login: LoginResult) => unknown
  /** Runs when a session ends (logout, a refused refresh, a timeout), after the cookies are cleared: auditing. Errors are logged, not thrown. */
  onLogout?: (request: FastifyRequest, ended: SessionEnded) => unknown
  /** Runs when a guard refuses a request (401 or 403), before the answer: auditing. Errors are logged, not thrown. */
  onDenied?: (request: FastifyRequest, denied: AccessDenied) => unknown
  /** Cookie settings. */
  cookie?: CookieOptions
  /** Where guards look for a token. Default: both. */
  tokenSources?: { cookie?: boolean, bearer?: boolean }
  /** A browser navigation (GET, `Accept: text/html`) without a session is sent to login with `returnTo`. Default true. */
  redirectToLogin?: boolean
  /** Timeout of each call to Cognito's endpoints, in ms. Default 5000. */
  timeout?: number
  /** JWKS cache: fetch timeout (ms, default `timeout`), cooldown between refetches on an unknown `kid` (ms, default 30000), max age of the cached set (ms, default 3600000), fetch at start (default true). */
  jwks?: { timeout?: number, cooldown?: number, maxAge?: number, warmup?: boolean }
  /** Number of verified tokens kept in memory. Default 1000. */
  tokenCacheSize?: number
  /** The undici dispatcher for calls to Cognito (proxies, tests). Default: undici's global dispatcher. */
  dispatcher?: Dispatcher
  /** More app clients whose access tokens the bearer guards accept (a mobile app, partners' machine clients). ID tokens and session cookies stay for `clientId` only. */
  acceptClientIds?: readonly string[]
  /** Resource binding: the login asks Cognito for `resource=<value>`, which Cognito puts in the access token's `aud`. `https://`, `http://localhost` or a custom scheme URI. */
  resource?: string
  /** The access token's `aud` must contain this value (or one of these); without it, `aud` is not checked. */
  audience?: string | readonly string[]
  /** A confidential app client for `app.cognito.clientCredentials()`: the app's own calls to other APIs. */
  machineClient?: { clientId: string, clientSecret: string }
  /** How long a `checkRevoked` answer of userInfo is reused for the same token, in seconds. Default 30. */
  revocationCheckTtl?: number
  /** Behind an Application Load Balancer that authenticates users: trust its signed `x-amzn-oidc-data` header. */
  alb?: AlbOptions
  /**
   * Where browser sessions live. Default: in sealed cookies. `redisSessionStore({ client })` from
   * `fastify-cognito/redis` keeps them in Redis, with one session-id cookie in the browser.
   */
  sessionStore?: SessionStoreFactory
}

/** Cookie settings of `FastifyCognitoOptions.cookie`. */
export interface CookieOptions {
  /** Cookie `Domain`. Default none (host-only). Env: `AWS_COGNITO_COOKIE_DOMAIN`. */
  domain?: string
  /** Default `'lax'`. `'none'` needs `secure`. Env: `AWS_COGNITO_COOKIE_SAMESITE`. */
  sameSite?: SameSite
  /** Default true, except when `redirectUri` is plain-HTTP localhost. */
  secure?: boolean
  /** Prefix of the cookie names. Default `'cognito'`; `__Host-` is added when the cookies are Secure with no Domain. */
  name?: string
  /** Max age of the access and ID token cookies, seconds. Default 3600. Env: `AWS_COGNITO_COOKIE_AGE_SECONDS`. */
  maxAge?: number
  /** Max age of the refresh token cookie, seconds. Default 86400. Env: `AWS_COGNITO_REFRESH_COOKIE_AGE_SECONDS`. */
  refreshMaxAge?: number
  /** Max age of a login transaction cookie, seconds. Default 600. */
  transactionMaxAge?: number
}

/** Claims common to Cognito's access and ID tokens. Augment `CognitoCustomClaims` for `custom:*` attributes. */
export interface CognitoCommonClaims {
  sub: string
  iss: string
  exp: number
  iat: number
  auth_time?: number
  jti?: string
  origin_jti?: string
  event_id?: string
  'cognito:groups'?: string[]
  [claim: string]: unknown
}

/**
 * Merge in the claims a pre-token-generation trigger adds to access tokens:
 * `declare module 'fastify-cognito' { interface CognitoAccessTokenCustomClaims { tenant: string } }`.
 */
export interface CognitoAccessTokenCustomClaims {}

/** Claims of a Cognito access token (no `aud`; `client_id` instead). */
export interface CognitoAccessTokenClaims extends CognitoCommonClaims, CognitoAccessTokenCustomClaims {
  token_use: 'access'
  client_id: string
  scope?: string
  username: string
  version?: number
}

/** Merge your own ID token attributes in: `declare module 'fastify-cognito' { interface CognitoCustomClaims { 'custom:tenant': string } }`. */
export interface CognitoCustomClaims {}

/** Claims of a Cognito ID token: the user's attributes. */
export interface CognitoIdTokenClaims extends CognitoCommonClaims, CognitoCustomClaims {
  token_use: 'id'
  aud: string
  'cognito:username': string
  email?: string
  email_verified?: boolean
  nonce?: string
  at_hash?: string
}

/** Passed to `onLogin`. */
export interface LoginResult {
  identity: CognitoIdentity
  /** The sanitized same-origin path the login asked to return to, or `defaultReturnTo`. */
  returnTo: string
}

/**
 * Declare your user pool's groups, and the compiler checks every group name a guard is given:
 * `declare module 'fastify-cognito' { interface CognitoGroups { admin: true, editor: true } }`.
 */
export interface CognitoGroups {}

/** A group name a guard accepts: a key of `CognitoGroups` once the app declares its groups, else any string. */
export type CognitoGroupName = keyof CognitoGroups extends never ? string : Extract<keyof CognitoGroups, string>

/** Options of a guard. */
export interface GuardOptions {
  /** Groups the user must belong to: all of them, or any of them with `anyGroup`. */
  groups?: readonly CognitoGroupName[]
  /** Any one of `groups` is enough (flask-cognito-lib's `any_group=True`). Default false. */
  anyGroup?: boolean
  /** Scopes the access token must all have. */
  scopes?: readonly string[]
  /** The app's own check on the identity; false means 403. */
  check?: (identity: CognitoIdentity, request: FastifyRequest) => boolean | Promise<boolean>
  /** Load and verify the ID token of cookie sessions onto `request.cognito.idToken`. Default true. */
  idToken?: boolean
  /** Overrides the plugin's `redirectToLogin` for this guard. */
  redirectToLogin?: boolean
  /** Identify the caller when there is a valid session or token, and let anonymous requests through with `request.cognito` null. Default false. */
  optional?: boolean
  /** Only callers of this kind: `'user'` (people) or `'machine'` (client credentials tokens); the other kind gets a 403. */
  kind?: 'user' | 'machine'
  /** Only callers whose app client is one of these ids (403 otherwise). */
  clients?: readonly string[]
  /** The access token's `aud` must contain this value (or one of these values); 401 otherwise. */
  audience?: string | readonly string[]
  /** Ask Cognito's userInfo endpoint whether the user's token was revoked (cached `revocationCheckTtl` seconds per token). Default false. */
  checkRevoked?: boolean
  /** With `optional`: an anonymous browser page view tries silent sign-in (`prompt=none`) once per browser session. Default false. */
  silentLogin?: boolean
  /** Seconds since the user signed in (`auth_time`) beyond which the route needs a fresh sign-in: a page goes to login with `prompt=login`, an API call gets 401 `insufficient_user_authentication` (RFC 9470). */
  maxAge?: number
}

/** Options of `fastify.cognito.login()` and the login route's query. */
export interface LoginOptions {
  /** Same-origin path to come back to after login; anything else falls back to `defaultReturnTo`. */
  returnTo?: string
  /** Skip the chooser: `COGNITO`, `Google`, `Facebook`, `LoginWithAmazon`, `SignInWithApple` or a federated IdP's name. */
  identityProvider?: string
  /** Skip the chooser by one of a federated IdP's identifiers (an email domain, for example); instead of `identityProvider`. */
  idpIdentifier?: string
  /** The managed login page's language; without it, chosen from `Accept-Language` among the plugin's `languages`. */
  lang?: string
  /** `none` (silent sign-in: no page, anonymous when there is no session at Cognito), or `login`, `select_account`, `consent` (space-separated). */
  prompt?: string
  /** Pre-fills the user name on the sign-in page. */
  loginHint?: string
}

/** Tokens as stored in the session cookies. */
export interface SessionTokens {
  accessToken: string
  idToken?: string
  refreshToken?: string
}

/** The `fastify.cognito` decorator. */
export interface FastifyCognito {
  /** A guard that requires an authenticated user (use as `preHandler`). */
  readonly authenticate: preHandlerAsyncHookHandler
  /** Identifies the caller when signed in and lets anonymous requests through (`request.cognito` null): public pages that show who is signed in. */
  readonly identify: preHandlerAsyncHookHandler
  /** A guard with group, scope and custom checks: flask-cognito-lib's `@auth_required(groups, any_group)`. */
  guard (options?: GuardOptions): preHandlerAsyncHookHandler
  /** Requires every one of `groups`. */
  requireGroups (groups: readonly CognitoGroupName[]): preHandlerAsyncHookHandler
  /** Requires at least one of `groups`. */
  requireAnyGroup (groups: readonly CognitoGroupName[]): preHandlerAsyncHookHandler
  /** Requires every one of `scopes` on the access token. */
  requireScopes (scopes: readonly string[]): preHandlerAsyncHookHandler
  /** Requires the app's own check to pass. */
  requireClaims (check: NonNullable<GuardOptions['check']>): preHandlerAsyncHookHandler
  /** Verifies a Cognito access token by this app's rules; throws a coded 401/503 error. */
  verifyAccessToken (token: string): Promise<CognitoAccessTokenClaims | CognitoMachineAccessTokenClaims>
  /** Verifies a Cognito ID token by this app's rules (and its nonce when given). */
  verifyIdToken (token: string, nonce?: string): Promise<CognitoIdTokenClaims>
  /** Starts a login from the app's own handler: sets the transaction cookie and redirects to the hosted UI. */
  login (request: FastifyRequest, reply: FastifyReply, options?: LoginOptions): FastifyReply
  /**
   * Seals tokens into the session cookies (name → value), as the callback would; for tests and server-side logins.
   * With a `sessionStore` it is the session-id cookie of a new stored session, written in the background:
   * requests to this app wait for that write; `await sessions.create(tokens)` before using it on another instance.
   */
  sealSession (tokens: SessionTokens): Record<string, string>
  /** The URL of Cognito's logout endpoint for this client. */
  readonly logoutUrl: string
  /** An access token of `machineClient` for the app's own outbound calls (client credentials grant), cached per scope set and renewed ahead. */
  clientCredentials (options?: { scopes?: readonly string[] }): Promise<string>
  /** The caller's raw access token (bearer and ALB requests: the one sent), renewed first when a session's token has less than 60 s left. */
  accessToken (request: FastifyRequest, reply: FastifyReply): Promise<string>
  /** The signed-in user's attributes, fresh from Cognito's userInfo endpoint; 401 `FST_COGNITO_TOKEN_REVOKED` when Cognito no longer honours the token. */
  userInfo (request: FastifyRequest): Promise<Record<string, unknown>>
  /** OpenAPI: this pool's security schemes, and the security requirement of a guard. */
  readonly openapi: CognitoOpenapi
  /** List and end users' sessions. Needs the `sessionStore` option: without it each method rejects with `FST_COGNITO_INVALID_OPTION`. */
  readonly sessions: CognitoSessions
}

declare module 'fastify' {
  interface FastifyInstance {
    cognito: FastifyCognito
  }
  interface FastifyContextConfig {
    /** Guards the route in `onRequest`: `true` (signed in) or a guard's options (`{ groups: ['admin'] }`). */
    cognito?: boolean | GuardOptions
  }
  interface FastifyRequest {
    /** The verified identity, set by a fastify-cognito guard; `null` on routes no guard protects. */
    cognito: CognitoIdentity | null
  }
}
