// Runs graphql-http's auditServer against the URL on stdin's JSON ({"url", "token"}) and prints
// one JSON array: {id, name, status ("ok" | "warn" | "error"), reason} per audit. Every request
// carries the token (dealpulse answers nothing without one).
import { auditServer } from "graphql-http";

const input = JSON.parse(await new Promise((resolve) => {
  let text = "";
  process.stdin.on("data", (chunk) => { text += chunk; });
  process.stdin.on("end", () => resolve(text));
}));

const fetchFn = (url, init = {}) => {
  const headers = new Headers(init.headers || {});
  headers.set("authorization", `Bearer ${input.token}`);
  return fetch(url, { ...init, headers });
};

const results = await auditServer({ url: input.url, fetchFn });
const report = [];
for (const result of results) {
  report.push({
    id: result.id,
    name: result.name,
    status: result.status,
    reason: result.status === "ok" ? null : String(result.reason),
  });
}
process.stdout.write(JSON.stringify(report));
