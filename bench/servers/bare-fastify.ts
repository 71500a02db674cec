// Reference point: a bare Fastify app answering the same JSON (no plugins, no hooks).
import Fastify from 'fastify';

const healthz = JSON.stringify({ data: { status: 'ok' }, meta: null, error: null });
const app = Fastify({ logger: false });
app.get('/healthz', (_req, reply) => {
  reply.type('application/json; charset=utf-8').send(healthz);
});
await app.listen({ host: '127.0.0.1', port: 0 });
const addr = app.server.address();
process.stdout.write(`${JSON.stringify({ port: typeof addr === 'object' && addr ? addr.port : 0, headers: {} })}\n`);
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
