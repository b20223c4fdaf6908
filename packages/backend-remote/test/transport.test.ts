// Only the configured origin, over verified TLS: a redirect is not followed, and a server whose
// certificate the host does not trust is refused (security), while one it trusts is served.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { remoteBackend } from '../src/index.js';
import { sendJson, startServer, type TestServer } from './servers/http-server.js';

const servers: TestServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

const load = (url: string) =>
  remoteBackend.load({ source: { kind: 'path', path: url }, encoding: 'autodetect', target: 'auto', options: { protocol: 'oip', retries: 0, 'request-timeout-ms': 5000 }, name: 'm' });

describe('transport', () => {
  it('does not follow a redirect to another origin', async () => {
    const elsewhere = await startServer((_r, res) => sendJson(res, 200, { ready: true }));
    const redirecting = await startServer((_r, res) => void res.writeHead(302, { location: `${elsewhere.url}/v2/models/m/ready` }).end());
    servers.push(elsewhere, redirecting);
    await expect(load(redirecting.url)).rejects.toMatchObject({ code: 'runtime-error', message: expect.stringContaining(`redirected (302) to ${elsewhere.url}/v2/models/m/ready; wacs contacts only the configured URL`) });
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('refuses a certificate the host does not trust, and serves over https with one it trusts', async () => {
    let dir: string;
    try {
      dir = mkdtempSync(join(tmpdir(), 'wacs-remote-tls-'));
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    } catch {
      console.warn('skipping: the TLS check makes a throwaway certificate with the openssl command, which is not installed here');
      return;
    }
    const cert = readFileSync(join(dir, 'cert.pem'));
    const server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (req, res) => {
      const body = req.url === '/v2/models/m/ready' ? { ready: true } : { name: 'm', inputs: [], outputs: [] };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await expect(load(url)).rejects.toMatchObject({ code: 'security', message: expect.stringContaining('TLS verification failed') });
      // Trusted the way a user would: NODE_EXTRA_CA_CERTS is read at start, so a child process checks it.
      const script = `import('${new URL('../dist/index.js', import.meta.url).href}').then(async ({ remoteBackend }) => {
        const g = await remoteBackend.load({ source: { kind: 'path', path: '${url}' }, encoding: 'autodetect', target: 'auto', options: { protocol: 'oip' }, name: 'm' });
        console.log('loaded', g.metadata.name); await g.dispose();
      })`;
      const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { env: { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem') } });
      expect(stdout.trim()).toBe('loaded m');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
