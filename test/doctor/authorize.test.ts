import t from 'tap'
import { runDoctor } from '../../lib/doctor/doctor.js'
import type { CheckResult } from '../../lib/doctor/report.js'
import type { Teardown } from '../helpers/teardown.js'
import { startFakeCognito, type Handler } from './fake-cognito.js'

async function authorizeCheck (t: Teardown, authorize: Handler): Promise<CheckResult & { ok: boolean }> {
  const fake = await startFakeCognito(t, { authorize })
  const report = await runDoctor(fake.env)
  return { ...report.checks.find(check => check.name === 'authorize') as CheckResult, ok: report.ok }
}

t.test('the request is Cognito\'s: code flow, this client and redirect URI, the scopes, S256, no redirect followed', async (t) => {
  let query: URLSearchParams | undefined
  const check = await authorizeCheck(t, (_req, res, url) => {
    query = url.searchParams
    res.writeHead(302, { location: '/login?client_id=fake-client' }).end()
  })
  t.equal(check.status, 'ok')
  t.match(check.found, /\/oauth2\/authorize redirects to the login page http:\/\/127\.0\.0\.1:\d+\/login$/)
  t.equal(query?.get('response_type'), 'code')
  t.equal(query?.get('client_id'), 'fake-client')
  t.equal(query?.get('redirect_uri'), 'http://localhost:3000/postlogin')
  t.equal(query?.get('scope'), 'openid')
  t.equal(query?.get('state'), 'doctor')
  t.equal(query?.get('code_challenge_method'), 'S256')
  t.match(query?.get('code_challenge'), /^[A-Za-z0-9_-]{43}$/)
})

t.test('Cognito\'s redirect to /error?error=redirect_mismatch: the redirect URI is not registered', async (t) => {
  const check = await authorizeCheck(t, (_req, res) => res.writeHead(302, { location: '/error?error=redirect_mismatch&client_id=fake-client' }).end())
  t.equal(check.ok, false)
  t.equal(check.status, 'fail')
  t.equal(check.found, 'the redirect URI http://localhost:3000/postlogin is not registered for client fake-client (redirect_mismatch)')
  t.equal(check.fix, 'add http://localhost:3000/postlogin exactly to the app client\'s allowed callback URLs, or set AWS_COGNITO_REDIRECT_URL to one of them')
})

t.test('another error in the Location is reported with its description, made printable', async (t) => {
  const withDescription = await authorizeCheck(t, (_req, res) =>
    res.writeHead(302, { location: 'http://localhost:3000/postlogin?error=invalid_scope&error_description=bad%0Ascope&state=doctor' }).end())
  t.equal(withDescription.status, 'fail')
  t.equal(withDescription.found, 'Cognito refused the login request: invalid_scope (bad?scope)')
  t.match(withDescription.fix, 'the scopes of AWS_COGNITO_SCOPES allowed')

  const free = await authorizeCheck(t, (_req, res) => res.writeHead(302, { location: '/error?error=Required+parameters+missing' }).end())
  t.equal(free.found, 'Cognito refused the login request: Required parameters missing')
})

t.test('a 200 login page is good', async (t) => {
  const check = await authorizeCheck(t, (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<form>sign in</form>'))
  t.equal(check.status, 'ok')
  t.match(check.found, /answers with the login page$/)
})

t.test('a 404 or a redirect without a Location: not Cognito\'s hosted UI domain', async (t) => {
  for (const authorize of [
    ((_req, res) => res.writeHead(404).end('no such page')) satisfies Handler,
    ((_req, res) => res.writeHead(302).end()) satisfies Handler
  ]) {
    const check = await authorizeCheck(t, authorize)
    t.equal(check.status, 'fail')
    t.match(check.found, /answered HTTP (404|302)$/)
    t.match(check.fix, 'set AWS_COGNITO_DOMAIN to the user pool\'s hosted UI domain')
  }
})
