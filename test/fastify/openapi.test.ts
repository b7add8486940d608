/**
 * OpenAPI with @fastify/swagger: the plugin's routes described (summaries, parameters, responses),
 * the security schemes, the security of every guarded route (route configuration and hook-style
 * guards alike) and none on open routes; the routes still answer their own coded errors; and an
 * app without swagger gets no schema at all.
 */
import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import fastifySwagger from '@fastify/swagger'
import type { OpenAPIV3 } from 'openapi-types'
import fastifyCognito, { openapiSecuritySchemes, type FastifyCognitoOptions } from '../../lib/index.js'
import { createTestPool } from '../../lib/testing/index.js'
import type { Teardown } from '../helpers/teardown.js'

const pool = await createTestPool()
t.teardown(() => pool.close())
const alice = await pool.mintAccessToken({ username: 'alice', groups: ['admin'], scopes: ['orders/read'] })

async function documentedApp (t: Teardown, options: Partial<FastifyCognitoOptions> = {}, routes?: (app: FastifyInstance) => void): Promise<FastifyInstance> {
  const cognito = { ...pool.pluginOptions(), ...options } as FastifyCognitoOptions
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifySwagger, {
    openapi: { info: { title: 'shop', version: '1.0.0' }, components: { securitySchemes: openapiSecuritySchemes(cognito) } }
  })
  await app.register(fastifyCognito, cognito)
  routes?.(app)
  await app.ready()
  return app
}

type Operation = OpenAPIV3.OperationObject
const operation = (document: OpenAPIV3.Document, path: string, method: 'get' | 'post'): Operation => document.paths[path]?.[method] as Operation
const parameterNames = (op: Operation): string[] => (op.parameters as OpenAPIV3.ParameterObject[] | undefined ?? []).map(p => `${p.in}:${p.name}`)

t.test('the plugin\'s routes: summaries, tags, query parameters and responses', async (t) => {
  const app = await documentedApp(t)
  const document = app.swagger() as OpenAPIV3.Document

  const login = operation(document, '/login', 'get')
  t.equal(login.summary, 'Start a login')
  t.same(login.tags, ['auth'])
  t.same(parameterNames(login), ['query:returnTo', 'query:identity_provider', 'query:idp_identifier', 'query:lang', 'query:prompt', 'query:login_hint'])
  t.same(Object.keys(login.responses), ['302', '400'])
  t.same(login.security, [], 'public, whatever the document requires elsewhere')
  const error = (login.responses['400'] as OpenAPIV3.ResponseObject).content?.['application/json']?.schema as OpenAPIV3.SchemaObject
  t.same(Object.keys(error.properties ?? {}), ['statusCode', 'code', 'error', 'message'], 'the error shape')

  t.equal(operation(document, '/signup', 'get').summary, 'Start a sign-up')
  t.same(parameterNames(operation(document, '/signup', 'get')), parameterNames(login))

  const callback = operation(document, '/auth/callback', 'get')
  t.equal(callback.summary, 'Complete a login')
  t.same(parameterNames(callback), ['query:state', 'query:code', 'query:error'])
  t.same(Object.keys(callback.responses), ['302', '400', '502', '503'])

  const passkeys = operation(document, '/passkeys/add', 'get')
  t.same(parameterNames(passkeys), ['query:returnTo'])
  t.same(passkeys.security, [{ cognitoBearer: [] }, { cognitoCookie: [] }], 'its guard gives it its security')

  const refresh = operation(document, '/refresh', 'post')
  t.equal(refresh.summary, 'Refresh the session')
  t.same(refresh.security, [{ cognitoCookie: [] }])
  t.same(Object.keys(refresh.responses), ['200', '303', '401', '403', '502', '503'])

  t.same(Object.keys(operation(document, '/logout', 'get').responses), ['200', '302', '403'])
  t.ok((operation(document, '/logout', 'get').responses['200'] as OpenAPIV3.ResponseObject).content?.['text/html'], 'the sign-out page is HTML')
  t.same(Object.keys(operation(document, '/logout', 'post').responses), ['303', '403'])
  t.equal(operation(document, '/logout', 'post').summary, 'Log out (form or fetch)')
})

t.test('the security schemes: bearer JWT and the session cookie, named after cookie.name', async (t) => {
  const app = await documentedApp(t)
  const document = app.swagger() as OpenAPIV3.Document
  const schemes = document.components?.securitySchemes as Record<string, OpenAPIV3.SecuritySchemeObject>
  t.match(schemes.cognitoBearer, { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
  t.match(schemes.cognitoCookie, { type: 'apiKey', in: 'cookie', name: 'cognito_access' }, 'plain-HTTP localhost: no __Host- prefix')
  t.same(app.cognito.openapi.securitySchemes, schemes, 'the decorator says the same')

  const https = { ...pool.pluginOptions(), redirectUri: 'https://shop.example/callback', logoutUri: 'https://shop.example/' }
  t.match(openapiSecuritySchemes(https), { cognitoCookie: { name: '__Host-cognito_access' } }, 'Secure cookies carry __Host-')
  t.same(Object.keys(openapiSecuritySchemes({ ...https, cookie: { name: 'staff' } })), ['staffBearer', 'staffCookie'], 'two pools, two pairs of labels')
  t.throws(() => openapiSecuritySchemes({ ...https, cookie: { name: 'no spaces' } }), { code: 'FST_COGNITO_INVALID_OPTION' }, 'the options are checked as at registration')
})

t.test('guarded routes list their security, in both styles; open routes none', async (t) => {
  const shared = { response: { 200: { type: 'object', additionalProperties: true } } }
  const app = await documentedApp(t, {}, (app) => {
    app.get('/orders', { config: { cognito: true } }, async () => ({ orders: [] }))
    app.get('/admin', { config: { cognito: { groups: ['admin'], scopes: ['orders/read'] } } }, async () => ({ admin: true }))
    app.get('/me', { preHandler: app.cognito.authenticate }, async (request) => ({ user: request.cognito?.username }))
    app.get('/reports', { onRequest: [async () => {}, app.cognito.requireScopes(['reports/read'])], preHandler: app.cognito.requireScopes(['orders/read']) }, async () => ({ reports: [] }))
    app.get('/home', { preHandler: app.cognito.identify }, async () => ({ home: true }))
    app.get('/custom', { config: { cognito: true }, schema: { security: [{ cognitoBearer: ['admin/all'] }] } }, async () => ({ custom: true }))
    app.get('/shared-a', { schema: shared, preHandler: app.cognito.authenticate }, async () => ({ a: 1 }))
    app.get('/shared-b', { schema: shared }, async () => ({ b: 1 }))
    app.get('/open', async () => ({ open: true }))
    app.get('/closed-by-config-false', { config: { cognito: false } }, async () => ({ open: true }))
  })
  const document = app.swagger() as OpenAPIV3.Document
  const both = [{ cognitoBearer: [] }, { cognitoCookie: [] }]
  t.same(operation(document, '/orders', 'get').security, both, 'config: { cognito: true }')
  t.same(operation(document, '/admin', 'get').security, [{ cognitoBearer: ['orders/read'] }, { cognitoCookie: [] }], 'a guard\'s scopes under the bearer scheme')
  t.same(operation(document, '/me', 'get').security, both, 'a hook-style guard in preHandler')
  t.same(operation(document, '/reports', 'get').security, [{ cognitoBearer: ['reports/read', 'orders/read'] }, { cognitoCookie: [] }], 'guards in several hooks, among others: their scopes together')
  t.same(operation(document, '/home', 'get').security, [...both, {}], 'identify: anonymous is allowed too')
  t.same(operation(document, '/custom', 'get').security, [{ cognitoBearer: ['admin/all'] }], 'a route\'s own security is kept')
  t.same(operation(document, '/shared-a', 'get').security, both)
  t.notOk('security' in operation(document, '/shared-b', 'get'), 'a schema shared with a guarded route stays without security')
  t.notOk('security' in operation(document, '/open', 'get'), 'an open route lists none')
  t.notOk('security' in operation(document, '/closed-by-config-false', 'get'))

  // The document describes; the guards decide.
  t.equal((await app.inject({ url: '/admin' })).statusCode, 401)
  t.equal((await app.inject({ url: '/admin', headers: pool.bearer(alice) })).statusCode, 200)
  t.same((await app.inject({ url: '/shared-b' })).json(), { b: 1 })
})

t.test('token sources: only the sources the guards read; app.cognito.openapi.security() for what the plugin cannot see', async (t) => {
  const app = await documentedApp(t, { tokenSources: { cookie: false } }, (app) => {
    app.get('/api', { config: { cognito: { scopes: ['orders/read'] } } }, async () => ({ ok: true }))
  })
  t.same(operation(app.swagger() as OpenAPIV3.Document, '/api', 'get').security, [{ cognitoBearer: ['orders/read'] }])
  t.same(app.cognito.openapi.security(), [{ cognitoBearer: [] }])
  t.same(app.cognito.openapi.security({ scopes: ['a'], optional: true }), [{ cognitoBearer: ['a'] }, {}])
})

t.test('documented routes still answer their own coded errors and ordinary answers', async (t) => {
  const app = await documentedApp(t)
  const repeated = await app.inject({ url: '/login?returnTo=/a&returnTo=/b' })
  t.equal(repeated.statusCode, 302, 'a repeated parameter is no validation error: it is ignored, as before')
  const bad = await app.inject({ url: '/login?prompt=bogus' })
  t.equal(bad.statusCode, 400)
  t.same(Object.keys(bad.json()), ['statusCode', 'code', 'error', 'message'])
  t.equal(bad.json().code, 'FST_COGNITO_INVALID_LOGIN_REQUEST')
  const callback = await app.inject({ url: '/auth/callback?state[x]=1&code=' })
  t.equal(callback.json().code, 'FST_COGNITO_LOGIN_TRANSACTION', 'the callback\'s own error, not Fastify\'s')
  const crossSite = await app.inject({ method: 'POST', url: '/refresh', headers: { origin: 'https://evil.example' } })
  t.same(crossSite.json(), { statusCode: 403, code: 'FST_COGNITO_CROSS_SITE_REQUEST', error: 'Forbidden', message: 'Cross-site request refused' })
  const page = await app.inject({ url: '/logout' })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /text\/html/)
  t.equal((await app.inject({ url: '/logout', headers: { 'sec-fetch-site': 'same-origin' } })).statusCode, 302)
})

t.test('an app\'s own error handler keeps its answer on the documented routes', async (t) => {
  const cognito = pool.pluginOptions() as FastifyCognitoOptions
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifySwagger, { openapi: { components: { securitySchemes: openapiSecuritySchemes(cognito) } } })
  app.setErrorHandler((err: { statusCode?: number, code?: string }, _request, reply) => reply.code(err.statusCode ?? 500).send({ problem: err.code }))
  await app.register(fastifyCognito, cognito)
  await app.ready()
  t.same((await app.inject({ url: '/login?prompt=bogus' })).json(), { problem: 'FST_COGNITO_INVALID_LOGIN_REQUEST' })
})

t.test('without @fastify/swagger, no route gets a schema', async (t) => {
  const routes: Array<{ url: string, schema?: unknown }> = []
  const app = Fastify()
  t.teardown(() => app.close())
  app.addHook('onRoute', (route) => { routes.push(route) })
  await app.register(fastifyCognito, pool.pluginOptions() as FastifyCognitoOptions)
  app.get('/me', { preHandler: app.cognito.authenticate }, async (request) => ({ user: request.cognito?.username }))
  app.get('/orders', { config: { cognito: true } }, async () => ({ orders: [] }))
  await app.ready()
  t.ok(routes.length >= 9)
  t.same(routes.filter(route => route.schema !== undefined).map(route => route.url), [], 'the plugin\'s routes and the guarded routes alike')
  t.same((await app.inject({ url: '/me', headers: pool.bearer(alice) })).json(), { user: 'alice' })
  t.equal((await app.inject({ url: '/orders' })).statusCode, 401)
  t.equal((await app.inject({ url: '/login?returnTo=/a&returnTo=/b' })).statusCode, 302)
})
