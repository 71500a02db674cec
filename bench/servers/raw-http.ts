// Baseline: plain node:http answering the same JSON Infracast answers, nothing else.
import { createServer } from 'node:http';

const healthz = JSON.stringify({ data: { status: 'ok' }, meta: null, error: null });
const tenant = JSON.stringify({
  data: {
    id: 'ten_01JD3Y7J9Q8Z5T6W2X4C8V0B1N',
    slug: 'bench',
    name: 'Bench',
    plan: 'enterprise',
    rate_limit: { per_minute: 1000, burst: 100, source: 'plan' },
    created_at: '2026-11-23T12:00:00.000Z',
    updated_at: '2026-11-23T12:00:00.000Z',
  },
  meta: null,
  error: null,
});

const server = createServer((req, res) => {
  const body = req.url === '/healthz' ? healthz : tenant;
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof addr === 'object' && addr ? addr.port : 0, headers: {} })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
