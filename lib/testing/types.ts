/**
 * The public types of `fastify-cognito/testing`: the pool's options, the users and machines tokens are
 * minted for, and the running pool.
 */

/**
 * Options of {@link createTestPool}.
 *
 * @example
 * ```ts
 * const pool = await createTestPool({ userPoolId: 'eu-west-1_Shop', clientId: 'shop-web' })
 * pool.region // 'eu-west-1'
 * ```
 */
export interface TestPoolOptions {
  /** Cognito user pool id, `<region>_<id>`. Default `'us-east-1_TestPool'`. */
  userPoolId?: string
  /** App client id: the access token's `client_id` and the ID token's `aud`. Default `'test-client'`. */
  clientId?: string
  /**
   * Loopback address the JWKS server listens on and that appears in the issuer. Default
   * `'127.0.0.1'`. IPv6 literals (`'::1'`) are bracketed in URLs automatically.
   */
  host?: string
}

/**
 * The user a token is minted for.
 *
 * @example
 * ```ts
 * const alice: TestUser = {
 *   username: 'alice',
 *   groups: ['admin', 'billing'],
 *   scopes: ['openid', 'orders/read'],
 *   expiresIn: 300,
 *   claims: { 'custom:tenant': 'acme' }
 * }
 * const expired: TestUser = { username: 'bob', expiresIn: -60 }
 * const noTokenUse: TestUser = { username: 'eve', claims: { token_use: undefined } }
 * ```
 */
export interface TestUser {
  /** Cognito user name: `username` in access tokens, `cognito:username` in ID tokens. */
  username: string
  /** Default: a random UUID chosen once per pool and username, so a user keeps the same `sub`. */
  sub?: string
  /** ID token `email`. Default `<username>@example.com`. */
  email?: string
  /** `cognito:groups`. The claim is omitted (as Cognito does) when this is missing or empty. */
  groups?: string[]
  /** Access token `scope`, joined by spaces. Default `['openid']`. */
  scopes?: string[]
  /**
   * Seconds from now until `exp`. Default 3600. Zero or negative gives an already expired token;
   * then `iat` and `auth_time` are set one default lifetime (3600 s) before `exp`.
   */
  expiresIn?: number
  /**
   * Extra claims, or overrides of the standard ones (for example a foreign `iss`). A claim set to
   * `undefined` is removed from the token.
   */
  claims?: Record<string, unknown>
}

/**
 * The machine client a client credentials token is minted for.
 *
 * @example
 * ```ts
 * const partner: TestMachine = { clientId: 'partner-m2m', scopes: ['orders/read'], expiresIn: 600 }
 * ```
 */
export interface TestMachine {
  /** The machine's app client id: `sub` and `client_id`. Default: the pool's client id. */
  clientId?: string
  /** Custom scopes (`<resource server>/<scope>`). Default none. */
  scopes?: string[]
  /** Seconds from now until `exp`. Default 3600. */
  expiresIn?: number
  /** Extra claims or overrides (`aud` for resource binding); `undefined` removes a claim. */
  claims?: Record<string, unknown>
}

/**
 * A running stand-in for one Cognito user pool. Made by {@link createTestPool}; call
 * {@link TestPool.close | close()} when done.
 *
 * @example
 * ```ts
 * const pool = await createTestPool()
 * const { accessToken, idToken } = await pool.mintTokens({ username: 'alice' })
 * await pool.rotateKeys() // tokens minted before now no longer verify
 * await pool.close()
 * ```
 */
export interface TestPool {
  /** The pool id, for example `'us-east-1_TestPool'`. */
  readonly userPoolId: string
  /** The region read from the pool id, for example `'us-east-1'`. */
  readonly region: string
  /** The app client id. */
  readonly clientId: string
  /** `http://127.0.0.1:<port>/<userPoolId>`: the `iss` of every minted token. */
  readonly issuer: string
  /** `${issuer}/.well-known/jwks.json`, served by this pool's loopback server. */
  readonly jwksUri: string
  /**
   * Options to spread into `fastify.register(fastifyCognito, ...)`: `userPoolId`, `clientId`,
   * `issuer`, `domain` (the loopback server's base URL), `redirectUri`
   * (`'http://localhost/auth/callback'`), `logoutUri` (`'http://localhost/'`) and `secret` (a random
   * string made once per pool). A fresh object on each call.
   *
   * @example
   * ```ts
   * await app.register(fastifyCognito, { ...pool.pluginOptions(), redirectToLogin: false })
   * ```
   */
  pluginOptions (): TestPluginOptions
  /**
   * Mints a Cognito-shaped access token: `sub`, `iss`, `client_id`, `token_use: 'access'`, `scope`,
   * `auth_time`, `exp`, `iat`, `jti`, `origin_jti`, `username`, `cognito:groups` (when the user has
   * groups), `event_id`, `version: 2`, and no `aud`. RS256, signed with the access key.
   *
   * @example
   * ```ts
   * const token = await pool.mintAccessToken({ username: 'alice', scopes: ['orders/read'] })
   * ```
   */
  mintAccessToken (user: TestUser): Promise<string>
  /**
   * Mints a Cognito-shaped ID token: `sub`, `iss`, `aud` (the client id), `token_use: 'id'`,
   * `cognito:username`, `email`, `email_verified: true`, `cognito:groups` (when the user has groups),
   * `auth_time`, `exp`, `iat`, `jti`, `origin_jti` and `nonce` when given. RS256, signed with the ID
   * key, whose `kid` differs from the access key's.
   *
   * @example
   * ```ts
   * const idToken = await pool.mintIdToken({ username: 'alice', nonce: 'n-0S6_WzA2Mj' })
   * ```
   */
  mintIdToken (user: TestUser & { nonce?: string }): Promise<string>
  /**
   * Mints an access token and an ID token from one sign-in: they share `sub`, `auth_time`, `iat`,
   * `exp` and `origin_jti`, and the ID token carries the access token's `at_hash`.
   *
   * @example
   * ```ts
   * const { accessToken, idToken } = await pool.mintTokens({ username: 'alice' })
   * ```
   */
  mintTokens (user: TestUser): Promise<{ accessToken: string, idToken: string }>
  /**
   * Mints a machine's access token, as Cognito's client credentials grant issues it: `sub` and
   * `client_id` are the client id, `token_use: 'access'`, `scope` (custom scopes), `auth_time`, `iss`,
   * `exp`, `iat`, `jti`, `version: 2`; no `username`, no groups. Signed with the access key.
   *
   * @example
   * ```ts
   * const token = await pool.mintMachineToken({ clientId: 'billing-service', scopes: ['orders/read'] })
   * ```
   */
  mintMachineToken (machine: TestMachine): Promise<string>
  /**
   * Request headers carrying a bearer token, for `fastify.inject`.
   *
   * @example
   * ```ts
   * await app.inject({ url: '/me', headers: pool.bearer(await pool.mintAccessToken({ username: 'a' })) })
   * ```
   */
  bearer (token: string): { authorization: string }
  /**
   * Replaces both key pairs. From now on the JWKS serves only the new keys, so tokens minted before
   * no longer verify (their `kid` is unknown).
   *
   * @example
   * ```ts
   * const old = await pool.mintAccessToken({ username: 'alice' })
   * await pool.rotateKeys() // `old` now fails with "no applicable key found"
   * ```
   */
  rotateKeys (): Promise<void>
  /**
   * Stops the JWKS server, dropping open (keep-alive) connections, and frees its port. Safe to call
   * more than once. Minting still works afterwards, but nothing serves the keys any more.
   *
   * @example
   * ```ts
   * t.teardown(() => pool.close())
   * ```
   */
  close (): Promise<void>
}

/**
 * What {@link TestPool.pluginOptions} returns.
 *
 * @example
 * ```ts
 * const { issuer, clientId }: TestPluginOptions = pool.pluginOptions()
 * ```
 */
export interface TestPluginOptions {
  userPoolId: string
  region: string
  clientId: string
  issuer: string
  domain: string
  redirectUri: string
  logoutUri: string
  secret: string
}
