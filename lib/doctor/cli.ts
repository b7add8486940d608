#!/usr/bin/env node
/**
 * `fastify-cognito`: the package's command. `fastify-cognito doctor [--json]` checks a configuration
 * (the environment `optionsFromEnv` reads: flask-cognito-lib's variable names) against Cognito before it
 * bites, and prints each check with a one-line fix. Exit code: 0 when no check failed (warnings allowed),
 * 1 when one did, 2 for a usage error.
 */
import { isEntryPoint } from '../local/cli.js'
import { runDoctor, type DoctorSettings } from './doctor.js'
import { formatJson, formatText } from './report.js'

export const USAGE = `Usage: fastify-cognito <command>

Commands:
  doctor [--json]  check the configuration in the environment (AWS_COGNITO_*, SECRET_KEY) against Cognito:
                   options, discovery, jwks, authorize, secret, cookies, clock, https
  help             show this help

Exit codes: 0 no check failed (warnings allowed), 1 a check failed, 2 a usage error.
`

/** What the command reads and writes; `process` in real use, fakes in tests. */
export interface CliIo {
  argv: string[]
  env: NodeJS.ProcessEnv
  stdout: { write: (text: string) => unknown }
  stderr: { write: (text: string) => unknown }
}

/**
 * Runs the command named by `io.argv` (the arguments after the script) and resolves with the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await main({ argv: ['doctor', '--json'], env: process.env, stdout: process.stdout, stderr: process.stderr })
 * ```
 */
export async function main (
  io: CliIo = { argv: process.argv.slice(2), env: process.env, stdout: process.stdout, stderr: process.stderr },
  settings: DoctorSettings = {}
): Promise<number> {
  const [command, ...args] = io.argv
  if (command === 'help' || command === '--help' || command === '-h') {
    io.stdout.write(USAGE)
    return 0
  }
  if (command !== 'doctor') {
    io.stderr.write(`${command === undefined ? 'fastify-cognito: a command is required' : `fastify-cognito: unknown command "${command}"`}\n\n${USAGE}`)
    return 2
  }
  const unknown = args.find(arg => arg !== '--json')
  if (unknown !== undefined) {
    io.stderr.write(`fastify-cognito doctor: unknown argument "${unknown}"\n\n${USAGE}`)
    return 2
  }
  const report = await runDoctor(io.env, settings)
  io.stdout.write(args.includes('--json') ? formatJson(report) : formatText(report))
  return report.ok ? 0 : 1
}

if (isEntryPoint(import.meta.url, process.argv[1])) {
  main().then((code) => { process.exitCode = code })
}
