import {subscriberStatusCommand} from '../../../cli/subscriber-status.js'

export default class TemplatesSubscribersResume extends subscriberStatusCommand('active') {
  static override summary = 'Resume billing for a paused subscriber'
  static override description =
    'Shortcut for `templates subscribers update ID CLIENT_ID --status active`: billing continues on the template schedule.'
  static override examples = [
    '<%= config.bin %> templates subscribers resume 9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d 5b1f3e2a-8c4d-4e6f-a1b2-c3d4e5f6a7b8',
  ]
}
