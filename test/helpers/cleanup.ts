/** Every test file: the children it left running are killed and the temporary directories it made through the helpers go when it ends. */
import {afterAll} from 'vitest'

import {killTracked, removeTempDirs, tempDir} from './cli.js'

// A sandbox started without --ephemeral or --data-file keeps state in the data directory: never the real one, and never one shared by two files.
process.env.UMMAH_DATA_DIR = tempDir('ummah-data-')
// A listener spawned with this environment serves its inspector on any free port, never 4040 (test servers bind port 0).
process.env.UMMAH_INSPECT_PORT = '0'

afterAll(() => {
  killTracked()
  removeTempDirs()
})
