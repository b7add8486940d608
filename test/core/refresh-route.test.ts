/**
 * POST /refresh against a token endpoint (the faulty IdP) whose answers tests choose: new tokens
 * stored, rotation, invalid_grant ends the session, Cognito's failures keep it, CSRF refused.
 */
import t from 'tap'
import { decodeJwt } from 'jose'
import { createTestPool } from '../../lib/testing/index.js'
import type { Behaviour } from '../helpers/faulty-idp.js'
import { buildApp, meRoutes } from '../helpers/app.js'
import { clearedCookies, CookieJar, setCookies } from '../helpers/cookies.js'
import { alice, answerTokens, fakeRefreshToken, idpOptions, startPoolWithTokenEndpoint } from '../helpers/token-endpoint.js'

const { pool, idp } = await startPoolWithTokenEndpoint(t)
const app = await buildApp(t, { ...idpOptions(pool, idp), timeout: 500 }, { routes: meRoutes })

let n = 0
/** A session whose refresh token is new to the refresher (it remembers answers per refresh token). */
async function session (): Promise<{ jar: Record<string, string>, refreshToken: string, accessToken: string }> {
  const refreshToken = fakeRefreshToken(`session-${n++}`)
  const tokens = await pool.mintTokens(alice)
  return { jar: app.cognito.sealSession({ ...tokens, refreshToken }), refreshToken, accessToken: tokens.accessToken }
}

t.test('POST /refresh exchanges the refresh token and stores the new access and ID tokens', async (t) => {
  answerTokens(idp, pool)
  const { jar, refreshToken, accessToken } = await session()
  const before = idp.requests.length
  const res = await app.inject({ method: 'POST', url: '/refresh', cookies: jar })
  t.equal(res.statusCode, 200)
  const grant = idp.requests.slice(before)
  t.equal(grant.length, 1)
  t.equal(grant[0]?.form?.get('grant_type'), 'refresh_token')
  t.equal(grant[0]?.form?.get('refresh_token'), refreshToken, 'the session\'s refresh token was sent')
  t.equal(res.headers['cache-control'], 'no-store')
  const stored = setCookies(res)
  t.same(Object.keys(stored).sort(), ['cognito_access', 'cognito_id'], 'new access and ID cookies; the refresh cookie is untouched (no rotation)')
  t.same(clearedCookies(res), [])
  const me = await app.inject({ url: '/me', cookies: new CookieJar(jar).store(res).cookies() })
  const body = res.json()
  t.equal(body.refreshed, true)
  t.equal(body.expiresAt, me.json().accessToken.exp, 'expiresAt is the new access token\'s exp')
  t.not(me.json().accessToken.jti, decodeJwt(accessToken).jti, 'the session now holds the new access token')
  t.not(me.json().idToken, null, 'and a verified ID token')
})

t.test('with rotation, the refresh token in the answer replaces the refresh cookie', async (t) => {
  const rotated = fakeRefreshToken('rotated-1')
  answerTokens(idp, pool, alice, { refresh_token: rotated })
  const { jar } = await session()
  const res = await app.inject({ method: 'POST', url: '/refresh', cookies: jar })
  t.equal(res.statusCode, 200)
  t.same(Object.keys(setCookies(res)).sort(), ['cognito_access', 'cognito_id', 'cognito_refresh'])

  answerTokens(idp, pool)
  const before = idp.requests.length
  const next = await app.inject({ method: 'POST', url: '/refresh', cookies: new CookieJar(jar).store(res).cookies() })
  t.equal(next.statusCode, 200)
  t.equal(idp.requests[before]?.form?.get('refresh_token'), rotated, 'the next refresh uses the rotated token')
})

t.test('invalid_grant: 401 FST_COGNITO_REFRESH_REJECTED and every session cookie cleared', async (t) => {
  idp.setToken('invalid-grant')
  const { jar } = await session()
  const big = app.cognito.sealSession({ accessToken: 'a'.repeat(10), idToken: 'i'.repeat(6000) })
  const withChunks = { ...jar, ...Object.fromEntries(Object.entries(big).filter(([name]) => name.startsWith('cognito_id.'))) }
  const res = await app.inject({ method: 'POST', url: '/refresh', cookies: withChunks })
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'FST_COGNITO_REFRESH_REJECTED')
  const chunks = Object.keys(withChunks).filter(name => name.startsWith('cognito_id.'))
  t.ok(chunks.length > 0)
  t.same(clearedCookies(res), ['cognito_access', 'cognito_id', ...chunks, 'cognito_refresh'].sort())
})

t.test('Cognito failing (down, 500, HTML, garbage, no tokens, hanging): 502 and no cookie cleared', async (t) => {
  const failures: Behaviour[] = ['down', 'status500', 'html', 'garbage', 'json-without-tokens', 'hang']
  for (const behaviour of failures) {
    idp.setToken(behaviour)
    const { jar } = await session()
    const res = await app.inject({ method: 'POST', url: '/refresh', cookies: jar })
    t.equal(res.statusCode, 502, behaviour)
    t.equal(res.json().code, 'FST_COGNITO_IDP_ERROR', behaviour)
    t.equal(res.headers['set-cookie'], undefined, `${behaviour}: no cookie set or cleared`)
  }
})

t.test('token endpoint answers that are not a usable token set are 502 with a reason', async (t) => {
  const cases: Array<[string, { status?: number, json: unknown }, RegExp]> = [
    ['another OAuth error', { status: 400, json: { error: 'invalid_client', error_description: 'Client authentication failed' } }, /refused the refresh: invalid_client/],
    ['an OAuth error with a non-string description', { status: 401, json: { error: 'unauthorized_client', error_description: 42 } }, /refused the refresh: unauthorized_client/],
    ['an error code with odd characters', { status: 400, json: { error: '<script>' } }, /refused the refresh: unknown_error/],
    ['a 400 without an error field', { status: 400, json: { message: 'Bad Request' } }, /answered HTTP 400/],
    ['a 403', { status: 403, json: { error: 'forbidden' } }, /answered HTTP 403/],
    ['JSON that is not an object', { json: 'access_token' }, /without an access_token/],
    ['JSON null', { json: null }, /without an access_token/],
    ['an empty access token', { json: { access_token: '' } }, /without an access_token/],
    ['a non-string id_token', { json: { access_token: 'a', id_token: 7 } }, /non-string id_token/],
    ['a non-string refresh_token', { json: { access_token: 'a', refresh_token: {} } }, /non-string refresh_token/],
    ['an answer over 256 kB', { json: { access_token: 'a', padding: 'x'.repeat(300 * 1024) } }, /answer too large/]
  ]
  for (const [what, reply, message] of cases) {
    idp.setToken('ok')
    idp.onToken(() => reply)
    const { jar } = await session()
    const res = await app.inject({ method: 'POST', url: '/refresh', cookies: jar })
    t.equal(res.statusCode, 502, what)
    t.equal(res.json().code, 'FST_COGNITO_IDP_ERROR', what)
    t.match(res.json().message, message, what)
    t.equal(res.headers['set-cookie'], undefined, `${what}: no cookie set or cleared`)
  }
})

t.test('tokens from Cognito that do not verify are a 502 FST_COGNITO_IDP_TOKEN_INVALID', async (t) => {
  const cases: Array<[string, () => Promise<Record<string, unknown>>, RegExp]> = [
    ['an access token of another client', async () => ({ access_token: await pool.mintAccessToken({ username: 'alice', claims: { client_id: 'x' } }) }), /client_id is not this app client/],
    ['an already expired access token', async () => ({ access_token: await pool.mintAccessToken({ username: 'alice', expiresIn: -60 }) }), /already expired/],
    ['an ID token of another user', async () => ({ access_token: await pool.mintAccessToken({ username: 'alice' }), id_token: await pool.mintIdToken({ username: 'bob' }) }), /different users/],
    ['an ID token that does not verify', async () => ({ access_token: await pool.mintAccessToken({ username: 'alice' }), id_token: await pool.mintIdToken({ username: 'alice', claims: { aud: 'x' } }) }), /aud is not this app client/]
  ]
  for (const [what, make, message] of cases) {
    idp.setToken('ok')
    const json = await make()
    idp.onToken(() => ({ json }))
    const { jar } = await session()
    const res = await app.inject({ method: 'POST', url: '/refresh', cookies: jar })
    t.equal(res.statusCode, 502, what)
    t.equal(res.json().code, 'FST_COGNITO_IDP_TOKEN_INVALID', what)
    t.match(res.json().message, message, what)
    t.equal(res.headers['set-cookie'], undefined, `${what}: nothing stored`)
  }
})

t.test('an answer without id_token stores the access token only', async (t) => {
  idp.setToken('ok')
  idp.onToken(async () => ({ json: { access_token: await pool.mintAccessToken(alice), expires_in: 3600 } }))
  const { jar } = await session()
  const res = await app.inject({ method: 'POST', url: '/refresh', cookies: jar })
  t.equal(res.statusCode, 200)
  t.same(Object.keys(setCookies(res)), ['cognito_access'])
})

t.test('no refresh cookie: 401 FST_COGNITO_NO_REFRESH_TOKEN without calling Cognito', async (t) => {
  answerTokens(idp, pool)
  const before = idp.counts.token
  const tokens = await pool.mintTokens(alice)
  const res = await app.inject({ method: 'POST', url: '/refresh', cookies: app.cognito.sealSession(tokens) })
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'FST_COGNITO_NO_REFRESH_TOKEN')
  t.equal((await app.inject({ method: 'POST', url: '/refresh' })).json().code, 'FST_COGNITO_NO_REFRESH_TOKEN')
  t.equal(idp.counts.token, before)
})

t.test('CSRF: cross-site and same-site requests are refused; same-origin ones pass', async (t) => {
  answerTokens(idp, pool)
  const refused: Array<Record<string, string>> = [
    { origin: 'https://evil.example' },
    { origin: 'null' },
    { origin: 'http://localhost:8080' },
    { 'sec-fetch-site': 'cross-site' },
    { 'sec-fetch-site': 'same-site' },
    { origin: 'https://evil.example', 'sec-fetch-site': 'same-origin' }
  ]
  for (const headers of refused) {
    const { jar } = await session()
    const res = await app.inject({ method: 'POST', url: '/refresh', cookies: jar, headers })
    t.equal(res.statusCode, 403, JSON.stringify(headers))
    t.equal(res.json().code, 'FST_COGNITO_CROSS_SITE_REQUEST')
    t.equal(res.headers['set-cookie'], undefined)
  }
  for (const headers of [{ origin: 'http://localhost' }, { 'sec-fetch-site': 'same-origin' }, { 'sec-fetch-site': 'none' }, {}]) {
    const { jar } = await session()
    const res = await app.inject({ method: 'POST', url: '/refresh', cookies: jar, headers })
    t.equal(res.statusCode, 200, JSON.stringify(headers))
  }
})

t.test('a form post from a page (Accept: text/html) is answered 303 back to returnTo', async (t) => {
  answerTokens(idp, pool)
  const form = { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', origin: 'http://localhost' }
  const back = await app.inject({ method: 'POST', url: '/refresh?returnTo=%2Forders%3Fpage%3D2', headers: form, payload: 'csrf=ignored', cookies: (await session()).jar })
  t.equal(back.statusCode, 303)
  t.equal(back.headers.location, '/orders?page=2')
  t.ok(setCookies(back).cognito_access, 'the new tokens are stored')

  const home = await app.inject({ method: 'POST', url: '/refresh?returnTo=https%3A%2F%2Fevil.example%2F', headers: form, payload: '', cookies: (await session()).jar })
  t.equal(home.statusCode, 303)
  t.equal(home.headers.location, '/', 'a hostile returnTo falls back to defaultReturnTo')

  const huge = await app.inject({ method: 'POST', url: '/refresh', headers: form, payload: `x=${'a'.repeat(5000)}`, cookies: (await session()).jar })
  t.equal(huge.statusCode, 413, 'the form body is bounded')
})

t.test('when the signing keys cannot be fetched, the refresh answers 503 and keeps the session', async (t) => {
  const dead = await createTestPool()
  await dead.close()
  const offline = await buildApp(t, { ...dead.pluginOptions(), domain: idp.url, issuer: dead.issuer, jwks: { warmup: false } })
  idp.setToken('ok')
  idp.onToken(async () => {
    const { accessToken, idToken } = await dead.mintTokens(alice)
    return { json: { access_token: accessToken, id_token: idToken, expires_in: 3600 } }
  })
  const jar = offline.cognito.sealSession({ ...await dead.mintTokens(alice), refreshToken: fakeRefreshToken('keys-down') })
  const res = await offline.inject({ method: 'POST', url: '/refresh', cookies: jar })
  t.equal(res.statusCode, 503)
  t.equal(res.json().code, 'FST_COGNITO_JWKS_UNAVAILABLE')
  t.equal(res.headers['set-cookie'], undefined, 'nothing stored, nothing cleared')
})
