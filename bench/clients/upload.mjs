// The ingest benchmark's HTTP client, in a process of its own: it streams a body file to the server, so that
// the server's event loop (which the benchmark watches) carries none of the client's work. Driven over IPC:
// {url, headers, file} in, {status, text} or {error} out, one upload at a time.
import { createReadStream, statSync } from 'node:fs';
import { request } from 'node:http';

process.on('message', ({ url, headers, file }) => {
  const req = request(
    url,
    { method: 'POST', headers: { ...headers, 'content-length': String(statSync(file).size) } },
    (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () => process.send({ status: res.statusCode ?? 0, text }));
    },
  );
  req.on('error', (err) => process.send({ error: String(err) }));
  createReadStream(file, { highWaterMark: 1 << 20 }).pipe(req);
});
process.send({ ready: true });
