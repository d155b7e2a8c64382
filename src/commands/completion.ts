import {Args} from '@oclif/core'

import {UmmahCommand} from '../cli/base-command.js'
import {globalFlagsFor} from '../cli/flags.js'

export default class Completion extends UmmahCommand {
  static override summary = 'Print a shell completion script: commands, flags, and the values flags and arguments take'
  static override description =
    "bash: `source <(ummah completion bash)` in ~/.bashrc (zsh: the same after `autoload -U +X bashcompinit && bashcompinit`). fish: `ummah completion fish > ~/.config/fish/completions/ummah.fish`. The script is written from the commands themselves: `statements create --format <TAB>` offers csv and xlsx, `trigger <TAB>` every event. `ummah autocomplete` sets up oclif's own zsh and PowerShell completion."

  static override examples = [
    'source <(<%= config.bin %> completion bash)',
    '<%= config.bin %> completion fish > ~/.config/fish/completions/<%= config.bin %>.fish',
  ]

  // Reads every command (this.config.commands): its run loads the whole manifest, not its own (scripts/manifest.mjs).
  static needsEveryCommand = true
  static override baseFlags = globalFlagsFor('debug')
  static override args = {shell: Args.string({description: 'The shell.', required: true, options: ['bash', 'fish']})}

  async run(): Promise<unknown> {
    const {args} = await this.parse(Completion)
    const {bashScript, fishScript} = await import('../cli/completion.js')
    const commands = this.config.commands
      // Its own commands, not their aliases (whoami's `auth status`) nor the plugins' (help, autocomplete: oclif completes those).
      .filter((command) => !command.hidden && command.pluginName === this.config.name && !command.aliases.includes(command.id))
      .map((command) => ({
        id: command.id,
        summary: command.summary ?? command.description ?? '',
        argOptions: Object.values(command.args ?? {})[0]?.options,
        flags: Object.entries(command.flags ?? {})
          .filter(([, flag]) => !flag.hidden)
          .map(([name, flag]) => ({
            name,
            char: flag.char,
            summary: flag.summary ?? flag.description ?? '',
            options: flag.type === 'option' ? flag.options : undefined,
            takesValue: flag.type === 'option',
          })),
      }))
    const topics = Object.fromEntries(this.config.topics.map((topic) => [topic.name, topic.description ?? '']))
    this.sink.stdout.write(args.shell === 'bash' ? bashScript(this.config.bin, commands) : fishScript(this.config.bin, commands, topics))
    return undefined
  }
}
