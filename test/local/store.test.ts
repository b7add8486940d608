import t from 'tap'
import { LocalStore } from '../../lib/local/store.js'

function clock (): { now: () => number, advance: (ms: number) => void } {
  let time = 1_700_000_000_000
  return { now: () => time, advance: (ms) => { time += ms } }
}

t.test('a rotated refresh token is found during the grace period and not after it', async (t) => {
  const { now, advance } = clock()
  const store = new LocalStore({ rotationGracePeriod: 10, now })
  const tokens = store.adapterFor('RefreshToken')
  await tokens.upsert('rt1', { grantId: 'g1' }, 3600)
  await tokens.consume('rt1')
  t.ok(await tokens.find('rt1'), 'right after rotation')
  t.notOk((await tokens.find('rt1'))?.consumed, 'never marked consumed: oidc-provider must not see a replay')
  advance(9_999)
  await tokens.consume('rt1')
  t.ok(await tokens.find('rt1'), 'a second use within the grace period does not restart it')
  advance(1)
  t.equal(await tokens.find('rt1'), undefined, '10 s after the first rotation')
  t.equal(store.isRevokedRefreshToken('rt1'), false, 'rotated out is not revoked')
})

t.test('only the first of two rotations of one token wins once the grace period is over', async (t) => {
  const store = new LocalStore({ rotationGracePeriod: 0, now: clock().now })
  const tokens = store.adapterFor('RefreshToken')
  await tokens.upsert('rt1', { grantId: 'g1' }, 3600)
  await tokens.consume('rt1')
  const loser = await tokens.consume('rt1').then(() => undefined, (err: unknown) => err)
  t.match(loser, { error: 'invalid_grant', status: 400, error_detail: 'refresh token already used' }, 'the loser gets invalid_grant')
})

t.test('consuming another model marks the payload consumed, as oidc-provider expects', async (t) => {
  const { now } = clock()
  const store = new LocalStore({ rotationGracePeriod: 0, now })
  const codes = store.adapterFor('AuthorizationCode')
  await codes.upsert('c1', { grantId: 'g1' }, 300)
  await codes.consume('c1')
  t.equal((await codes.find('c1'))?.consumed, 1_700_000_000)
  await codes.consume('missing')
  t.equal(await codes.find('missing'), undefined, 'consuming an unknown id is a no-op')
})

t.test('records expire with their TTL and are swept on the next write', async (t) => {
  const { now, advance } = clock()
  const store = new LocalStore({ rotationGracePeriod: 0, now })
  const tokens = store.adapterFor('AccessToken')
  const grants = store.adapterFor('Grant')
  await tokens.upsert('a1', { grantId: 'g1' }, 60)
  await grants.upsert('g0', {})
  advance(60_000)
  t.equal(await tokens.find('a1'), undefined, 'expired')
  await tokens.upsert('a2', { grantId: 'g1' }, 60)
  await tokens.upsert('a3', { grantId: 'g2' }, 60)
  advance(60_000)
  await tokens.upsert('a4', {}, 60)
  t.ok(await grants.find('g0'), 'no TTL: kept')
  await tokens.revokeByGrantId('g1')
  t.ok(await tokens.find('a4'), 'a token without grant survives grant revocations')
})

t.test('revokeByGrantId removes the grant\'s tokens of one model only; refresh tokens keep a revoked marker', async (t) => {
  const { now, advance } = clock()
  const store = new LocalStore({ rotationGracePeriod: 0, now })
  const access = store.adapterFor('AccessToken')
  const refresh = store.adapterFor('RefreshToken')
  await access.upsert('a1', { grantId: 'g1' }, 60)
  await access.upsert('a2', { grantId: 'g2' }, 60)
  await refresh.upsert('r1', { grantId: 'g1' }, 120)
  await access.revokeByGrantId('g1')
  t.equal(await access.find('a1'), undefined)
  t.ok(await access.find('a2'), 'other grants untouched')
  t.ok(await refresh.find('r1'), 'other models untouched')
  await refresh.revokeByGrantId('g1')
  t.equal(await refresh.find('r1'), undefined)
  t.equal(store.isRevokedRefreshToken('r1'), true)
  await refresh.destroy('r1')
  t.equal(store.isRevokedRefreshToken('r1'), true, 'destroying again changes nothing')
  advance(120_000)
  t.equal(store.isRevokedRefreshToken('r1'), false, 'forgotten once it would have expired anyway')
  await refresh.revokeByGrantId('unknown')
  await access.destroy('unknown')
})

t.test('sessions are found by uid until destroyed or expired', async (t) => {
  const { now, advance } = clock()
  const store = new LocalStore({ rotationGracePeriod: 0, now })
  const sessions = store.adapterFor('Session')
  await sessions.upsert('s1', { uid: 'u1', accountId: 'x' }, 3600)
  t.equal((await sessions.findByUid('u1'))?.accountId, 'x')
  t.equal(await sessions.findByUid('u2'), undefined)
  await sessions.destroy('s1')
  t.equal(await sessions.findByUid('u1'), undefined, 'destroyed')

  await sessions.upsert('s2', { uid: 'u3' }, 60)
  await sessions.upsert('s3', { uid: 'u4' }, 3600)
  advance(60_000)
  t.equal(await sessions.findByUid('u3'), undefined, 'expired')
  await sessions.upsert('s4', { uid: 'u5' }, 3600)
  t.ok(await sessions.findByUid('u4'), 'the sweep keeps live sessions')
})
