import t from 'tap'
import { main } from '../../lib/doctor/cli.js'
import { runDoctor } from '../../lib/doctor/doctor.js'
import type { DoctorReport } from '../../lib/doctor/report.js'
import { start } from '../helpers/local-cognito.js'
import { environment, SECRET_KEY } from './fake-cognito.js'

function io (argv: string[], env: Record<string, string>): { argv: string[], env: Record<string, string>, stdout: { write: (s: string) => void }, stderr: { write: (s: string) => void }, out: () => string, err: () => string } {
  let out = ''
  let err = ''
  return { argv, env, stdout: { write: (s) => { out += s } }, stderr: { write: (s) => { err += s } }, out: () => out, err: () => err }
}

function statuses (report: DoctorReport): Record<string, string> {
  return Object.fromEntries(report.checks.map(check => [check.name, check.status]))
}

t.test('against the local stand-in with a registered redirect URI every check is ok and the exit code 0', async (t) => {
  const local = await start(t, { redirectUris: ['http://localhost:3000/postlogin'] })
  const { clientId, clientSecret } = local.clients.confidential
  const env = environment({ issuer: local.issuer, domain: local.domain, clientId, clientSecret })
  const cli = io(['doctor'], env)
  t.equal(await main(cli), 0)
  const lines = cli.out().trimEnd().split('\n')
  t.same(lines.map(line => line.slice(0, 16).trim()), [
    'ok    options', 'ok    discovery', 'ok    jwks', 'ok    authorize', 'ok    secret', 'ok    cookies', 'ok    clock', 'ok    https',
    'ok: 8 ok, 0 warn'
  ])
  t.match(cli.out(), `client ${clientId} (client secret of ${(clientSecret as string).length} characters)`)
  t.match(cli.out(), /redirects to the login page http:\/\/127\.0\.0\.1:\d+\/login\//)
  t.match(cli.out(), `SECRET_KEY is ${SECRET_KEY.length} bytes long`)
  t.notMatch(cli.out(), clientSecret as string, 'the client secret is never printed')
  t.notMatch(cli.out(), SECRET_KEY, 'the secret key is never printed')
  t.equal(cli.err(), '')

  const json = io(['doctor', '--json'], env)
  t.equal(await main(json), 0)
  const report = JSON.parse(json.out()) as DoctorReport
  t.equal(report.ok, true)
  t.same(report.checks.map(check => check.name), ['options', 'discovery', 'jwks', 'authorize', 'secret', 'cookies', 'clock', 'https'])
  t.ok(report.checks.every(check => check.fix === undefined && typeof check.found === 'string'))
})

t.test('a public client is reported as one', async (t) => {
  const local = await start(t)
  const report = await runDoctor(environment({ issuer: local.issuer, domain: local.domain, clientId: local.clients.public.clientId }))
  t.equal(report.ok, true)
  t.match(report.checks[0]?.found, `client ${local.clients.public.clientId} (public client)`)
})

t.test('a wrong client id: the authorize check fails and names the variable', async (t) => {
  const local = await start(t)
  const cli = io(['doctor'], environment({ issuer: local.issuer, domain: local.domain, clientId: 'no-such-client' }))
  t.equal(await main(cli), 1)
  t.match(cli.out(), /^fail {2}authorize {2}http:\/\/127\.0\.0\.1:\d+ does not know client no-such-client \(invalid_client\) -- fix: check AWS_COGNITO_USER_POOL_CLIENT_ID/m)
  t.match(cli.out(), /^failed: 7 ok, 0 warning\(s\), 1 failed, 0 skipped$/m)
})

t.test('an unregistered redirect URI: the stand-in\'s error page is recognised', async (t) => {
  const local = await start(t, { redirectUris: ['http://localhost:3000/elsewhere'] })
  const report = await runDoctor(environment({ issuer: local.issuer, domain: local.domain, clientId: local.clients.public.clientId }))
  t.equal(report.ok, false)
  t.same(statuses(report).authorize, 'fail')
  const authorize = report.checks.find(check => check.name === 'authorize')
  t.equal(authorize?.found, `the redirect URI http://localhost:3000/postlogin is not registered for client ${local.clients.public.clientId} (invalid_redirect_uri)`)
  t.match(authorize?.fix, 'add http://localhost:3000/postlogin exactly to the app client\'s allowed callback URLs')
})
