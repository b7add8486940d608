import t from 'tap'
import { LocalCognitoBrowser } from '../../lib/local/index.js'
import { authorizeUrl, pkce, REDIRECT_URI, signIn, start, token } from '../helpers/local-cognito.js'

t.test('prompt=none with a live login session: the code comes back, no page shown', async (t) => {
  const local = await start(t)
  const { browser } = await signIn(local)
  const verifier = pkce()
  const res = await browser.request(authorizeUrl(local, { challenge: verifier.challenge, state: 'silent', extra: { prompt: 'none' } }))
  t.equal(res.status, 303)
  const callback = new URL(res.headers.get('location') ?? '')
  t.equal(callback.origin + callback.pathname, REDIRECT_URI)
  t.same([...callback.searchParams.keys()].sort(), ['code', 'state'])
  t.equal(callback.searchParams.get('state'), 'silent')
  const answer = await token(local, local.clients.confidential, {
    grant_type: 'authorization_code', code: callback.searchParams.get('code') ?? '', redirect_uri: REDIRECT_URI, code_verifier: verifier.verifier
  })
  t.equal(answer.status, 200, 'the code is a good one')
})

t.test('prompt=none without a session: back to the app with error=login_required, no page shown', async (t) => {
  const local = await start(t)
  const browser = new LocalCognitoBrowser(local.url)
  const res = await browser.request(authorizeUrl(local, { challenge: pkce().challenge, state: 'st-1', extra: { prompt: 'none' } }))
  t.equal(res.status, 303)
  t.notMatch(await res.text(), /<form|<html/i, 'no page')
  const callback = new URL(res.headers.get('location') ?? '')
  t.equal(callback.origin + callback.pathname, REDIRECT_URI)
  t.equal(callback.searchParams.get('error'), 'login_required')
  t.equal(callback.searchParams.get('state'), 'st-1')
  t.equal(callback.searchParams.get('code'), null)
  t.equal(callback.searchParams.get('iss'), null, 'no iss, as Cognito')
})

t.test('prompt=none after /logout: login_required again', async (t) => {
  const local = await start(t)
  const { browser } = await signIn(local)
  const logout = new URL('/logout', local.url)
  logout.searchParams.set('client_id', local.clients.confidential.clientId)
  logout.searchParams.set('logout_uri', 'http://localhost:3000/postlogout')
  await browser.signIn(logout)
  const callback = await browser.signIn(authorizeUrl(local, { challenge: pkce().challenge, extra: { prompt: 'none' } }))
  t.equal(callback.searchParams.get('error'), 'login_required')
})
