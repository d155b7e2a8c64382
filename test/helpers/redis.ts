/** A real redis-server for a test file: a free loopback port, a temporary directory, AOF with fsync always; stopped with the file. */
import {type ChildProcess, spawn} from 'node:child_process'
import {freePort} from './server.js'

import {tempDir} from './cli.js'
import {until} from './wait.js'

export interface RedisServer {
  url: string
  port: number
  stop(): Promise<void>
  /** Starts it again on the same port and data (its AOF): what was acknowledged before is there. */
  restart(): Promise<void>
}

export async function startRedis(dir = tempDir('ummah-redis-'), fixedPort?: number): Promise<RedisServer> {
  // A port taken between the check and the bind: try another (at most 5 times).
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = fixedPort ?? (await freePort())
    const child: ChildProcess = spawn(
      'redis-server',
      [
        '--bind',
        '127.0.0.1',
        '--port',
        String(port),
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--protected-mode',
        'yes',
      ],
      {stdio: ['ignore', 'pipe', 'pipe']},
    )
    let output = ''
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.on('error', (error) => (output += `\n${error.message}`))
    await until(() => child.exitCode !== null || output.includes('Ready to accept connections'), 'redis-server to start', 10_000).catch(() => {})
    if (output.includes('Ready to accept connections')) {
      const server: RedisServer = {
        url: `redis://127.0.0.1:${port}`,
        port,
        stop: async () => {
          if (child.exitCode !== null) return
          const exited = new Promise((resolve) => child.once('exit', resolve))
          child.kill('SIGKILL')
          await exited
        },
        restart: async () => {
          const again = await startRedis(dir, port)
          Object.assign(server, {stop: again.stop, restart: again.restart})
        },
      }
      return server
    }
    child.kill('SIGKILL')
    if (!output.includes('Address already in use'))
      throw new Error(`redis-server did not start (is it installed? scripts/system-deps.sh installs it): ${output.slice(-500)}`)
  }
  throw new Error('redis-server: no free port in 5 tries')
}
