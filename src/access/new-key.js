// `npm run key -- --scopes read,write [--directories podcasts,music/live] [--id app]`: prints a new
// key's secret (once: the service never stores it) and the `auth.keys` entry holding its digest.
// Plain JavaScript with Node's own modules, so it runs in a production install without a build.
import { createHash, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

const SCOPES = ['read', 'write', 'delete'];
const list = (value) =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

function fail(message) {
  process.stderr.write(`npm run key: ${message}\nusage: npm run key -- --scopes read,write,delete [--directories a,b/c] [--id name]\n`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({ options: { id: { type: 'string' }, scopes: { type: 'string' }, directories: { type: 'string' } } }));
} catch (error) {
  fail(error.message);
}
const scopes = list(values.scopes);
if (scopes.length === 0) fail('--scopes is required');
const unknown = scopes.filter((scope) => !SCOPES.includes(scope));
if (unknown.length > 0) fail(`unknown scope ${unknown.join(', ')} (scopes: ${SCOPES.join(', ')})`);
const directories = list(values.directories).map((directory) => directory.replace(/^\/+|\/+$/g, ''));
const id = values.id ?? `key-${randomBytes(3).toString('hex')}`;
if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) fail('--id must be 1-64 letters, digits, ".", "_" or "-"');

// 256 random bits: a digest of such a secret cannot be reversed by guessing.
const secret = randomBytes(32).toString('base64url');
const sha256 = createHash('sha256').update(secret).digest('hex');
const entry = { id, sha256, scopes: [...new Set(scopes)], ...(directories.length > 0 ? { directories } : {}) };

process.stdout.write(
  `Secret of key '${id}' (shown once; the client sends "Authorization: Bearer <secret>"):\n${secret}\n\n` +
    `Add to auth.keys in the config (it holds only the digest):\n${JSON.stringify(entry)}\n`,
);
