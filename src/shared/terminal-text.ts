/**
 * Text from outside (API responses, webhook bodies, relay messages, channel
 * names) shown on a terminal as text, never as control sequences: ESC, BEL,
 * OSC (title changes, OSC 52 clipboard writes, OSC 8 links), screen clears and
 * the C1 controls (U+0080–U+009F, which some terminals read as ESC + letter)
 * become visible escapes (`\e]0;x\a`), as `gh` shows them.
 */

/** C0 controls but tab and line feed, DEL, and C1. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g
const HAS_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/

const NAMED: Record<string, string> = {'\u0000': '\\0', '\u0007': '\\a', '\b': '\\b', '\f': '\\f', '\r': '\\r', '\v': '\\v', '\u001b': '\\e'}

function escapeControl(character: string): string {
  return NAMED[character] ?? `\\x${character.charCodeAt(0).toString(16).padStart(2, '0')}`
}

/** The text with every control character but `\n` and `\t` written as a visible escape. */
export function printable(text: string): string {
  return text.replace(CONTROL, escapeControl)
}

/**
 * The CLI's own sequences, kept by the output boundary: SGR colours
 * (`ESC[1;31m`, from chalk) and the progress line's "return and erase line"
 * (`\r ESC[2K`). Everything else a server wrote is escaped.
 */
const OWN_SEQUENCE = /\u001b\[[\d;]*m|\r\u001b\[2K/g

/** `printable()` for a whole chunk of output, keeping the CLI's own colour and progress-line sequences. */
export function printableOutput(text: string): string {
  if (!HAS_CONTROL.test(text)) return text
  let result = ''
  let last = 0
  for (const match of text.matchAll(OWN_SEQUENCE)) {
    result += printable(text.slice(last, match.index)) + match[0]
    last = match.index + match[0].length
  }
  return result + printable(text.slice(last))
}

/** JSON text with DEL and the C1 controls escaped too (JSON.stringify leaves them raw): the same value, safe on a terminal. */
export function terminalSafeJson(json: string): string {
  return json.replace(/[\u007f-\u009f]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/**
 * A value with `printable()` applied to every string in it, keys included:
 * what a text view of outside data shows. `also` runs first on each string
 * (the view masks secrets here, so a table measures what it will show).
 */
export function printableDeep<T>(value: T, also: (text: string) => string = (text) => text): T {
  if (typeof value === 'string') return printable(also(value)) as T
  if (Array.isArray(value)) return value.map((item) => printableDeep(item, also)) as T
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [printable(also(key)), printableDeep(item, also)])) as T
  }
  return value
}

/**
 * Characters a terminal draws two columns wide (East Asian wide and full-width
 * forms, emoji) and zero wide (combining marks, joiners, variation selectors):
 * enough of wcwidth for ids, emails, names and URLs to line up.
 */
const WIDE: ReadonlyArray<readonly [number, number]> = [
  [0x11_00, 0x11_5f],
  [0x2e_80, 0x30_3e],
  [0x30_41, 0x33_ff],
  [0x34_00, 0x4d_bf],
  [0x4e_00, 0x9f_ff],
  [0xa0_00, 0xa4_cf],
  [0xac_00, 0xd7_a3],
  [0xf9_00, 0xfa_ff],
  [0xfe_30, 0xfe_4f],
  [0xff_00, 0xff_60],
  [0xff_e0, 0xff_e6],
  [0x1_f3_00, 0x1_f6_4f],
  [0x1_f9_00, 0x1_f9_ff],
  [0x2_00_00, 0x3_ff_fd],
]
const ZERO: ReadonlyArray<readonly [number, number]> = [
  [0x03_00, 0x03_6f],
  [0x20_0b, 0x20_0f],
  [0x20_d0, 0x20_ff],
  [0xfe_00, 0xfe_0f],
]
const SGR = /\u001b\[[\d;]*m/g

const within = (ranges: ReadonlyArray<readonly [number, number]>, code: number) => ranges.some(([low, high]) => code >= low && code <= high)

function charWidth(character: string): number {
  const code = character.codePointAt(0) ?? 0
  return within(ZERO, code) ? 0 : within(WIDE, code) ? 2 : 1
}

/** Columns the text takes on a terminal, colour sequences not counted. */
export function displayWidth(text: string): number {
  let width = 0
  for (const character of text.replace(SGR, '')) width += charWidth(character)
  return width
}

/** The text cut to at most `width` columns, ending in `…` when something was cut (plain text: no colour sequences). */
export function truncateTo(text: string, width: number): string {
  if (displayWidth(text) <= width) return text
  let result = ''
  let used = 0
  for (const character of text) {
    const next = charWidth(character)
    if (used + next > width - 1) break
    result += character
    used += next
  }
  return `${result}…`
}
