/**
 * Guards: groups (all of, any of), scopes, the app's own checks, and the identity they leave on the
 * request.
 */
import t from 'tap'
import type { FastifyRequest } from 'fastify'
import { createTestPool } from '../../lib/testing/index.js'
import type { CognitoIdentity } from '../../lib/index.js'
import { buildApp } from '../helpers/app.js'

const pool = await createTestPool()
t.teardown(() => pool.close())

const seen: Array<{ route: string, identity: CognitoIdentity, request: FastifyRequest }> = []
const app = await buildApp(t, { ...pool.pluginOptions(), redirectToLogin: false }, {
  routes: (app) => {
    const who = async (request: FastifyRequest): Promise<unknown> => request.cognito
    app.get('/authenticated', { preHandler: app.cognito.authenticate }, who)
    app.get('/admin-and-editor', { preHandler: app.cognito.requireGroups(['admin', 'editor']) }, who)
    app.get('/admin-or-billing', { preHandler: app.cognito.requireAnyGroup(['admin', 'billing']) }, who)
    app.get('/auth-required-all', { preHandler: app.cognito.guard({ groups: ['admin', 'editor'] }) }, who)
    app.get('/auth-required-any', { preHandler: app.cognito.guard({ groups: ['admin', 'editor'], anyGroup: true }) }, who)
    app.get('/orders', { preHandler: app.cognito.requireScopes(['orders/read', 'orders/write']) }, who)
    app.get('/sync-check', { preHandler: app.cognito.requireClaims((identity) => identity.username === 'alice') }, who)
    app.get('/async-check', {
      preHandler: app.cognito.requireClaims(async (identity, request) => {
        seen.push({ route: 'async', identity, request })
        await new Promise(resolve => setImmediate(resolve))
        return request.headers['x-tenant'] === 'acme' && identity.groups.includes('admin')
      })
    }, who)
    app.get('/truthy-check', { preHandler: app.cognito.requireClaims(() => 'yes' as unknown as boolean) }, who)
    app.get('/everything', { preHandler: app.cognito.guard({ groups: ['admin'], scopes: ['openid'], check: (identity) => identity.sub.length > 0 }) }, who)
    app.get('/open', async (request) => ({ cognito: request.cognito }))
  }
})

const alice = await pool.mintAccessToken({ username: 'alice', groups: ['admin', 'editor'] })
const bob = await pool.mintAccessToken({ username: 'bob' })
const aliceAdminOnly = await pool.mintAccessToken({ username: 'alice', groups: ['admin'] })
const billing = await pool.mintAccessToken({ username: 'carol', groups: ['billing'] })

async function status (url: string, token?: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await app.inject({ url, headers: { ...(token === undefined ? {} : pool.bearer(token)), ...headers } })
  return res.statusCode
}

t.test('authenticate lets any authenticated user in and nobody else', async (t) => {
  t.equal(await status('/authenticated', alice), 200)
  t.equal(await status('/authenticated', bob), 200)
  t.equal(await status('/authenticated'), 401)
})

t.test('requireGroups needs every group: alice (admin, editor) yes; admin alone, bob (no groups) no', async (t) => {
  t.equal(await status('/admin-and-editor', alice), 200)
  const res = await app.inject({ url: '/admin-and-editor', headers: pool.bearer(aliceAdminOnly) })
  t.equal(res.statusCode, 403)
  t.equal(res.json().code, 'FST_COGNITO_GROUP_REQUIRED')
  t.equal(await status('/admin-and-editor', bob), 403)
  t.equal(await status('/admin-and-editor'), 401, 'nobody: 401, not 403')
})

t.test('requireAnyGroup needs one of the groups', async (t) => {
  t.equal(await status('/admin-or-billing', alice), 200)
  t.equal(await status('/admin-or-billing', billing), 200)
  t.equal(await status('/admin-or-billing', bob), 403)
})

t.test('guard({ groups, anyGroup }) is the seed\'s auth_required(groups, any_group)', async (t) => {
  t.equal(await status('/auth-required-all', alice), 200)
  t.equal(await status('/auth-required-all', aliceAdminOnly), 403)
  t.equal(await status('/auth-required-any', aliceAdminOnly), 200)
  t.equal(await status('/auth-required-any', billing), 403)
})

t.test('a user without cognito:groups has groups [] on request.cognito', async (t) => {
  const res = await app.inject({ url: '/authenticated', headers: pool.bearer(bob) })
  t.same(res.json().groups, [])
  t.equal(res.json().accessToken['cognito:groups'], undefined, 'Cognito leaves the claim out')
})

t.test('a cognito:groups claim that is not a list of strings counts as no groups', async (t) => {
  for (const groups of ['admin', ['admin', 7], { admin: true }]) {
    const token = await pool.mintAccessToken({ username: 'eve', claims: { 'cognito:groups': groups } })
    const me = await app.inject({ url: '/authenticated', headers: pool.bearer(token) })
    t.same(me.json().groups, [], JSON.stringify(groups))
    t.equal(await status('/admin-or-billing', token), 403)
  }
})

t.test('requireScopes answers 403 with an insufficient_scope challenge when a scope is missing', async (t) => {
  const both = await pool.mintAccessToken({ username: 'alice', scopes: ['openid', 'orders/read', 'orders/write'] })
  t.equal(await status('/orders', both), 200)
  const readOnly = await pool.mintAccessToken({ username: 'alice', scopes: ['openid', 'orders/read'] })
  const res = await app.inject({ url: '/orders', headers: pool.bearer(readOnly) })
  t.equal(res.statusCode, 403)
  t.equal(res.json().code, 'FST_COGNITO_SCOPE_REQUIRED')
  t.equal(res.headers['www-authenticate'], 'Bearer error="insufficient_scope", scope="orders/read orders/write"')
  const noScope = await pool.mintAccessToken({ username: 'alice', claims: { scope: undefined } })
  const me = await app.inject({ url: '/authenticated', headers: pool.bearer(noScope) })
  t.same(me.json().scopes, [], 'no scope claim: no scopes')
  t.equal(await status('/orders', noScope), 403)
})

t.test('requireClaims runs the app\'s check, sync or async; false is 403 FST_COGNITO_ACCESS_DENIED', async (t) => {
  t.equal(await status('/sync-check', alice), 200)
  const denied = await app.inject({ url: '/sync-check', headers: pool.bearer(bob) })
  t.equal(denied.statusCode, 403)
  t.equal(denied.json().code, 'FST_COGNITO_ACCESS_DENIED')

  t.equal(await status('/async-check', alice, { 'x-tenant': 'acme' }), 200)
  t.equal(await status('/async-check', alice, { 'x-tenant': 'other' }), 403)
  t.equal(await status('/async-check', bob, { 'x-tenant': 'acme' }), 403)
  const last = seen.at(-1)
  t.equal(last?.identity.username, 'bob', 'the check receives the identity')
  t.equal(last?.request.headers['x-tenant'], 'acme', 'and the request')

  t.equal(await status('/truthy-check', alice), 403, 'only true passes, not a truthy value')
})

t.test('one guard with groups, scopes and a check', async (t) => {
  t.equal(await status('/everything', alice), 200)
  t.equal(await status('/everything', bob), 403)
})

t.test('request.cognito is the identity on guarded routes and null on unguarded ones', async (t) => {
  const res = await app.inject({ url: '/authenticated', headers: pool.bearer(alice) })
  const identity = res.json()
  t.same(Object.keys(identity).sort(), ['accessToken', 'authTime', 'clientId', 'groups', 'idToken', 'kind', 'scopes', 'source', 'sub', 'username'])
  t.match(identity, { source: 'bearer', username: 'alice', groups: ['admin', 'editor'], scopes: ['openid'], idToken: null, authTime: identity.accessToken.auth_time })
  t.equal(identity.sub, identity.accessToken.sub)
  const open = await app.inject({ url: '/open', headers: pool.bearer(alice) })
  t.same(open.json(), { cognito: null }, 'no guard, no identity, even with a valid token')
})

t.test('guard options are validated when the guard is made', async (t) => {
  const bad: Array<[string, unknown, RegExp]> = [
    ['null', null, /guard options must be an object/],
    ['a string', 'admin', /guard options must be an object/],
    ['groups not a list', { groups: 'admin' }, /groups must be a list of non-empty strings/],
    ['an empty group name', { groups: ['admin', ''] }, /groups must be a list of non-empty strings/],
    ['a scope that is not a string', { scopes: [7] }, /scopes must be a list of non-empty strings/],
    ['a check that is not a function', { check: true }, /check must be a function/]
  ]
  for (const [what, options, message] of bad) {
    t.throws(() => app.cognito.guard(options as never), { code: 'FST_COGNITO_INVALID_OPTION', message }, what)
  }
  t.throws(() => app.cognito.requireGroups('admin' as never), { code: 'FST_COGNITO_INVALID_OPTION' })
  t.throws(() => app.cognito.requireScopes([''] as never), { code: 'FST_COGNITO_INVALID_OPTION' })
  t.type(app.cognito.guard(), 'function')
})

t.test('the shorthand guards refuse a missing or empty argument instead of becoming a bare authenticate', async (t) => {
  t.throws(() => app.cognito.requireGroups(undefined as never), { code: 'FST_COGNITO_INVALID_OPTION', message: /groups must be a non-empty list/ })
  t.throws(() => app.cognito.requireGroups([]), { code: 'FST_COGNITO_INVALID_OPTION', message: /groups must be a non-empty list/ })
  t.throws(() => app.cognito.requireAnyGroup([]), { code: 'FST_COGNITO_INVALID_OPTION', message: /groups must be a non-empty list/ })
  t.throws(() => app.cognito.requireScopes(undefined as never), { code: 'FST_COGNITO_INVALID_OPTION', message: /scopes must be a non-empty list/ })
  t.throws(() => app.cognito.requireClaims(undefined as never), { code: 'FST_COGNITO_INVALID_OPTION', message: /check must be a function/ })
})
