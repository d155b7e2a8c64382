/**
 * Shell completion scripts for bash and fish, written from the commands'
 * own declarations (ids, flags, the choices of flags and arguments), so
 * `statements create --format <TAB>` offers csv and xlsx and `trigger <TAB>`
 * every event. Static: nothing runs `ummah` while a user presses TAB.
 */

export interface CompletionCommand {
  /** `purchases:create` */
  id: string
  summary: string
  flags: Array<{name: string; char?: string; summary: string; options?: readonly string[]; takesValue: boolean}>
  /** The first argument's choices (`trigger EVENT`). */
  argOptions?: readonly string[]
}

const quoteShell = (text: string) => `'${text.replaceAll("'", String.raw`'\''`)}'`
/** fish reads `\'` and `\\` inside single quotes (POSIX's '\'' would not do). */
const quoteFish = (text: string) => `'${text.replaceAll('\\', '\\\\').replaceAll("'", String.raw`\'`)}'`
/** A one-line description: the first sentence, no quotes that would end the shell word. */
const describe = (text: string) =>
  text
    .split(/\.\s|\n/)[0]
    .replaceAll(/\s+/g, ' ')
    .slice(0, 80)

/** Every topic and command reachable after `ummah w1 … wn`: the next words, each once. */
function nextWords(commands: readonly CompletionCommand[]): Map<string, Set<string>> {
  const next = new Map<string, Set<string>>()
  for (const {id} of commands) {
    const words = id.split(':')
    for (let length = 0; length < words.length; length++) {
      const prefix = words.slice(0, length).join(':')
      if (!next.has(prefix)) next.set(prefix, new Set())
      next.get(prefix)!.add(words[length])
    }
  }
  return next
}

export function bashScript(bin: string, commands: readonly CompletionCommand[]): string {
  const lines = [
    `# ${bin} completion for bash (and zsh with bashcompinit): source <(${bin} completion bash)`,
    `_${bin}_complete() {`,
    '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" path="" word i',
    // The command so far: the words before the cursor that are not flags (or a flag's value), joined by ":".
    '  for ((i = 1; i < COMP_CWORD; i++)); do',
    '    word="${COMP_WORDS[i]}"',
    '    [[ "$word" == -* ]] && break',
    '    if [[ -n "$(_' +
      bin +
      '_next "${path}")" && " $(_' +
      bin +
      '_next "${path}") " == *" $word "* ]]; then path="${path:+$path:}$word"; else break; fi',
    '  done',
    '  local values',
    '  values="$(_' + bin + '_values "$path" "$prev")"',
    '  if [[ -n "$values" ]]; then COMPREPLY=($(compgen -W "$values" -- "$cur")); return; fi',
    '  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$(_' + bin + '_flags "$path")" -- "$cur")); return; fi',
    '  local words',
    '  words="$(_' + bin + '_next "$path")"',
    '  [[ -z "$words" ]] && words="$(_' + bin + '_args "$path")"',
    '  COMPREPLY=($(compgen -W "$words" -- "$cur"))',
    '}',
    `_${bin}_next() {`,
    '  case "$1" in',
  ]
  for (const [prefix, words] of nextWords(commands)) lines.push(`    ${quoteShell(prefix)}) echo ${quoteShell([...words].sort().join(' '))} ;;`)
  lines.push('  esac', '}', `_${bin}_flags() {`, '  case "$1" in')
  for (const command of commands) {
    const flags = command.flags.flatMap((flag) => [`--${flag.name}`, ...(flag.char ? [`-${flag.char}`] : [])])
    lines.push(`    ${quoteShell(command.id)}) echo ${quoteShell([...flags, '--help'].join(' '))} ;;`)
  }
  lines.push('  esac', '}', `_${bin}_values() {`, '  case "$1 $2" in')
  for (const command of commands)
    for (const flag of command.flags.filter((each) => each.options))
      for (const spelling of [`--${flag.name}`, ...(flag.char ? [`-${flag.char}`] : [])])
        lines.push(`    ${quoteShell(`${command.id} ${spelling}`)}) echo ${quoteShell(flag.options!.join(' '))} ;;`)
  lines.push('  esac', '}', `_${bin}_args() {`, '  case "$1" in')
  for (const command of commands.filter((each) => each.argOptions))
    lines.push(`    ${quoteShell(command.id)}) echo ${quoteShell(command.argOptions!.join(' '))} ;;`)
  lines.push('  esac', '}', `complete -o default -F _${bin}_complete ${bin}`)
  return `${lines.join('\n')}\n`
}

export function fishScript(bin: string, commands: readonly CompletionCommand[], topics: Readonly<Record<string, string>> = {}): string {
  const fn = `__${bin}_path`
  const lines = [
    `# ${bin} completion for fish: ${bin} completion fish > ~/.config/fish/completions/${bin}.fish`,
    `complete -c ${bin} -e`,
    // The command typed so far: the leading words that are not flags, joined by ":", compared with the expected prefix.
    `function ${fn} --argument-names expected`,
    '  set -l words (commandline -opc)[2..-1]',
    '  set -l path',
    '  for word in $words',
    '    string match -q -- "-*" $word; and break',
    '    set -a path $word',
    '  end',
    '  test "$(string join : $path)" = "$expected"',
    'end',
  ]
  const summaries = new Map(commands.map((command) => [command.id, command.summary]))
  for (const [prefix, words] of nextWords(commands))
    for (const word of [...words].sort()) {
      const id = prefix ? `${prefix}:${word}` : word
      const text = summaries.get(id) ?? topics[id] ?? `${id.replaceAll(':', ' ')} commands`
      lines.push(`complete -c ${bin} -f -n ${`"${fn} '${prefix}'"`} -a ${quoteFish(word)} -d ${quoteFish(describe(text))}`)
    }
  for (const command of commands) {
    const when = `-n ${`"${fn} '${command.id}'"`}`
    if (command.argOptions) lines.push(`complete -c ${bin} -f ${when} -a ${quoteFish(command.argOptions.join(' '))}`)
    for (const flag of command.flags) {
      const short = flag.char ? ` -s ${flag.char}` : ''
      const value = flag.options ? ` -x -a ${quoteFish(flag.options.join(' '))}` : flag.takesValue ? ' -r' : ''
      lines.push(`complete -c ${bin} ${when} -l ${flag.name}${short}${value} -d ${quoteFish(describe(flag.summary))}`)
    }
  }
  return `${lines.join('\n')}\n`
}
