// Worker thread (plain CommonJS: no TypeScript loader to start) that copies a
// SQLite write-ahead log into the database file on a connection of its own.
// See sqlite-checkpointer.ts.
const { parentPort } = require('node:worker_threads');
const { setPriority } = require('node:os');
const SQLite = require('better-sqlite3');

// Background work: on Linux this renices this thread only, so the event loop wins a contended core.
if (process.platform === 'linux') {
  try {
    setPriority(10);
  } catch {
    // not permitted: normal priority
  }
}

const connections = new Map();

parentPort.on('message', ({ id, file }) => {
  try {
    let db = connections.get(file);
    if (!db) {
      db = new SQLite(file);
      db.pragma('busy_timeout = 5000');
      connections.set(file, db);
    }
    // PASSIVE never blocks the server's connection; frames a reader still uses are left for next time.
    const [state] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ id, ok: true, state });
  } catch (e) {
    parentPort.postMessage({ id, ok: false, message: e instanceof Error ? e.message : String(e) });
  }
});
