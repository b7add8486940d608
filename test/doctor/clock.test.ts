import t from 'tap'
import { runDoctor } from '../../lib/doctor/doctor.js'
import { checkClock } from '../../lib/doctor/remote.js'
import type { CheckResult, DoctorReport } from '../../lib/doctor/report.js'
import { startFakeCognito } from './fake-cognito.js'

function clock (report: DoctorReport): CheckResult {
  return report.checks.find(c => c.name === 'clock') as CheckResult
}

t.test('a large skew: Cognito\'s Date a minute ahead fails beyond the leeway', async (t) => {
  const fake = await startFakeCognito(t, { date: () => new Date(Date.now() + 60_000).toUTCString() })
  const report = await runDoctor(fake.env)
  t.equal(report.ok, false)
  t.equal(clock(report).status, 'fail')
  t.match(clock(report).found, /^this machine's clock is (59|60)\.\d s behind Cognito's, beyond the 5 s leeway: tokens will look expired or not yet valid$/)
  t.match(clock(report).fix, 'synchronise this machine\'s clock')
})

t.test('a skew within the leeway but above 1 s is a warning, and warnings do not fail', async (t) => {
  const fake = await startFakeCognito(t, { date: () => new Date(Date.now() - 4_000).toUTCString() })
  const report = await runDoctor(fake.env)
  t.equal(clock(report).status, 'warn')
  t.match(clock(report).found, /^this machine's clock is \d\.\d s ahead of Cognito's: within the 5 s leeway, but more than 1 s$/)
  t.equal(report.ok, true)
})

t.test('the leeway is AWS_COGNITO_EXPIRATION_LEEWAY', async (t) => {
  const fake = await startFakeCognito(t, { date: () => new Date(Date.now() - 4_000).toUTCString() })
  const report = await runDoctor({ ...fake.env, AWS_COGNITO_EXPIRATION_LEEWAY: '2' })
  t.equal(clock(report).status, 'fail')
  t.match(clock(report).found, 'beyond the 2 s leeway')
})

t.test('answers without a readable Date header are not compared', async (t) => {
  const fake = await startFakeCognito(t, { date: () => 'yesterday' })
  t.same(clock(await runDoctor(fake.env)), { name: 'clock', status: 'skip', found: 'no answer from Cognito with a Date header to compare with' })
})

t.test('the skew is the smallest one the Date header\'s one-second precision allows', async (t) => {
  const server = Date.parse('2026-01-01T00:00:00Z')
  t.equal(checkClock([{ server, sentAt: server + 900, answeredAt: server + 950 }], 5).status, 'ok', 'within the second the header names')
  t.equal(checkClock([{ server, sentAt: server - 100, answeredAt: server + 100 }], 0).status, 'ok', 'a zero leeway with a clock in step')
  const late = checkClock([{ server, sentAt: server + 2500, answeredAt: server + 2600 }], 5)
  t.equal(late.found, 'this machine\'s clock is 1.5 s ahead of Cognito\'s: within the 5 s leeway, but more than 1 s')
  const early = checkClock([{ server, sentAt: server - 2100, answeredAt: server - 2000 }, { server, sentAt: server, answeredAt: server }], 5)
  t.equal(early.found, 'this machine\'s clock is 2.0 s behind Cognito\'s: within the 5 s leeway, but more than 1 s', 'the worst answer counts')
})
