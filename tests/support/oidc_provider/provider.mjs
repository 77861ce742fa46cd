// A real OpenID Provider for pactum's federation tests: panva's certified oidc-provider, with one
// confidential client (client_secret_basic, PKCE S256) and a sign-in page that accepts any
// address as the account (the test decides who signs in, and which acr/amr the provider reports).
//
//   node provider.mjs  (env: PORT, ISSUER, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI)
//
// Prints "listening <issuer>" once it serves. An account "unverified.*@..." has
// email_verified false.
import http from 'node:http';
import { URLSearchParams } from 'node:url';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = process.env.ISSUER;

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.CLIENT_ID,
    client_secret: process.env.CLIENT_SECRET,
    redirect_uris: [process.env.REDIRECT_URI],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  // The e-mail in the ID token itself, as Entra ID, Keycloak and brokers send it (identity reads
  // the ID token only, not the userinfo endpoint).
  conformIdTokenClaims: false,
  acrValues: ['urn:be:fedict:iam:fas:Level100', 'urn:be:fedict:iam:fas:Level500'],
  claims: {
    // acr and amr in every ID token (as brokers send them), not only when the client asks.
    openid: ['sub', 'acr', 'amr'], email: ['email', 'email_verified'], acr: null, amr: null,
  },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: id, email_verified: !id.startsWith('unverified.') };
      },
    };
  },
  // A first-party client: no consent screen, the scopes asked for are granted.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
  cookies: { keys: ['pactum-test-cookie-key-not-a-secret'] },
});

const page = (uid) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test provider: sign in</title></head>
<body><main><h1>Test identity provider</h1>
<form method="post" action="/interaction/${uid}">
<label for="login">E-mail address</label> <input id="login" name="login" type="email" required>
<label for="acr">acr</label> <input id="acr" name="acr" value="">
<label for="amr">amr (space-separated)</label> <input id="amr" name="amr" value="pwd">
<button type="submit">Sign in</button>
</form></main></body></html>`;

const readBody = (req) => new Promise((resolve, reject) => {
  let data = '';
  req.on('data', (chunk) => { data += chunk; });
  req.on('end', () => resolve(new URLSearchParams(data)));
  req.on('error', reject);
});

const callback = provider.callback();
const server = http.createServer(async (req, res) => {
  const match = /^\/interaction\/([^/?]+)$/.exec(req.url.split('?')[0]);
  if (!match) return callback(req, res);
  try {
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(page(details.uid));
    }
    const form = await readBody(req);
    const acr = form.get('acr') || undefined;
    const amr = (form.get('amr') || '').split(' ').filter(Boolean);
    return await provider.interactionFinished(req, res, {
      login: { accountId: form.get('login'), acr, amr: amr.length ? amr : undefined },
    }, { mergeWithLastSubmission: false });
  } catch (error) {
    res.writeHead(400, { 'content-type': 'text/plain' });
    return res.end(String(error));
  }
});
server.listen(port, '127.0.0.1', () => console.log(`listening ${issuer}`));
