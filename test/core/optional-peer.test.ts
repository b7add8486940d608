import t from 'tap'
import { importOptionalPeer, installCommand, isNotFound, MissingPeerError } from '../../lib/util/optional-peer.js'
import { OIDC_PROVIDER } from '../../lib/local/require-peer.js'

const absent = { name: 'fastify-cognito-absent-peer', range: '2', dev: true }

t.test('a missing optional peer rejects with one line that says what to install', async (t) => {
  const err = await importOptionalPeer(absent, 'fastify-cognito/thing').then(() => undefined, (err: unknown) => err as Error & { code: string, statusCode: number })
  t.ok(err instanceof MissingPeerError)
  t.equal(err?.code, 'FST_COGNITO_MISSING_PEER')
  t.equal(err?.message, 'fastify-cognito/thing needs fastify-cognito-absent-peer: npm install --save-dev fastify-cognito-absent-peer@2')
  t.notMatch(err?.message, /\n/, 'one line')
  t.equal(err?.cause, undefined, 'no raw ERR_MODULE_NOT_FOUND attached: the message is the whole story')
})

t.test('the local stand-in asks for oidc-provider 9 as a development dependency', async (t) => {
  t.equal(installCommand(OIDC_PROVIDER), 'npm install --save-dev oidc-provider@9')
  t.equal(installCommand({ name: 'ioredis', range: '5' }), 'npm install ioredis@5', 'a runtime peer is a plain dependency')
  t.equal(new MissingPeerError('fastify-cognito/local', 'oidc-provider', installCommand(OIDC_PROVIDER)).message,
    'fastify-cognito/local needs oidc-provider: npm install --save-dev oidc-provider@9')
})

t.test('an installed peer is imported', async (t) => {
  const path = await importOptionalPeer<typeof import('node:path')>({ name: 'node:path', range: '*' }, 'test')
  t.equal(typeof path.join, 'function')
  const provider = await importOptionalPeer<{ default: unknown }>(OIDC_PROVIDER, 'fastify-cognito/local')
  t.equal(typeof provider.default, 'function', 'oidc-provider, a dev dependency of this repository')
})

t.test('a peer that is there but fails to load is not reported as missing', async (t) => {
  const broken = Object.assign(new Error("Cannot find package 'koa' imported from /x/oidc-provider/lib/index.js"), { code: 'ERR_MODULE_NOT_FOUND' })
  await t.rejects(importOptionalPeer(OIDC_PROVIDER, 'fastify-cognito/local', async () => { throw broken }), broken,
    'a dependency of the peer is missing: the original error')
  const syntax = new SyntaxError('Unexpected token')
  await t.rejects(importOptionalPeer(OIDC_PROVIDER, 'fastify-cognito/local', async () => { throw syntax }), syntax)
  t.notOk(isNotFound(undefined, 'oidc-provider'))
  t.notOk(isNotFound("Cannot find package 'oidc-provider'", 'oidc-provider'), 'not an Error')
  t.ok(isNotFound(new Error("Cannot find package 'oidc-provider' imported from /app/node_modules/fastify-cognito/dist/optional-peer.js"), 'oidc-provider'),
    'with or without the code: loaders drop it')
})
