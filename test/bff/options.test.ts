/**
 * `fastify-cognito/bff`'s options are checked at registration: each problem is a coded
 * FST_COGNITO_INVALID_OPTION that names the option, and `ready()` fails with it.
 */
import t from 'tap'
import type { Test } from 'tap'
import Fastify from 'fastify'
import cognitoBff, { type CognitoBffOptions } from '../../lib/bff.js'
import fastifyCognito from '../../lib/index.js'
import { createTestPool } from '../../lib/testing/index.js'

const pool = await createTestPool()
t.teardown(() => pool.close())
const upstream = 'http://127.0.0.1:9'

async function register (options: unknown, withPlugin = true): Promise<Error | undefined> {
  const app = Fastify()
  t.teardown(() => app.close())
  if (withPlugin) await app.register(fastifyCognito, { ...pool.pluginOptions(), jwks: { warmup: false } })
  app.register(cognitoBff, options as CognitoBffOptions)
  try {
    await app.ready()
    return undefined
  } catch (err) {
    return err as Error
  }
}

async function refused (t: Test, options: unknown, message: RegExp): Promise<void> {
  const err = await register(options)
  t.equal((err as { code?: string } | undefined)?.code, 'FST_COGNITO_INVALID_OPTION', String(message))
  t.match(err?.message, message)
}

t.test('registering without fastify-cognito is refused with a clear error', async (t) => {
  const err = await register({ proxies: [] }, false)
  t.equal((err as { code?: string }).code, 'FST_COGNITO_INVALID_OPTION')
  t.match(err?.message, /fastify-cognito must be registered before fastify-cognito\/bff/)
})

t.test('proxies: a list of { prefix, upstream }', async (t) => {
  await refused(t, {}, /proxies must be a list/)
  await refused(t, { proxies: [null] }, /proxies\[0\] must be an object/)
})

t.test('prefixes: absolute paths, not the root, no trailing slash, no wildcard, no overlap', async (t) => {
  await refused(t, { proxies: [{ prefix: 'api', upstream }] }, /proxies\[0\]\.prefix must be a path starting with "\/"/)
  await refused(t, { proxies: [{ prefix: '/', upstream }] }, /prefix must be a path starting with "\/", other than "\/"/)
  await refused(t, { proxies: [{ prefix: '/api/', upstream }] }, /prefix must not end with "\/"/)
  await refused(t, { proxies: [{ prefix: '/api/*', upstream }] }, /must not end with "\/" nor hold "\*"/)
  await refused(t, { proxies: [{ prefix: '/api/:id', upstream }] }, /must not end with "\/" nor hold/)
  await refused(t, { proxies: [{ prefix: '/api', upstream }, { prefix: '/api', upstream }] }, /"\/api" and "\/api" overlap/)
  await refused(t, { proxies: [{ prefix: '/api', upstream }, { prefix: '/api/orders', upstream }] }, /"\/api" and "\/api\/orders" overlap/)
  await refused(t, { proxies: [{ prefix: '/session/x', upstream }] }, /"\/session\/x" and "\/session" overlap/)
  t.equal(await register({ proxies: [{ prefix: '/api', upstream }, { prefix: '/apis', upstream }] }), undefined, 'a shared start is not an overlap')
})

t.test('upstreams: absolute http(s) URLs, no credentials, query or fragment', async (t) => {
  for (const bad of [undefined, 'orders.internal', 'ftp://orders.internal', 42]) {
    await refused(t, { proxies: [{ prefix: '/api', upstream: bad }] }, /proxies\[0\]\.upstream must be an absolute http: or https: URL/)
  }
  for (const bad of ['https://user:pw@orders.internal', 'https://orders.internal/?a=1', 'https://orders.internal/#x']) {
    await refused(t, { proxies: [{ prefix: '/api', upstream: bad }] }, /must not hold credentials, a query or a fragment/)
  }
})

t.test('per-proxy settings', async (t) => {
  await refused(t, { proxies: [{ prefix: '/api', upstream, timeout: 0 }] }, /proxies\[0\]\.timeout must be a whole number of ms, at least 1/)
  await refused(t, { proxies: [{ prefix: '/api', upstream, bodyTimeout: -1 }] }, /bodyTimeout must be a whole number of ms, at least 0/)
  await refused(t, { proxies: [{ prefix: '/api', upstream, timeout: 1.5 }] }, /timeout must be a whole number/)
  await refused(t, { proxies: [{ prefix: '/api', upstream, allowSetCookie: 'yes' }] }, /allowSetCookie must be a boolean/)
  await refused(t, { proxies: [{ prefix: '/api', upstream, websocket: 1 }] }, /websocket must be a boolean/)
  await refused(t, { proxies: [{ prefix: '/api', upstream, groups: 'admin' }] }, /groups must be a list of non-empty strings/)
  await refused(t, { proxies: [{ prefix: '/api', upstream, scopes: [''] }] }, /scopes must be a list of non-empty strings/)
})

t.test('CSRF and session endpoint settings', async (t) => {
  await refused(t, { proxies: [], csrfHeader: 'x csrf' }, /csrfHeader must be a header name/)
  await refused(t, { proxies: [], csrfHeader: 7 }, /csrfHeader must be a header name/)
  await refused(t, { proxies: [], csrfValue: '' }, /csrfValue must be a non-empty string/)
  await refused(t, { proxies: [], allowSameSite: 'no' }, /allowSameSite must be a boolean/)
  await refused(t, { proxies: [], stripCsrfHeader: 0 }, /stripCsrfHeader must be a boolean/)
  await refused(t, { proxies: [], silentLogin: 'yes' }, /silentLogin must be a boolean/)
  await refused(t, { proxies: [], sessionPath: 'session' }, /sessionPath must be a path/)
  await refused(t, { proxies: [], userClaims: ['email', ''] }, /userClaims must be a list of claim names/)
  await refused(t, { proxies: [], userClaims: 'email' }, /userClaims must be a list of claim names/)
})
