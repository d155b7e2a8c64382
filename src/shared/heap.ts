/** Heap sizing for the long-running processes (`webhooks listen`, `relay start`). */
import {setFlagsFromString} from 'node:v8'

/**
 * The listener and the relay run for hours, so their memory matters more
 * than their last few percent of throughput. Under a steady stream of deliveries
 * V8's default sizing grows the young generation to 32 MB and lets the old
 * one reach about four times what is live: +60–100 MB of RSS at 3,000
 * events/s for ~16 MB live. Here the young generation keeps its starting size
 * and the old one grows 1.5× between full collections: +30–40 MB, about 5%
 * fewer events/s (bench/, README "Performance"). V8 reads both at each sizing
 * decision, so setting them now, before any load, takes effect; they change
 * no behaviour.
 */
export function sizeHeapForMemory(): void {
  setFlagsFromString('--semi-space-growth-factor=1')
  setFlagsFromString('--heap-growing-percent=50')
}
