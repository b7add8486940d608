import t from 'tap'
import { LocalCognitoBrowser } from '../../lib/local/index.js'
import { authorizeUrl, pkce, PASSWORD, start } from '../helpers/local-cognito.js'

async function loginPage (browser: LocalCognitoBrowser, url: URL): Promise<string> {
  const res = await browser.request(url)
  const login = await browser.request(new URL(res.headers.get('location') ?? '', url))
  if (login.status !== 200) throw new Error(`the login page answered ${login.status}`)
  return await login.text()
}

t.test('login_hint fills in the user name on the login page', async (t) => {
  const local = await start(t)
  const browser = new LocalCognitoBrowser(local.url)
  const page = await loginPage(browser, authorizeUrl(local, { challenge: pkce().challenge, extra: { login_hint: 'bob' } }))
  t.match(page, /<input id="username" [^>]*value="bob">/)
  const callback = await browser.signIn(authorizeUrl(local, { challenge: pkce().challenge, extra: { login_hint: 'bob' } }), { username: 'bob', password: PASSWORD })
  t.type(callback.searchParams.get('code'), 'string', 'the sign-in goes on as usual')
})

t.test('login_hint is HTML-escaped', async (t) => {
  const local = await start(t)
  const page = await loginPage(new LocalCognitoBrowser(local.url), authorizeUrl(local, { challenge: pkce().challenge, extra: { login_hint: '"><script>alert(1)</script>' } }))
  t.notMatch(page, /<script>alert/)
  t.match(page, /value="&quot;&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;"/)
})

t.test('without login_hint the field is empty', async (t) => {
  const local = await start(t)
  const page = await loginPage(new LocalCognitoBrowser(local.url), authorizeUrl(local, { challenge: pkce().challenge }))
  t.match(page, /<input id="username" [^>]*value="">/)
})
