// The undici module src/webhooks/undici.ts loads directly; typed from undici's public types.
declare module 'undici/lib/dispatcher/agent.js' {
  import {Agent} from 'undici'
  export default Agent
}
