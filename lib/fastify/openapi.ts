/**
 * OpenAPI, for @fastify/swagger: the security schemes (the session cookie, bearer tokens), the
 * security requirement of a guard, and the schemas that describe the plugin's own routes.
 *
 * The route schemas are documentation only. The routes read their query by hand and answer coded
 * errors (400 `FST_COGNITO_*`) for bad values: Fastify's validation would answer its own errors
 * first (a repeated `returnTo` is an array, which `type: 'string'` refuses). So each documented
 * route gets a validator that accepts everything and a serializer that writes what Fastify writes
 * without a schema; an app's own compilers (a Zod or TypeBox type provider) never see these schemas.
 */
import type { FastifySchema, FastifySchemaCompiler, FastifySerializerCompiler, RouteShorthandOptions } from 'fastify'
import { resolveOptions } from '../options.js'
import type { CognitoOpenapi, CognitoSecurityScheme, FastifyCognitoOptions, SecurityRequirement } from '../types.js'

/** What a guard requires, as far as a document can say: groups and checks have no place in OpenAPI. */
export interface GuardDoc {
  scopes: readonly string[]
  optional: boolean
}

/** The labels of the two schemes, from the cookie base name, so that two pools in one app do not collide. */
export function schemeLabels (baseName: string): { bearer: string, cookie: string } {
  return { bearer: `${baseName}Bearer`, cookie: `${baseName}Cookie` }
}

/** `components.securitySchemes` for a pool: its bearer tokens and its session cookie. */
export function securitySchemes (baseName: string, accessCookie: string): Record<string, CognitoSecurityScheme> {
  const labels = schemeLabels(baseName)
  return {
    [labels.bearer]: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: 'A Cognito access token of this user pool and app client: `Authorization: Bearer <access token>`.'
    },
    [labels.cookie]: {
      type: 'apiKey',
      in: 'cookie',
      name: accessCookie,
      description: 'The encrypted session cookie the login sets (a browser sends it by itself; a large token continues in numbered cookies).'
    }
  }
}

/**
 * The security requirement of guards: the bearer scheme (with the scopes they require: OpenAPI 3.1
 * allows them under any scheme) or the cookie scheme, each when a token source the plugin reads;
 * `{}` (anonymous) too when every guard is optional.
 */
export function securityOf (labels: { bearer: string, cookie: string }, sources: { bearer: boolean, cookie: boolean }, docs: readonly GuardDoc[]): SecurityRequirement[] {
  const scopes = [...new Set(docs.flatMap(doc => doc.scopes))]
  const security: SecurityRequirement[] = []
  if (sources.bearer) security.push({ [labels.bearer]: scopes })
  if (sources.cookie) security.push({ [labels.cookie]: [] })
  if (docs.every(doc => doc.optional)) security.push({})
  return security
}

/** The cookie base name the options resolve to (validated by `resolveOptions`). */
export function cookieBaseName (options: FastifyCognitoOptions): string {
  return options.cookie?.name ?? 'cognito'
}

/**
 * The security schemes of the plugin registered with `options`, for `@fastify/swagger`'s
 * `openapi.components.securitySchemes`: swagger is registered first, before `app.cognito` exists.
 *
 * @example
 * const options = optionsFromEnv()
 * await app.register(fastifySwagger, { openapi: { components: { securitySchemes: openapiSecuritySchemes(options) } } })
 * await app.register(fastifyCognito, options)
 */
export function openapiSecuritySchemes (options: FastifyCognitoOptions): Record<string, CognitoSecurityScheme> {
  const config = resolveOptions(options)
  return securitySchemes(cookieBaseName(options), config.cookie.names.access)
}

/** `app.cognito.openapi`. */
export function cognitoOpenapi (baseName: string, accessCookie: string, sources: { bearer: boolean, cookie: boolean }): CognitoOpenapi {
  const schemes = Object.freeze(securitySchemes(baseName, accessCookie))
  const labels = schemeLabels(baseName)
  return Object.freeze({
    securitySchemes: schemes,
    security: (options: { scopes?: readonly string[], optional?: boolean } = {}) =>
      securityOf(labels, sources, [{ scopes: options.scopes ?? [], optional: options.optional === true }])
  })
}

/** The hooks of a route, whichever way they were given. */
export function routeHooks (route: Partial<Record<'onRequest' | 'preParsing' | 'preValidation' | 'preHandler', unknown>>): unknown[] {
  return [route.onRequest, route.preParsing, route.preValidation, route.preHandler].flatMap(hook => hook === undefined ? [] : Array.isArray(hook) ? hook : [hook])
}

const acceptAll: FastifySchemaCompiler<unknown> = () => () => true

/** Writes what Fastify writes without a response schema: an error as `{ statusCode, code, error, message }`, anything else as JSON. */
const asWithoutSchema: FastifySerializerCompiler<unknown> = () => (data) => {
  if (data instanceof Error) {
    const { statusCode, code, error, message } = data as Error & { statusCode?: number, code?: string, error?: string }
    return JSON.stringify({ statusCode, code, error, message })
  }
  return JSON.stringify(data)
}

const errorShape = {
  type: 'object',
  properties: {
    statusCode: { type: 'integer' },
    code: { type: 'string', description: 'A stable `FST_COGNITO_*` code (see the README\'s error codes).' },
    error: { type: 'string' },
    message: { type: 'string' }
  },
  required: ['statusCode', 'code', 'error', 'message']
}
const error = (description: string) => ({ description, ...errorShape })
const redirect = (description: string) => ({ description, type: 'null' })

function query (parameters: Record<string, string>) {
  return {
    type: 'object',
    properties: Object.fromEntries(Object.entries(parameters).map(([name, description]) => [name, { type: 'string', description }]))
  }
}

const LOGIN_QUERY = query({
  returnTo: 'Same-origin path to come back to after login; anything else falls back to the default.',
  identity_provider: 'Skips Cognito\'s chooser: `COGNITO`, `Google`, `Facebook`, `LoginWithAmazon`, `SignInWithApple` or a federated IdP\'s name.',
  idp_identifier: 'Skips the chooser by one of a federated IdP\'s identifiers (an email domain, for example).',
  lang: 'The managed login page\'s language; without it, chosen from `Accept-Language` among the configured languages.',
  prompt: '`none` (silent sign-in), or `login`, `select_account`, `consent` (space-separated).',
  login_hint: 'Pre-fills the user name on the sign-in page.'
})

const LOGIN_RESPONSES = {
  302: redirect('To Cognito\'s authorize endpoint, with a new login transaction in a cookie; or first, once, to the same path on the redirect URI\'s host.'),
  400: error('A login parameter Cognito would refuse (`FST_COGNITO_INVALID_LOGIN_REQUEST`).')
}

const PUBLIC: SecurityRequirement[] = []

/** The OpenAPI keywords of a route schema (typed by @fastify/swagger, which the package does not depend on). */
type DocumentedSchema = FastifySchema & { summary: string, description: string, security?: SecurityRequirement[] }

/** The documented route options of each of the plugin's routes; `{}` when nothing documents them. */
export function routeSchemas (documented: boolean, cookieSecurity: SecurityRequirement[]) {
  const tags = ['auth']
  const doc = (schema: DocumentedSchema): RouteShorthandOptions =>
    documented ? { schema: { tags, ...schema } as FastifySchema, validatorCompiler: acceptAll, serializerCompiler: asWithoutSchema } : {}
  return {
    login: doc({
      summary: 'Start a login',
      description: 'Starts a login at Cognito\'s managed login (authorization code with PKCE).',
      querystring: LOGIN_QUERY,
      security: PUBLIC,
      response: LOGIN_RESPONSES
    }),
    signup: doc({
      summary: 'Start a sign-up',
      description: 'The same login, opened at Cognito\'s sign-up page: the new user comes back signed in.',
      querystring: LOGIN_QUERY,
      security: PUBLIC,
      response: LOGIN_RESPONSES
    }),
    passkeys: doc({
      summary: 'Add a passkey',
      description: 'Sends a signed-in user to Cognito\'s passkey enrolment; Cognito sends the browser back through the callback to `returnTo`.',
      // Its security comes from its guard, as on any guarded route.
      querystring: query({ returnTo: 'Same-origin path to come back to after the enrolment.' }),
      response: {
        302: redirect('To Cognito\'s passkey enrolment page; to the login route for a browser without a session.'),
        401: error('No valid session (`FST_COGNITO_UNAUTHENTICATED`, `FST_COGNITO_TOKEN_EXPIRED`...).'),
        503: error('Cognito\'s signing keys are unavailable (`FST_COGNITO_JWKS_UNAVAILABLE`).')
      }
    }),
    callback: doc({
      summary: 'Complete a login',
      description: 'Cognito\'s redirect back: exchanges the code for tokens, verifies them, sets the session cookies and goes to the login\'s `returnTo` (or runs `onLogin`).',
      querystring: query({
        state: 'The login transaction\'s state.',
        code: 'The authorization code.',
        error: 'Cognito\'s error code when the login failed (`access_denied`, `login_required`...).'
      }),
      security: PUBLIC,
      response: {
        302: redirect('To the login\'s `returnTo`, signed in (or anonymous after a silent sign-in Cognito could not complete).'),
        400: error('No matching login in progress, no code, a refused code or a Cognito error (`FST_COGNITO_LOGIN_TRANSACTION`, `FST_COGNITO_INVALID_CALLBACK`, `FST_COGNITO_CODE_REJECTED`, `FST_COGNITO_AUTHORIZE_ERROR`, `FST_COGNITO_NONCE_MISMATCH`).'),
        502: error('Cognito\'s token endpoint failed, or returned a token that does not verify (`FST_COGNITO_IDP_ERROR`, `FST_COGNITO_IDP_TOKEN_INVALID`, `FST_COGNITO_TOKEN_TOO_LARGE`).'),
        503: error('Cognito\'s signing keys are unavailable (`FST_COGNITO_JWKS_UNAVAILABLE`).')
      }
    }),
    refresh: doc({
      summary: 'Refresh the session',
      description: 'Exchanges the session\'s refresh token for new tokens. Refused cross-site. A form post from a page (`Accept: text/html`) is answered with a redirect.',
      querystring: query({ returnTo: 'Same-origin path a form post goes back to.' }),
      security: cookieSecurity,
      response: {
        200: {
          description: 'The session was refreshed.',
          type: 'object',
          properties: { refreshed: { type: 'boolean' }, expiresAt: { type: 'integer', description: 'The new access token\'s `exp` (seconds since the epoch).' } }
        },
        303: redirect('Back to `returnTo`, for a form post from a page.'),
        401: error('No refresh token, or Cognito refused it: the session is ended (`FST_COGNITO_NO_REFRESH_TOKEN`, `FST_COGNITO_REFRESH_REJECTED`, `FST_COGNITO_SESSION_EXPIRED`).'),
        403: error('A cross-site request (`FST_COGNITO_CROSS_SITE_REQUEST`).'),
        502: error('Cognito failed; the session is kept (`FST_COGNITO_IDP_ERROR`, `FST_COGNITO_IDP_TOKEN_INVALID`, `FST_COGNITO_TOKEN_TOO_LARGE`).'),
        503: error('Cognito\'s signing keys are unavailable (`FST_COGNITO_JWKS_UNAVAILABLE`).')
      }
    }),
    logoutGet: doc({
      summary: 'Log out',
      description: 'Revokes the refresh token, clears the session cookies and goes to Cognito\'s logout, which ends Cognito\'s own session. A request that says neither `Origin` nor `Sec-Fetch-Site` gets a sign-out button instead.',
      security: PUBLIC,
      response: {
        200: { description: 'A page with a sign-out button that posts to this route.', content: { 'text/html': { schema: { type: 'string' } } } },
        302: redirect('To Cognito\'s logout endpoint, then to the configured logout URI.'),
        403: error('A cross-site request (`FST_COGNITO_CROSS_SITE_REQUEST`).')
      }
    }),
    logoutPost: doc({
      summary: 'Log out (form or fetch)',
      description: 'The same logout, refused unless same-origin.',
      security: PUBLIC,
      response: {
        303: redirect('To Cognito\'s logout endpoint, then to the configured logout URI.'),
        403: error('A cross-site request (`FST_COGNITO_CROSS_SITE_REQUEST`).')
      }
    })
  }
}

export type RouteSchemas = ReturnType<typeof routeSchemas>
