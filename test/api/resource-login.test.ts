/** Resource binding: `resource` goes on the authorize URL; it is validated at registration by Cognito's rule. */
import t from 'tap'
import { createTestPool } from '../../lib/testing/index.js'
import { buildApp } from '../helpers/app.js'

const pool = await createTestPool()
t.teardown(() => pool.close())

async function authorizeUrl (resource: string | undefined): Promise<URL> {
  const app = await buildApp(t, { ...pool.pluginOptions(), ...(resource === undefined ? {} : { resource }) })
  const res = await app.inject({ url: '/login' })
  return new URL(res.headers.location as string)
}

t.test('the login passes resource=<value> to Cognito', async (t) => {
  t.equal((await authorizeUrl('https://api.example.com/orders')).searchParams.get('resource'), 'https://api.example.com/orders')
  t.equal((await authorizeUrl(undefined)).searchParams.has('resource'), false, 'no resource, no parameter')
})

t.test('https, http://localhost and custom schemes are accepted', async (t) => {
  for (const ok of ['https://api.example.com', 'http://localhost:8080/api', 'myapp:orders', 'urn:example:api']) {
    t.equal((await authorizeUrl(ok)).searchParams.get('resource'), ok, ok)
  }
})

t.test('anything else fails registration with a message naming resource', async (t) => {
  for (const bad of ['http://api.example.com', 'not a uri', 'https://api.example.com/#frag', 'javascript:alert(1)', '']) {
    await t.rejects(buildApp(t, { ...pool.pluginOptions(), resource: bad }), { code: 'FST_COGNITO_INVALID_OPTION', message: /resource/ }, bad)
  }
})
