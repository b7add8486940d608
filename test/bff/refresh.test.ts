/**
 * The token the API gets is fresh: a session whose access token is about to expire is renewed before
 * the call, with one refresh grant for concurrent requests; a session that cannot be renewed is a
 * coded 401, never a redirect, and nothing reaches the API.
 */
import t from 'tap'
import { decodeJwt } from 'jose'
import { request } from 'undici'
import { alice, fakeRefreshToken, startPoolWithTokenEndpoint } from '../helpers/token-endpoint.js'
import { cookieHeader } from '../helpers/cookies.js'
import { fromTheApp, startBffApp, startUpstream } from '../helpers/bff.js'

const { pool, idp } = await startPoolWithTokenEndpoint(t)
const upstream = await startUpstream(t)
const bff = { proxies: [{ prefix: '/api', upstream: upstream.url }] }
const { app, base } = await startBffApp(t, pool, idp, bff)

t.test('concurrent calls with a token about to expire: one refresh grant, every call carries the new token', async (t) => {
  const old = await pool.mintTokens({ ...alice, expiresIn: 30 })
  const cookie = cookieHeader(app.cognito.sealSession({ ...old, refreshToken: fakeRefreshToken('near') }))
  const grants = idp.counts.token
  const from = upstream.received.length
  const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => request(`${base}/api/orders/${i}`, { headers: { ...fromTheApp(base), cookie } })))
  for (const res of answers) {
    t.equal(res.statusCode, 200)
    t.ok(String(res.headers['set-cookie']).includes('_access='), 'the renewed session is written to the browser')
    await res.body.dump()
  }
  t.equal(idp.counts.token - grants, 1, 'exactly one refresh grant')
  const sent = upstream.received.slice(from).map(r => r.headers.authorization)
  t.equal(sent.length, 6)
  t.equal(new Set(sent).size, 1, 'every call carried the same token')
  t.not(sent[0], `Bearer ${old.accessToken}`, 'a new one')
  t.ok((decodeJwt(String(sent[0]).slice(7)).exp as number) > Date.now() / 1000 + 600)
})

t.test('an expired session is renewed first', async (t) => {
  const expired = await pool.mintTokens({ ...alice, expiresIn: -60 })
  const res = await app.inject({ url: '/api/x', cookies: app.cognito.sealSession({ ...expired, refreshToken: fakeRefreshToken('expired') }), headers: fromTheApp(base) })
  t.equal(res.statusCode, 200)
  t.not(res.json().headers.authorization, `Bearer ${expired.accessToken}`)
})

t.test('an expired session Cognito will not renew: 401 with a code, nothing sent', async (t) => {
  const expired = await pool.mintTokens({ ...alice, expiresIn: -60 })
  const from = upstream.received.length
  idp.setToken('invalid-grant')
  t.teardown(() => idp.setToken('ok'))
  const res = await app.inject({ url: '/api/x', cookies: app.cognito.sealSession({ ...expired, refreshToken: fakeRefreshToken('revoked') }), headers: fromTheApp(base, { accept: 'text/html' }) })
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'FST_COGNITO_REFRESH_REJECTED')
  t.equal(res.headers.location, undefined)
  t.equal(upstream.received.length, from)
})

t.test('with the refresh flow off, an expired session is a 401', async (t) => {
  const noRefresh = await startBffApp(t, pool, idp, bff, { refresh: false })
  const expired = await pool.mintTokens({ ...alice, expiresIn: -60 })
  const res = await noRefresh.app.inject({ url: '/api/x', cookies: noRefresh.app.cognito.sealSession(expired), headers: fromTheApp(noRefresh.base) })
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'FST_COGNITO_TOKEN_EXPIRED')
})

t.test('with every guard disabled there is no session to call with: 401', async (t) => {
  const disabled = await startBffApp(t, pool, idp, bff, { disabled: true })
  const res = await disabled.app.inject({ url: '/api/x', headers: fromTheApp(disabled.base) })
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'FST_COGNITO_UNAUTHENTICATED')
})
