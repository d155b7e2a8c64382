/**
 * Opens a URL in the user's browser: $BROWSER when set (as git and gh do),
 * else the platform's opener. $BROWSER is a command line (`firefox --new-tab`):
 * run by the shell with the URL as its last argument, passed as "$1" so the
 * URL is never read as shell syntax.
 */
import {spawn} from 'node:child_process'

export function openInBrowser(url: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const [command, ...args] = env.BROWSER
    ? process.platform === 'win32'
      ? [env.BROWSER, url]
      : ['sh', '-c', `${env.BROWSER} "$1"`, 'sh', url]
    : process.platform === 'darwin'
      ? ['open', url]
      : process.platform === 'win32'
        ? ['cmd', '/c', 'start', '""', url]
        : ['xdg-open', url]
  return new Promise((resolve) => {
    const child = spawn(command, args, {stdio: 'ignore', detached: true})
    child.once('error', () => resolve(false))
    child.once('spawn', () => {
      child.unref()
      resolve(true)
    })
  })
}
