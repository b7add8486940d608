// The one-time ticket that signs a new user in right after the sign-up form: used once, and only
// for five minutes. Driven with a fake clock and a minimal request context.
import t from 'tap'
import { Readable } from 'node:stream'
import type { KoaContext, Provider } from 'oidc-provider'
import { AccountDirectory } from '../../lib/local/accounts.js'
import { managedLogin } from '../../lib/local/managed-login.js'
import { resolveOptions } from '../../lib/local/options.js'

function fakeContext (cookies: Map<string, string>, body?: string): KoaContext {
  const client = resolveOptions().clients[0]!
  const ctx = {
    method: body === undefined ? 'GET' : 'POST',
    path: '/signup',
    query: { client_id: client.clientId, redirect_uri: client.redirectUris[0] },
    req: Readable.from(body === undefined ? [] : [Buffer.from(body)]),
    status: 404,
    body: undefined,
    type: '',
    cookies: {
      get: (name: string) => cookies.get(name),
      set: (name: string, value: string | null) => { if (value === null) cookies.delete(name); else cookies.set(name, value) }
    },
    set: () => {},
    redirect: () => {}
  }
  return ctx as unknown as KoaContext
}

t.test('the ticket signs the new user in once, within five minutes', async (t) => {
  const options = resolveOptions()
  let clock = 1_000_000
  const directory = new AccountDirectory(options.userPoolId, options.users)
  const stats = { authorizationCodeGrants: 0, refreshTokenGrants: 0, revocations: 0, clientCredentialsGrants: 0, signUps: 0 }
  const managed = managedLogin({ provider: {} as Provider, directory, clients: new Map(options.clients.map((c) => [c.clientId, c])), stats, users: options.users, now: () => clock })
  const cookies = new Map<string, string>()
  const signUp = async (username: string): Promise<void> => {
    await managed.signUp(fakeContext(cookies, new URLSearchParams({ username, email: `${username}@example.com`, password: 'S3cret-pass' }).toString()))
  }

  await signUp('carol')
  t.equal(stats.signUps, 1)
  const sub = directory.accounts.find((account) => account.username === 'carol')!.sub
  t.equal(managed.takeSignedUp(fakeContext(cookies)), sub)
  t.equal(managed.takeSignedUp(fakeContext(cookies)), undefined, 'used once: the cookie is cleared')

  await signUp('dave')
  const stale = cookies.get('cognito-signup')!
  clock += 5 * 60 * 1000
  t.equal(managed.takeSignedUp(fakeContext(cookies)), undefined, 'five minutes later it is worthless')

  await signUp('erin')
  clock += 5 * 60 * 1000
  await signUp('frank') // sweeps erin's expired ticket
  cookies.set('cognito-signup', stale)
  t.equal(managed.takeSignedUp(fakeContext(cookies)), undefined, 'an unknown ticket')
})
