/**
 * The refresher reuses a grant's answer for requests that raced it, but never
 * for longer than half the life of the access token in it: a reused answer must not be expired.
 */
import t from 'tap'
import { Refresher } from '../../lib/protocol/refresher.js'
import { TokenClient } from '../../lib/protocol/token-client.js'
import { startFaultyIdp } from '../helpers/faulty-idp.js'
import { sleep } from '../helpers/sleep.js'
import type { Teardown } from '../helpers/teardown.js'

interface Answer { accessToken: string, refreshToken: string | undefined, expiresIn: number | undefined }

async function setup (t: Teardown, answer: Record<string, unknown>) {
  const idp = await startFaultyIdp()
  t.teardown(() => idp.close())
  let grants = 0
  idp.onToken(() => ({ json: { access_token: `access-${++grants}`, token_type: 'Bearer', ...answer } }))
  const client = new TokenClient({
    tokenUrl: `${idp.url}/oauth2/token`,
    revokeUrl: `${idp.url}/oauth2/revoke`,
    clientId: 'client',
    clientSecret: undefined,
    timeout: 5000,
    dispatcher: undefined
  })
  const refresher = new Refresher<Answer>(async token => {
    const tokens = await client.grant({ grant_type: 'refresh_token', refresh_token: token })
    return { accessToken: tokens.access_token, refreshToken: tokens.refresh_token, expiresIn: tokens.expires_in }
  }, () => false)
  return { idp, refresher }
}

t.test('an answer whose access token lives 1 s is reused for half a second, then a new grant is made', async (t) => {
  const { idp, refresher } = await setup(t, { expires_in: 1 })
  const first = await refresher.refresh('old-refresh-token')
  t.equal((await refresher.refresh('old-refresh-token')).accessToken, first.accessToken, 'reused right after the grant')
  t.equal(idp.counts.token, 1)
  await sleep(700)
  const later = await refresher.refresh('old-refresh-token')
  t.not(later.accessToken, first.accessToken, 'a fresh answer once half its life has passed')
  t.equal(idp.counts.token, 2)
})

t.test('an answer with a long-lived access token, or none stated, is reused', async (t) => {
  for (const answer of [{ expires_in: 3600 }, {}]) {
    const { idp, refresher } = await setup(t, answer)
    const first = await refresher.refresh('old-refresh-token')
    await sleep(700)
    t.equal((await refresher.refresh('old-refresh-token')).accessToken, first.accessToken, `reused (${JSON.stringify(answer)})`)
    t.equal(idp.counts.token, 1)
  }
})
