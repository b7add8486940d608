/**
 * What a doctor's check reports, and the two ways it is printed: one line per check for people,
 * JSON for machines. Nothing here may print a secret: checks report lengths, never values.
 */

/** `skip`: the check could not run (the options it needs are invalid); it never fails the run by itself. */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip'

export interface CheckResult {
  /** `options`, `discovery`, `jwks`, `authorize`, `secret`, `cookies`, `clock` or `https`. */
  name: string
  status: CheckStatus
  /** What was found, in one line. */
  found: string
  /** For `warn` and `fail`: what to change, in one line. */
  fix?: string
}

export interface DoctorReport {
  /** `false` when any check failed; warnings do not fail. */
  ok: boolean
  checks: CheckResult[]
}

export function ok (name: string, found: string): CheckResult {
  return { name, status: 'ok', found }
}

export function warn (name: string, found: string, fix: string): CheckResult {
  return { name, status: 'warn', found, fix }
}

export function fail (name: string, found: string, fix: string): CheckResult {
  return { name, status: 'fail', found, fix }
}

export function skip (name: string, found: string): CheckResult {
  return { name, status: 'skip', found }
}

/** Text from the network, made safe for one terminal line: printable ASCII only, at most 200 characters. */
export function printable (value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? 'nothing'
  const clean = text.replace(/[^\x20-\x7e]/g, '?')
  return clean.length > 200 ? `${clean.slice(0, 200)}...` : clean
}

/** One line per check (`ok`, `warn`, `fail` or `skip`, the check, what was found, the fix), then a summary. */
export function formatText (report: DoctorReport): string {
  const lines = report.checks.map(check =>
    `${check.status.padEnd(4)}  ${check.name.padEnd(9)}  ${check.found}${check.fix === undefined ? '' : ` -- fix: ${check.fix}`}`)
  const count = (status: CheckStatus): number => report.checks.filter(check => check.status === status).length
  lines.push(`${report.ok ? 'ok' : 'failed'}: ${count('ok')} ok, ${count('warn')} warning(s), ${count('fail')} failed, ${count('skip')} skipped`)
  return `${lines.join('\n')}\n`
}

/** `{ ok, checks: [{ name, status, found, fix? }] }`, indented, with a final newline. */
export function formatJson (report: DoctorReport): string {
  return `${JSON.stringify(report, null, 2)}\n`
}
