/**
 * Session cookies for tests: the cookies an app would set after a login with given tokens, sealed
 * with the app's own keys.
 */
/** The part of a Fastify app with fastify-cognito registered that the cookie helpers need. */
export interface AppWithCognito {
  cognito: { sealSession (tokens: { accessToken: string, idToken?: string, refreshToken?: string }): Record<string, string> }
}

/**
 * The session cookies (name → value) the app would set after a login with these tokens, sealed with
 * the app's own keys: pass them as `cookies` to `fastify.inject`.
 *
 * @example
 * ```ts
 * const tokens = await pool.mintTokens({ username: 'alice', groups: ['admin'] })
 * const res = await app.inject({ url: '/admin', cookies: sessionCookies(app, tokens) })
 * ```
 */
export function sessionCookies (app: AppWithCognito, tokens: { accessToken: string, idToken?: string, refreshToken?: string }): Record<string, string> {
  return app.cognito.sealSession(tokens)
}

/**
 * The same session as a `Cookie` request header, for HTTP clients other than `inject`.
 *
 * @example
 * ```ts
 * await fetch(`${url}/admin`, { headers: { cookie: sessionCookieHeader(app, tokens) } })
 * ```
 */
export function sessionCookieHeader (app: AppWithCognito, tokens: { accessToken: string, idToken?: string, refreshToken?: string }): string {
  return Object.entries(sessionCookies(app, tokens)).map(([name, value]) => `${name}=${value}`).join('; ')
}
