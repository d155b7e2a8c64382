/**
 * Real Redis for a test file, on free loopback ports in temporary
 * directories, stopped with the file: one redis-server (AOF, fsync always),
 * or a Sentinel set (a master, a replica and three sentinels).
 */
import {type ChildProcess, spawn, spawnSync} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {createClient} from '@redis/client'

import {tempDir} from './cli.js'
import {freePort} from './server.js'
import {until} from './wait.js'

export interface RedisServer {
  url: string
  port: number
  stop(): Promise<void>
  /** Starts it again on the same port and data (its AOF): what was acknowledged before is there. */
  restart(): Promise<void>
}

const persistent = (dir: string) => ['--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--protected-mode', 'yes']

/** A redis-server or sentinel on 127.0.0.1:`port`, once it says `ready`; undefined when the port was taken. */
async function spawnRedis(command: string[], ready: string): Promise<ChildProcess | undefined> {
  const child: ChildProcess = spawn(command[0], command.slice(1), {stdio: ['ignore', 'pipe', 'pipe']})
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.on('error', (error) => (output += `\n${error.message}`))
  await until(() => child.exitCode !== null || output.includes(ready), `${command[0]} to start`, 10_000).catch(() => {})
  if (output.includes(ready)) return child
  child.kill('SIGKILL')
  if (output.includes('Address already in use')) return undefined
  throw new Error(`${command[0]} did not start (is it installed? scripts/system-deps.sh installs it): ${output.slice(-500)}`)
}

async function killed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGKILL')
  await exited
}

export async function startRedis(dir = tempDir('ummah-redis-'), fixedPort?: number, extra: string[] = []): Promise<RedisServer> {
  // A port taken between the check and the bind: try another (at most 5 times).
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = fixedPort ?? (await freePort())
    const child = await spawnRedis(
      ['redis-server', '--bind', '127.0.0.1', '--port', String(port), ...persistent(dir), ...extra],
      'Ready to accept connections',
    )
    if (!child) continue
    const server: RedisServer = {
      url: `redis://127.0.0.1:${port}`,
      port,
      stop: () => killed(child),
      restart: async () => {
        const again = await startRedis(dir, port, extra)
        Object.assign(server, {stop: again.stop, restart: again.restart})
      },
    }
    return server
  }
  throw new Error('redis-server: no free port in 5 tries')
}

export interface SentinelSet {
  /** `redis+sentinel://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3/ummah` */
  url: string
  name: string
  /** The two data nodes, the first started as master. */
  nodes: RedisServer[]
  /** The master's port as the sentinels say now. */
  masterPort(): Promise<number>
  /** Resolves once the node on `port` is a replica of the master, in sync. */
  inSync(masterPort: number): Promise<void>
  stop(): Promise<void>
}

async function ask<T>(port: number, args: string[]): Promise<T> {
  const client = createClient({socket: {host: '127.0.0.1', port, reconnectStrategy: false}, RESP: 2})
  client.on('error', () => {})
  await client.connect()
  try {
    return await client.sendCommand<T>(args)
  } finally {
    client.destroy()
  }
}

/**
 * One master, one replica and three sentinels (quorum 2, down after 1 s, so
 * a failover takes about 2 s), every one on loopback; resolved once the
 * replica is in sync and each sentinel knows the replica and the other two
 * (what a failover needs).
 */
export async function startSentinelSet(name = 'ummah'): Promise<SentinelSet> {
  const master = await startRedis()
  const replica = await startRedis(tempDir('ummah-redis-'), undefined, ['--replicaof', '127.0.0.1', String(master.port)])
  const dir = tempDir('ummah-sentinel-')
  // Debian's redis-sentinel package; a redis-server alone runs one with --sentinel.
  const binary = spawnSync('sh', ['-c', 'command -v redis-sentinel']).status === 0 ? ['redis-sentinel'] : ['redis-server']
  const sentinels: ChildProcess[] = []
  const ports: number[] = []
  for (let index = 0; sentinels.length < 3 && index < 15; index++) {
    const port = await freePort()
    const conf = join(dir, `sentinel-${port}.conf`)
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${master.port} 2`,
        `sentinel down-after-milliseconds ${name} 1000`,
        `sentinel failover-timeout ${name} 10000`,
        '',
      ].join('\n'),
    )
    const child = await spawnRedis([...binary, conf, ...(binary[0] === 'redis-server' ? ['--sentinel'] : [])], 'Sentinel ID is')
    if (!child) continue
    sentinels.push(child)
    ports.push(port)
  }
  if (sentinels.length < 3) throw new Error('redis-sentinel: no free ports')
  const set: SentinelSet = {
    url: `redis+sentinel://${ports.map((port) => `127.0.0.1:${port}`).join(',')}/${name}`,
    name,
    nodes: [master, replica],
    masterPort: async () => Number((await ask<string[]>(ports[0], ['SENTINEL', 'get-master-addr-by-name', name]))[1]),
    async inSync(masterPort) {
      await until(
        async () => /slave0:[^\n]*state=online/.test(await ask<string>(masterPort, ['INFO', 'replication']).catch(() => '')),
        'the replica in sync',
        30_000,
      )
    },
    async stop() {
      await Promise.all([...sentinels.map(killed), master.stop(), replica.stop()])
    },
  }
  await set.inSync(master.port)
  // Sentinels find replicas through the master's INFO and each other through hello messages (every 2 s).
  await until(
    async () => {
      for (const port of ports) {
        const replicas = await ask<unknown[]>(port, ['SENTINEL', 'replicas', name]).catch(() => [])
        const others = await ask<unknown[]>(port, ['SENTINEL', 'sentinels', name]).catch(() => [])
        if (replicas.length < 1 || others.length < 2) return false
      }
      return true
    },
    'the sentinels to know the replica and each other',
    30_000,
  )
  return set
}
