// The two undici modules src/webhooks/undici.ts loads directly; typed from undici's public types.
declare module 'undici/lib/dispatcher/agent.js' {
  import {Agent} from 'undici'
  export default Agent
}

declare module 'undici/lib/api/index.js' {
  import type {Dispatcher} from 'undici'
  const api: {request(this: Dispatcher, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>}
  export default api
}
