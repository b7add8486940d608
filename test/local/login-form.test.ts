import t, { type Test } from 'tap'
import { request } from 'undici'
import { HostedUiError, LocalCognitoBrowser } from '../../lib/local/index.js'
import { authorizeUrl, PASSWORD, pkce, start } from '../helpers/local-cognito.js'

async function openLoginForm (t: Test): Promise<{ browser: LocalCognitoBrowser, loginUrl: URL, page: string }> {
  const local = await start(t)
  const browser = new LocalCognitoBrowser(local.url)
  const res = await browser.request(authorizeUrl(local, { challenge: pkce().challenge }))
  t.equal(res.status, 303, 'authorize redirects to the login page')
  const loginUrl = new URL(res.headers.get('location') ?? '', local.url)
  t.equal(loginUrl.origin, local.url, 'on the stand-in')
  const form = await browser.request(loginUrl)
  t.equal(form.status, 200)
  t.match(form.headers.get('content-type'), /^text\/html/)
  return { browser, loginUrl, page: await form.text() }
}

async function submit (browser: LocalCognitoBrowser, loginUrl: URL, fields: Record<string, string>): Promise<Response> {
  return await browser.request(loginUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString()
  })
}

t.test('the login page is a plain form with stable ids, listing the demo users and password', async (t) => {
  const { page } = await openLoginForm(t)
  t.match(page, /<form id="login-form" method="post"/)
  t.match(page, /<input id="username" name="username"/)
  t.match(page, /<input id="password" name="password" type="password"/)
  t.match(page, /<button id="signInSubmitButton" name="signInSubmitButton" type="submit"/)
  t.match(page, /<code>alice<\/code>/)
  t.match(page, /<code>bob<\/code>/)
  t.match(page, PASSWORD)
  t.match(page, 'admin, editor')
  t.match(page, 'local-confidential-client', 'names the app client')
})

t.test('a wrong password shows the form again with an error and the username kept', async (t) => {
  const { browser, loginUrl } = await openLoginForm(t)
  const res = await submit(browser, loginUrl, { username: 'alice', password: 'wrong' })
  t.equal(res.status, 200)
  t.equal(res.headers.get('location'), null, 'no redirect to the app')
  const page = await res.text()
  t.match(page, '<p id="error" role="alert">Incorrect username or password.</p>')
  t.match(page, /id="username"[^>]*value="alice"/)
  t.match(page, /id="login-form"/)

  const unknown = await submit(browser, loginUrl, { username: 'mallory', password: PASSWORD })
  t.match(await unknown.text(), 'Incorrect username or password.', 'an unknown user reads the same')

  const empty = await submit(browser, loginUrl, {})
  t.match(await empty.text(), 'Incorrect username or password.', 'so does an empty form')

  const right = await submit(browser, loginUrl, { username: 'alice', password: PASSWORD })
  t.equal(right.status, 303, 'the right password still works on the same form')
})

t.test('the login page escapes what it echoes', async (t) => {
  const { browser, loginUrl } = await openLoginForm(t)
  const res = await submit(browser, loginUrl, { username: '"><script>alert(1)</script>', password: 'x' })
  const page = await res.text()
  t.notMatch(page, '<script>')
  t.match(page, '&quot;&gt;&lt;script&gt;')
})

t.test('a login page without its interaction cookie, or an unknown one, is an error page', async (t) => {
  const { loginUrl } = await openLoginForm(t)
  const res = await request(loginUrl)
  t.equal(res.statusCode, 400, 'no cookie')
  t.match(await res.body.text(), /expired or is unknown/)

  const { browser, loginUrl: other } = await openLoginForm(t)
  const wrongUid = new URL(other)
  wrongUid.pathname = '/login/someone-elses-uid'
  const mismatch = await browser.request(wrongUid)
  t.equal(mismatch.status, 400, 'cookie of another interaction')
})

t.test('a login form body over 16 KiB is refused', async (t) => {
  const { browser, loginUrl } = await openLoginForm(t)
  const res = await submit(browser, loginUrl, { username: 'alice', password: 'x'.repeat(20_000) })
  t.equal(res.status, 413)
})

t.test('the scripted browser reports where the hosted UI stops', async (t) => {
  const local = await start(t)
  const url = authorizeUrl(local, { challenge: pkce().challenge })

  const noCredentials = new LocalCognitoBrowser(local.url).signIn(url)
  await t.rejects(noCredentials, { name: 'HostedUiError', status: 200, message: /asks for a username and password/ })

  const failed = new LocalCognitoBrowser(local.url).signIn(url, { username: 'alice', password: 'wrong' })
  await t.rejects(failed, { message: 'sign-in failed: Incorrect username or password.', page: /login-form/ })

  const errorPage = new LocalCognitoBrowser(local.url).signIn(authorizeUrl(local, { clientId: 'nobody' }))
  await t.rejects(errorPage, { status: 400, message: /^the hosted UI answered 400: invalid_client/ })

  const notFound = new LocalCognitoBrowser(local.url).signIn(`${local.url}/nothing-here`)
  await t.rejects(notFound, { status: 404, message: 'the hosted UI answered 404' })

  t.ok(new HostedUiError('x', 500, '') instanceof Error)
})
