/**
 * Channel management: the admin routes of routes.ts, one handler each,
 * behind one access rule (the admin token; for a `channel` route, also a
 * token of the channel in the path).
 */
import type {IncomingMessage} from 'node:http'

import {accessTo, channelView, newChannel, newToken} from './channels.js'
import {NOT_FOUND, type Reply, errorReply, jsonBody} from './reply.js'
import {type AdminRouteName, RELAY_ROUTES} from './routes.js'
import {CHANNEL_NAME, type ChannelRecord, type RelayStore} from './store.js'

/** What channel management does to the streams open on a channel. */
export interface ChannelStreams {
  /** A deleted channel: its streams end (4404). */
  endChannel(name: string): void
  /** A revoked token: each stream of the channel checks its token is still allowed. */
  recheck(name: string): Promise<void>
}

type Handler = (request: IncomingMessage, channel: ChannelRecord | undefined, params: Record<string, string>) => Promise<Reply>

export class ChannelAdmin {
  constructor(
    private readonly store: RelayStore,
    private readonly options: {adminToken?: string; publicUrl: string; streams: ChannelStreams},
  ) {}

  async handle(route: AdminRouteName, request: IncomingMessage, params: Record<string, string>): Promise<Reply> {
    const name = params.channel
    if (name !== undefined && !CHANNEL_NAME.test(name)) return NOT_FOUND
    const channel = name === undefined ? undefined : await this.store.getChannel(name)
    const access = await accessTo(this.store, this.options.adminToken, request.headers.authorization, channel)
    if (access.kind === 'none')
      return access.status === 401
        ? errorReply(401, 'unauthorized', 'Missing or unknown token')
        : errorReply(403, 'forbidden', "This token is another channel's")
    // A client token may read its own channel; everything else is the admin's.
    if (access.kind !== 'admin' && RELAY_ROUTES[route].access !== 'channel') return errorReply(403, 'forbidden', 'This needs the admin token')
    if (name !== undefined && !channel) return NOT_FOUND
    return this.handlers[route](request, channel, params)
  }

  private readonly handlers: Record<AdminRouteName, Handler> = {
    listChannels: async () => ({
      status: 200,
      body: {data: (await this.store.listChannels()).map((each) => channelView(each, this.options.publicUrl))},
    }),
    createChannel: async (request) => {
      const input = await jsonBody(request)
      const wanted = typeof input?.name === 'string' ? input.name : undefined
      if (!wanted || !CHANNEL_NAME.test(wanted))
        return errorReply(400, 'invalid_name', 'name: lower-case letters, digits and dashes, 1 to 63, starting with a letter or digit')
      const created = newChannel(wanted)
      const {token, record} = newToken()
      created.tokens.push(record)
      if (!(await this.store.createChannel(created))) return errorReply(409, 'exists', `Channel ${wanted} exists`)
      return {status: 201, body: {...channelView(created, this.options.publicUrl), token: {id: record.id, token}}}
    },
    getChannel: async (_request, channel) => ({status: 200, body: channelView(channel!, this.options.publicUrl)}),
    deleteChannel: async (_request, channel) => {
      await this.store.deleteChannel(channel!.name)
      this.options.streams.endChannel(channel!.name)
      return {status: 200, body: {name: channel!.name, deleted: true}}
    },
    createToken: async (_request, channel) => {
      const {token, record} = newToken()
      await this.store.updateChannel({...channel!, tokens: [...channel!.tokens, record]})
      return {status: 201, body: {id: record.id, token, channel: channel!.name}}
    },
    revokeToken: async (_request, channel, params) => {
      if (!channel!.tokens.some((token) => token.id === params.token)) return NOT_FOUND
      await this.store.updateChannel({...channel!, tokens: channel!.tokens.filter((token) => token.id !== params.token)})
      await this.options.streams.recheck(channel!.name)
      return {status: 200, body: {id: params.token, revoked: true}}
    },
  }
}
