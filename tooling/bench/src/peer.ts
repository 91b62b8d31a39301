/**
 * The peer: the quickstart's three REST endpoints on Express with express-oauth2-jwt-bearer, the usual
 * Node choice, as its README sets it up, with the API's security headers and CORS.
 * Usage: `node peer.ts <issuer URL> <audience>`, listening on PORT and HOST (Node strips the types).
 */
import cors from "cors";
import express, { type NextFunction, type Request, type Response } from "express";
import { auth, requiredScopes, type UnauthorizedError } from "express-oauth2-jwt-bearer";

const [issuerBaseURL, audience] = process.argv.slice(2);
const checkJwt = auth({ issuerBaseURL, audience });
const app = express();
// The same security headers and CORS policy as apps/api, so both answer with the same headers.
const securityHeaders = {
  "cache-control": "no-store",
  "content-security-policy": "frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
};
app.use((_request, response, next) => {
  response.set(securityHeaders);
  next();
});
app.use(
  cors({
    methods: ["GET", "POST", "OPTIONS"],
    allowedHeaders: ["Content-Type", "Authorization"],
    exposedHeaders: ["WWW-Authenticate", "Retry-After"],
  }),
);
app.get("/api/public", (_request, response) => {
  response.json({ message: "公开端点! 无需认证即可见." });
});
app.get("/api/private", checkJwt, (_request, response) => {
  response.json({ message: "私有端点! 经过认证后可见." });
});
app.get("/api/private-scoped", checkJwt, requiredScopes("read:messages"), (_request, response) => {
  response.json({ message: "私有端点! 经过认证且拥有 read:messages scope 后可见." });
});
// As the library's README does: its errors carry their status and WWW-Authenticate header.
app.use((error: UnauthorizedError, _request: Request, response: Response, _next: NextFunction) => {
  response
    .status(error.status ?? 500)
    .set(error.headers ?? {})
    .json({ description: error.message });
});
app.listen(Number(process.env.PORT), process.env.HOST ?? "127.0.0.1");
