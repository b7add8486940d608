/**
 * Login transactions are bound to the browser that started them, with a cookie no sibling host can
 * write, and cannot pile up: attacks on the login's own state between /login and the callback.
 */
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../helpers/app.js'
import { CookieJar, setCookieLines } from '../helpers/cookies.js'
import { alice, idpOptions, startPoolWithTokenEndpoint } from '../helpers/token-endpoint.js'

const { pool, idp } = await startPoolWithTokenEndpoint(t)
const HTTPS = { redirectUri: 'https://app.example.com/auth/callback', logoutUri: 'https://app.example.com/' }
const app = await buildApp(t, { ...idpOptions(pool, idp), ...HTTPS })

/** The token endpoint answers a code exchange for alice with tokens carrying `nonce`. */
function answerWithNonce (nonce: string): void {
  idp.setToken('ok')
  idp.onToken(async () => {
    const { accessToken } = await pool.mintTokens(alice)
    return { json: { access_token: accessToken, id_token: await pool.mintIdToken({ ...alice, nonce }), token_type: 'Bearer', expires_in: 3600 } }
  })
}

async function startLogin (target: FastifyInstance, jar: CookieJar, returnTo?: string): Promise<{ state: string, nonce: string }> {
  const res = await target.inject({ url: '/login', headers: { host: 'app.example.com' }, query: returnTo === undefined ? {} : { returnTo }, cookies: jar.cookies() })
  jar.store(res)
  const params = new URL(res.headers.location as string).searchParams
  return { state: params.get('state') as string, nonce: params.get('nonce') as string }
}

t.test('login CSRF from a sibling subdomain: a transaction planted under any name a sibling can write is ignored', async (t) => {
  // The attacker starts a login in her own browser and stops before the redirect back.
  const attacker = new CookieJar()
  const a = await startLogin(app, attacker)
  const planted = attacker.get('__Host-cognito_tx') as string
  t.ok(planted, 'the transaction cookie is __Host- on https')
  // evil.example.com can set cookies with Domain=example.com, but never a __Host- one.
  const before = idp.counts.token
  for (const name of ['cognito_tx', '__Secure-cognito_tx', `__Secure-cognito_tx_${a.state.slice(0, 16)}`, 'cognito_tx_x']) {
    const victim = new CookieJar()
    await startLogin(app, victim) // the victim may or may not have a login of her own in progress
    const res = await app.inject({ url: '/auth/callback', query: { code: 'attackers-code', state: a.state }, cookies: { ...victim.cookies(), [name]: planted } })
    t.equal(res.statusCode, 400, name)
    t.equal(res.json().code, 'FST_COGNITO_LOGIN_TRANSACTION', name)
    t.notOk(setCookieLines(res).some(l => l.startsWith('__Host-cognito_access=') && !l.startsWith('__Host-cognito_access=;')), `${name}: no session`)
  }
  t.equal(idp.counts.token, before, 'the attacker\'s code was never exchanged')
  // Control: under the one name only this host can set, the same value is a transaction again.
  answerWithNonce(a.nonce)
  const own = await app.inject({ url: '/auth/callback', query: { code: 'attackers-code', state: a.state }, cookies: { '__Host-cognito_tx': planted } })
  t.equal(own.statusCode, 302, 'the attacker\'s own browser completes her login')
})

t.test('twenty logins in a row, then a callback: the newest login completes and no header passes 8 kB', async (t) => {
  const jar = new CookieJar()
  const longReturnTo = `/reports?${'q=' + 'x'.repeat(1000)}`
  let last = { state: '', nonce: '' }
  const states: string[] = []
  for (let i = 0; i < 20; i++) {
    last = await startLogin(app, jar, i % 2 === 0 ? longReturnTo : `/page/${i}`)
    states.push(last.state)
    const header = Object.entries(jar.cookies()).map(([k, v]) => `${k}=${v}`).join('; ')
    t.ok(header.length < 8192, `login ${i + 1}: the Cookie header is ${header.length} bytes`)
  }
  t.same(Object.keys(jar.cookies()), ['__Host-cognito_tx'], 'one cookie, however many logins')
  answerWithNonce(last.nonce)
  const res = await app.inject({ url: '/auth/callback', query: { code: 'c', state: last.state }, cookies: jar.cookies() })
  t.equal(res.statusCode, 302, 'the newest login completes')
  t.equal(res.headers.location, '/page/19')
  for (const line of setCookieLines(res)) t.ok(line.length <= 4096, `${line.split('=')[0] as string}: ${line.length} bytes`)
  // The oldest logins were dropped as newer ones came: their callbacks are a clear 400, never a 431.
  const old = await app.inject({ url: '/auth/callback', query: { code: 'c', state: states[0] as string }, cookies: new CookieJar().store(res).cookies() })
  t.equal(old.statusCode, 400)
})

t.test('a returnTo too long to keep falls back to defaultReturnTo instead of growing the cookie', async (t) => {
  const jar = new CookieJar()
  const { state, nonce } = await startLogin(app, jar, `/${'a'.repeat(1500)}`)
  t.ok((jar.get('__Host-cognito_tx') as string).length < 1500, 'the long returnTo was not stored')
  answerWithNonce(nonce)
  const res = await app.inject({ url: '/auth/callback', query: { code: 'c', state }, cookies: jar.cookies() })
  t.equal(res.headers.location, '/')
})

t.test('a Strict session SameSite still completes a login: the transaction cookie is Lax', async (t) => {
  const strict = await buildApp(t, { ...idpOptions(pool, idp), ...HTTPS, cookie: { sameSite: 'strict' } })
  const res = await strict.inject({ url: '/login', headers: { host: 'app.example.com' } })
  const tx = setCookieLines(res)[0] as string
  t.match(tx, /^__Host-cognito_tx=.*; SameSite=Lax/)
})

t.test('a login opened under another host name is first moved to the redirect URI\'s host, same path and returnTo, once', async (t) => {
  const res = await app.inject({ url: '/login?returnTo=%2Forders', headers: { host: 'www.app.example.com' } })
  t.equal(res.statusCode, 302)
  const moved = new URL(res.headers.location as string)
  t.equal(moved.host, 'app.example.com')
  t.equal(moved.pathname, '/login')
  t.equal(moved.searchParams.get('returnTo'), '/orders')
  t.equal(res.headers['set-cookie'], undefined, 'no transaction is started on the wrong host')
  // Arrived (or a proxy that rewrites Host): the login starts, never a second move.
  const again = await app.inject({ url: `${moved.pathname}${moved.search}`, headers: { host: 'internal-name:8080' } })
  t.match(again.headers.location, /\/oauth2\/authorize\?/)
  t.match(setCookieLines(again)[0], /^__Host-cognito_tx=/)
})

t.test('three pending logins with long returnTo values do not fit one cookie: the oldest goes, the newest completes', async (t) => {
  const jar = new CookieJar()
  const logins = []
  for (let i = 0; i < 3; i++) logins.push(await startLogin(app, jar, `/long/${i}/${'x'.repeat(1000)}`))
  const header = setCookieLines(await app.inject({ url: '/login', headers: { host: 'app.example.com' }, query: { returnTo: `/long/3/${'x'.repeat(1000)}` }, cookies: jar.cookies() }))[0] as string
  t.ok(header.length <= 4096, `the transaction cookie stays within 4096 bytes (${header.length})`)
  const newest = logins[2] as { state: string, nonce: string }
  answerWithNonce(newest.nonce)
  const res = await app.inject({ url: '/auth/callback', query: { code: 'c', state: newest.state }, cookies: jar.cookies() })
  t.equal(res.statusCode, 302)
  t.match(res.headers.location, /^\/long\/2\//)
  const oldest = logins[0] as { state: string }
  const jar2 = new CookieJar()
  for (let i = 0; i < 3; i++) await startLogin(app, jar2, `/long/${i}/${'x'.repeat(1000)}`)
  t.equal((await app.inject({ url: '/auth/callback', query: { code: 'c', state: oldest.state }, cookies: jar2.cookies() })).statusCode, 400, 'an older login made room')
})

t.test('a Host header no URL can hold is moved to the redirect URI\'s host like any other name', async (t) => {
  const res = await app.inject({ url: '/login', headers: { host: 'bad host' } })
  t.equal(res.statusCode, 302)
  t.equal(new URL(res.headers.location as string).host, 'app.example.com')
})
