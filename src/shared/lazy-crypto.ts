/**
 * node:crypto's random values, the module required on first use: requiring
 * it loads 15 more of Node's internal modules, ~2.6 ms of a start-up here,
 * and an API command that sends no POST and writes no file uses none of it.
 * Modules that hash or sign on their main path import node:crypto as usual.
 */
export const randomUUID = (): string => process.getBuiltinModule('node:crypto').randomUUID()

export const randomBytes = (size: number): Buffer => process.getBuiltinModule('node:crypto').randomBytes(size)
