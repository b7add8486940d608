/** A log capture for apps under test: Fastify's pino logger writing its lines to an array. */
import { Writable } from 'node:stream'

export interface LogLine { level: number, msg: string, [key: string]: unknown }

/** A pino logger (through Fastify's `logger` option) whose lines land in `lines`. */
export interface LogCapture {
  logger: { level: string, stream: Writable }
  lines: LogLine[]
  /** Every captured line, as JSON text: to assert that nothing secret was logged. */
  text (): string
}

export function captureLogs (level = 'info'): LogCapture {
  const lines: LogLine[] = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line !== '') lines.push(JSON.parse(line) as LogLine)
      }
      done()
    }
  })
  return { logger: { level, stream }, lines, text: () => lines.map(l => JSON.stringify(l)).join('\n') }
}
