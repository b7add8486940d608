/**
 * The sealed format (version 1): what the codec needs to know about a sealed value is inside it, and
 * a value of another version, another purpose, or older than its purpose's max age does not open.
 */
import t from 'tap'
import Fastify from 'fastify'
import fastifySecureSession from '@fastify/secure-session'
import { resolveOptions } from '../../lib/options.js'
import { createCodec, type Purpose } from '../../lib/session/codec.js'
import { createTestPool } from '../../lib/testing/index.js'

const pool = await createTestPool()
t.teardown(() => pool.close())
const config = resolveOptions({ ...pool.pluginOptions(), cookie: { maxAge: 60 } }).codec
const codec = await createCodec(config)
t.teardown(() => codec.close())
const log = Fastify().log

/** Seals `payload` as the codec would, with the access key, but with fields the test chooses. */
async function sealRaw (payload: Record<string, unknown>, purpose: Purpose = 'access'): Promise<string> {
  const scope = Fastify()
  t.teardown(() => scope.close())
  await scope.register(fastifySecureSession, { sessionName: 's', cookieName: 's', key: config.keys[purpose], expiry: 3600 })
  const [cipher, nonce] = scope.encodeSecureSession(scope.createSecureSession(payload), 's').split(';') as [string, string]
  return `${Buffer.from(cipher, 'base64').toString('base64url')}.${Buffer.from(nonce, 'base64').toString('base64url')}`
}

const now = (): number => Math.floor(Date.now() / 1000)

t.test('a version-1 value of the right purpose and age opens', async (t) => {
  t.match(codec.open('access', await sealRaw({ v: 1, p: 'access', t: now(), d: 'token' }), log), { value: 'token', rotated: false })
})

t.test('another format version, another purpose inside, no sealing time, or past the max age: not opened', async (t) => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['format version 2', { v: 2, p: 'access', t: now(), d: 'token' }],
    ['no version (a value sealed by 0.1.0)', { v: { token: 'x' } }],
    ['the id purpose under the access key', { v: 1, p: 'id', t: now(), d: 'token' }],
    ['no sealing time', { v: 1, p: 'access', d: 'token' }],
    ['sealed 90 s ago with a 60 s max age', { v: 1, p: 'access', t: now() - 90, d: 'token' }]
  ]
  for (const [what, payload] of cases) t.equal(codec.open('access', await sealRaw(payload), log), undefined, what)
})

t.test('a value the codec sealed is refused once its purpose\'s max age has passed, even when it was opened before', async (t) => {
  const realNow = Date.now
  Date.now = () => realNow() - 90_000
  let sealed: string
  try {
    sealed = codec.seal('access', 'token')
    t.equal(codec.open('access', sealed, log)?.value, 'token', 'fresh then')
  } finally {
    Date.now = realNow
  }
  t.equal(codec.open('access', sealed, log), undefined, 'too old now')
})
