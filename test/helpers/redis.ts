/**
 * Real Redis servers for the tests (Debian's redis-server; never a mock): each on a free ephemeral port,
 * with its files in a temp dir, stopped and removed when the test ends. A server can be paused
 * (SIGSTOP/SIGCONT: the connection stays open and nothing answers) and stopped and started again on the
 * same port, keeping its data (saved on stop, loaded on start). A three-node cluster for the hash-tag test.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Redis, type RedisOptions } from 'ioredis'
import type { Teardown } from './teardown.js'

const run = promisify(execFile)

/** A free port: bind port 0, read it, let it go. */
export async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise(resolve => server.close(resolve))
  return port
}

function startServer (port: number, dir: string, extra: string[] = []): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] })
  return new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 15_000)
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer)
        child.stdout?.removeAllListeners('data')
        child.stdout?.resume()
        resolve(child)
      }
    })
    child.once('exit', code => { clearTimeout(timer); reject(new Error(`redis-server exited with ${code}: ${out}`)) })
  })
}

async function kill (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise(resolve => child.once('exit', resolve))
  child.kill('SIGCONT')
  child.kill('SIGKILL')
  await exited
}

export interface RedisServer {
  port: number
  url: string
  /** A client to this server, quit when the test ends. */
  client (options?: RedisOptions): Redis
  /** SIGSTOP: the server keeps its connections and answers nothing. */
  pause (): void
  resume (): void
  /** Saves the data set and stops the server. */
  stop (): Promise<void>
  /** Starts it again on the same port, with the data saved by `stop`. */
  start (): Promise<void>
  /** redis-cli against this server. */
  cli (...args: string[]): Promise<string>
}

export async function startRedis (t: Teardown): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'fc-redis-'))
  const port = await freePort()
  let child = await startServer(port, dir)
  const clients: Redis[] = []
  t.teardown(async () => {
    for (const c of clients) c.disconnect()
    await kill(child)
    rmSync(dir, { recursive: true, force: true })
  })
  const cli = async (...args: string[]): Promise<string> => (await run('redis-cli', ['-p', String(port), ...args])).stdout.trim()
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    client (options: RedisOptions = {}) {
      const c = new Redis({ port, host: '127.0.0.1', ...options })
      c.on('error', () => {})
      clients.push(c)
      return c
    },
    pause: () => { child.kill('SIGSTOP') },
    resume: () => { child.kill('SIGCONT') },
    async stop () {
      await cli('shutdown', 'save')
      if (child.exitCode === null) await new Promise(resolve => child.once('exit', resolve))
    },
    async start () {
      child = await startServer(port, dir)
    },
    cli
  }
}

export interface RedisClusterNodes { nodes: Array<{ host: string, port: number }> }

/** Three masters, every slot assigned, `cluster_state:ok`. */
export async function startRedisCluster (t: Teardown): Promise<RedisClusterNodes> {
  const dir = mkdtempSync(join(tmpdir(), 'fc-redis-cluster-'))
  const children: ChildProcess[] = []
  t.teardown(async () => {
    await Promise.all(children.map(kill))
    rmSync(dir, { recursive: true, force: true })
  })
  const ports: number[] = []
  for (let i = 0; i < 3; i++) {
    const port = await freePort()
    const bus = await freePort()
    ports.push(port)
    children.push(await startServer(port, dir, ['--cluster-enabled', 'yes', '--cluster-port', String(bus), '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--dbfilename', `dump-${port}.rdb`]))
  }
  await run('redis-cli', ['--cluster', 'create', ...ports.map(p => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'])
  for (let i = 0; i < 100; i++) {
    const states = await Promise.all(ports.map(async p => (await run('redis-cli', ['-p', String(p), 'cluster', 'info'])).stdout))
    if (states.every(s => s.includes('cluster_state:ok'))) break
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  return { nodes: ports.map(port => ({ host: '127.0.0.1', port })) }
}

/** Every key of a server, with its TTL in ms (-1: none). */
export async function keysWithTtl (client: Redis): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  let cursor = '0'
  do {
    const [next, keys] = await client.scan(cursor, 'COUNT', 1000)
    cursor = next
    for (const key of keys) out.set(key, await client.pttl(key))
  } while (cursor !== '0')
  return out
}
