import t from 'tap'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { request } from 'undici'
import { DEFAULT_MACHINE_CLIENT, startLocalCognito } from '../../lib/local/index.js'
import { claims, kid, signInForTokens, start, token } from '../helpers/local-cognito.js'

const machine = { clientId: DEFAULT_MACHINE_CLIENT.clientId, clientSecret: DEFAULT_MACHINE_CLIENT.clientSecret }

t.test('client credentials: an access token for the machine client, and nothing else', async (t) => {
  const local = await start(t)
  t.same(local.clients.machine, { ...machine, scopes: ['orders/read', 'orders/write'] })
  const answer = await token(local, machine, { grant_type: 'client_credentials', scope: 'orders/read' })
  t.equal(answer.status, 200)
  t.same(Object.keys(answer.body).sort(), ['access_token', 'expires_in', 'token_type'])
  t.equal(answer.body.token_type, 'Bearer')
  t.equal(answer.body.expires_in, 3600)
  t.equal(local.stats.clientCredentialsGrants, 1)

  const accessToken = answer.body.access_token as string
  const { payload } = await jwtVerify(accessToken, createRemoteJWKSet(new URL(`${local.issuer}/.well-known/jwks.json`)), { issuer: local.issuer })
  t.same(Object.keys(payload).sort(), ['auth_time', 'client_id', 'exp', 'iat', 'iss', 'jti', 'scope', 'sub', 'token_use', 'version'])
  t.equal(payload.sub, machine.clientId, 'sub is the client id')
  t.equal(payload.client_id, machine.clientId)
  t.equal(payload.token_use, 'access')
  t.equal(payload.scope, 'orders/read')
  t.equal(payload.auth_time, payload.iat)
  t.equal(payload.version, 2)
  t.equal(payload.exp, (payload.iat as number) + 3600)

  const user = await signInForTokens(local)
  t.equal(kid(accessToken), kid(user.access_token), 'signed with the access-token key')
})

t.test('no scope asked: every custom scope of the client', async (t) => {
  const local = await start(t)
  const answer = await token(local, machine, { grant_type: 'client_credentials' })
  t.equal(answer.status, 200)
  t.equal(claims(answer.body.access_token as string).scope, 'orders/read orders/write')
})

t.test('errors as Cognito: invalid_client, unauthorized_client, invalid_scope', async (t) => {
  const local = await start(t)
  const cases: Array<[string, Parameters<typeof token>[1], Record<string, string>, string]> = [
    ['a wrong secret', { ...machine, clientSecret: 'wrong' }, {}, 'invalid_client'],
    ['an unknown client', { clientId: 'nobody', clientSecret: 'x' }, {}, 'invalid_client'],
    ['a public client', local.clients.public, {}, 'invalid_client'],
    ['a code client', local.clients.confidential, {}, 'unauthorized_client'],
    ['a scope of no resource server', machine, { scope: 'orders/delete' }, 'invalid_scope'],
    ['a standard scope', machine, { scope: 'openid orders/read' }, 'invalid_scope']
  ]
  for (const [what, client, fields, error] of cases) {
    const answer = await token(local, client, { grant_type: 'client_credentials', ...fields })
    t.equal(answer.status, 400, what)
    t.equal(answer.body.error, error, what)
  }
  t.equal(local.stats.clientCredentialsGrants, 0)
})

t.test('a machine client cannot sign users in', async (t) => {
  const local = await start(t)
  const answer = await token(local, machine, { grant_type: 'authorization_code', code: 'x', redirect_uri: 'http://localhost:3000/postlogin', code_verifier: 'x'.repeat(43) })
  t.equal(answer.status, 400)
  t.equal(answer.body.error, 'unauthorized_client')
})

t.test('a machine token is refused at /oauth2/userInfo (it has no user)', async (t) => {
  const local = await start(t)
  const answer = await token(local, machine, { grant_type: 'client_credentials' })
  const res = await request(new URL('/oauth2/userInfo', local.url), { headers: { authorization: `Bearer ${answer.body.access_token as string}` } })
  await res.body.dump()
  t.equal(res.statusCode, 401)
})

t.test('resourceServers and a machine client of one\'s own', async (t) => {
  const local = await start(t, {
    accessTokenTtl: 300,
    resourceServers: [{ identifier: 'https://api.example.com', scopes: ['inventory.read', 'inventory.write'] }],
    clients: [
      { clientId: 'web', clientSecret: 'web-secret', redirectUris: ['http://localhost:3000/postlogin'], logoutUris: ['http://localhost:3000/postlogout'] },
      { clientId: 'worker', clientSecret: 'worker-secret', allowedOAuthFlows: ['client_credentials'], scopes: ['https://api.example.com/inventory.read'] }
    ]
  })
  t.same(local.clients.machine, { clientId: 'worker', clientSecret: 'worker-secret', scopes: ['https://api.example.com/inventory.read'] })
  const worker = { clientId: 'worker', clientSecret: 'worker-secret' }
  const answer = await token(local, worker, { grant_type: 'client_credentials' })
  t.equal(answer.body.expires_in, 300)
  t.equal(claims(answer.body.access_token as string).scope, 'https://api.example.com/inventory.read')
  const refused = await token(local, worker, { grant_type: 'client_credentials', scope: 'https://api.example.com/inventory.write' })
  t.equal(refused.body.error, 'invalid_scope', 'a scope of the server that the client was not given')
})

t.test('without a machine client, local.clients.machine throws', async (t) => {
  const local = await start(t, { resourceServers: [] })
  t.throws(() => local.clients.machine, /no machine client is registered/)
  t.notOk(local.registeredClients.some((client) => client.clientId === machine.clientId), 'no orders server, no default machine client')
})

t.test('options are checked', async (t) => {
  const code = { redirectUris: ['http://localhost:3000/postlogin'], logoutUris: ['http://localhost:3000/postlogout'] }
  const cases: Array<[unknown, RegExp]> = [
    [{ resourceServers: 'orders' }, /resourceServers must be an array/],
    [{ resourceServers: [null] }, /resourceServers\[0\] must be an object/],
    [{ resourceServers: [{ identifier: 'a b', scopes: ['read'] }] }, /resourceServers\[0\]\.identifier/],
    [{ resourceServers: [{ identifier: 'orders', scopes: ['a/b'] }] }, /resourceServers\[0\]\.scopes must be scope names/],
    [{ clients: [{ clientId: 'm', clientSecret: 's', allowedOAuthFlows: ['client_credentials', 'code'], scopes: ['orders/read'] }] }, /allowedOAuthFlows must be \['code'\] or \['client_credentials'\]/],
    [{ clients: [{ clientId: 'm', clientSecret: 's', allowedOAuthFlows: ['implicit'] }] }, /allowedOAuthFlows/],
    [{ clients: [{ clientId: 'm', allowedOAuthFlows: ['client_credentials'], scopes: ['orders/read'] }] }, /clientSecret must be given for a client_credentials client/],
    [{ clients: [{ clientId: 'm', clientSecret: 's', allowedOAuthFlows: ['client_credentials'] }] }, /clients\[0\]\.scopes must be an array/],
    [{ clients: [{ clientId: 'm', clientSecret: 's', allowedOAuthFlows: ['client_credentials'], scopes: [] }] }, /clients\[0\]\.scopes must be a non-empty list of custom scopes/],
    [{ clients: [{ clientId: 'm', clientSecret: 's', allowedOAuthFlows: ['client_credentials'], scopes: ['orders/delete'] }] }, /"orders\/delete"/],
    [{ clients: [{ clientId: 'c', ...code, scopes: ['orders/read'] }] }, /clients\[0\]\.scopes must be left out for a code client/]
  ]
  for (const [options, message] of cases) {
    await t.rejects(startLocalCognito(options as never), { name: 'TypeError', message })
  }
})
