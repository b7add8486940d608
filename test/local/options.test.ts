import t from 'tap'
import { DEFAULT_CONFIDENTIAL_CLIENT, DEFAULT_PASSWORD, DEFAULT_PUBLIC_CLIENT, startLocalCognito, type LocalCognitoOptions } from '../../lib/local/index.js'
import { resolveOptions } from '../../lib/local/options.js'
import { urlHost } from '../../lib/local/server.js'
import { claims, PASSWORD, signInForTokens, start } from '../helpers/local-cognito.js'

t.test('defaults: loopback, three clients, alice and bob, Cognito lifetimes', async (t) => {
  const local = await start(t)
  t.match(local.url, /^http:\/\/127\.0\.0\.1:\d+$/)
  t.equal(local.domain, local.url)
  t.equal(local.userPoolId, 'us-east-1_LocalPool')
  t.equal(local.region, 'us-east-1')
  t.same(local.clients.confidential, { clientId: 'local-confidential-client', clientSecret: 'local-confidential-secret-change-me' })
  t.same(local.clients.public, { clientId: 'local-public-client' })
  t.same(DEFAULT_CONFIDENTIAL_CLIENT, local.clients.confidential)
  t.same(DEFAULT_PUBLIC_CLIENT, local.clients.public)
  t.same(local.registeredClients.map((c) => [c.clientId, c.redirectUris, c.logoutUris, c.refreshTokenRotation]), [
    ['local-confidential-client', ['http://localhost:3000/postlogin'], ['http://localhost:3000/postlogout'], false],
    ['local-public-client', ['http://localhost:3000/postlogin'], ['http://localhost:3000/postlogout'], false],
    ['local-machine-client', [], [], false]
  ])
  t.same(local.registeredClients.map((c) => [c.allowedOAuthFlows, c.scopes]), [
    [['code'], []], [['code'], []], [['client_credentials'], ['orders/read', 'orders/write']]
  ])
  t.same(local.users.map((u) => [u.username, u.password, u.email, u.groups]), [
    ['alice', DEFAULT_PASSWORD, 'alice@example.com', ['admin', 'editor']],
    ['bob', 'Passw0rd!', 'bob@example.com', undefined]
  ])
  t.same(local.stats, { authorizationCodeGrants: 0, refreshTokenGrants: 0, revocations: 0, clientCredentialsGrants: 0, signUps: 0 })

  const resolved = resolveOptions()
  t.equal(resolved.accessTokenTtl, 3600)
  t.equal(resolved.refreshTokenTtl, 30 * 24 * 3600)
  t.equal(resolved.rotationGracePeriod, 0)
  t.equal(resolved.host, '127.0.0.1')
  t.equal(resolved.port, 0)
})

t.test('custom clients replace the defaults; clients names the first of each kind', async (t) => {
  const local = await start(t, {
    clients: [
      { clientId: 'spa', redirectUris: ['https://app.example/cb'], logoutUris: ['https://app.example/'] },
      { clientId: 'web', clientSecret: 'shh', redirectUris: ['http://127.0.0.1:8080/cb'], logoutUris: ['http://[::1]:8080/'] }
    ]
  })
  t.same(local.clients.public, { clientId: 'spa' })
  t.same(local.clients.confidential, { clientId: 'web', clientSecret: 'shh' })
  t.same(local.registeredClients.map((c) => c.clientId), ['spa', 'web'])
})

t.test('reading a kind of client that is not registered throws', async (t) => {
  const local = await start(t, { clients: [{ clientId: 'spa', redirectUris: ['https://app.example/cb'], logoutUris: [] }] })
  t.throws(() => local.clients.confidential, /no confidential client is registered/)
  t.same(Object.keys(local.clients), ['public'], 'only registered kinds are enumerable')
})

t.test('custom users replace alice and bob, with their sub and attributes', async (t) => {
  const sub = '11111111-2222-4333-8444-555555555555'
  const local = await start(t, {
    users: [{ username: 'carol', password: PASSWORD, email: 'carol@example.com', sub, attributes: { email_verified: 'false', 'custom:plan': 'pro' } }]
  })
  t.same(local.users.map((u) => u.username), ['carol'])
  const tokens = await signInForTokens(local, { username: 'carol' })
  t.match(claims(tokens.id_token), { sub, 'cognito:username': 'carol', email_verified: false, 'custom:plan': 'pro' })
  t.equal(claims(tokens.access_token).sub, sub)
})

t.test('a user\'s default sub is a UUID derived from pool and username: stable across restarts', async (t) => {
  const first = await start(t)
  const second = await start(t)
  const a = claims((await signInForTokens(first)).access_token).sub
  t.equal(claims((await signInForTokens(second)).access_token).sub, a)
  const other = await start(t, { userPoolId: 'us-east-1_Other' })
  t.not(claims((await signInForTokens(other)).access_token).sub, a, 'another pool, another sub')
})

t.test('invalid options are refused with a message naming the option', async (t) => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['not an object', 'nope', /option options must be an object/],
    ['host', { host: '' }, /option host must be a non-empty string/],
    ['port', { port: 70000 }, /option port must be an integer from 0 to 65535/],
    ['port type', { port: '3000' }, /option port/],
    ['userPoolId', { userPoolId: 'LocalPool' }, /option userPoolId must be of the form '<region>_<id>'/],
    ['refreshTokenRotation', { refreshTokenRotation: 'yes' }, /option refreshTokenRotation must be a boolean/],
    ['redirectUris list', { redirectUris: 'http://localhost/cb' }, /option redirectUris must be an array of non-empty strings/],
    ['redirectUris relative', { redirectUris: ['/cb'] }, /option redirectUris must be a list of absolute URLs/],
    ['redirectUris http', { redirectUris: ['http://app.example/cb'] }, /http:\/\/ only for localhost/],
    ['redirectUris fragment', { redirectUris: ['https://app.example/cb#x'] }, /without a fragment/],
    ['logoutUris', { logoutUris: ['ftp://localhost/'] }, /option logoutUris/],
    ['accessTokenTtl', { accessTokenTtl: 0 }, /option accessTokenTtl must be an integer/],
    ['refreshTokenTtl', { refreshTokenTtl: 1.5 }, /option refreshTokenTtl must be an integer/],
    ['rotationGracePeriod', { rotationGracePeriod: 61 }, /option rotationGracePeriod must be an integer from 0 to 60/],
    ['clients empty', { clients: [] }, /option clients must be a non-empty array/],
    ['client object', { clients: [null] }, /option clients\[0\] must be an object/],
    ['clientId', { clients: [{ redirectUris: [], logoutUris: [] }] }, /option clients\[0\]\.clientId must be a non-empty string/],
    ['clientId unique', { clients: [{ clientId: 'a', redirectUris: [], logoutUris: [] }, { clientId: 'a', redirectUris: [], logoutUris: [] }] }, /clients\[1\]\.clientId must be unique/],
    ['clientSecret', { clients: [{ clientId: 'a', clientSecret: '', redirectUris: [], logoutUris: [] }] }, /clients\[0\]\.clientSecret/],
    ['client rotation', { clients: [{ clientId: 'a', refreshTokenRotation: 1, redirectUris: [], logoutUris: [] }] }, /clients\[0\]\.refreshTokenRotation must be a boolean/],
    ['client redirectUris', { clients: [{ clientId: 'a', redirectUris: ['x'], logoutUris: [] }] }, /clients\[0\]\.redirectUris/],
    ['users empty', { users: [] }, /option users must be a non-empty array/],
    ['user object', { users: [7] }, /option users\[0\] must be an object/],
    ['username', { users: [{ password: 'p', email: 'e' }] }, /option users\[0\]\.username must be a non-empty string/],
    ['password', { users: [{ username: 'u', email: 'e' }] }, /option users\[0\]\.password/],
    ['username unique', { users: [{ username: 'u', password: 'p', email: 'e' }, { username: 'u', password: 'p', email: 'e' }] }, /users\[1\]\.username must be unique/],
    ['sub', { users: [{ username: 'u', password: 'p', email: 'e', sub: 5 }] }, /users\[0\]\.sub/],
    ['attributes', { users: [{ username: 'u', password: 'p', email: 'e', attributes: { age: 5 } }] }, /users\[0\]\.attributes must be an object of string values/],
    ['attributes type', { users: [{ username: 'u', password: 'p', email: 'e', attributes: 'name=u' }] }, /users\[0\]\.attributes/],
    ['groups', { users: [{ username: 'u', password: 'p', email: 'e', groups: 'admin' }] }, /users\[0\]\.groups must be an array/]
  ]
  for (const [name, options, message] of cases) {
    t.throws(() => resolveOptions(options as LocalCognitoOptions), { name: 'TypeError', message }, name)
  }
  await t.rejects(startLocalCognito({ port: -1 }), /option port/, 'startLocalCognito validates before listening')
})

t.test('IPv6 hosts are bracketed in URLs', async (t) => {
  t.equal(urlHost('::1'), '[::1]')
  t.equal(urlHost('127.0.0.1'), '127.0.0.1')
  t.equal(urlHost('localhost'), 'localhost')
})
