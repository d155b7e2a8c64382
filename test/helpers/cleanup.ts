/** Every test file: the children it left running are killed and the temporary directories it made through the helpers go when it ends. */
import {afterAll} from 'vitest'

import {killTracked, removeTempDirs} from './cli.js'

afterAll(() => {
  killTracked()
  removeTempDirs()
})
