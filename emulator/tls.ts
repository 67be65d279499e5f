import 'reflect-metadata';
import { webcrypto, createHash, X509Certificate as NodeX509 } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;

export interface TlsMaterial {
  caCertPem: string;
  certPem: string;
  keyPem: string;
}

const ecdsa = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const ecdsaSign = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

async function pkcs8Pem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END PRIVATE KEY-----\n`;
}

function serial(): string {
  // Positive, non-zero 16-byte serial.
  const b = Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)));
  b[0] = ((b[0] as number) & 0x7f) | 0x01;
  return b.toString('hex');
}

/** A fresh CA and a server certificate for localhost, 127.0.0.1 and ::1 (plus extra names). */
export async function generateTls(extraHosts: string[] = []): Promise<TlsMaterial> {
  const caKeys = await webcrypto.subtle.generateKey(ecdsa, true, ['sign', 'verify']);
  const now = Date.now();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=Safehold Tenant Emulator CA',
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 3650 * DAY),
    keys: caKeys,
    signingAlgorithm: ecdsaSign,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const leafKeys = await webcrypto.subtle.generateKey(ecdsa, true, ['sign', 'verify']);
  const names: x509.JsonGeneralName[] = [
    { type: 'dns', value: 'localhost' },
    { type: 'ip', value: '127.0.0.1' },
    { type: 'ip', value: '::1' },
    ...extraHosts.map((h): x509.JsonGeneralName => ({ type: /^[\d.:]+$/.test(h) ? 'ip' : 'dns', value: h })),
  ];
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=localhost',
    issuer: ca.subject,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 825 * DAY),
    publicKey: leafKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: ecdsaSign,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(ca),
    ],
  });
  return {
    caCertPem: ca.toString('pem') + '\n',
    certPem: leaf.toString('pem') + '\n',
    keyPem: await pkcs8Pem(leafKeys.privateKey),
  };
}

/** Reuses the TLS material in `dir` when it is still valid, otherwise writes a new set. */
export async function loadOrCreateTls(dir: string, extraHosts: string[] = []): Promise<TlsMaterial> {
  const paths = { caCertPem: 'ca.pem', certPem: 'server.pem', keyPem: 'server-key.pem' } as const;
  try {
    const [caCertPem, certPem, keyPem] = await Promise.all(
      Object.values(paths).map((p) => readFile(join(dir, p), 'utf8')),
    );
    const leaf = new NodeX509(certPem as string);
    if (new Date(leaf.validTo).getTime() > Date.now() + 7 * DAY) {
      return { caCertPem: caCertPem as string, certPem: certPem as string, keyPem: keyPem as string };
    }
  } catch {
    // missing or unreadable: make a new set
  }
  const tls = await generateTls(extraHosts);
  await mkdir(dir, { recursive: true });
  await Promise.all(
    Object.entries(paths).map(([k, p]) =>
      writeFile(join(dir, p), tls[k as keyof TlsMaterial], { mode: 0o600 }),
    ),
  );
  return tls;
}

export interface ClientCertificate {
  certPem: string;
  /** PKCS#8 PEM; encrypted with `password` when one was given. */
  keyPem: string;
  /** Base64url SHA-1 thumbprint (`x5t`) and SHA-256 thumbprint (`x5t#S256`) as Entra ID uses them. */
  x5t: string;
  x5tS256: string;
}

/** An RSA certificate for app-only sign-in (Entra ID accepts RSA keys for client assertions). */
export async function generateClientCertificate(
  subject: string,
  options: { password?: string; validDays?: number; notBefore?: Date } = {},
): Promise<ClientCertificate> {
  const alg = {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const notBefore = options.notBefore ?? new Date(Date.now() - DAY);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${subject}`,
    notBefore,
    notAfter: new Date(notBefore.getTime() + (options.validDays ?? 365) * DAY),
    keys,
    signingAlgorithm: alg,
  });
  const der = Buffer.from(cert.rawData);
  let keyPem = await pkcs8Pem(keys.privateKey);
  if (options.password) {
    const { createPrivateKey } = await import('node:crypto');
    keyPem = createPrivateKey(keyPem)
      .export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: options.password })
      .toString();
  }
  return {
    certPem: cert.toString('pem') + '\n',
    keyPem,
    x5t: createHash('sha1').update(der).digest('base64url'),
    x5tS256: createHash('sha256').update(der).digest('base64url'),
  };
}

/** Thumbprints of a PEM certificate, as Entra ID lists them for a registered credential. */
export function thumbprints(certPem: string): { x5t: string; x5tS256: string } {
  const der = new NodeX509(certPem).raw;
  return {
    x5t: createHash('sha1').update(der).digest('base64url'),
    x5tS256: createHash('sha256').update(der).digest('base64url'),
  };
}
