/**
 * An identity provider's key set on a real local HTTP server: keys can be
 * added (rotation) and removed, the server taken down and brought back, and
 * fetches are counted.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';

export type KeyAlg = 'RS256' | 'ES256';

interface Key {
  kid: string;
  alg: KeyAlg;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export class JwksServer {
  readonly keys = new Map<string, Key>();
  fetches = 0;
  /** Bytes of filler added to the key set document (an extra member), to make it large. */
  paddingBytes = 0;
  #server: Server | undefined;
  #port = 0;

  static readonly issuer = 'https://id.heimdex.test/';
  static readonly audience = 'heimdex-api';

  get url(): string {
    return `http://127.0.0.1:${this.#port}/.well-known/jwks.json`;
  }

  async up(): Promise<void> {
    this.#server = createServer((_req, res) => {
      this.fetches++;
      res.writeHead(200, { 'content-type': 'application/jwk-set+json' });
      const keys = [...this.keys.values()].map((k) => k.publicJwk);
      const padding = this.paddingBytes > 0 ? { padding: 'x'.repeat(this.paddingBytes) } : {};
      res.end(JSON.stringify({ keys, ...padding }));
    });
    await new Promise<void>((resolve) => this.#server!.listen(this.#port, '127.0.0.1', resolve));
    this.#port = (this.#server.address() as AddressInfo).port;
  }

  async down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async addKey(kid: string, alg: KeyAlg): Promise<Key> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const key = {
      kid,
      alg,
      privateKey,
      publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' },
    };
    this.keys.set(kid, key);
    return key;
  }

  /** A token as the provider signs it; `overrides` change iss/aud/exp or the header's kid. */
  async sign(
    kid: string,
    payload: JWTPayload,
    overrides: { issuer?: string; audience?: string; headerKid?: string; key?: Key } = {},
  ): Promise<string> {
    const key = overrides.key ?? this.keys.get(kid);
    if (!key) throw new Error(`no key ${kid}`);
    return new SignJWT(payload)
      .setProtectedHeader({ alg: key.alg, kid: overrides.headerKid ?? kid })
      .setIssuer(overrides.issuer ?? JwksServer.issuer)
      .setAudience(overrides.audience ?? JwksServer.audience)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(key.privateKey);
  }
}
