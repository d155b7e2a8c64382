/**
 * The inspector's one page: HTML, CSS and a script with no framework and no
 * request beyond this server (works offline). Every value that comes from a
 * delivery or an app's answer is put on the page with textContent, never
 * parsed as HTML, so a payload holding `<script>` or `<img onerror>` stays
 * text; the Content-Security-Policy (server.ts) runs no other script anyway.
 * Loaded only when `listen` starts the inspector, never at start-up.
 */

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ummah inspector</title>
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body>
<header>
  <h1>ummah inspector</h1>
  <span id="source" class="dim"></span>
  <span id="live" class="badge">connecting…</span>
</header>
<div id="notice" class="notice" hidden></div>
<nav class="filters">
  <label>Type <select id="filter-type"><option value="">all</option></select></label>
  <label>State <select id="filter-state">
    <option value="">all</option><option>pending</option><option>delivering</option><option>retrying</option>
    <option>delivered</option><option>failed</option><option>stale</option><option>refused</option>
  </select></label>
  <label class="grow">Search <input id="filter-text" type="search" placeholder="text in the body or the id ( / )" autocomplete="off"></label>
  <span id="count" class="dim"></span>
</nav>
<main>
  <section class="list">
    <table>
      <thead><tr><th>time</th><th>type</th><th>id</th><th>source</th><th>verdict</th><th>state</th><th>tries</th><th>app</th><th>ms</th></tr></thead>
      <tbody id="events"></tbody>
    </table>
    <button id="more" type="button" hidden>Older events</button>
    <p id="empty" class="dim" hidden>No events yet. Trigger one: <code>ummah trigger purchase.paid</code></p>
  </section>
  <section id="detail" class="detail" hidden>
    <h2><span id="d-type"></span> <code id="d-id"></code></h2>
    <p><span id="d-state" class="badge"></span> <span id="d-verdict"></span></p>
    <p class="dim" id="d-meta"></p>
    <div class="actions">
      <button id="replay" type="button">Replay</button>
      <button id="edit" type="button">Edit and replay, signed</button>
      <button id="copy-body" type="button">Copy body</button>
      <button id="copy-curl" type="button">Copy as curl</button>
      <span id="action-result" class="dim"></span>
    </div>
    <p id="edit-note" class="dim" hidden></p>
    <div id="editor" hidden>
      <p class="dim">The sandbox signs this with the webhook's own key and delivers it like any event. It has a new id, so the listener and your app take it as a new event (keep the old id to test your app's de-duplication: the listener answers it as a duplicate and does not forward it).</p>
      <textarea id="edit-body" spellcheck="false" rows="16"></textarea>
      <button id="send-edit" type="button">Sign and deliver</button> <button id="cancel-edit" type="button">Cancel</button>
    </div>
    <h3>Request <span id="d-size" class="dim"></span> <button id="raw-toggle" type="button">Raw</button></h3>
    <table class="headers" id="d-headers"></table>
    <pre id="d-body"></pre>
    <h3>Attempts</h3>
    <div id="d-attempts"></div>
  </section>
</main>
</body>
</html>
`

export const PAGE_CSS = `
:root { color-scheme: light dark; --line: #8884; --dim: #888; --bad: #c0392b; --good: #1e8449; --warn: #b9770e; }
* { box-sizing: border-box; }
body { margin: 0; font: 13px/1.4 system-ui, sans-serif; }
header { display: flex; gap: 1em; align-items: baseline; padding: .5em 1em; border-bottom: 1px solid var(--line); }
h1 { font-size: 15px; margin: 0; }
h2 { font-size: 15px; margin: 0 0 .3em; }
h3 { font-size: 13px; margin: 1em 0 .3em; }
.dim { color: var(--dim); }
.badge { border: 1px solid var(--line); border-radius: 3px; padding: 0 .4em; }
.notice { padding: .5em 1em; background: #f1c40f33; }
.filters { display: flex; gap: 1em; padding: .5em 1em; align-items: center; border-bottom: 1px solid var(--line); }
.filters .grow { flex: 1; display: flex; gap: .5em; }
.filters input { flex: 1; }
main { display: flex; height: calc(100vh - 90px); }
.list { flex: 1 1 50%; overflow: auto; }
.detail { flex: 1 1 50%; overflow: auto; padding: .5em 1em; border-left: 1px solid var(--line); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 2px 6px; white-space: nowrap; border-bottom: 1px solid var(--line); }
#events tr { cursor: pointer; }
#events tr.selected { background: #3498db33; }
#events td { max-width: 13em; overflow: hidden; text-overflow: ellipsis; }
td.id { font-family: monospace; max-width: 11em; }
select { max-width: 14em; }
.s-delivered { color: var(--good); } .s-failed, .s-refused { color: var(--bad); } .s-retrying, .s-stale { color: var(--warn); }
pre { white-space: pre-wrap; word-break: break-all; background: #8881; padding: .5em; max-height: 40vh; overflow: auto; }
textarea { width: 100%; font-family: monospace; }
.headers td { font-family: monospace; white-space: normal; word-break: break-all; }
.headers td:first-child { white-space: nowrap; word-break: normal; width: 1%; color: var(--dim); }
.attempt { border: 1px solid var(--line); border-radius: 3px; padding: .3em .6em; margin-bottom: .5em; }
.actions { display: flex; gap: .5em; flex-wrap: wrap; align-items: center; }
`

export const PAGE_SCRIPT = `'use strict'
const token = new URLSearchParams(location.hash.slice(1)).get('token') || ''
const $ = (id) => document.getElementById(id)
const rows = new Map()
let selected = null
let detail = null
let raw = false
let next = null
let info = null

function el(tag, text, className) {
  const node = document.createElement(tag)
  if (text !== undefined && text !== null) node.textContent = String(text)
  if (className) node.className = className
  return node
}

async function api(path, options = {}) {
  const response = await fetch(path, {...options, headers: {'x-inspector-token': token, 'content-type': 'application/json', ...(options.headers || {})}})
  const body = await response.json().catch(() => ({}))
  if (!response.ok) throw new Error(body.error || 'HTTP ' + response.status)
  return body
}

function notice(text) {
  $('notice').textContent = text
  $('notice').hidden = !text
}

function time(seconds) {
  return new Date(seconds * 1000).toISOString().slice(11, 23)
}

function filters() {
  return {type: $('filter-type').value, state: $('filter-state').value, q: $('filter-text').value}
}

function matches(row) {
  const f = filters()
  if (f.type && row.type !== f.type) return false
  if (f.state === 'stale' ? !row.stale : f.state && row.state !== f.state) return false
  return !f.q
}

function verdictText(row) {
  if (row.state === 'refused') return 'refused: ' + (row.reason || '')
  return row.verified === null ? '' : row.verified ? 'verified' : 'NOT verified'
}

function renderRow(row) {
  const tr = el('tr')
  tr.dataset.seq = String(row.seq)
  const cells = [
    [time(row.received_at)], [row.type], [row.id, 'id'], [row.source || ''], [verdictText(row), row.state === 'refused' ? 's-refused' : ''],
    [row.stale && row.state !== 'delivered' ? row.state + ' (stale)' : row.state, 's-' + (row.stale ? 'stale' : row.state)],
    [row.attempts], [row.last_status === null ? (row.last_error || '') : row.last_status], [row.last_ms === null ? '' : row.last_ms],
  ]
  for (const [text, className] of cells) tr.append(el('td', text, className))
  tr.addEventListener('click', () => select(row.seq))
  if (row.seq === selected) tr.classList.add('selected')
  return tr
}

function put(row, atTop) {
  const old = rows.get(row.seq)
  const tr = renderRow(row)
  rows.set(row.seq, {row, tr})
  if (old) old.tr.replaceWith(tr)
  else if (atTop) $('events').prepend(tr)
  else $('events').append(tr)
  if (!types.has(row.type)) addType(row.type)
}

const types = new Set()
function addType(type) {
  types.add(type)
  $('filter-type').append(el('option', type))
}

function count() {
  $('count').textContent = rows.size + ' shown'
  $('empty').hidden = rows.size > 0
}

async function load(more) {
  const f = filters()
  const query = new URLSearchParams()
  for (const [key, value] of Object.entries(f)) if (value) query.set(key, value)
  if (more && next !== null) query.set('before', String(next))
  const page = await api('/api/events?' + query)
  if (!more) {
    rows.clear()
    $('events').replaceChildren()
    for (const row of page.refused) put(row, false)
  }
  for (const type of page.types) if (!types.has(type)) addType(type)
  for (const row of page.events) put(row, false)
  next = page.next
  $('more').hidden = next === null
  count()
}

async function select(seq) {
  selected = seq
  for (const {tr} of rows.values()) tr.classList.toggle('selected', Number(tr.dataset.seq) === seq)
  const entry = rows.get(seq)
  entry?.tr.scrollIntoView({block: 'nearest'})
  if (seq < 0) {
    detail = null
    $('detail').hidden = false
    showRefused(entry.row)
    return
  }
  detail = await api('/api/events/' + seq)
  showDetail()
}

function showRefused(row) {
  $('d-type').textContent = row.type
  $('d-id').textContent = row.id
  $('d-state').textContent = 'refused ' + (row.last_status || '')
  $('d-verdict').textContent = row.reason || ''
  $('d-meta').textContent = 'Refused deliveries are not stored (the sender was told ' + (row.last_status || 'no') + '), so there is nothing to replay.'
  for (const id of ['replay', 'edit', 'copy-body', 'copy-curl']) $(id).hidden = true
  $('d-headers').replaceChildren()
  $('d-body').textContent = ''
  $('d-attempts').replaceChildren()
}

function shownBody(text) {
  if (raw || text === null) return text === null ? '(not UTF-8: use Copy as curl for the exact bytes)' : text
  try {
    return JSON.stringify(JSON.parse(text), null, 2)
  } catch {
    return text
  }
}

function showDetail() {
  const d = detail
  $('detail').hidden = false
  for (const id of ['replay', 'edit', 'copy-body', 'copy-curl']) $(id).hidden = false
  $('d-type').textContent = d.type
  $('d-id').textContent = d.id
  $('d-state').textContent = d.state + (d.stale && d.state !== 'delivered' ? ' (stale)' : '')
  $('d-state').className = 'badge s-' + d.state
  $('d-verdict').textContent = d.verdict ? (d.verdict.verified ? 'verified by ' : 'NOT verified (' + (d.verdict.reason || '') + ') by ') + d.verdict.by : ''
  $('d-meta').textContent = 'received ' + new Date(d.received_at * 1000).toISOString() + (d.source ? ' from ' + d.source : '') + ' · seq ' + d.seq
  $('d-size').textContent = d.body_bytes + ' bytes'
  const headers = $('d-headers')
  headers.replaceChildren()
  for (const [name, value] of Object.entries(d.headers)) {
    const tr = el('tr')
    tr.append(el('td', name), el('td', value))
    headers.append(tr)
  }
  $('d-body').textContent = shownBody(d.body)
  const attempts = $('d-attempts')
  attempts.replaceChildren()
  if (d.answers.length === 0) attempts.append(el('p', 'Not forwarded yet.', 'dim'))
  for (const answer of [...d.answers].reverse()) {
    const box = el('div', undefined, 'attempt')
    box.dataset.attempt = String(answer.attempt)
    const outcome = answer.status === null ? answer.error : String(answer.status)
    const line = '#' + answer.attempt + (answer.replay ? ' replay' : '') + ' · ' + new Date(answer.sent_at * 1000).toISOString().slice(11, 23) + ' · ' + outcome + ' · ' + answer.duration_ms + ' ms' + (answer.retry_in_ms === null ? '' : ' · retried in ' + answer.retry_in_ms + ' ms')
    box.append(el('div', line, answer.status !== null && answer.status < 300 ? 's-delivered' : 's-failed'))
    const table = el('table', undefined, 'headers')
    for (const [name, value] of Object.entries(answer.headers)) {
      const tr = el('tr')
      tr.append(el('td', name), el('td', value))
      table.append(tr)
    }
    box.append(table)
    const note = answer.dropped ? '(body dropped to keep the spool within its budget)' : answer.truncated ? ' … (cut at 64 KiB' + (answer.answer_bytes ? ' of ' + answer.answer_bytes + ' bytes' : '') + ')' : ''
    if (answer.body !== null || note) box.append(el('pre', (answer.body === null ? (answer.body_bytes ? '(not UTF-8)' : '') : answer.body) + note, 'answer-body'))
    attempts.append(box)
  }
  $('edit').disabled = !(info && info.editing.offered)
  $('edit-note').hidden = !(info && !info.editing.offered)
  $('edit-note').textContent = info && info.editing.why ? info.editing.why : ''
}

async function copy(text) {
  try {
    await navigator.clipboard.writeText(text)
    $('action-result').textContent = 'Copied.'
  } catch {
    $('action-result').textContent = 'Copy failed: select the text instead.'
  }
}

function move(step) {
  const list = [...$('events').children]
  if (list.length === 0) return
  const index = list.findIndex((tr) => Number(tr.dataset.seq) === selected)
  const target = list[Math.min(list.length - 1, Math.max(0, index === -1 ? 0 : index + step))]
  select(Number(target.dataset.seq))
}

function live() {
  const stream = new EventSource('/api/stream?token=' + encodeURIComponent(token))
  stream.onopen = () => {
    $('live').textContent = 'live'
  }
  stream.onerror = () => {
    $('live').textContent = 'reconnecting…'
  }
  stream.onmessage = (message) => {
    const row = JSON.parse(message.data)
    // Shown rows are updated in place; a row not shown is added only when it is new (newer than every row, or a refusal):
    // a retry of an old event beyond the loaded pages stays where paging finds it.
    const fresh = row.seq < 0 || [...rows.keys()].every((seq) => seq < row.seq)
    if (rows.has(row.seq)) put(row, false)
    else if (fresh && matches(row)) put(row, true)
    else if (fresh && filters().q) scheduleReload()
    count()
    if (row.seq === selected && row.seq > 0) select(row.seq)
  }
}

let reloadTimer = null
function scheduleReload() {
  clearTimeout(reloadTimer)
  reloadTimer = setTimeout(() => load(false), 200)
}

function bind() {
  $('filter-type').addEventListener('change', () => load(false))
  $('filter-state').addEventListener('change', () => load(false))
  $('filter-text').addEventListener('input', scheduleReload)
  $('more').addEventListener('click', () => load(true))
  $('raw-toggle').addEventListener('click', () => {
    raw = !raw
    $('raw-toggle').textContent = raw ? 'Pretty' : 'Raw'
    if (detail) $('d-body').textContent = shownBody(detail.body)
  })
  $('copy-body').addEventListener('click', () => detail && copy(detail.body === null ? detail.body_base64 : detail.body))
  $('copy-curl').addEventListener('click', () => detail && copy(detail.curl))
  $('replay').addEventListener('click', async () => {
    if (!detail) return
    $('action-result').textContent = 'Replaying…'
    try {
      const result = await api('/api/events/' + detail.seq + '/replay', {method: 'POST', body: '{}'})
      $('action-result').textContent = 'Replayed: your app answered ' + result.status + ' in ' + result.duration_ms + ' ms.'
    } catch (error) {
      $('action-result').textContent = 'Replay failed: ' + error.message
    }
    select(detail.seq)
  })
  $('edit').addEventListener('click', () => {
    if (!detail || detail.body === null) return
    let text = detail.body
    try {
      const parsed = JSON.parse(text)
      if (parsed && typeof parsed.id === 'string') parsed.id = 'evt-' + crypto.randomUUID()
      text = JSON.stringify(parsed, null, 2)
    } catch {}
    $('edit-body').value = text
    $('editor').hidden = false
    $('edit-body').focus()
  })
  $('cancel-edit').addEventListener('click', () => {
    $('editor').hidden = true
  })
  $('send-edit').addEventListener('click', async () => {
    $('action-result').textContent = 'Signing and delivering…'
    try {
      const result = await api('/api/events/' + detail.seq + '/deliver', {method: 'POST', body: JSON.stringify({payload: $('edit-body').value})})
      const delivery = result.delivery || {}
      $('action-result').textContent = 'The sandbox delivered it signed' + (delivery.response_code ? ' (listener answered ' + delivery.response_code + ')' : '') + '; it appears in the list as it arrives.'
      $('editor').hidden = true
    } catch (error) {
      $('action-result').textContent = 'Not delivered: ' + error.message
    }
  })
  document.addEventListener('keydown', (event) => {
    if (event.target instanceof HTMLInputElement || event.target instanceof HTMLTextAreaElement || event.target instanceof HTMLSelectElement) {
      if (event.key === 'Escape') event.target.blur()
      return
    }
    if (event.key === 'ArrowDown' || event.key === 'j') move(1)
    else if (event.key === 'ArrowUp' || event.key === 'k') move(-1)
    else if (event.key === '/') {
      event.preventDefault()
      $('filter-text').focus()
    } else return
    event.preventDefault()
  })
}

async function main() {
  if (!token) {
    notice('Open the URL \`ummah webhooks listen\` printed (it carries this run\\'s token), or run \`ummah webhooks inspect\`.')
    $('live').textContent = 'no token'
    return
  }
  bind()
  try {
    info = await api('/api/info')
    $('source').textContent = info.source + ' → ' + info.forward + ' · ' + info.checked_by
    await load(false)
    live()
    document.body.dataset.ready = 'true'
  } catch (error) {
    notice('The inspector did not answer: ' + error.message)
  }
}

main()
`
