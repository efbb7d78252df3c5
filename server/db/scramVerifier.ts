/**
 * A SCRAM-SHA-256 password verifier (RFC 5802, RFC 7677), computed here so
 * that `alter role ... password` carries the verifier, never the password: a
 * failing statement, `log_statement` or `pg_stat_statements` can then record
 * nothing a login could use. PostgreSQL stores a string of this form as it is
 * (it recognises a verifier and does not hash it again).
 *
 * The password is used as its UTF-8 bytes, as node-postgres uses it when it
 * logs in (no SASLprep; the same for ASCII passwords).
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/** PostgreSQL's default (scram_iterations). */
const ITERATIONS = 4096;

export function scramSha256Verifier(
  password: string,
  salt: Buffer = randomBytes(16),
  iterations = ITERATIONS,
): string {
  const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();
  const storedKey = createHash('sha256').update(hmac(salted, 'Client Key')).digest();
  const serverKey = hmac(salted, 'Server Key');
  const b64 = (bytes: Buffer) => bytes.toString('base64');
  return `SCRAM-SHA-256$${iterations}:${b64(salt)}$${b64(storedKey)}:${b64(serverKey)}`;
}
