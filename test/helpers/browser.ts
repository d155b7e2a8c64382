/** Debian's chromium (installed by scripts/system-deps.sh), headless, driven by playwright-core: the browser tests' one launch. */
import {type Browser, chromium} from 'playwright-core'

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  })
}
