// Type tests of the public surface (tsd): what a TypeScript user of fastify-cognito can and cannot write.
// The merge hooks (declared groups and claims) are tested in types/merges/, a program of its own:
// here, an app that declares nothing.
import Fastify from 'fastify'
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import fastifySwagger from '@fastify/swagger'
import { expectAssignable, expectError, expectType } from 'tsd'
import fastifyCognito, {
  fastifyCognito as named,
  openapiSecuritySchemes,
  optionsFromEnv,
  UnauthenticatedError,
  type CognitoAccessTokenClaims,
  type CognitoAlbIdentity,
  type CognitoGroupName,
  type CognitoIdentity,
  type CognitoMachineAccessTokenClaims,
  type CognitoMachineIdentity,
  type CognitoUserIdentity,
  type CognitoIdTokenClaims,
  type CognitoOpenapi,
  type CognitoSecurityScheme,
  type FastifyCognitoOptions,
  type SecurityRequirement
} from 'fastify-cognito'
import { createTestAlb, createTestPool, type TestAlb, type TestPool } from 'fastify-cognito/testing'

const app = Fastify()
const options: FastifyCognitoOptions = {
  userPoolId: 'eu-west-1_abc',
  clientId: 'client',
  domain: 'https://app.auth.eu-west-1.amazoncognito.com',
  redirectUri: 'https://example.com/postlogin',
  logoutUri: 'https://example.com/postlogout',
  secret: 'a'.repeat(32)
}
app.register(fastifyCognito, options)
app.register(named, { ...options, secret: ['new'.repeat(11), 'old'.repeat(11)], cookie: { sameSite: 'strict' } })
app.register(fastifyCognito, optionsFromEnv(process.env, { scopes: ['openid', 'email'] }))
expectType<FastifyCognitoOptions>(optionsFromEnv())

// A required option left out, or a wrong type, does not compile.
expectError(app.register(fastifyCognito, { clientId: 'x' }))
expectError(app.register(fastifyCognito, { ...options, cookie: { sameSite: 'sometimes' } }))

// The plugin does not register @fastify/cookie on the app, and its types do not claim its decorators either.
app.get('/no-cookie-decorators', async (request, reply) => {
  expectError(reply.setCookie('theme', 'dark'))
  expectError(request.cookies.theme)
  return null
})

expectType<preHandlerAsyncHookHandler>(app.cognito.authenticate)
expectType<preHandlerAsyncHookHandler>(app.cognito.requireGroups(['admin']))
expectType<preHandlerAsyncHookHandler>(app.cognito.requireAnyGroup(['admin', 'editor']))
expectType<preHandlerAsyncHookHandler>(app.cognito.requireScopes(['orders/read']))
expectType<preHandlerAsyncHookHandler>(app.cognito.guard({ groups: ['admin'], anyGroup: true, check: (identity) => identity.username !== 'mallory' }))
expectType<preHandlerAsyncHookHandler>(app.cognito.requireClaims(async (identity, request) => identity.groups.length > 0 && request.method === 'GET'))
expectType<string>(app.cognito.logoutUrl)
expectType<Promise<CognitoAccessTokenClaims | CognitoMachineAccessTokenClaims>>(app.cognito.verifyAccessToken('token'))
expectType<Promise<CognitoIdTokenClaims>>(app.cognito.verifyIdToken('token', 'nonce'))
expectType<Record<string, string>>(app.cognito.sealSession({ accessToken: 'a', idToken: 'i', refreshToken: 'r' }))
expectError(app.cognito.requireGroups('admin'))
expectType<preHandlerAsyncHookHandler>(app.cognito.guard({ kind: 'machine', clients: ['partner'], audience: 'https://api.example.com', scopes: ['orders/read'] }))
expectType<preHandlerAsyncHookHandler>(app.cognito.guard({ kind: 'user', audience: ['a', 'b'], checkRevoked: true }))
expectError(app.cognito.guard({ kind: 'robot' }))
expectType<Promise<string>>(app.cognito.clientCredentials({ scopes: ['orders/read'] }))
app.register(fastifyCognito, {
  ...options,
  acceptClientIds: ['mobile'],
  resource: 'https://api.example.com',
  audience: 'https://api.example.com',
  machineClient: { clientId: 'm2m', clientSecret: 'secret' },
  revocationCheckTtl: 10,
  alb: { signers: ['arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/x/1'], region: 'eu-west-1' }
})
expectError(app.register(fastifyCognito, { ...options, machineClient: { clientId: 'm2m' } }))

app.get('/me', { preHandler: app.cognito.authenticate }, async (request: FastifyRequest, reply: FastifyReply) => {
  expectType<CognitoIdentity | null>(request.cognito)
  if (request.cognito !== null) {
    expectType<readonly string[]>(request.cognito.groups)
    expectType<'cookie' | 'bearer' | 'alb'>(request.cognito.source)
    expectType<'user' | 'machine'>(request.cognito.kind)
    expectType<string>(request.cognito.clientId)
    expectType<string>(request.cognito.username)
    expectType<CognitoIdTokenClaims | null>(request.cognito.idToken)
    expectType<string | undefined>(request.cognito.idToken?.email)
    expectType<string | undefined>(request.cognito.accessToken?.client_id)
    // A machine: client credentials claims, no groups claim, never an ID token.
    if (request.cognito.kind === 'machine') {
      expectType<CognitoMachineIdentity>(request.cognito)
      expectType<'bearer'>(request.cognito.source)
      expectType<null>(request.cognito.idToken)
      expectType<undefined>(request.cognito.accessToken.username)
    } else if (request.cognito.source === 'alb') {
      expectType<CognitoAlbIdentity>(request.cognito)
      expectType<CognitoAccessTokenClaims | null>(request.cognito.accessToken)
      expectType<string | undefined>(request.cognito.albData.email)
    } else {
      // A user of a session or a bearer token: the fields of before, unchanged.
      expectType<CognitoUserIdentity>(request.cognito)
      expectType<string>(request.cognito.accessToken.username)
      expectType<string>(request.cognito.accessToken.client_id)
    }
  }
  expectType<Promise<string>>(app.cognito.accessToken(request, reply))
  expectType<Promise<Record<string, unknown>>>(app.cognito.userInfo(request))
  return app.cognito.login(request, reply, { returnTo: '/me', identityProvider: 'Google', prompt: 'login' })
})

// Route configuration, typed through Fastify's FastifyContextConfig.
app.get('/orders', { config: { cognito: true } }, async () => 'ok')
app.get('/reports', { config: { cognito: { groups: ['reporting'], anyGroup: true, scopes: ['reports/read'], maxAge: 300 } } }, async () => 'ok')
expectError(app.get('/x', { config: { cognito: { groups: 'admin' } } }, async () => 'ok'))
expectError(app.get('/x', { config: { cognito: { maxAge: '5m' } } }, async () => 'ok'))

// No group declared: any string is a group name; the claims merge hooks add nothing.
expectType<string>({} as CognitoGroupName)
expectType<preHandlerAsyncHookHandler>(app.cognito.requireGroups(['any-group-at-all']))
expectType<unknown>(({} as CognitoAccessTokenClaims).tenant)
expectType<unknown>(({} as CognitoIdTokenClaims)['custom:plan'])

// OpenAPI: the schemes fit @fastify/swagger's options, the requirements fit a route schema.
expectType<CognitoOpenapi>(app.cognito.openapi)
expectType<Record<string, CognitoSecurityScheme>>(openapiSecuritySchemes(options))
expectType<SecurityRequirement[]>(app.cognito.openapi.security({ scopes: ['orders/read'], optional: true }))
expectError(app.cognito.openapi.security({ scopes: 'orders/read' }))
app.register(fastifySwagger, { openapi: { components: { securitySchemes: openapiSecuritySchemes(options) } } })
app.register(fastifySwagger, { openapi: { components: { securitySchemes: { ...app.cognito.openapi.securitySchemes } } } })
app.get('/composed', { schema: { security: app.cognito.openapi.security() }, preHandler: app.cognito.authenticate }, async () => 'ok')

expectAssignable<Error>(new UnauthenticatedError())

const pool: Promise<TestPool> = createTestPool({ clientId: 'test-client' })
expectType<Promise<TestPool>>(pool)
pool.then(async (p) => {
  expectType<string>(await p.mintMachineToken({ clientId: 'm2m', scopes: ['orders/read'] }))
  const alb: TestAlb = await createTestAlb()
  expectType<Record<string, string>>(await alb.mintAlbHeaders({ pool: p, username: 'alice' }))
})
