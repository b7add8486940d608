/**
 * `runDoctor`: every check of `fastify-cognito doctor`, in order, against the environment the plugin
 * would read with `optionsFromEnv`. It never throws: each problem is a check's `fail`.
 */
import { checkCookies, checkHttps, checkOptions, checkSecret, COGNITO_TOKEN_SIZES, notRun, resolveFromEnv } from './checks.js'
import { checkAuthorize, checkClock, checkDiscovery, checkJwks, Probe } from './remote.js'
import type { CheckResult, DoctorReport } from './report.js'

export interface DoctorSettings {
  /** Token sizes the cookie check seals; Cognito's by default. */
  tokenSizes?: typeof COGNITO_TOKEN_SIZES
  /** The local clock, in ms since the epoch (tests). */
  now?: () => number
}

/**
 * Runs the checks: options, discovery, jwks, authorize, secret, cookies, clock, https. The report is
 * `ok` unless a check failed; warnings and skipped checks do not fail it.
 *
 * @example
 * ```ts
 * const report = await runDoctor(process.env)
 * process.stdout.write(formatText(report))
 * ```
 */
export async function runDoctor (env: NodeJS.ProcessEnv, settings: DoctorSettings = {}): Promise<DoctorReport> {
  const resolution = resolveFromEnv(env)
  const { config } = resolution
  const checks: CheckResult[] = [checkOptions(resolution)]
  if (config === undefined) {
    checks.push(notRun('discovery'), notRun('jwks'), notRun('authorize'), checkSecret(env), notRun('cookies'), notRun('clock'))
  } else {
    const probe = new Probe({ timeout: config.timeout, dispatcher: config.dispatcher }, settings.now)
    checks.push(...await Promise.all([checkDiscovery(probe, config), checkJwks(probe, config), checkAuthorize(probe, config)]))
    checks.push(checkSecret(env), await checkCookies(config, settings.tokenSizes), checkClock(probe.readings, config.leeway))
  }
  checks.push(checkHttps(env))
  return { ok: checks.every(check => check.status !== 'fail'), checks }
}
