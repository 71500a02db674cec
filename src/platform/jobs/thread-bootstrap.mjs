// Entry point of every worker thread. Threads do not inherit the parent's
// TypeScript loader (tsx is registered in bin/infracast.js, or by vitest), so
// register it here, then load the real .ts entry named in workerData.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
