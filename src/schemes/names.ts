/** The webhook authentication schemes by name: a list of its own, so flag definitions read it without loading any scheme. */
export const SCHEME_NAMES = ['rsa-sha256', 'sha1-password', 'basic', 'api-key-headers', 'umm-services', 'oauth2'] as const
export type SchemeName = (typeof SCHEME_NAMES)[number]
