/**
 * The tables the README and `ummah help environment|formatting` both show,
 * written once: `npm run docs` writes the README's copies between their
 * markers and test/cli/help-topics.test.ts fails when they differ. Cells are
 * Markdown (`code` in backticks); the terminal shows them without the backticks.
 */

/** Every environment variable the CLI reads (and the one it tells your app to read), as the README and `ummah help environment` show them. */
export const ENVIRONMENT: ReadonlyArray<readonly [variables: string, effect: string]> = [
  ['`UMMAH_SECRET_KEY`', 'Secret key; overrides the profile, overridden by `--api-key`.'],
  ['`UMMAH_PROFILE`', 'Profile to use when `--profile` is absent.'],
  ['`UMMAH_API_BASE`', 'API base URL; overrides the profile.'],
  ['`UMMAH_CONFIG_DIR`', 'Directory of `config.json` (default `$XDG_CONFIG_HOME/ummah`, else `~/.config/ummah`).'],
  ['`XDG_CONFIG_HOME`', 'Where the config directory is when `UMMAH_CONFIG_DIR` is not set.'],
  [
    '`UMMAH_STATE_DIR`',
    "Directory of the listener's spool, lock and state (`listen/`); default `UMMAH_CONFIG_DIR` when set, else `$XDG_STATE_HOME/ummah`, else `~/.local/state/ummah`.",
  ],
  ['`XDG_STATE_HOME`', 'Where the state directory is when neither `UMMAH_STATE_DIR` nor `UMMAH_CONFIG_DIR` is set.'],
  ['`UMMAH_DATA_DIR`', "Directory of the sandbox's `sandbox.json` (default `$XDG_DATA_HOME/ummah`, else `~/.local/share/ummah`)."],
  [
    '`XDG_CACHE_HOME`',
    "Where V8's compiled code of the CLI is kept between runs: `$XDG_CACHE_HOME/ummah/code-cache`, else `~/.cache/ummah/code-cache` (a start-up about 70 ms shorter). Safe to delete.",
  ],
  ['`UMMAH_NO_CODE_CACHE`', '`1`: keep no compiled code between runs (every start-up compiles the CLI again).'],
  ['`NO_COLOR`', 'No colour (any non-empty value; wins over everything).'],
  ['`CLICOLOR_FORCE=1`, `FORCE_COLOR=1`', 'Colour even when piped.'],
  ['`CLICOLOR=0`, `FORCE_COLOR=0`, `TERM=dumb`', 'No colour.'],
  [
    '`COLUMNS`',
    'The width tables are fitted to when stdout is not a terminal but `UMMAH_FORCE_TTY` asks for terminal views (on a terminal, its own width).',
  ],
  [
    '`UMMAH_FORCE_TTY`',
    'Any value: terminal-style output (tables, key/value views, formatted money, colour) even when stdout is piped; prompts still need a terminal.',
  ],
  ['`CI`', 'Never prompt; no spinner or progress bar; messages say what to pass (`CI=true: pass --yes`).'],
  ['`UMMAH_WEBHOOK_PUBLIC_KEY`', 'Not read by the CLI: the variable `webhooks listen` tells your app to verify with.'],
  [
    '`UMMAH_RELAY_TOKEN`',
    "`ummah relay start`: the admin token (or `--token`). `webhooks listen --relay` and `relay channels …`: the token to use when `--relay-token` / `--token` is absent (then the profile's `relay_token`).",
  ],
  [
    '`UMMAH_WEBHOOK_SECRET`, `UMMAH_WEBHOOK_PASSWORD`, `UMMAH_CLIENT_SECRET`',
    '`webhooks listen`: `--secret` (sha1-password), `--password` (basic) and `--client-secret` (oauth2) when the flag is absent.',
  ],
  ['`UMMAH_FORWARD_AUTH`', '`webhooks listen`: `--forward-auth` when absent (one `basic:…`, `header:…` or `oauth2:…` per line).'],
  ['`UMMAH_NO_INPUT`', '`1`: never prompt, as `--no-input` (what would be asked must be given as flags).'],
  [
    '`UMMAH_PAGER`, `PAGER`',
    'The pager for long output on a terminal, `UMMAH_PAGER` first (default `less -FRX`; `LESS` is set to `FRX` when unset). Empty or `cat`: no pager. Never used when stdout is not a terminal, in CI or with `--no-pager`.',
  ],
  [
    '`UMMAH_NO_UPDATE_NOTIFIER`',
    '`1`: no update notice and no update check. Without it, a terminal run asks the npm registry in the background at most once a day and a later run says, after its output on stderr, when a newer release exists (never in CI or when piped).',
  ],
  ['`npm_config_registry`', 'The registry the update check asks (default `https://registry.npmjs.org/`), as npm itself reads it.'],
  ['`UMMAH_INSPECT_PORT`', "`webhooks listen`: `--inspect-port` when absent (the inspector's exact port; `0` any free one)."],
  ['`VISUAL`, `EDITOR`', '`webhooks events resend --edit`: the editor to open (`code --wait` works; default `vi` on a terminal).'],
  ['`UMMAH_JQ_TIMEOUT_MS`', '`--jq`: how long a filter may run, in milliseconds (default 10000).'],
  ['`UMMAH_TRIGGER_EMAIL`', 'Client email the `trigger` fixtures use (default `trigger@example.com`).'],
  ['`BROWSER`', 'Program that `--open` runs with the URL (else `open` / `xdg-open` / `start`).'],
  [
    '`HTTPS_PROXY`, `HTTP_PROXY` (or lower case)',
    'Proxy for API requests, statement downloads, the relay admin calls (`relay channels …`) and the stream of `webhooks listen --relay`: `https://` requests use `HTTPS_PROXY` through a `CONNECT` tunnel (TLS stays end to end, certificates checked), `http://` ones `HTTP_PROXY` (the stream, `wss://` or `ws://`, always through a `CONNECT` tunnel of the matching one). Only `http://` proxies; `http://user:pass@host:port` sends Basic proxy credentials. localhost and 127.x/::1 (the sandbox) never use a proxy.',
  ],
  [
    '`NO_PROXY` (or `no_proxy`)',
    'Comma-separated hosts that skip the proxy: `*`, names (`example.com` also covers its subdomains; `.example.com` and `*.example.com` too), IPs, CIDR ranges (`10.0.0.0/8`), each optionally with `:port`.',
  ],
  ['`NODE_EXTRA_CA_CERTS`', 'A PEM file of extra CA certificates to trust (a corporate TLS-inspecting proxy).'],
]

/** How output looks where it goes: terminal, pipe, --json, and the switches that change it. */
export const FORMATTING: ReadonlyArray<readonly [where: string, what: string]> = [
  [
    'On a terminal',
    "Lists as tables fitted to the width (the widest columns cut with `…`, dates shortened to the minute then the day, ids never cut, a row never wrapped; columns that still do not fit are left out and named), objects as key/value views, amounts with the currency's decimals (`29.99 USD`, `500 JPY`), times in the local zone saying which (`2023-11-14 22:13:20 UTC`), statuses coloured, long output through the pager.",
  ],
  [
    'Piped',
    'For scripts: a list is tab-separated rows without a header (`cut`, `awk`), an object one `path<TAB>value` line per field (`client.email`); amounts in minor units, times in ISO 8601 UTC, lists comma-separated, empty cells empty. No colour, spinner, prompt or pager.',
  ],
  ['`UMMAH_FORCE_TTY=1`', 'The terminal views in a pipe (for `less -R`), fitted to `COLUMNS` when set; prompts still need a terminal.'],
  [
    '`--json`',
    'Exactly the JSON the API returned (with `--limit`/`--all`, one page holding every item); a failure is `{"error": {"code": …}}` on stdout with the exit code of its code.',
  ],
  ['`--jq EXPR`', 'The JSON through a jq filter (implies `--json`): strings raw, other values as JSON, indented on a terminal.'],
  ['`webhooks listen --format json`', 'One JSON object per line (NDJSON) for every event, retry and state change.'],
  [
    'Colour',
    "On a terminal only; `NO_COLOR` turns it off, `CLICOLOR_FORCE=1`/`FORCE_COLOR=1` forces it in a pipe, `TERM=dumb` and the profile's `color never` turn it off.",
  ],
  [
    'Pager',
    '`UMMAH_PAGER`, then `PAGER`, else `less -FRX` (quits at once when the output fits one screen); off when piped, in CI and with `--no-pager`.',
  ],
  ['`-q`, `--quiet`', 'No notes and no progress on stderr (`Deleted client ID.`, spinners); results and errors still print.'],
  [
    'Relative times',
    'Detail views on a terminal add how long ago beside a time (`2023-11-14 22:13:20 UTC (3 minutes ago)`); tables and piped output keep the time alone.',
  ],
]
