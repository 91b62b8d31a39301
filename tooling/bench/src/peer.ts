/**
 * The peer: the quickstart's three REST endpoints on Express with express-oauth2-jwt-bearer, the usual
 * Node choice, as its README sets it up, with the API's security headers and CORS, and DPoP.
 * Usage: `node peer.ts <issuer URL> <audience>`, listening on PORT and HOST (Node strips the types).
 */
import cors from "cors";
import express, { type NextFunction, type Request, type Response } from "express";
import { auth, requiredScopes, type UnauthorizedError } from "express-oauth2-jwt-bearer";
import api from "./api-headers.json" with { type: "json" };

const [issuerBaseURL, audience] = process.argv.slice(2);
// DPoP on (the library's default since 1.10, said here so the bench's DPoP row cannot lose it):
// Bearer and DPoP-bound tokens are both accepted, the latter with a proof.
const checkJwt = auth({ issuerBaseURL, audience, dpop: { enabled: true, required: false } });
const app = express();
// The same security headers and CORS policy as apps/api, so both answer with the same headers.
app.use((_request, response, next) => {
  response.set(api.securityHeaders);
  next();
});
app.use(cors(api.cors));
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
