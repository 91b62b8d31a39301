/**
 * The floor: what a plain Fastify route costs on this machine, with the API's security headers,
 * CORS policy and response schema but without tRPC. The API's REST rows minus this row is what the
 * server-side caller and the mirror's handler cost per request.
 * Usage: `node floor.ts`, listening on PORT and HOST (Node strips the types).
 */
import cors from "@fastify/cors";
import Fastify from "fastify";

const app = Fastify({ logger: { level: "warn" } });
// The same headers as apps/api's security-headers.ts and CORS options as its app.ts.
const securityHeaders = {
  "cache-control": "no-store",
  "content-security-policy": "frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
};
app.addHook("onRequest", (_request, reply, done) => {
  reply.headers(securityHeaders);
  done();
});
await app.register(cors, {
  origin: "*",
  methods: ["GET", "POST", "OPTIONS"],
  allowedHeaders: ["Content-Type", "Authorization"],
  exposedHeaders: ["WWW-Authenticate", "Retry-After"],
});
const message = { type: "object", properties: { message: { type: "string" } }, required: ["message"] };
// The same message as apps/api's messages.ts: the body's size is part of the cost.
app.get("/api/public", { schema: { response: { 200: message } } }, async () => ({
  message: "公开端点! 无需认证即可见.",
}));
await app.listen({ port: Number(process.env.PORT), host: process.env.HOST ?? "127.0.0.1" });
