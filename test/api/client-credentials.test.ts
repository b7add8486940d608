/**
 * `app.cognito.clientCredentials()`: the client credentials grant with the machine client (HTTP
 * Basic), cached per scope set, renewed ahead at 3/4 of its life, one grant in flight per scope set,
 * and every failure a coded 502 in bounded time.
 */
import t from 'tap'
import { createTestPool } from '../../lib/testing/index.js'
import { buildApp } from '../helpers/app.js'
import { startFaultyIdp, type FaultyIdp } from '../helpers/faulty-idp.js'
import { sleep } from '../helpers/sleep.js'
import type { Teardown } from '../helpers/teardown.js'

const pool = await createTestPool()
t.teardown(() => pool.close())
const machineClient = { clientId: 'reports-m2m', clientSecret: 's3cr3t/with+chars' }

async function setup (t: Teardown, expiresIn: number | null = 3600): Promise<{ idp: FaultyIdp, app: import('fastify').FastifyInstance, issued: string[] }> {
  const idp = await startFaultyIdp()
  t.teardown(() => idp.close())
  const issued: string[] = []
  idp.onToken(async (form) => {
    const token = await pool.mintMachineToken({ clientId: 'reports-m2m', scopes: (form.get('scope') ?? '').split(' ') })
    issued.push(token)
    return { json: { access_token: token, token_type: 'Bearer', ...(expiresIn === null ? {} : { expires_in: expiresIn }) } }
  })
  const app = await buildApp(t, { ...pool.pluginOptions(), domain: idp.url, machineClient, timeout: 500 })
  return { idp, app, issued }
}

t.test('the grant: client_credentials, the scopes, HTTP Basic with the machine client', async (t) => {
  const { idp, app, issued } = await setup(t)
  const token = await app.cognito.clientCredentials({ scopes: ['orders/write', 'orders/read'] })
  t.equal(token, issued[0])
  const request = idp.requests[0]
  t.equal(request?.form?.get('grant_type'), 'client_credentials')
  t.equal(request?.form?.get('scope'), 'orders/read orders/write')
  t.equal(request?.form?.get('client_id'), null, 'no client_id in the body of a confidential client')
  const basic = Buffer.from(String(request?.headers.authorization).replace('Basic ', ''), 'base64').toString()
  t.equal(basic, 'reports-m2m:s3cr3t%2Fwith%2Bchars')
})

t.test('cached per scope set, in any order; another set is another grant; no scopes asks for none', async (t) => {
  const { idp, app } = await setup(t)
  const a = await app.cognito.clientCredentials({ scopes: ['a/x', 'b/y'] })
  t.equal(await app.cognito.clientCredentials({ scopes: ['b/y', 'a/x', 'a/x'] }), a)
  t.equal(idp.counts.token, 1)
  t.not(await app.cognito.clientCredentials({ scopes: ['a/x'] }), a)
  await app.cognito.clientCredentials()
  t.equal(idp.counts.token, 3)
  t.equal(idp.requests[2]?.form?.has('scope'), false)
})

t.test('one grant in flight per scope set: a burst shares it', async (t) => {
  const { idp, app } = await setup(t)
  idp.setToken('slow', { delayMs: 200 })
  const tokens = await Promise.all(Array.from({ length: 10 }, () => app.cognito.clientCredentials({ scopes: ['a/x'] })))
  t.equal(new Set(tokens).size, 1)
  t.equal(idp.counts.token, 1)
})

t.test('renewed ahead at 3/4 of its life: the old token serves while one grant renews it', async (t) => {
  const { idp, app, issued } = await setup(t, 8)
  const first = await app.cognito.clientCredentials({ scopes: ['a/x'] })
  await sleep(2000)
  t.equal(await app.cognito.clientCredentials({ scopes: ['a/x'] }), first, 'before 3/4: the cached token, no grant')
  t.equal(idp.counts.token, 1)
  await sleep(4300)
  t.equal(await app.cognito.clientCredentials({ scopes: ['a/x'] }), first, 'past 3/4: still the old token, renewal started')
  while (idp.counts.token < 2) await sleep(20)
  await sleep(50)
  t.equal(idp.counts.token, 2, 'one renewal')
  t.equal(await app.cognito.clientCredentials({ scopes: ['a/x'] }), issued[1], 'then the new token')
})

t.test('a failed renewal keeps serving the token until it expires', async (t) => {
  const { idp, app } = await setup(t, 6)
  idp.setToken('status500')
  const first = await app.cognito.clientCredentials().catch(() => undefined)
  t.equal(first, undefined, 'no token yet: the failure is the caller\'s')
  idp.setToken('ok')
  const token = await app.cognito.clientCredentials()
  await sleep(4800)
  idp.setToken('status500')
  t.equal(await app.cognito.clientCredentials(), token, 'past 3/4, renewal failing: the token still serves')
  await sleep(1400)
  await t.rejects(app.cognito.clientCredentials(), { code: 'FST_COGNITO_IDP_ERROR', statusCode: 502 }, 'expired: the grant is needed and fails')
})

t.test('an answer without expires_in is used once, not cached', async (t) => {
  const { idp, app } = await setup(t, null)
  await app.cognito.clientCredentials()
  await app.cognito.clientCredentials()
  t.equal(idp.counts.token, 2)
})

t.test('failures are a coded 502: a hanging server (timeout), a 500, a refusal', async (t) => {
  const { idp, app } = await setup(t)
  idp.setToken('hang')
  const started = Date.now()
  await t.rejects(app.cognito.clientCredentials(), { code: 'FST_COGNITO_IDP_ERROR', statusCode: 502, message: /timed out/ })
  t.ok(Date.now() - started < 2000, 'bounded by the timeout')
  idp.setToken('status500')
  await t.rejects(app.cognito.clientCredentials(), { code: 'FST_COGNITO_IDP_ERROR', message: /HTTP 500/ })
  idp.setToken('ok')
  idp.onToken(() => ({ status: 400, json: { error: 'invalid_scope' } }))
  await t.rejects(app.cognito.clientCredentials({ scopes: ['nope/x'] }), { code: 'FST_COGNITO_IDP_ERROR', message: /refused the client credentials grant: invalid_scope/ })
})

t.test('without machineClient, or with bad scopes, it throws a coded error', async (t) => {
  const app = await buildApp(t, pool.pluginOptions())
  await t.rejects(app.cognito.clientCredentials(), { code: 'FST_COGNITO_INVALID_OPTION', message: /machineClient is required/ })
  const { app: withMachine } = await setup(t)
  await t.rejects(withMachine.cognito.clientCredentials({ scopes: ['a b'] }), { message: /scopes must be a list of scope names/ })
  await t.rejects(buildApp(t, { ...pool.pluginOptions(), machineClient: { clientId: 'x' } as typeof machineClient }), { message: /machineClient.clientSecret is required/ })
  await t.rejects(buildApp(t, { ...pool.pluginOptions(), machineClient: 'x' as unknown as typeof machineClient }), { message: /machineClient must be an object/ })
})
