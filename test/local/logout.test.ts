import t from 'tap'
import { request } from 'undici'
import { authorizeUrl, LOGOUT_URI, pkce, signIn, signInForTokens, start, token } from '../helpers/local-cognito.js'

function logoutUrl (domain: string, params: Record<string, string>): URL {
  const url = new URL('/logout', domain)
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value)
  return url
}

t.test('logout ends the hosted-UI session and redirects to the registered logout_uri', async (t) => {
  const local = await start(t)
  const { browser } = await signIn(local)
  const res = await browser.request(logoutUrl(local.url, { client_id: local.clients.confidential.clientId, logout_uri: LOGOUT_URI }))
  t.equal(res.status, 302)
  t.equal(res.headers.get('location'), LOGOUT_URI)
  t.notOk('cognito' in browser.cookies, 'the sign-in cookie is cleared')

  const again = await browser.request(authorizeUrl(local, { challenge: pkce().challenge }))
  t.match(again.headers.get('location'), /^\/login\//, 'the next authorize asks for the password again')
})

t.test('logout ends the session on the server: a copied session cookie no longer signs in', async (t) => {
  const local = await start(t)
  const { browser } = await signIn(local)
  const copied = Object.entries(browser.cookies).map(([name, value]) => `${name}=${value}`).join('; ')
  const authorize = (): Promise<string | string[] | undefined> =>
    request(authorizeUrl(local, { challenge: pkce().challenge }), { headers: { cookie: copied } }).then((res) => res.headers.location)
  t.match(await authorize(), /^http:\/\/localhost:3000\/postlogin\?code=/, 'the copy signs in before logout')

  await browser.request(logoutUrl(local.url, { client_id: local.clients.confidential.clientId, logout_uri: LOGOUT_URI }))
  t.match(await authorize(), /^\/login\//, 'and asks for the password after it')
})

t.test('logout refuses an unregistered logout_uri with a page, without redirecting or signing out', async (t) => {
  const local = await start(t)
  const { browser } = await signIn(local)
  for (const logoutUri of ['http://localhost:3000/elsewhere', 'https://attacker.example/']) {
    const res = await browser.request(logoutUrl(local.url, { client_id: local.clients.confidential.clientId, logout_uri: logoutUri }))
    t.equal(res.status, 400)
    t.equal(res.headers.get('location'), null)
    t.match(await res.text(), /redirect_mismatch/)
  }
  const res = await browser.request(logoutUrl(local.url, { client_id: local.clients.confidential.clientId }))
  t.equal(res.status, 400, 'logout_uri missing')
  t.type(browser.cookies.cognito, 'string', 'still signed in')
})

t.test('logout ignores post_logout_redirect_uri (Cognito wants logout_uri)', async (t) => {
  const local = await start(t)
  const res = await request(logoutUrl(local.url, { client_id: local.clients.confidential.clientId, post_logout_redirect_uri: LOGOUT_URI }))
  t.equal(res.statusCode, 400)
  t.equal(res.headers.location, undefined)
})

t.test('logout needs a known client_id', async (t) => {
  const local = await start(t)
  const cases: Array<Record<string, string>> = [{ logout_uri: LOGOUT_URI }, { client_id: 'nobody', logout_uri: LOGOUT_URI }]
  for (const params of cases) {
    const res = await request(logoutUrl(local.url, params))
    t.equal(res.statusCode, 400)
    t.equal(res.headers.location, undefined)
    t.match(await res.body.text(), /client_id/)
  }
})

t.test('logout without a session still redirects to the registered logout_uri', async (t) => {
  const local = await start(t)
  const res = await request(logoutUrl(local.url, { client_id: local.clients.public.clientId, logout_uri: LOGOUT_URI }))
  t.equal(res.statusCode, 302)
  t.equal(res.headers.location, LOGOUT_URI)
})

t.test('logout does not revoke tokens: the refresh token keeps working', async (t) => {
  const local = await start(t)
  const tokens = await signInForTokens(local)
  await tokens.signedIn.browser.request(logoutUrl(local.url, { client_id: local.clients.confidential.clientId, logout_uri: LOGOUT_URI }))
  const refreshed = await token(local, local.clients.confidential, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })
  t.equal(refreshed.status, 200)
  t.equal(local.isRevoked(tokens.refresh_token), false)
})
