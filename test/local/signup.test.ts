import t from 'tap'
import { LocalCognitoBrowser, type LocalCognito } from '../../lib/local/index.js'
import { authorizeUrl, claims, pkce, REDIRECT_URI, signIn, start, token, type Pkce } from '../helpers/local-cognito.js'

const FORM = { 'content-type': 'application/x-www-form-urlencoded' }
const GOOD = { username: 'carol', email: 'carol@example.com', password: 'S3cret-pass' }

function signUpUrl (local: LocalCognito, verifier: Pkce, extra: Record<string, string> = {}): URL {
  const url = authorizeUrl(local, { challenge: verifier.challenge, state: 'from-signup', extra })
  url.pathname = '/signup'
  return url
}

/** Posts the sign-up form and follows the stand-in's redirects to the app. */
async function submit (browser: LocalCognitoBrowser, url: URL, fields: Record<string, string>): Promise<{ status: number, page: string, callback?: URL }> {
  let res = await browser.request(url, { method: 'POST', headers: FORM, body: new URLSearchParams(fields).toString() })
  if (res.headers.get('location') === null) return { status: res.status, page: await res.text() }
  let target = url
  for (let hop = 0; hop < 10; hop++) {
    const location = res.headers.get('location')
    if (location === null) return { status: res.status, page: await res.text() }
    target = new URL(location, target)
    if (target.origin !== url.origin) return { status: res.status, page: '', callback: target }
    res = await browser.request(target)
  }
  throw new Error('too many redirects')
}

async function exchange (local: LocalCognito, callback: URL, verifier: Pkce): Promise<Record<string, unknown>> {
  const answer = await token(local, local.clients.confidential, {
    grant_type: 'authorization_code', code: callback.searchParams.get('code') ?? '', redirect_uri: REDIRECT_URI, code_verifier: verifier.verifier
  })
  if (answer.status !== 200) throw new Error(JSON.stringify(answer.body))
  return answer.body
}

t.test('GET /signup with the authorize query shows the form', async (t) => {
  const local = await start(t)
  const url = signUpUrl(local, pkce())
  const res = await new LocalCognitoBrowser(local.url).request(url)
  t.equal(res.status, 200)
  const page = await res.text()
  for (const field of ['username', 'email', 'password']) t.match(page, `id="${field}"`)
  t.match(page, `action="/signup?${url.searchParams.toString().replaceAll('&', '&amp;')}"`, 'posts back with the same query')
  t.match(page, 'id="signin-link" href="/oauth2/authorize?', 'a link to sign in instead')
})

t.test('signing up creates the user and lands back at the app, signed in', async (t) => {
  const local = await start(t)
  const browser = new LocalCognitoBrowser(local.url)
  const verifier = pkce()
  const { callback } = await submit(browser, signUpUrl(local, verifier), GOOD)
  t.equal(callback?.origin + (callback?.pathname ?? ''), REDIRECT_URI)
  t.equal(callback?.searchParams.get('state'), 'from-signup')
  const tokens = await exchange(local, callback!, verifier)
  t.equal(claims(tokens.access_token as string).username, 'carol')
  const id = claims(tokens.id_token as string)
  t.equal(id['cognito:username'], 'carol')
  t.equal(id.email, 'carol@example.com')
  t.equal(id.nonce, 'nonce-456')
  t.equal(local.stats.signUps, 1)
  t.ok(local.users.some((user) => user.username === 'carol'), 'in the pool\'s users')

  const again = await browser.signIn(authorizeUrl(local, { challenge: pkce().challenge }))
  t.type(again.searchParams.get('code'), 'string', 'the sign-up started a session')
})

t.test('a signed-up user can sign in afterwards, in another browser', async (t) => {
  const local = await start(t)
  await submit(new LocalCognitoBrowser(local.url), signUpUrl(local, pkce()), GOOD)
  const callback = await new LocalCognitoBrowser(local.url).signIn(authorizeUrl(local, { challenge: pkce().challenge }), { username: 'carol', password: GOOD.password })
  t.type(callback.searchParams.get('code'), 'string')
  await t.rejects(new LocalCognitoBrowser(local.url).signIn(authorizeUrl(local, { challenge: pkce().challenge }), { username: 'carol', password: 'Wr0ng-pass' }),
    { message: /Incorrect username or password/ })
})

t.test('signing up while signed in as someone else signs the new user in', async (t) => {
  const local = await start(t)
  const { browser } = await signIn(local, { username: 'alice' })
  const verifier = pkce()
  const { callback } = await submit(browser, signUpUrl(local, verifier), GOOD)
  t.equal(claims((await exchange(local, callback!, verifier)).access_token as string).username, 'carol')
})

t.test('refused input: the form again with the error, nothing created', async (t) => {
  const local = await start(t)
  const browser = new LocalCognitoBrowser(local.url)
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ ...GOOD, username: 'alice' }, /User already exists/],
    [{ ...GOOD, username: '' }, /Username, email and password are required/],
    [{ ...GOOD, email: '' }, /Username, email and password are required/],
    [{ username: 'carol', email: 'carol@example.com' }, /Username, email and password are required/],
    [{ ...GOOD, username: 'carol smith' }, /Username cannot contain spaces/],
    [{ ...GOOD, email: 'not-an-email' }, /Invalid email address format/],
    [{ ...GOOD, password: 'S3c-ret' }, /Password did not conform with policy: Password not long enough/],
    [{ ...GOOD, password: 's3cret-pass' }, /Password must have uppercase characters/],
    [{ ...GOOD, password: 'S3CRET-PASS' }, /Password must have lowercase characters/],
    [{ ...GOOD, password: 'Secret-pass' }, /Password must have numeric characters/],
    [{ ...GOOD, password: 'S3cretpass' }, /Password must have symbol characters/]
  ]
  for (const [fields, message] of cases) {
    const { status, page, callback } = await submit(browser, signUpUrl(local, pkce()), fields)
    t.equal(status, 200, message.source)
    t.equal(callback, undefined)
    t.match(page, message)
    t.match(page, 'id="signup-form"')
  }
  const { page } = await submit(browser, signUpUrl(local, pkce()), { ...GOOD, username: '<b>x</b>', password: 'weak' })
  t.match(page, 'value="&lt;b&gt;x&lt;/b&gt;"', 'the username comes back, escaped')
  t.equal(local.stats.signUps, 0)
  t.equal(local.users.length, 2)
})

t.test('an unknown client or a redirect_uri not registered: a 400 page, never the app', async (t) => {
  const local = await start(t)
  const browser = new LocalCognitoBrowser(local.url)
  const verifier = pkce()
  const bad: Array<[URL, string]> = []
  let url = signUpUrl(local, verifier)
  url.searchParams.set('client_id', 'nobody')
  bad.push([url, 'invalid_request'])
  url = signUpUrl(local, verifier)
  url.searchParams.delete('client_id')
  bad.push([url, 'invalid_request'])
  url = signUpUrl(local, verifier)
  url.searchParams.set('client_id', local.clients.machine.clientId)
  bad.push([url, 'invalid_request'])
  url = signUpUrl(local, verifier)
  url.searchParams.set('redirect_uri', 'https://evil.example/cb')
  bad.push([url, 'redirect_mismatch'])
  url = signUpUrl(local, verifier)
  url.searchParams.delete('redirect_uri')
  bad.push([url, 'redirect_mismatch'])
  for (const [target, error] of bad) {
    for (const method of ['GET', 'POST']) {
      const res = await browser.request(target, { method, headers: FORM, body: method === 'POST' ? new URLSearchParams(GOOD).toString() : null })
      t.equal(res.status, 400)
      t.match(await res.text(), error)
    }
  }
  t.equal(local.stats.signUps, 0)
})

t.test('a form too large is refused', async (t) => {
  const local = await start(t)
  const res = await new LocalCognitoBrowser(local.url).request(signUpUrl(local, pkce()), { method: 'POST', headers: FORM, body: `username=${'a'.repeat(20_000)}` })
  t.equal(res.status, 413)
  await res.body?.cancel()
})

t.test('the login page links to the sign-up page for the same request', async (t) => {
  const local = await start(t)
  const browser = new LocalCognitoBrowser(local.url)
  const verifier = pkce()
  const res = await browser.request(authorizeUrl(local, { challenge: verifier.challenge, state: 'from-signup' }))
  const login = await browser.request(new URL(res.headers.get('location') ?? '', local.url))
  const href = /id="signup-link" href="([^"]+)"/.exec(await login.text())?.[1]?.replaceAll('&amp;', '&')
  t.ok(href?.startsWith('/signup?'))
  const { callback } = await submit(browser, new URL(href!, local.url), GOOD)
  t.equal(claims((await exchange(local, callback!, verifier)).access_token as string).username, 'carol')
})

t.test('the sign-up cookie is used once; a stale or unknown one shows the login form', async (t) => {
  const local = await start(t)
  const browser = new LocalCognitoBrowser(local.url)
  const res = await browser.request(authorizeUrl(local, { challenge: pkce().challenge }))
  const loginUrl = new URL(res.headers.get('location') ?? '', local.url)
  const login = await browser.request(loginUrl, { headers: { cookie: `${Object.entries(browser.cookies).map(([k, v]) => `${k}=${v}`).join('; ')}; cognito-signup=forged` } })
  t.equal(login.status, 200)
  t.match(await login.text(), 'id="login-form"')
})
