// A real OpenID Connect provider for the browser sign-in tests (panva/oidc-provider with its development
// interactions: any user name signs in). Listens on a free loopback port and prints one JSON line with
// its issuer when it is ready. Configuration comes from the environment (see tests/auth/oidc_server.py).
import http from 'node:http';
import Provider from 'oidc-provider';

const ROLES = JSON.parse(process.env.TEST_ROLES || '{}');  // subject -> list of role values
const rolesOf = (sub) => ROLES[sub] || [];

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: process.env.TEST_CLIENT_ID,
      client_secret: process.env.TEST_CLIENT_SECRET,
      redirect_uris: [process.env.TEST_REDIRECT_URI],
      post_logout_redirect_uris: [process.env.TEST_POST_LOGOUT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    pkce: { required: () => true },
    claims: { openid: ['sub'], profile: ['name', 'roles'], email: ['email'] },
    conformIdTokenClaims: false,
    findAccount: async (ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, name: `Test ${sub}`, email: `${sub}@example.invalid`, roles: rolesOf(sub) }),
    }),
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => 'urn:infohus:api',
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'api', audience: process.env.TEST_API_AUDIENCE, accessTokenFormat: 'jwt',
          accessTokenTTL: 300, jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    extraTokenClaims: async (ctx, token) => (token.accountId ? { roles: rolesOf(token.accountId), name: `Test ${token.accountId}` } : undefined),
    issueRefreshToken: async () => true,
    cookies: { keys: ['infohus-test-provider-cookie-key'] },
  });
  provider.proxy = false;
  server.on('request', provider.callback());
  process.stdout.write(JSON.stringify({ issuer }) + '\n');
});
