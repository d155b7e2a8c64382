/** Every test file: the temporary directories it made through the helpers go when it ends. */
import {afterAll} from 'vitest'

import {removeTempDirs} from './cli.js'

afterAll(() => removeTempDirs())
