// Entry point of every worker thread. Threads do not inherit the parent's
// TypeScript loader (tsx is registered in bin/infracast.js, or by vitest), so
// register it here, then load the real .ts entry named in workerData.
import { setPriority } from 'node:os';
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

// Helper threads do CPU-heavy batch work; the main thread serves requests. On Linux a thread has its
// own nice value (setpriority on "process" 0 is the calling thread), so the scheduler favours the
// event loop when the two compete for a core. Elsewhere this would renice the whole process: skip.
if (process.platform === 'linux') {
  try {
    setPriority(10);
  } catch {
    // not permitted: run at normal priority
  }
}

register();
await import(workerData.entry);
