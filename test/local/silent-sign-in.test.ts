import t from 'tap'
import { LocalCognitoBrowser } from '../../lib/local/index.js'
import { authorizeUrl, pkce, signIn, start } from '../helpers/local-cognito.js'

t.test('with the stand-in\'s session cookie, authorize signs in silently', async (t) => {
  const local = await start(t)
  const first = await signIn(local)
  t.type(first.browser.cookies.cognito, 'string', 'the hosted UI keeps a sign-in cookie')

  const res = await first.browser.request(authorizeUrl(local, { challenge: pkce().challenge, state: 'again' }))
  t.equal(res.status, 303)
  const callback = new URL(res.headers.get('location') ?? '')
  t.equal(callback.origin + callback.pathname, 'http://localhost:3000/postlogin', 'straight back to the app, no login form')
  t.equal(callback.searchParams.get('state'), 'again')
  t.type(callback.searchParams.get('code'), 'string')
  t.not(callback.searchParams.get('code'), first.code, 'a fresh code')
})

t.test('silent sign-in works for the other client too (one hosted-UI session per browser)', async (t) => {
  const local = await start(t)
  const { browser } = await signIn(local)
  const callback = await browser.signIn(authorizeUrl(local, { clientId: local.clients.public.clientId, challenge: pkce().challenge }))
  t.type(callback.searchParams.get('code'), 'string')
})

t.test('another browser (no cookie) is asked for the password', async (t) => {
  const local = await start(t)
  await signIn(local)
  await t.rejects(new LocalCognitoBrowser(local.url).signIn(authorizeUrl(local, { challenge: pkce().challenge })), { name: 'HostedUiError' })
})

t.test('prompt=login asks for the password despite the session', async (t) => {
  const local = await start(t)
  const { browser } = await signIn(local)
  const url = authorizeUrl(local, { challenge: pkce().challenge, extra: { prompt: 'login' } })
  await t.rejects(browser.signIn(url), { message: /asks for a username and password/ })
})
