/**
 * Public types of `fastify-cognito/local`. Kept free of oidc-provider types, so that the published
 * declarations compile without the optional peer dependency installed.
 */

/**
 * A user of the local user pool. The password is checked in plain text: this is a development
 * stand-in, never a place for real credentials.
 *
 * @example
 * ```ts
 * const carol: LocalCognitoUser = {
 *   username: 'carol',
 *   password: 'Passw0rd!',
 *   email: 'carol@example.com',
 *   groups: ['billing'],
 *   attributes: { name: 'Carol Example', 'custom:tenant': 'acme' }
 * }
 * ```
 */
export interface LocalCognitoUser {
  /** Sign-in name: `username` in access tokens, `cognito:username` in ID tokens. */
  username: string
  /** Password typed into the hosted UI's login form. */
  password: string
  /** `email` claim; `email_verified` is `true` unless `attributes.email_verified` says `'false'`. */
  email: string
  /** `cognito:groups` in both tokens; the claim is absent (never empty) when there are none. */
  groups?: string[]
  /**
   * Further user attributes, as Cognito stores them (strings): standard ones (`name`,
   * `phone_number`, ...) and `custom:*` ones. They appear in the ID token and at `/oauth2/userInfo`.
   * `email_verified` and `phone_number_verified` become booleans in tokens.
   */
  attributes?: Record<string, string>
  /** The user's `sub`. Default: a UUID derived from the pool id and the username (stable across restarts). */
  sub?: string
}

/**
 * A resource server of the local user pool: its custom scopes are `<identifier>/<scope name>`, what
 * machine clients ask for with the client-credentials grant.
 *
 * @example
 * ```ts
 * const orders: LocalCognitoResourceServer = { identifier: 'orders', scopes: ['read', 'write'] }
 * // custom scopes 'orders/read' and 'orders/write'
 * ```
 */
export interface LocalCognitoResourceServer {
  /** Prefix of the custom scopes, often a URL or a short name (`orders`, `https://api.example.com`). */
  identifier: string
  /** Scope names, without the identifier: `read` for `<identifier>/read`. */
  scopes: string[]
}

/**
 * The OAuth flows an app client may use, as in Cognito's `AllowedOAuthFlows`: `code` (users sign
 * in through the hosted UI) or `client_credentials` (machine to machine). As in Cognito, one client
 * cannot have both.
 */
export type LocalCognitoOAuthFlow = 'code' | 'client_credentials'

/**
 * An app client of the local user pool.
 *
 * @example
 * ```ts
 * const spa: LocalCognitoClient = {
 *   clientId: 'my-spa',
 *   redirectUris: ['http://localhost:5173/callback'],
 *   logoutUris: ['http://localhost:5173/'],
 *   refreshTokenRotation: true
 * }
 * // A machine-to-machine client (client-credentials grant); needs a secret and custom scopes.
 * const worker: LocalCognitoClient = {
 *   clientId: 'billing-worker',
 *   clientSecret: 'worker-secret',
 *   allowedOAuthFlows: ['client_credentials'],
 *   scopes: ['orders/read']
 * }
 * ```
 */
export interface LocalCognitoClient {
  /** The app client id (`client_id` in access tokens, `aud` in ID tokens). */
  clientId: string
  /** With a secret the client is confidential (HTTP Basic at the token endpoint); without, public. */
  clientSecret?: string
  /**
   * Callback URLs, matched exactly. `http://` only for localhost, as Cognito requires. Required for
   * a `code` client; a `client_credentials` client has none (default `[]`).
   */
  redirectUris?: string[]
  /** Sign-out URLs accepted by `/logout` as `logout_uri`, matched exactly. Required for a `code` client. */
  logoutUris?: string[]
  /** Rotate refresh tokens on every refresh (Cognito's per-client setting). Default `false`. */
  refreshTokenRotation?: boolean
  /**
   * `['code']` (the default) or `['client_credentials']`: the latter needs a `clientSecret` and
   * `scopes`, as in Cognito.
   */
  allowedOAuthFlows?: LocalCognitoOAuthFlow[]
  /**
   * Custom scopes (`<resource server identifier>/<scope name>`, of {@link LocalCognitoOptions.resourceServers})
   * a `client_credentials` client may ask for; a token request without `scope` gets them all.
   * Only for `client_credentials` clients: user tokens get Cognito's standard scopes.
   */
  scopes?: string[]
}

/**
 * Options of {@link startLocalCognito}. Every one is optional.
 *
 * @example
 * ```ts
 * const options: LocalCognitoOptions = {
 *   userPoolId: 'eu-west-1_Local',
 *   redirectUris: ['http://localhost:3000/auth/callback'],
 *   logoutUris: ['http://localhost:3000/'],
 *   accessTokenTtl: 300,
 *   refreshTokenRotation: true,
 *   rotationGracePeriod: 10
 * }
 * ```
 */
export interface LocalCognitoOptions {
  /** Address to listen on. Default `'127.0.0.1'`. */
  host?: string
  /** Port to listen on. Default `0`: an ephemeral port, read it from {@link LocalCognito.url}. */
  port?: number
  /** `<region>_<id>`. Default `'us-east-1_LocalPool'`. */
  userPoolId?: string
  /** Callback URLs registered (exactly) on the two default clients. Default `['http://localhost:3000/postlogin']`. */
  redirectUris?: string[]
  /** Sign-out URLs registered on the two default clients. Default `['http://localhost:3000/postlogout']`. */
  logoutUris?: string[]
  /** App clients; they replace the three default ones (confidential, public, machine) when given. */
  clients?: LocalCognitoClient[]
  /** Users; they replace the default alice (groups admin, editor) and bob (no group), password `'Passw0rd!'`. */
  users?: LocalCognitoUser[]
  /** Access and ID token lifetime in seconds. Default 3600. */
  accessTokenTtl?: number
  /** Refresh token lifetime in seconds. Default 30 days. */
  refreshTokenTtl?: number
  /** Refresh token rotation on the two default clients. Default `false`. */
  refreshTokenRotation?: boolean
  /** Seconds a rotated-out refresh token keeps working, 0 to 60 as in Cognito. Default 0. */
  rotationGracePeriod?: number
  /**
   * Resource servers and their custom scopes, for machine clients. Default: one, `orders`, with
   * `read` and `write` (the scopes of `DEFAULT_MACHINE_CLIENT`).
   *
   * @example
   * ```ts
   * const local = await startLocalCognito({
   *   resourceServers: [{ identifier: 'inventory', scopes: ['read'] }],
   *   clients: [{ clientId: 'worker', clientSecret: 's3cret', allowedOAuthFlows: ['client_credentials'], scopes: ['inventory/read'] }]
   * })
   * ```
   */
  resourceServers?: LocalCognitoResourceServer[]
}

/**
 * Counters of what the stand-in has done, for tests to assert on. Only successful calls count.
 *
 * @example
 * ```ts
 * t.equal(local.stats.refreshTokenGrants, 1)
 * ```
 */
export interface LocalCognitoStats {
  /** Successful `grant_type=authorization_code` token requests. */
  authorizationCodeGrants: number
  /** Successful `grant_type=refresh_token` token requests. */
  refreshTokenGrants: number
  /** Successful (HTTP 200) `/oauth2/revoke` requests, unknown tokens included. */
  revocations: number
  /** Successful `grant_type=client_credentials` token requests (machine to machine). */
  clientCredentialsGrants: number
  /** Users created through the sign-up page (`/signup`). */
  signUps: number
}

/**
 * A running local Cognito stand-in.
 *
 * @example
 * ```ts
 * const local = await startLocalCognito()
 * const { clientId, clientSecret } = local.clients.confidential
 * // plugin options: { domain: local.domain, userPoolId: local.userPoolId, issuer: local.issuer, clientId, clientSecret }
 * await local.close()
 * ```
 */
export interface LocalCognito {
  /** `http://<host>:<port>`: the hosted-UI domain. */
  url: string
  /** Same as {@link LocalCognito.url}: what the plugin calls `domain`. */
  domain: string
  /** `${url}/${userPoolId}`: the `iss` claim; JWKS and discovery live under it. */
  issuer: string
  userPoolId: string
  /** The part of the pool id before `_`. */
  region: string
  /**
   * The first confidential and the first public `code` client, and the first `client_credentials`
   * client registered: the three default clients unless
   * `options.clients` replaced them. Reading an entry for which no such client is registered throws.
   */
  clients: {
    confidential: { clientId: string, clientSecret: string }
    public: { clientId: string }
    /** The first `client_credentials` client, with the custom scopes it may ask for. */
    machine: { clientId: string, clientSecret: string, scopes: string[] }
  }
  /** Every registered client, defaults or `options.clients`. */
  registeredClients: LocalCognitoClient[]
  /** The users of the pool, with their passwords; users who sign up on `/signup` are added. */
  users: LocalCognitoUser[]
  stats: LocalCognitoStats
  /** Whether this refresh token was revoked (by `/oauth2/revoke`, or with its whole family). */
  isRevoked (refreshToken: string): boolean
  /** Stops listening and drops every open connection. */
  close (): Promise<void>
}
