import {generateKeyPairSync} from 'node:crypto'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {runCli, tempDir} from '../helpers/cli.js'
import {apiKeyHeadersScheme} from '../../src/schemes/api-key-headers.js'
import {basicScheme} from '../../src/schemes/basic.js'
import {rsaSha256Scheme} from '../../src/schemes/rsa-sha256.js'
import {sha1PasswordScheme, sha1PasswordSignature} from '../../src/schemes/sha1-password.js'
import {safeEqual} from '../../src/schemes/types.js'
import {ummServicesScheme} from '../../src/schemes/umm-services.js'

const body = Buffer.from('{"id":"evt-1","type":"purchase.paid","amount":"200.00"}')
const changed = Buffer.from(body.toString().replace('200.00', '201.00'))

describe('rsa-sha256', () => {
  const {publicKey, privateKey} = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: {type: 'spki', format: 'pem'},
    privateKeyEncoding: {type: 'pkcs8', format: 'pem'},
  })
  const scheme = rsaSha256Scheme({publicKey, privateKey})
  it('passes a signed request and fails a changed byte', () => {
    const headers = scheme.sign(body)
    expect(scheme.verify({headers, body})).toEqual({ok: true})
    expect(scheme.verify({headers, body: changed})).toMatchObject({ok: false})
  })
})

describe('sha1-password (numipay)', () => {
  const password = 'spg_test_companyxxxxQyGAheyMqcHVmp8ZMQtkYcev27sCu7RF'
  it("matches the reference's worked example", () => {
    const payload = Buffer.from(`{
      "transaction_id":"r21nmrtpcmrcava",
      "user_id":"1111222",
      "tracking_id":"b8f04416-116a-11ed-861d-0242ac120002",
      "status":"rejected",
      "currency":"GBP",
      "amount":"200.00",
      "transaction_type":"withdrawal"
    }`)
    expect(sha1PasswordSignature(payload, password)).toBe('5FDDA8F46411C132DCFBEE53C39BA06298CB48BC')
    expect(sha1PasswordScheme({password}).verify({headers: {'x-signature': '5FDDA8F46411C132DCFBEE53C39BA06298CB48BC'}, body: payload})).toEqual({
      ok: true,
    })
  })

  it('fails a changed byte, a wrong password, a missing or malformed header', () => {
    const scheme = sha1PasswordScheme({password})
    const headers = scheme.sign(body)
    expect(scheme.verify({headers, body})).toEqual({ok: true})
    expect(scheme.verify({headers: {'x-signature': headers['x-signature'].toLowerCase()}, body})).toEqual({ok: true})
    expect(scheme.verify({headers, body: changed}).ok).toBe(false)
    expect(sha1PasswordScheme({password: 'other'}).verify({headers, body})).toEqual({
      ok: false,
      reason: 'the signature does not match: the payload was modified, or the password is wrong',
    })
    expect(scheme.verify({headers: {}, body})).toEqual({ok: false, reason: 'no x-signature header'})
    expect(scheme.verify({headers: {'x-signature': 'XYZ'}, body})).toEqual({ok: false, reason: 'x-signature is not 40 hex digits (a SHA-1)'})
  })
})

describe('basic', () => {
  const scheme = basicScheme({username: 'hooks', password: 's3cret'})
  it('passes the configured user and fails anything else', () => {
    expect(scheme.sign(body)).toEqual({authorization: `Basic ${Buffer.from('hooks:s3cret').toString('base64')}`})
    expect(scheme.verify({headers: scheme.sign(body), body})).toEqual({ok: true})
    expect(basicScheme({username: 'hooks', password: 'wrong'}).verify({headers: scheme.sign(body), body})).toEqual({
      ok: false,
      reason: 'wrong username or password',
    })
    expect(scheme.verify({headers: {}, body})).toEqual({ok: false, reason: 'no Authorization header'})
    expect(scheme.verify({headers: {authorization: 'Bearer x'}, body})).toEqual({ok: false, reason: 'the Authorization header is not Basic'})
  })
})

describe('api-key-headers', () => {
  const pairs: Array<[string, string]> = [1, 2, 3, 4, 5].map((n) => [`test_header${n}`, `value${n}`])
  it('passes all five present and equal; fails a missing header or a wrong value; refuses a sixth at configuration', () => {
    const scheme = apiKeyHeadersScheme(pairs)
    const headers = scheme.sign(body)
    expect(scheme.verify({headers, body})).toEqual({ok: true})
    expect(scheme.verify({headers: {...headers, test_header3: undefined}, body})).toEqual({ok: false, reason: 'missing header test_header3'})
    expect(scheme.verify({headers: {...headers, test_header2: 'value9'}, body})).toEqual({
      ok: false,
      reason: 'header test_header2 has the wrong value',
    })
    expect(() => apiKeyHeadersScheme([...pairs, ['test_header6', 'value6']])).toThrow('api-key-headers takes at most 5 headers, not 6')
  })

  it('does not stop at the first mismatch: every configured header is compared', () => {
    const scheme = apiKeyHeadersScheme(pairs)
    const read: string[] = []
    const headers = new Proxy({...scheme.sign(body), test_header1: 'wrong'} as Record<string, string | undefined>, {
      get: (target, name: string) => {
        read.push(name)
        return target[name]
      },
    })
    expect(scheme.verify({headers, body}).ok).toBe(false)
    expect(read).toEqual(pairs.map(([name]) => name))
  })
})

describe('umm-services request headers', () => {
  const scheme = ummServicesScheme({clientKey: 'CLIAAADDD0'})
  const good = {
    client_key: 'CLIAAADDD0',
    product: 'retail_payments',
    payment_channel: 'online',
    idempotent_request_key: '6bc5f0f49ee2412a93b0596d6a3c4eca',
    timestamp: '2020-09-18T17:31:34.000-05:30',
  }

  it('passes documented headers, including what sign() makes', () => {
    expect(scheme.verify({headers: good, body})).toEqual({ok: true})
    // The document's own example client_key is 13 characters, past its pattern's 10: the example is accepted.
    expect(scheme.verify({headers: {...good, client_key: 'CLIAAADDD0910'}, body})).toEqual({ok: true})
    expect(scheme.verify({headers: scheme.sign(body), body})).toEqual({ok: true})
  })

  it.each([
    ['client_key', 'CLIAAADDD0910CLIAAADDD', 'header client_key must be 1 to 20 letters or digits'],
    ['client_key', 'CLI-AAADDD', 'header client_key must be 1 to 20 letters or digits'],
    ['product', 'loans', 'header product must be one of retail_payments, business_payments'],
    [
      'payment_channel',
      'fax',
      'header payment_channel must be one of retail_banking, commercial_banking, smb_banking, bank_bos, atm, kiosk, pos, mobile_banking, csm, online',
    ],
    ['idempotent_request_key', 'has spaces', 'header idempotent_request_key must be 1 to 50 of [a-zA-Z0-9_=-]'],
    [
      'timestamp',
      '2020-09-18 17:31:34',
      'header timestamp must be an ISO 8601 date-time with milliseconds and offset, e.g. 2020-09-18T17:31:34.000-05:30',
    ],
  ])('names %s when it is malformed', (name, value, reason) => {
    expect(scheme.verify({headers: {...good, [name]: value}, body})).toEqual({ok: false, reason})
  })

  it('names the first failing header, and a missing one', () => {
    expect(scheme.verify({headers: {...good, product: 'x', timestamp: 'y'}, body})).toMatchObject({reason: expect.stringMatching(/^header product /)})
    expect(scheme.verify({headers: {...good, payment_channel: undefined}, body})).toEqual({ok: false, reason: 'missing header payment_channel'})
  })
})

describe('safeEqual', () => {
  it('is equality, for inputs that differ first, last, or in length', () => {
    expect(safeEqual('abcdef', 'abcdef')).toBe(true)
    expect(safeEqual('xbcdef', 'abcdef')).toBe(false)
    expect(safeEqual('abcdex', 'abcdef')).toBe(false)
    expect(safeEqual('abc', 'abcdef')).toBe(false)
  })
})

describe('`ummah webhooks verify --scheme`', () => {
  const dir = tempDir('ummah-schemes-')
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text)
    return join(dir, name)
  }

  it('sha1-password: the reference example is valid, a wrong secret is not', async () => {
    const payload = write(
      'numipay.json',
      '{"transaction_id":"r21nmrtpcmrcava","user_id":"1111222","tracking_id":"b8f04416-116a-11ed-861d-0242ac120002","status":"rejected","currency":"GBP","amount":"200.00","transaction_type":"withdrawal"}',
    )
    const args = ['webhooks', 'verify', '--scheme', 'sha1-password', '--payload', payload, '--signature', '5FDDA8F46411C132DCFBEE53C39BA06298CB48BC']
    expect(await runCli([...args, '--secret', 'spg_test_companyxxxxQyGAheyMqcHVmp8ZMQtkYcev27sCu7RF'])).toMatchObject({code: 0, stdout: 'valid\n'})
    const wrong = await runCli([...args, '--secret', 'nope'])
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toMatch(/^Error: invalid: the signature does not match/)
  })

  it('basic and umm-services from a captured request; a sixth api-key header and a missing secret are usage errors', async () => {
    const captured = write(
      'request.http',
      `POST /hooks HTTP/1.1\r\nHost: app\r\nAuthorization: Basic ${Buffer.from('hooks:s3cret').toString('base64')}\r\nclient_key: CLI1\r\nproduct: retail_payments\r\npayment_channel: fax\r\nidempotent_request_key: k1\r\ntimestamp: 2020-09-18T17:31:34.000-05:30\r\n\r\n{"id":"1"}`,
    )
    expect(
      await runCli(['webhooks', 'verify', '--scheme', 'basic', '--username', 'hooks', '--password', 's3cret', '--request', captured]),
    ).toMatchObject({code: 0, stdout: 'valid\n'})
    expect((await runCli(['webhooks', 'verify', '--scheme', 'basic', '--username', 'hooks', '--password', 'x', '--request', captured])).code).toBe(1)
    const umm = await runCli(['webhooks', 'verify', '--scheme', 'umm-services', '--username', 'hooks', '--password', 's3cret', '--request', '-'], {
      input: readFileSync(captured, 'utf8'),
    })
    expect(umm.code).toBe(1)
    expect(umm.stderr).toMatch(/^Error: invalid: header payment_channel must be one of /)
    // The document's own example headers, client_key CLIAAADDD0910 (13 characters) included, are valid.
    const documented = write(
      'documented.http',
      `POST /payment/statusudpate HTTP/1.1\r\nHost: app\r\nAuthorization: Basic ${Buffer.from('hooks:s3cret').toString('base64')}\r\nclient_key: CLIAAADDD0910\r\nproduct: retail_payments\r\npayment_channel: online\r\nidempotent_request_key: 6bc5f0f49ee2412a93b0596d6a3c4eca\r\ntimestamp: 2020-09-18T17:31:34.000-05:30\r\n\r\n{"id":"1","event_type":"moneymovementservices.payment.status_updated","data":{}}`,
    )
    const credentials = ['--username', 'hooks', '--password', 's3cret']
    expect(await runCli(['webhooks', 'verify', '--scheme', 'umm-services', ...credentials, '--request', documented])).toMatchObject({
      code: 0,
      stdout: 'valid\n',
    })
    expect(
      await runCli(['webhooks', 'verify', '--scheme', 'umm-services', ...credentials, '--client-key', 'CLIAAADDD0910', '--request', documented]),
    ).toMatchObject({code: 0, stdout: 'valid\n'})
    expect(
      (await runCli(['webhooks', 'verify', '--scheme', 'umm-services', ...credentials, '--client-key', 'OTHER1', '--request', documented])).stderr,
    ).toMatch(/^Error: invalid: header client_key is not the expected one/)
    expect(
      (await runCli(['webhooks', 'verify', '--scheme', 'umm-services', '--username', 'hooks', '--password', 'wrong', '--request', documented]))
        .stderr,
    ).toMatch(/^Error: invalid: wrong username or password/)
    // Without credentials nothing is called valid: a usage error.
    const bare = await runCli(['webhooks', 'verify', '--scheme', 'umm-services', '--request', documented])
    expect(bare.code).toBe(2)
    expect(bare.stderr).toContain("--scheme umm-services needs the sender's credentials")
    const six = await runCli([
      'webhooks',
      'verify',
      '--scheme',
      'api-key-headers',
      ...[1, 2, 3, 4, 5, 6].flatMap((n) => ['--header', `h${n}:v${n}`]),
      '--request',
      captured,
    ])
    expect(six.code).toBe(2)
    expect(six.stderr).toMatch(/^Error: api-key-headers takes at most 5 headers, not 6\./)
    const bearer = write('bearer.http', 'POST /hooks HTTP/1.1\r\nAuthorization: Bearer tok-123\r\n\r\n{}')
    expect(await runCli(['webhooks', 'verify', '--scheme', 'oauth2', '--token', 'tok-123', '--request', bearer])).toMatchObject({
      code: 0,
      stdout: 'valid\n',
    })
    const otherToken = await runCli(['webhooks', 'verify', '--scheme', 'oauth2', '--token', 'tok-999', '--request', bearer])
    expect([otherToken.code, otherToken.stderr.split('\n')[0]]).toEqual([1, 'Error: invalid: the bearer token is not the one given.'])
    const noSecret = await runCli(['webhooks', 'verify', '--scheme', 'sha1-password', '--request', captured])
    expect(noSecret.code).toBe(2)
    expect(noSecret.stderr).toMatch(/^Error: --scheme sha1-password needs --secret\./)
  })
})
