import t from 'tap'
import { request } from 'undici'
import { authorizeUrl, claims, pkce, signIn, signInForTokens, start } from '../helpers/local-cognito.js'

t.test('an unregistered redirect_uri gets an error page and never a redirect', async (t) => {
  const local = await start(t)
  for (const redirectUri of ['http://localhost:3000/evil', 'http://localhost:3000/postlogin/', 'https://attacker.example/postlogin']) {
    const res = await request(authorizeUrl(local, { redirectUri, challenge: pkce().challenge }))
    const page = await res.body.text()
    t.equal(res.statusCode, 400, redirectUri)
    t.equal(res.headers.location, undefined, `no Location for ${redirectUri}`)
    t.match(page, /redirect_uri/)
    t.notMatch(page, /attacker\.example|localhost:3000\/evil/, 'the page does not link back')
  }
})

t.test('an unknown client_id gets an error page and never a redirect', async (t) => {
  const local = await start(t)
  const res = await request(authorizeUrl(local, { clientId: 'nobody', challenge: pkce().challenge }))
  t.equal(res.statusCode, 400)
  t.equal(res.headers.location, undefined)
  t.match(await res.body.text(), /invalid_client/)
})

t.test('a signed-in browser is still never sent to an unregistered redirect_uri', async (t) => {
  const local = await start(t)
  const { browser } = await signIn(local)
  const res = await browser.request(authorizeUrl(local, { redirectUri: 'http://localhost:3000/evil', challenge: pkce().challenge }))
  t.equal(res.status, 400)
  t.equal(res.headers.get('location'), null)
})

t.test('an authorization request without scope gets all of Cognito\'s scopes', async (t) => {
  const local = await start(t)
  const tokens = await signInForTokens(local, { scope: null })
  t.same(String(claims(tokens.access_token).scope).split(' ').sort(), ['aws.cognito.signin.user.admin', 'email', 'openid', 'phone', 'profile'])
  t.type(tokens.id_token, 'string', 'openid is among them')
})
