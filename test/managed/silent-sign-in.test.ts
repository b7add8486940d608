/**
 * Silent sign-in (`prompt=none`): Cognito answering "no session here" with a valid state is not an
 * error; an identify guard tries it once per browser session on public pages, never in a loop.
 */
import t from 'tap'
import { buildApp } from '../helpers/app.js'
import { CookieJar, setCookieLines, setCookies } from '../helpers/cookies.js'
import { startRig } from '../helpers/rig.js'

const rig = await startRig(t)
const app = await buildApp(t, rig.options(), {
  routes: (app) => {
    app.get('/news', { preHandler: app.cognito.guard({ optional: true, silentLogin: true }) }, async (request) => ({ user: request.cognito?.username ?? null }))
  }
})
const PAGE = { accept: 'text/html' }

async function login (query: string, jar = new CookieJar()): Promise<{ jar: CookieJar, state: string, nonce: string, location: URL }> {
  const res = await app.inject({ url: `/login?${query}`, cookies: jar.cookies() })
  jar.store(res)
  const location = new URL(res.headers.location as string)
  return { jar, state: location.searchParams.get('state') as string, nonce: location.searchParams.get('nonce') as string, location }
}

t.test('/login?prompt=none asks Cognito without a page; login_required comes back anonymous to returnTo, the transaction spent', async (t) => {
  for (const error of ['login_required', 'interaction_required']) {
    const { jar, state, location } = await login('prompt=none&returnTo=%2Fnews')
    t.equal(location.searchParams.get('prompt'), 'none')
    const res = await app.inject({ url: '/auth/callback', query: { error, state }, cookies: jar.cookies() })
    t.equal(res.statusCode, 302, error)
    t.equal(res.headers.location, '/news', `${error}: back where the browser was`)
    t.notOk(setCookieLines(res).some(l => /^cognito_(access|id|refresh)=[^;]/.test(l)), `${error}: no session`)
    t.ok(setCookieLines(res).some(l => l.startsWith('cognito_tx=;')), `${error}: the transaction is spent`)
    const again = await app.inject({ url: '/auth/callback', query: { error, state }, cookies: jar.store(res).cookies() })
    t.equal(again.statusCode, 400, `${error}: and cannot be replayed`)
  }
})

t.test('login_required for a login that was not silent is still a coded 400', async (t) => {
  const { jar, state } = await login('returnTo=%2Fnews')
  const res = await app.inject({ url: '/auth/callback', query: { error: 'login_required', state }, cookies: jar.cookies() })
  t.equal(res.statusCode, 400)
  t.equal(res.json().code, 'FST_COGNITO_AUTHORIZE_ERROR')
})

t.test('a silent sign-in that finds a session at Cognito signs in like any login', async (t) => {
  const { jar, state, nonce } = await login('prompt=none&returnTo=%2Fnews')
  const res = await app.inject({ url: '/auth/callback', query: { code: rig.codeFor({ username: 'alice' }, nonce), state }, cookies: jar.cookies() })
  t.equal(res.statusCode, 302)
  t.ok(setCookies(res).cognito_access)
  t.same((await app.inject({ url: '/news', cookies: jar.store(res).cookies() })).json(), { user: 'alice' })
})

t.test('identify with silentLogin tries once per browser session: anonymous page -> prompt=none; with the marker, anonymous again, no loop', async (t) => {
  const first = await app.inject({ url: '/news?page=2', headers: PAGE })
  t.equal(first.statusCode, 302)
  const to = new URL(first.headers.location as string, 'http://localhost')
  t.equal(to.pathname, '/login')
  t.equal(to.searchParams.get('prompt'), 'none')
  t.equal(to.searchParams.get('returnTo'), '/news?page=2')
  const marker = setCookieLines(first).find(l => l.startsWith('cognito_silent='))
  t.ok(marker, 'a marker cookie')
  t.notMatch(marker as string, /Max-Age/, 'for the browser session only')
  t.equal(first.headers['cache-control'], 'no-store', 'the marker\'s answer is never stored by a cache')
  const jar = new CookieJar().store(first)
  const second = await app.inject({ url: '/news?page=2', headers: PAGE, cookies: jar.cookies() })
  t.equal(second.statusCode, 200, 'the second anonymous view is served')
  t.same(second.json(), { user: null })
})

t.test('silentLogin leaves API calls, bearer callers and signed-in users alone', async (t) => {
  t.same((await app.inject({ url: '/news' })).json(), { user: null }, 'a fetch without text/html is not redirected')
  const bearer = rig.pool.bearer(await rig.mintAccessToken({ username: 'bob' }))
  t.same((await app.inject({ url: '/news', headers: { ...PAGE, ...bearer } })).json(), { user: 'bob' })
})

t.test('silentLogin without optional is refused when the guard is made', async (t) => {
  t.throws(() => app.cognito.guard({ silentLogin: true }), { code: 'FST_COGNITO_INVALID_OPTION' })
})

t.test('a public page with an expired session and nothing to renew it asks Cognito silently, as for an anonymous visitor', async (t) => {
  const expired = await rig.mintTokens({ username: 'alice', claims: { exp: Math.floor(Date.now() / 1000) - 600 } } as never)
  const res = await app.inject({ url: '/news', headers: PAGE, cookies: app.cognito.sealSession({ accessToken: expired.accessToken, idToken: expired.idToken }) })
  t.equal(res.statusCode, 302)
  const to = new URL(res.headers.location as string, 'http://localhost')
  t.equal(to.searchParams.get('prompt'), 'none')
  t.equal(to.searchParams.get('returnTo'), '/news')
})
