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
 *
 * The rest of the growth is outside V8's heap and outside a process's reach:
 * glibc raises its mmap threshold the first time a large block is freed (V8's
 * compiler threads free 2.3 MB ones), and its heaps then keep what they held
 * (10–18 MB over 105,000 events). `MALLOC_MMAP_THRESHOLD_=131072` in the
 * environment keeps the threshold (listener growth 18 → 5 MB); glibc reads it
 * before JavaScript runs, so the README asks deployments to set it.
 */
export function sizeHeapForMemory(): void {
  setFlagsFromString('--semi-space-growth-factor=1')
  setFlagsFromString('--heap-growing-percent=50')
}
