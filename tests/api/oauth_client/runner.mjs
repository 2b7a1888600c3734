// Interop-test helper: runs OAuth steps against dealpulse with openid-client (panva), a client
// library that shares no code with the server's Authlib.
//
// stdin:  {"issuer": URL, "clients": {name: {"client_id": str, "client_secret": str}},
//          "tokens"?: {label: access token}, "steps": [step, ...]}, where a step is one of
//   {"op": "discover", "client": name, "auth": "basic" | "post"}
//       RFC 8414 discovery (/.well-known/oauth-authorization-server) for that client and method
//   {"op": "token", "client": name, "auth": ..., "scope"?: str, "as": label}
//       client credentials grant; the access token is kept under `label`
//   {"op": "introspect" | "revoke", "client": name, "auth": ..., "token": label}
// stdout: one result per step, in order: {"ok": true, "value": json} or {"ok": false, "error":
//         {"name", "code", "error", "error_description", "status", "challenges", "body",
//         "message"}}: an OAuth error answer as the library reports it (a ResponseBodyError
//         carries error, status and the body as cause; a WWWAuthenticateChallengeError the
//         parsed WWW-Authenticate challenges).
// Plain http is allowed (allowInsecureRequests): the test serves dealpulse on 127.0.0.1.
import fs from 'node:fs';
import * as client from 'openid-client';

const input = JSON.parse(fs.readFileSync(0, 'utf8'));
const issuer = new URL(input.issuer);
const tokens = { ...(input.tokens ?? {}) };
const configs = {};

const authOf = (method, secret) => {
  if (method === 'basic') return client.ClientSecretBasic(secret);
  if (method === 'post') return client.ClientSecretPost(secret);
  throw new Error(`unknown client authentication ${method}`);
};

// One discovery per (client, method), made by a "discover" step or by the first step that needs it.
const configOf = async (name, method) => {
  const key = `${name}/${method}`;
  if (!configs[key]) {
    const { client_id: clientId, client_secret: secret } = input.clients[name];
    configs[key] = await client.discovery(issuer, clientId, undefined, authOf(method, secret), {
      algorithm: 'oauth2',
      execute: [client.allowInsecureRequests],
      timeout: 10,
    });
  }
  return configs[key];
};

const run = async (step) => {
  const config = await configOf(step.client, step.auth);
  switch (step.op) {
    case 'discover':
      return config.serverMetadata();
    case 'token': {
      const parameters = step.scope === undefined ? {} : { scope: step.scope };
      const answer = await client.clientCredentialsGrant(config, parameters);
      tokens[step.as] = answer.access_token;
      return {
        access_token: answer.access_token,
        token_type: answer.token_type,
        expires_in: answer.expires_in,
        scope: answer.scope,
      };
    }
    case 'introspect':
      return await client.tokenIntrospection(config, tokens[step.token]);
    case 'revoke':
      await client.tokenRevocation(config, tokens[step.token]);
      return null;
    default:
      throw new Error(`unknown step ${step.op}`);
  }
};

// A WWWAuthenticateChallengeError (a 401 with a WWW-Authenticate challenge, as for a wrong
// secret with client_secret_basic) carries the challenges as its cause and the unread response.
const errorOf = async (e) => {
  let body = null;
  if (e?.name === 'WWWAuthenticateChallengeError') {
    body = await e.response.json().catch(() => null);
  }
  return {
    name: e?.name ?? null,
    code: e?.code ?? null,
    error: e?.error ?? null,
    error_description: e?.error_description ?? null,
    status: e?.status ?? null,
    challenges: Array.isArray(e?.cause)
      ? e.cause.map(({ scheme, parameters }) => ({ scheme, parameters }))
      : null,
    body: body ?? e?.cause ?? null,
    message: String(e?.message ?? e),
  };
};

const results = [];
for (const step of input.steps) {
  try {
    results.push({ ok: true, value: (await run(step)) ?? null });
  } catch (e) {
    results.push({ ok: false, error: await errorOf(e) });
  }
}
process.stdout.write(JSON.stringify(results));
