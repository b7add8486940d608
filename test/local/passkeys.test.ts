import t from 'tap'
import { LocalCognitoBrowser, type LocalCognito } from '../../lib/local/index.js'
import { LOGOUT_URI, REDIRECT_URI, signIn, start } from '../helpers/local-cognito.js'

function passkeyUrl (local: LocalCognito, params: Record<string, string>): URL {
  const url = new URL('/passkeys/add', local.url)
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value)
  return url
}

t.test('with a live session: a page saying what Cognito would show, and a way back to the app', async (t) => {
  const local = await start(t)
  const { browser } = await signIn(local, { username: 'bob' })
  const res = await browser.request(passkeyUrl(local, { client_id: local.clients.confidential.clientId, redirect_uri: REDIRECT_URI }))
  t.equal(res.status, 200)
  const page = await res.text()
  t.match(page, '<code id="username">bob</code>')
  t.match(page, /managed login \(the Essentials or Plus feature plan\)/)
  t.match(page, /live managed-login session/)
  t.match(page, /does not enrol passkeys/)
  t.match(page, `<a id="return-link" href="${REDIRECT_URI}">`)
})

t.test('without a live session: it says Cognito requires one (401), still with the way back', async (t) => {
  const local = await start(t)
  const res = await new LocalCognitoBrowser(local.url).request(passkeyUrl(local, { client_id: local.clients.public.clientId, redirect_uri: REDIRECT_URI }))
  t.equal(res.status, 401)
  const page = await res.text()
  t.match(page, /No live sign-in session: passkey enrolment needs one/)
  t.match(page, `<a id="return-link" href="${REDIRECT_URI}">`)
})

t.test('after /logout the session is gone', async (t) => {
  const local = await start(t)
  const { browser } = await signIn(local)
  await browser.signIn(`${local.url}/logout?client_id=${local.clients.confidential.clientId}&logout_uri=${encodeURIComponent(LOGOUT_URI)}`)
  const res = await browser.request(passkeyUrl(local, { client_id: local.clients.confidential.clientId, redirect_uri: REDIRECT_URI }))
  t.equal(res.status, 401)
  await res.body?.cancel()
})

t.test('an unknown client or an unregistered redirect_uri: a 400 page without a link to it', async (t) => {
  const local = await start(t)
  const { browser } = await signIn(local)
  const cases: Array<[Record<string, string>, string]> = [
    [{ redirect_uri: REDIRECT_URI }, 'invalid_request'],
    [{ client_id: 'nobody', redirect_uri: REDIRECT_URI }, 'invalid_request'],
    [{ client_id: local.clients.confidential.clientId, redirect_uri: 'https://evil.example/cb' }, 'redirect_mismatch'],
    [{ client_id: local.clients.confidential.clientId }, 'redirect_mismatch']
  ]
  for (const [params, error] of cases) {
    const res = await browser.request(passkeyUrl(local, params))
    t.equal(res.status, 400)
    const page = await res.text()
    t.match(page, error)
    t.notMatch(page, 'evil.example')
  }
})
