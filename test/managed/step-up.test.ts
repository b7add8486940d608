/**
 * Step-up (`maxAge`, RFC 9470): a sign-in older than a route allows sends a page to a fresh login
 * (`prompt=login`) and back, and gives an API call 401 `insufficient_user_authentication`.
 */
import t from 'tap'
import { buildApp } from '../helpers/app.js'
import { CookieJar, setCookieLines } from '../helpers/cookies.js'
import { startRig } from '../helpers/rig.js'

const rig = await startRig(t)
const app = await buildApp(t, rig.options(), {
  routes: (app) => app.get('/transfer', { preHandler: app.cognito.guard({ maxAge: 300 }) }, async (request) => ({ authTime: request.cognito?.authTime }))
})
const now = (): number => Math.floor(Date.now() / 1000)
const signedInAgo = (seconds: number): Promise<{ accessToken: string, idToken: string }> => rig.mintTokens({ username: 'alice', claims: { auth_time: now() - seconds } } as never)

t.test('a recent sign-in passes and request.cognito.authTime says when it was', async (t) => {
  const tokens = await signedInAgo(60)
  const res = await app.inject({ url: '/transfer', headers: rig.pool.bearer(tokens.accessToken) })
  t.equal(res.statusCode, 200)
  t.ok(Math.abs(res.json().authTime - (now() - 60)) <= 2)
})

t.test('an API call with an old sign-in gets 401 and the RFC 9470 challenge with max_age', async (t) => {
  const res = await app.inject({ url: '/transfer', headers: rig.pool.bearer((await signedInAgo(3600)).accessToken) })
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'FST_COGNITO_STEP_UP_REQUIRED')
  t.match(res.headers['www-authenticate'], /^Bearer error="insufficient_user_authentication", .*max_age=300$/)
})

t.test('a page with an old sign-in goes to login with prompt=login and comes back to the same page; a second bounce is a 401, not a loop', async (t) => {
  const jar = new CookieJar(app.cognito.sealSession(await signedInAgo(3600)))
  const res = await app.inject({ url: '/transfer?amount=5', headers: { accept: 'text/html' }, cookies: jar.cookies() })
  t.equal(res.statusCode, 302)
  const to = new URL(res.headers.location as string, 'http://localhost')
  t.equal(to.pathname, '/login')
  t.equal(to.searchParams.get('prompt'), 'login')
  t.equal(to.searchParams.get('returnTo'), '/transfer?amount=5')
  const login = await app.inject({ url: `${to.pathname}${to.search}`, cookies: jar.store(res).cookies() })
  t.equal(new URL(login.headers.location as string).searchParams.get('prompt'), 'login', 'Cognito is asked for a fresh sign-in')
  // Cognito without managed login may ignore prompt=login and hand back the same old sign-in.
  const again = await app.inject({ url: '/transfer?amount=5', headers: { accept: 'text/html' }, cookies: jar.store(login).cookies() })
  t.equal(again.statusCode, 401, 'the marker stops a second round trip')
  t.equal(again.json().code, 'FST_COGNITO_STEP_UP_REQUIRED')
  t.ok(setCookieLines(res).some(l => /^cognito_stepup=\d+; Max-Age=120/.test(l)))
  t.equal(res.headers['cache-control'], 'no-store', 'the marker\'s answer is never stored by a cache')
})

t.test('a fresh sign-in after the step-up passes', async (t) => {
  const jar = new CookieJar(app.cognito.sealSession(await signedInAgo(5)))
  t.equal((await app.inject({ url: '/transfer', headers: { accept: 'text/html' }, cookies: jar.cookies() })).statusCode, 200)
})

t.test('maxAge must be whole seconds', async (t) => {
  t.throws(() => app.cognito.guard({ maxAge: -1 }), { code: 'FST_COGNITO_INVALID_OPTION' })
  t.throws(() => app.cognito.guard({ maxAge: 1.5 }), { code: 'FST_COGNITO_INVALID_OPTION' })
})
