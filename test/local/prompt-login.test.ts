import t from 'tap'
import { authorizeUrl, claims, pkce, PASSWORD, REDIRECT_URI, signIn, signInForTokens, start, token } from '../helpers/local-cognito.js'

t.test('prompt=login shows the login page despite a live session; the new sign-in replaces the session', async (t) => {
  const local = await start(t)
  const { browser } = await signIn(local, { username: 'alice' })
  const verifier = pkce()
  const callback = await browser.signIn(authorizeUrl(local, { challenge: verifier.challenge, extra: { prompt: 'login' } }), { username: 'bob', password: PASSWORD })
  const answer = await token(local, local.clients.confidential, {
    grant_type: 'authorization_code', code: callback.searchParams.get('code') ?? '', redirect_uri: REDIRECT_URI, code_verifier: verifier.verifier
  })
  t.equal(claims(answer.body.access_token as string).username, 'bob', 'signed in again, as someone else')

  const silent = await signInForTokens(local, { browser })
  t.equal(claims(silent.access_token).username, 'bob', 'the session is now bob\'s')
})

t.test('prompt=login with a wrong password: the form again, and the old session is untouched', async (t) => {
  const local = await start(t)
  const { browser } = await signIn(local, { username: 'alice' })
  await t.rejects(browser.signIn(authorizeUrl(local, { challenge: pkce().challenge, extra: { prompt: 'login' } }), { username: 'alice', password: 'wrong' }),
    { message: /sign-in failed: Incorrect username or password/ })
  const silent = await browser.signIn(authorizeUrl(local, { challenge: pkce().challenge }))
  t.type(silent.searchParams.get('code'), 'string', 'still signed in')
})

t.test('prompt=none combined with another value is refused back at the app', async (t) => {
  const local = await start(t)
  const { browser } = await signIn(local)
  const callback = await browser.signIn(authorizeUrl(local, { challenge: pkce().challenge, extra: { prompt: 'none login' } }))
  t.equal(callback.searchParams.get('error'), 'invalid_request')
})

t.test('prompt=login as the same user: a new sign-in, the same user', async (t) => {
  const local = await start(t)
  const { browser } = await signIn(local, { username: 'alice' })
  const tokens = await signInForTokens(local, { browser, extra: { prompt: 'login' } })
  t.equal(claims(tokens.access_token).username, 'alice')
})

t.test('prompt=consent and select_account are for external IdPs: ignored for the pool\'s users', async (t) => {
  const local = await start(t)
  const { browser } = await signIn(local)
  for (const prompt of ['consent', 'select_account', 'select_account consent']) {
    const callback = await browser.signIn(authorizeUrl(local, { challenge: pkce().challenge, extra: { prompt } }))
    t.type(callback.searchParams.get('code'), 'string', `${prompt}: silent sign-in as without it`)
  }
  const callback = await browser.signIn(authorizeUrl(local, { challenge: pkce().challenge, extra: { prompt: 'login consent' } }), { username: 'alice', password: PASSWORD })
  t.type(callback.searchParams.get('code'), 'string', 'login consent: the login form, then the app')
})
