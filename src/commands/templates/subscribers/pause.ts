import {subscriberStatusCommand} from '../../../cli/subscriber-status.js'

export default class TemplatesSubscribersPause extends subscriberStatusCommand('subscription_paused') {
  static override summary = 'Pause billing for a subscriber'
  static override description =
    'Shortcut for `templates subscribers update ID CLIENT_ID --status subscription_paused`: no renewals are charged until the subscriber is resumed.'
  static override examples = [
    '<%= config.bin %> templates subscribers pause 9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d 5b1f3e2a-8c4d-4e6f-a1b2-c3d4e5f6a7b8',
  ]
}
