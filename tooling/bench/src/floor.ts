/**
 * The floor: what a plain Fastify route costs on this machine, with the API's security headers,
 * CORS policy and response schema but without tRPC. The API's REST rows minus this row is what the
 * server-side caller and the mirror's handler cost per request.
 * Usage: `node floor.ts`, listening on PORT and HOST (Node strips the types).
 */
import cors from "@fastify/cors";
import Fastify from "fastify";
import api from "./api-headers.json" with { type: "json" };

const app = Fastify({ logger: { level: "warn" } });
// The same security headers and CORS policy as apps/api.
app.addHook("onRequest", (_request, reply, done) => {
  reply.headers(api.securityHeaders);
  done();
});
await app.register(cors, api.cors);
const message = { type: "object", properties: { message: { type: "string" } }, required: ["message"] };
// The same message as apps/api's messages.ts: the body's size is part of the cost.
app.get("/api/public", { schema: { response: { 200: message } } }, async () => ({
  message: "公开端点! 无需认证即可见.",
}));
await app.listen({ port: Number(process.env.PORT), host: process.env.HOST ?? "127.0.0.1" });
