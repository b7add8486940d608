import t from 'tap'
import { runDoctor } from '../../lib/doctor/doctor.js'
import type { CheckResult, DoctorReport } from '../../lib/doctor/report.js'
import { start } from '../helpers/local-cognito.js'
import { closedPort, environment, POOL_ID, RSA_KEY, startFakeCognito, WEAK_RSA_KEY } from './fake-cognito.js'

function check (report: DoctorReport, name: string): CheckResult {
  return report.checks.find(c => c.name === name) as CheckResult
}

t.test('an issuer mismatch: the document announces another issuer and another jwks_uri', async (t) => {
  const fake = await startFakeCognito(t, {
    discovery: (_req, res) => res.writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other' }))
  })
  const report = await runDoctor(fake.env)
  t.equal(report.ok, false)
  const discovery = check(report, 'discovery')
  t.equal(discovery.status, 'fail')
  t.equal(discovery.found, `its issuer is https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other, not the configured ${fake.issuer}; ` +
    `its jwks_uri is nothing, not ${fake.issuer}/.well-known/jwks.json`)
  t.match(discovery.fix, 'set it to the issuer the document announces')
  t.equal(check(report, 'jwks').status, 'ok', 'the keys at the configured place are still checked')
})

t.test('a wrong pool id against the local stand-in: no discovery document there', async (t) => {
  const local = await start(t)
  const issuer = `${local.domain}/us-east-1_OtherPool`
  const report = await runDoctor(environment({ issuer, domain: local.domain, clientId: local.clients.public.clientId }))
  t.equal(check(report, 'discovery').status, 'fail')
  t.equal(check(report, 'discovery').found, `${issuer}/.well-known/openid-configuration answered HTTP 404`)
  t.equal(check(report, 'jwks').found, `${issuer}/.well-known/jwks.json answered HTTP 404`)
})

t.test('a discovery document that is not JSON, or not there', async (t) => {
  for (const [status, body, found] of [[200, '<html>', 'is not a JSON document'], [500, '{}', 'answered HTTP 500'], [200, '[1]', 'is not a JSON document']] as const) {
    const fake = await startFakeCognito(t, { discovery: (_req, res) => res.writeHead(status).end(body) })
    const discovery = check(await runDoctor(fake.env), 'discovery')
    t.equal(discovery.status, 'fail')
    t.equal(discovery.found, `${fake.issuer}/.well-known/openid-configuration ${found}`)
    t.match(discovery.fix, 'check AWS_COGNITO_USER_POOL_ID and AWS_REGION')
  }
})

t.test('an unreachable JWKS (a closed port): discovery and jwks fail, authorize and the clock still run', async (t) => {
  const fake = await startFakeCognito(t)
  const issuer = `http://127.0.0.1:${await closedPort()}/${POOL_ID}`
  const report = await runDoctor({ ...fake.env, AWS_COGNITO_ISSUER: issuer })
  t.equal(report.ok, false)
  t.same(check(report, 'jwks'), {
    name: 'jwks',
    status: 'fail',
    found: `${issuer}/.well-known/jwks.json could not be reached`,
    fix: 'check AWS_COGNITO_USER_POOL_ID and AWS_REGION (the issuer is https://cognito-idp.<region>.amazonaws.com/<pool id>), ' +
      'AWS_COGNITO_ISSUER when set, and that this machine can reach it (proxy, firewall)'
  })
  t.equal(check(report, 'discovery').found, `${issuer}/.well-known/openid-configuration could not be reached`)
  t.equal(check(report, 'authorize').status, 'ok')
  t.equal(check(report, 'clock').status, 'ok')
})

t.test('nothing reachable: every remote check fails and the clock check is skipped', async (t) => {
  const base = `http://127.0.0.1:${await closedPort()}`
  const report = await runDoctor(environment({ issuer: `${base}/${POOL_ID}`, domain: base }))
  t.same(report.checks.map(c => c.status), ['ok', 'fail', 'fail', 'fail', 'ok', 'ok', 'skip', 'ok'])
  t.equal(check(report, 'authorize').found, `${base}/oauth2/authorize could not be reached`)
  t.equal(check(report, 'clock').found, 'no answer from Cognito with a Date header to compare with')
})

t.test('a JWKS without a usable key, not a key set, or failing', async (t) => {
  const cases = [
    [200, { keys: [{ ...RSA_KEY, alg: 'RS512' }, { ...RSA_KEY, kid: undefined }, 'junk', null] }, 'holds 4 key(s), none an RS256 signing key of 2048 bits or more with a kid: no token would verify'],
    [200, { keys: [WEAK_RSA_KEY] }, 'holds 1 key(s), none an RS256 signing key of 2048 bits or more with a kid: no token would verify'],
    [200, { keys: [] }, 'holds 0 key(s), none an RS256 signing key of 2048 bits or more with a kid: no token would verify'],
    [200, { keys: 'none' }, 'is not a JSON Web Key Set'],
    [200, 'plain', 'is not a JSON Web Key Set'],
    [503, { keys: [RSA_KEY] }, 'answered HTTP 503']
  ] as const
  for (const [status, body, found] of cases) {
    const fake = await startFakeCognito(t, { jwks: (_req, res) => res.writeHead(status).end(typeof body === 'string' ? body : JSON.stringify(body)) })
    const jwks = check(await runDoctor(fake.env), 'jwks')
    t.equal(jwks.status, 'fail')
    t.equal(jwks.found, `${fake.issuer}/.well-known/jwks.json ${found}`)
  }
  const fake = await startFakeCognito(t, {
    jwks: (_req, res) => res.writeHead(200).end(JSON.stringify({ keys: [RSA_KEY, { ...RSA_KEY, kid: 'key-2', alg: undefined, use: undefined }] }))
  })
  t.equal(check(await runDoctor(fake.env), 'jwks').found, `${fake.issuer}/.well-known/jwks.json: 2 RS256 signing key(s) of 2048 bits or more with a kid`)
})
