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
 * ```
 */
export interface LocalCognitoClient {
  /** The app client id (`client_id` in access tokens, `aud` in ID tokens). */
  clientId: string
  /** With a secret the client is confidential (HTTP Basic at the token endpoint); without, public. */
  clientSecret?: string
  /** Callback URLs, matched exactly. `http://` only for localhost, as Cognito requires. */
  redirectUris: string[]
  /** Sign-out URLs accepted by `/logout` as `logout_uri`, matched exactly. */
  logoutUris: string[]
  /** Rotate refresh tokens on every refresh (Cognito's per-client setting). Default `false`. */
  refreshTokenRotation?: boolean
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
  /** App clients; they replace the two default ones when given. */
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
   * The first confidential and the first public client registered: the two default clients unless
   * `options.clients` replaced them. Reading an entry for which no such client is registered throws.
   */
  clients: {
    confidential: { clientId: string, clientSecret: string }
    public: { clientId: string }
  }
  /** Every registered client, defaults or `options.clients`. */
  registeredClients: LocalCognitoClient[]
  /** The users of the pool, with their passwords. */
  users: LocalCognitoUser[]
  stats: LocalCognitoStats
  /** Whether this refresh token was revoked (by `/oauth2/revoke`, or with its whole family). */
  isRevoked (refreshToken: string): boolean
  /** Stops listening and drops every open connection. */
  close (): Promise<void>
}
