/** Worker-thread entry: checkpoints a SQLite WAL on its own connection (see sqlite-checkpoint.ts). */
import SQLite from 'better-sqlite3';
import { serveThread } from './threads.ts';

serveThread({
  checkpoint(file: string) {
    const db = new SQLite(file);
    try {
      db.pragma('busy_timeout = 5000');
      return db.pragma('wal_checkpoint(PASSIVE)');
    } finally {
      db.close();
    }
  },
});
