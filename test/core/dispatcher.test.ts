/**
 * The `dispatcher` option: every call to Cognito (JWKS, token, revoke) goes through the app's undici
 * dispatcher (a proxy, for instance), and a dispatcher that fails in odd ways is still a 502.
 */
import t from 'tap'
import { Agent, type Dispatcher } from 'undici'
import { createTestPool } from '../../lib/testing/index.js'
import { buildApp, meRoutes } from '../helpers/app.js'
import { fakeRefreshToken, idpOptions, startTokenEndpoint } from '../helpers/token-endpoint.js'

const pool = await createTestPool()
t.teardown(() => pool.close())
const idp = await startTokenEndpoint(t, pool)
const agent = new Agent()
t.teardown(() => agent.close())

t.test('JWKS, token and revoke calls all go through the configured dispatcher', async (t) => {
  const seen: string[] = []
  const dispatcher = agent.compose((dispatch) => (opts, handler) => {
    seen.push(`${String(opts.method)} ${String(opts.origin)}${opts.path}`)
    return dispatch(opts, handler)
  })
  const app = await buildApp(t, { ...idpOptions(pool, idp), dispatcher, jwks: { warmup: false } }, { routes: meRoutes })
  const jar = app.cognito.sealSession({ ...await pool.mintTokens({ username: 'alice', expiresIn: -60 }), refreshToken: fakeRefreshToken('via-dispatcher') })
  t.equal((await app.inject({ url: '/me', cookies: jar })).statusCode, 200, 'an expired session renewed')
  t.equal((await app.inject({ url: '/logout', headers: { 'sec-fetch-site': 'same-origin' }, cookies: jar })).statusCode, 302)
  const jwksPath = new URL(pool.jwksUri).pathname
  t.same(seen, [
    `GET ${new URL(pool.issuer).origin}${jwksPath}`,
    `POST ${idp.url}/oauth2/token`,
    `POST ${idp.url}/oauth2/revoke`
  ])
})

t.test('a dispatcher failing with something that is not an Error is a 502, not a 500', async (t) => {
  const failing = agent.compose((dispatch: Dispatcher['dispatch']) => (opts, handler) => {
    if (opts.path === '/oauth2/token') throw 'proxy refused' // eslint-disable-line no-throw-literal -- third-party code may do this
    return dispatch(opts, handler)
  })
  const app = await buildApp(t, { ...idpOptions(pool, idp), dispatcher: failing })
  const res = await app.inject({ method: 'POST', url: '/refresh', cookies: app.cognito.sealSession({ accessToken: 'a', refreshToken: fakeRefreshToken('odd-failure') }) })
  t.equal(res.statusCode, 502)
  t.match(res.json(), { code: 'FST_COGNITO_IDP_ERROR', message: 'Cognito endpoint failed: token endpoint could not be reached' })
})

t.test('a dispatcher failing with an Error is a 502 that says what failed in words, keeping the detail out of the body', async (t) => {
  const failing = agent.compose((dispatch: Dispatcher['dispatch']) => (opts, handler) => {
    if (opts.path === '/oauth2/token') throw new Error('proxy authentication required')
    return dispatch(opts, handler)
  })
  const app = await buildApp(t, { ...idpOptions(pool, idp), dispatcher: failing })
  const res = await app.inject({ method: 'POST', url: '/refresh', cookies: app.cognito.sealSession({ accessToken: 'a', refreshToken: fakeRefreshToken('error-failure') }) })
  t.equal(res.statusCode, 502)
  t.equal(res.json().message, 'Cognito endpoint failed: token endpoint could not be reached')
  t.notMatch(res.body, 'proxy authentication required', 'the underlying error stays in the log, not in the answer')
})
