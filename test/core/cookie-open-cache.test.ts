import t from 'tap'
import Fastify from 'fastify'
import fastifyCognito from '../../lib/index.js'
import { resolveOptions } from '../../lib/options.js'
import { createCodec, type Codec } from '../../lib/session/codec.js'
import { createTestPool, sessionCookies } from '../../lib/testing/index.js'
import { sleep } from '../helpers/sleep.js'
import type { Teardown } from '../helpers/teardown.js'

const log = Fastify().log

/** The codec of a test pool's plugin options, closed (with the pool) when the test ends. */
async function poolCodec (t: Teardown): Promise<Codec> {
  const pool = await createTestPool()
  t.teardown(() => pool.close())
  const codec = await createCodec(resolveOptions(pool.pluginOptions()).codec)
  t.teardown(() => codec.close())
  return codec
}

t.test('an opened cookie is remembered: the same sealed value opens again without decrypting, and the memory is bounded', async (t) => {
  const codec = await poolCodec(t)
  const sealed = codec.seal('access', 'token-0')
  t.match(codec.open('access', sealed, log), { purpose: 'access', value: 'token-0', rotated: false })
  t.equal(codec.size, 1)
  t.equal(codec.open('id', sealed, log), undefined, 'a remembered access cookie does not open as another purpose')
  for (let i = 1; i <= 1000; i++) codec.open('access', codec.seal('access', `token-${i}`), log)
  t.equal(codec.size, 1000, 'at most 1000 opened cookies are remembered')
  t.equal(codec.open('access', sealed, log)?.value, 'token-0', 'an evicted cookie still opens, by decrypting it again')
})

t.test('a remembered cookie past its sealed max age is refused, as secure-session refuses it', async (t) => {
  const pool = await createTestPool()
  t.teardown(() => pool.close())
  const app = Fastify()
  await app.register(fastifyCognito, { ...pool.pluginOptions(), cookie: { maxAge: 2 }, refresh: false })
  app.get('/me', { preHandler: app.cognito.authenticate }, async (request) => ({ user: request.cognito?.username }))
  t.teardown(() => app.close())
  const cookies = sessionCookies(app, await pool.mintTokens({ username: 'alice' }))
  t.equal((await app.inject({ url: '/me', cookies })).statusCode, 200, 'fresh: opened and remembered')
  t.equal((await app.inject({ url: '/me', cookies })).statusCode, 200, 'again, from memory')
  await sleep(3100)
  const late = await app.inject({ url: '/me', cookies })
  t.equal(late.statusCode, 401, 'the browser replayed it past Max-Age: refused')
  t.equal(late.json().code, 'FST_COGNITO_UNAUTHENTICATED')
})

t.test('a sealed value with a remembered one\'s nonce but another cipher does not open, and the remembered one still does', async (t) => {
  const codec = await poolCodec(t)
  const sealed = codec.seal('access', 'token-0')
  const remembered = codec.open('access', sealed, log)
  const [cipher, nonce] = sealed.split('.') as [string, string]
  const other = codec.seal('access', 'token-1').split('.')[0] as string
  t.equal(codec.open('access', `${other}.${nonce}`, log), undefined, 'another cipher under the same nonce fails its MAC')
  t.equal(codec.open('access', `${cipher.slice(0, -2)}AA.${nonce}`, log), undefined, 'a tampered cipher fails its MAC')
  t.equal(codec.open('access', sealed, log), remembered, 'the remembered value is still answered from memory')
})
