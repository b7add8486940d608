/** The ALB key server failing (down, not a key) is a 503; the `alb` option is validated at registration. */
import t from 'tap'
import { generateKeyPairSync } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createTestAlb, createTestPool } from '../../lib/testing/index.js'
import { buildApp } from '../helpers/app.js'
import { startFaultyIdp } from '../helpers/faulty-idp.js'

const pool = await createTestPool()
t.teardown(() => pool.close())
const alb = await createTestAlb()
t.teardown(() => alb.close())

const rsaPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }) as string

t.test('a key server that answers 500, something that is not a P-256 key, or nothing in time: 503', async (t) => {
  let answer: { status: number, body: string } | 'hang' = { status: 500, body: 'oops' }
  const server = createServer((_req, res) => {
    if (answer === 'hang') return
    res.writeHead(answer.status)
    res.end(answer.body)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const keysUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const app = await buildApp(t, { ...pool.pluginOptions(), timeout: 300, alb: { signers: [alb.arn], keysUrl }, jwks: { cooldown: 0 } }, {
    routes: (app) => app.get('/me', { preHandler: app.cognito.authenticate }, async () => 'me')
  })
  for (const [what, next, message] of [
    ['HTTP 500', { status: 500, body: 'oops' }, /answered HTTP 500/],
    ['an RSA key', { status: 200, body: rsaPem }, /not a P-256 public key/],
    ['not a key', { status: 200, body: 'hello' }, /not a P-256 public key/],
    ['hanging', 'hang', /timed out/]
  ] as const) {
    answer = next
    const res = await app.inject({ url: '/me', headers: await alb.mintAlbHeaders({ pool, username: 'a' }) })
    t.equal(res.statusCode, 503, what)
    t.match(res.json(), { code: 'FST_COGNITO_JWKS_UNAVAILABLE', message }, what)
  }
  answer = { status: 403, body: '<Error>AccessDenied</Error>' }
  const forbidden = await app.inject({ url: '/me', headers: await alb.mintAlbHeaders({ pool, username: 'a' }) })
  t.match(forbidden.json(), { statusCode: 401, message: /ALB key not found/ }, 'a 403 (S3 for a missing key) is an unknown kid')
})

t.test('a JWKS outage while verifying the forwarded access token is a 503, not a user without groups', async (t) => {
  const idp = await startFaultyIdp()
  t.teardown(() => idp.close())
  idp.setJwks('status500')
  const issuer = idp.issuer
  const app = await buildApp(t, { ...pool.pluginOptions(), issuer, alb: alb.albOptions(), jwks: { warmup: false } }, {
    routes: (app) => app.get('/me', { preHandler: app.cognito.authenticate }, async () => 'me')
  })
  const headers = await alb.mintAlbHeaders({ pool: { issuer, clientId: pool.clientId }, username: 'a', sub: 's', accessToken: await pool.mintAccessToken({ username: 'a' }) })
  t.equal((await app.inject({ url: '/me', headers })).statusCode, 503)
})

t.test('the alb option is validated at registration', async (t) => {
  const arn = alb.arn
  const cases: Array<[unknown, RegExp]> = [
    ['yes', /alb must be an object/],
    [{ signers: [] }, /alb.signers must list/],
    [{ signers: ['arn:aws:s3:::bucket'] }, /alb.signers\[0\] must be an Application Load Balancer ARN/],
    [{ signers: [arn, arn.replace('us-east-1', 'eu-west-1')] }, /alb.region is required/],
    [{ signers: [arn], region: 'moon' }, /alb.region must be an AWS region/],
    [{ signers: [arn], keysUrl: 'http://keys.example.com' }, /alb.keysUrl must use https/]
  ]
  for (const [value, message] of cases) {
    await t.rejects(buildApp(t, { ...pool.pluginOptions(), alb: value as never }), { code: 'FST_COGNITO_INVALID_OPTION', message })
  }
  await t.resolves(buildApp(t, { ...pool.pluginOptions(), alb: { signers: [arn, arn.replace('us-east-1', 'eu-west-1')], region: 'eu-west-1' } }))
  await t.resolves(buildApp(t, { ...pool.pluginOptions(), alb: { signers: [arn] } }), 'the region read from the ARN')
})

t.test('the test ALB only listens on loopback', async (t) => {
  await t.rejects(createTestAlb({ host: '0.0.0.0' }), TypeError)
})
