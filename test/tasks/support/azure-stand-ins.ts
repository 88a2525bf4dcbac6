/**
 * Local HTTPS stand-ins for what a pipeline task talks to in Azure, so credential chains run for
 * real without a network: the Azure DevOps OIDC endpoint, Entra ID's token endpoint (with its
 * OpenID metadata), a sliver of Azure Resource Manager (Cosmos DB throughput settings), and a
 * recording TLS proxy in front of the Cosmos DB test server. One self-signed certificate serves
 * them all; children trust it through NODE_EXTRA_CA_CERTS (caFile).
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificate {
  cert: string;
  key: string;
  /** A PEM file to hand a child process as NODE_EXTRA_CA_CERTS. */
  caFile: string;
}

let shared: TestCertificate | undefined;

export function testCertificate(): TestCertificate {
  if (!shared) {
    const dir = mkdtempSync(join(tmpdir(), 'docferry-standin-cert-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-addext', 'basicConstraints=critical,CA:TRUE',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    shared = { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8'), caFile: join(dir, 'cert.pem') };
  }
  return shared;
}

/** A service principal's certificate as an AzureRM connection holds it: PEM key and certificate in one. */
export function servicePrincipalPem(): { pem: string; thumbprint: string } {
  const dir = mkdtempSync(join(tmpdir(), 'docferry-spn-cert-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=docferry-spn', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  const fp = execFileSync('openssl', ['x509', '-in', join(dir, 'cert.pem'), '-noout', '-fingerprint', '-sha1'], { encoding: 'utf8' });
  const pem = `${readFileSync(join(dir, 'key.pem'), 'utf8')}${readFileSync(join(dir, 'cert.pem'), 'utf8')}`;
  writeFileSync(join(dir, 'both.pem'), pem);
  return { pem, thumbprint: fp.split('=')[1]!.trim().replace(/:/g, '') };
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function listen(server: https.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closer(server: https.Server): () => Promise<void> {
  const sockets = new Set<Duplex>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}

export interface OidcRequest {
  url: string;
  authorization: string | undefined;
  serviceConnectionId: string | null;
  issued: string;
}

export interface GithubIdTokenRequest {
  audience: string | null;
  authorization: string | undefined;
  issued: string;
}

export interface ManagedIdentityRequest {
  resource: string | null;
  identityHeader: string | undefined;
  issued: string;
}

export interface TokenRequest {
  tenant: string;
  form: Record<string, string>;
  issued: string;
}

export interface ArmOffer {
  throughput?: number;
  autoscaleMax?: number;
  minimumThroughput?: number;
  /** An asynchronous scale-up: after a PUT, this many GETs answer offerReplacePending (with the old value). */
  pendingAfterPut?: number;
  /** GETs left that answer offerReplacePending (set by a PUT from pendingAfterPut). */
  pendingReads?: number;
  /** The value a pending scale-up reaches. */
  scalingTo?: { throughput?: number; autoscaleMax?: number };
}

export interface ArmRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body?: unknown;
}

export interface AzureStandIn {
  /** https://127.0.0.1:<port> (no trailing slash). */
  url: string;
  caFile: string;
  /** What a task gets as System.OidcRequestUri. */
  oidcRequestUri: string;
  oidcRequests: OidcRequest[];
  /** What a GitHub job gets as ACTIONS_ID_TOKEN_REQUEST_URL (the request token is jobAccessToken). */
  githubIdTokenRequestUrl: string;
  githubIdTokenRequests: GithubIdTokenRequest[];
  tokenRequests: TokenRequest[];
  /** A managed identity endpoint as App Service exposes it (IDENTITY_ENDPOINT / IDENTITY_HEADER). */
  managedIdentityEndpoint: string;
  managedIdentityRequests: ManagedIdentityRequest[];
  metadataRequests: string[];
  armRequests: ArmRequest[];
  /** Throughput offers by ARM resource path (…/throughputSettings/default). */
  offers: Map<string, ArmOffer>;
  /** The expires_in of access tokens issued from now on. */
  setLifetime(seconds: number): void;
  stop(): Promise<void>;
}

export interface StandInOptions {
  /** The job token the OIDC endpoint accepts (System.AccessToken). */
  jobAccessToken: string;
  accessTokenLifetimeSeconds?: number;
}

/** Azure DevOps' OIDC endpoint, Entra ID's v2 token endpoint and ARM's throughput settings on one HTTPS server. */
export async function startAzureStandIn(options: StandInOptions): Promise<AzureStandIn> {
  const cert = testCertificate();
  const oidcRequests: OidcRequest[] = [];
  const githubIdTokenRequests: GithubIdTokenRequest[] = [];
  const tokenRequests: TokenRequest[] = [];
  const metadataRequests: string[] = [];
  const managedIdentityRequests: ManagedIdentityRequest[] = [];
  const armRequests: ArmRequest[] = [];
  const offers = new Map<string, ArmOffer>();
  let base = '';
  let lifetime = options.accessTokenLifetimeSeconds ?? 3599;
  const server = https.createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', base);
      const text = await body(req);
      // Azure DevOps: POST {collection}{project}/_apis/distributedtask/hubs/{hub}/plans/{plan}/jobs/{job}/oidctoken
      if (req.method === 'POST' && url.pathname.endsWith('/oidctoken')) {
        if (req.headers.authorization !== `Bearer ${options.jobAccessToken}`) return json(res, 401, { message: 'TF400813: not authorized' });
        const issued = `oidc.${randomUUID()}`;
        oidcRequests.push({ url: url.toString(), authorization: req.headers.authorization, serviceConnectionId: url.searchParams.get('serviceConnectionId'), issued });
        return json(res, 200, { oidcToken: issued });
      }
      // GitHub Actions: GET {ACTIONS_ID_TOKEN_REQUEST_URL}&audience=...
      if (req.method === 'GET' && url.pathname.endsWith('/idtoken')) {
        if (req.headers.authorization !== `Bearer ${options.jobAccessToken}`) return json(res, 401, { message: 'Bad credentials' });
        const issued = `ghoidc.${randomUUID()}`;
        githubIdTokenRequests.push({ audience: url.searchParams.get('audience'), authorization: req.headers.authorization, issued });
        return json(res, 200, { count: 1, value: issued });
      }
      if (req.method === 'GET' && url.pathname === '/msi/token') {
        const issued = `msi.${randomUUID()}`;
        managedIdentityRequests.push({ resource: url.searchParams.get('resource'), identityHeader: req.headers['x-identity-header'] as string | undefined, issued });
        return json(res, 200, { access_token: issued, expires_on: String(Math.floor(Date.now() / 1000) + lifetime), resource: url.searchParams.get('resource'), token_type: 'Bearer' });
      }
      const meta = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(url.pathname);
      if (req.method === 'GET' && meta) {
        const tenant = meta[1]!;
        metadataRequests.push(tenant);
        return json(res, 200, {
          token_endpoint: `${base}/${tenant}/oauth2/v2.0/token`,
          authorization_endpoint: `${base}/${tenant}/oauth2/v2.0/authorize`,
          end_session_endpoint: `${base}/${tenant}/oauth2/v2.0/logout`,
          issuer: `${base}/${tenant}/v2.0`,
          jwks_uri: `${base}/${tenant}/discovery/v2.0/keys`,
          response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
          token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        });
      }
      const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
      if (req.method === 'POST' && token) {
        const form = Object.fromEntries(new URLSearchParams(text));
        const issued = `aad.${randomUUID()}`;
        tokenRequests.push({ tenant: token[1]!, form, issued });
        return json(res, 200, { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: 3599, access_token: issued });
      }
      if (url.pathname.startsWith('/subscriptions/') && url.pathname.endsWith('/throughputSettings/default')) {
        const parsed = text ? (JSON.parse(text) as unknown) : undefined;
        armRequests.push({ method: req.method ?? '', path: url.pathname, authorization: req.headers.authorization, ...(parsed ? { body: parsed } : {}) });
        const offer = offers.get(url.pathname.toLowerCase());
        if (!offer) return json(res, 404, { code: 'NotFound', message: `No throughput settings at ${url.pathname}` });
        if (req.method === 'PUT') {
          const resource = (parsed as { properties?: { resource?: { throughput?: number; autoscaleSettings?: { maxThroughput?: number } } } })?.properties?.resource ?? {};
          const to = { ...(resource.throughput !== undefined ? { throughput: resource.throughput } : {}), ...(resource.autoscaleSettings?.maxThroughput !== undefined ? { autoscaleMax: resource.autoscaleSettings.maxThroughput } : {}) };
          if (offer.pendingAfterPut) {
            // Partitions split first: the old value stays in effect meanwhile.
            offer.scalingTo = to;
            offer.pendingReads = offer.pendingAfterPut;
          } else Object.assign(offer, to);
        } else if (offer.scalingTo && !(offer.pendingReads! > 0)) {
          Object.assign(offer, offer.scalingTo);
          delete offer.scalingTo;
        }
        const pending = offer.scalingTo !== undefined;
        if (pending && req.method === 'GET') offer.pendingReads!--;
        return json(res, 200, {
          id: url.pathname,
          name: 'default',
          type: 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/throughputSettings',
          properties: {
            resource: {
              ...(offer.throughput !== undefined ? { throughput: offer.throughput } : {}),
              ...(offer.autoscaleMax !== undefined ? { autoscaleSettings: { maxThroughput: offer.autoscaleMax } } : {}),
              minimumThroughput: String(offer.minimumThroughput ?? 400),
              offerReplacePending: pending ? 'true' : 'false',
            },
          },
        });
      }
      json(res, 404, { error: 'not_found', error_description: `stand-in has no ${req.method} ${url.pathname}` });
    })().catch((err: unknown) => json(res, 500, { error: String(err) }));
  });
  base = await listen(server);
  return {
    url: base,
    caFile: cert.caFile,
    oidcRequestUri: `${base}/contoso/6e5a4f0c-1111-4c2b-9d8e-aaaaaaaaaaaa/_apis/distributedtask/hubs/build/plans/0f1e2d3c-2222-4b5a-8c7d-bbbbbbbbbbbb/jobs/9a8b7c6d-3333-4e5f-a1b2-cccccccccccc/oidctoken`,
    oidcRequests,
    githubIdTokenRequestUrl: `${base}/00000000-0000-0000-0000-000000000000/_apis/distributedtask/hubs/Actions/plans/0f1e2d3c-2222-4b5a-8c7d-bbbbbbbbbbbb/jobs/9a8b7c6d-3333-4e5f-a1b2-cccccccccccc/idtoken?api-version=2.0`,
    githubIdTokenRequests,
    tokenRequests,
    managedIdentityEndpoint: `${base}/msi/token`,
    managedIdentityRequests,
    metadataRequests,
    armRequests,
    offers,
    setLifetime: (seconds) => (lifetime = seconds),
    stop: closer(server),
  };
}

export interface RecordingProxy {
  endpoint: string;
  /** The Authorization header of every request, in order. */
  authorizations: string[];
  stop(): Promise<void>;
}

/** A TLS reverse proxy in front of an HTTPS upstream (the Cosmos DB test server), recording Authorization headers. */
export async function startRecordingTlsProxy(upstream: string, upstreamCa: string): Promise<RecordingProxy> {
  const cert = testCertificate();
  const target = new URL(upstream);
  const agent = new https.Agent({ keepAlive: true, ca: upstreamCa });
  const authorizations: string[] = [];
  const server = https.createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
    authorizations.push(String(req.headers.authorization ?? ''));
    const out = https.request(
      { hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host }, agent },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    out.on('error', (err) => {
      res.writeHead(502);
      res.end(String(err));
    });
    req.pipe(out);
  });
  const endpoint = `${await listen(server)}/`;
  const stop = closer(server);
  return {
    endpoint,
    authorizations,
    stop: async () => {
      agent.destroy();
      await stop();
    },
  };
}
