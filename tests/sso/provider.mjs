// The OpenID provider Parley's SSO tests sign in through (npm oidc-provider, an
// OpenID-certified implementation). Started by .ci/run: `node provider.mjs PORT`.
//
// Test clients register themselves (dynamic registration, open). The login form takes
// any password; the login name is the subject. What the provider says of a subject is
// set beforehand with `PUT /test/accounts/{subject}` and a JSON body of claims (email,
// email_verified, name, groups); an unknown subject that looks like an address gets it,
// verified.
import Provider from 'oidc-provider';

const port = Number(process.argv[2] || process.env.PORT || 9400);
const issuer = `http://127.0.0.1:${port}`;
const accounts = new Map();

function claimsOf(sub) {
  const set = accounts.get(sub) || {};
  const email = set.email ?? (sub.includes('@') ? sub : undefined);
  return { email, email_verified: true, name: email ? email.split('@')[0] : sub, groups: [], ...set, sub };
}

const provider = new Provider(issuer, {
  features: {
    devInteractions: { enabled: true },
    registration: { enabled: true },
    backchannelLogout: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
  scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  // Parley listens on 127.0.0.1 here: let back-channel logout calls reach it (the
  // library refuses special-use addresses by default).
  fetch: (url, options) => {
    delete options.dispatcher;
    return globalThis.fetch(url, options);
  },
  cookies: { keys: ['parley-test-idp-cookie-key'] },
  ttl: { Session: 3600, Grant: 3600, Interaction: 600, AuthorizationCode: 60, IdToken: 300, AccessToken: 300 },
  async findAccount(ctx, sub) {
    return { accountId: sub, async claims() { return claimsOf(sub); } };
  },
});

provider.use(async (ctx, next) => {
  const m = ctx.path.match(/^\/test\/accounts\/(.+)$/);
  if (!m || ctx.method !== 'PUT') return next();
  let body = '';
  for await (const chunk of ctx.req) body += chunk;
  accounts.set(decodeURIComponent(m[1]), JSON.parse(body));
  ctx.status = 204;
});
provider.on('server_error', (ctx, err) => console.error('server_error', ctx.path, err));
provider.on('backchannel.error', (ctx, err, client) => console.error('backchannel.error', client.clientId, err));
provider.on('backchannel.success', (ctx, client) => console.log('backchannel.success', client.clientId));
provider.listen(port, '127.0.0.1', () => console.log(`test identity provider at ${issuer}`));
