/**
 * OpenTelemetry: with @opentelemetry/api present, the plugin's events become metrics of the global
 * meter provider (read here with the SDK's in-memory reader); without it, nothing is loaded.
 */
import t from 'tap'
import { metrics } from '@opentelemetry/api'
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics'
import { startTelemetry } from '../../lib/util/telemetry.js'
import { buildApp, summaryRoutes } from '../helpers/app.js'
import { startRig } from '../helpers/rig.js'

t.test('without @opentelemetry/api nothing is recorded and the plugin works; a broken install is not hidden', async (t) => {
  const missing = Object.assign(new Error("Cannot find package '@opentelemetry/api' imported from /app/x.js"), { code: 'ERR_MODULE_NOT_FOUND' })
  t.equal(await startTelemetry(async () => { throw missing }), false)
  const broken = new SyntaxError('Unexpected token')
  await t.rejects(startTelemetry(async () => { throw broken }), broken)
})

t.test('logins, endings, refresh outcomes, refusals and Cognito call durations are recorded with their attributes', async (t) => {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 })
  const provider = new MeterProvider({ readers: [reader] })
  metrics.setGlobalMeterProvider(provider)
  t.teardown(async () => { metrics.disable(); await provider.shutdown() })
  t.equal(await startTelemetry(), true)
  t.equal(await startTelemetry(), true, 'once per process')

  const rig = await startRig(t)
  const app = await buildApp(t, rig.options(), { routes: summaryRoutes })
  await app.inject({ url: '/me' })
  const login = await app.inject({ url: '/login' })
  const params = new URL(login.headers.location as string).searchParams
  const cookies = { cognito_tx: String(login.cookies.find(c => c.name === 'cognito_tx')?.value) }
  await app.inject({ url: '/auth/callback', query: { code: rig.codeFor({ username: 'alice' }, params.get('nonce') as string), state: params.get('state') as string }, cookies })
  const session = app.cognito.sealSession({ accessToken: 'x', refreshToken: 'unknown-refresh-token' })
  await app.inject({ method: 'POST', url: '/refresh', headers: { 'sec-fetch-site': 'same-origin' }, cookies: session })

  const { resourceMetrics } = await reader.collect()
  const all = resourceMetrics.scopeMetrics.flatMap(s => s.scope.name === 'fastify-cognito' ? s.metrics : [])
  const points = (name: string): Array<{ attributes: Record<string, unknown>, value: unknown }> =>
    (all.find(m => m.descriptor.name === name)?.dataPoints ?? []) as Array<{ attributes: Record<string, unknown>, value: unknown }>
  t.match(points('fastify_cognito.logins'), [{ value: 1 }])
  t.match(points('fastify_cognito.requests.denied'), [{ attributes: { 'error.type': 'FST_COGNITO_UNAUTHENTICATED', 'http.response.status_code': 401 }, value: 1 }])
  t.match(points('fastify_cognito.refreshes'), [{ attributes: { 'fastify_cognito.refresh.outcome': 'refused' }, value: 1 }])
  t.match(points('fastify_cognito.sessions.ended'), [{ attributes: { 'fastify_cognito.session.end_reason': 'refused' }, value: 1 }])
  const durations = points('fastify_cognito.cognito.request.duration')
  t.ok(durations.some(p => p.attributes['fastify_cognito.endpoint'] === 'token endpoint' && p.attributes['http.response.status_code'] === 200), 'token endpoint calls, by status')
  t.equal(all.find(m => m.descriptor.name === 'fastify_cognito.cognito.request.duration')?.descriptor.unit, 's')
})
