/**
 * Money in minor units, the one way every layer reads and shows it: the CLI's
 * views, the sandbox's checkout page and its CSV statements.
 */

const digitsCache = new Map<string, number>()

/** The number of decimals a currency uses (USD 2, JPY 0, KWD 3). */
export function currencyDigits(currency: string): number {
  const code = currency.toUpperCase()
  let digits = digitsCache.get(code)
  if (digits === undefined) {
    try {
      digits = new Intl.NumberFormat('en', {style: 'currency', currency: code}).resolvedOptions().maximumFractionDigits ?? 2
    } catch {
      digits = 2
    }
    digitsCache.set(code, digits)
  }
  return digits
}

/** Minor units as a plain decimal in the currency's own decimals: (2999, USD) → "29.99". Exact: no floating point. */
export function minorToDecimal(amount: number, currency: string, grouping = false): string {
  const digits = currencyDigits(currency)
  const sign = amount < 0 ? '-' : ''
  const text = Math.abs(amount)
    .toString()
    .padStart(digits + 1, '0')
  const whole = text.slice(0, text.length - digits)
  const fraction = digits > 0 ? `.${text.slice(-digits)}` : ''
  return `${sign}${grouping ? whole.replaceAll(/\B(?=(\d{3})+$)/g, ',') : whole}${fraction}`
}

/** Minor units with grouping and the currency code: (2999, USD) → "29.99 USD". */
export function formatMoney(amount: number, currency: string | undefined): string {
  if (!Number.isInteger(amount) || !currency) return String(amount)
  return `${minorToDecimal(amount, currency, true)} ${currency.toUpperCase()}`
}
