// A throwaway Redis for the session-store variant: Debian's redis-server on an ephemeral loopback port,
// persistence off, stopped with the run. `undefined` (and the variant is skipped, saying why) when
// redis-server is not installed.
import { spawn, spawnSync } from 'node:child_process'
import { createServer } from 'node:net'

async function freePort () {
  const server = createServer()
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise(resolve => server.close(resolve))
  return port
}

export async function startRedis () {
  if (spawnSync('redis-server', ['--version']).status !== 0) return undefined
  const port = await freePort()
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  const { Redis } = await import('ioredis')
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => 100 })
  for (let i = 0; i < 50; i++) {
    try {
      await client.connect()
      break
    } catch {
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  }
  return { port, client, stop: () => { client.disconnect(); child.kill() } }
}
