// `--import`ed by the runtime scenario's Node 20 service: the service's undici 8 needs Node 22
// (it fails on import under Node 20), so on Node 20 `undici` resolves to the undici 7 installed
// beside that Node (lib/node20.ts). Only the proxy imports undici; the uploads measured never call it.
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  const undici7 = createRequire(new URL('../../../node_modules/.cache/bench-runtime/node20/package.json', import.meta.url)).resolve(
    'undici',
  );
  register(import.meta.url, { data: pathToFileURL(undici7).href });
}

let undici7Url;

export function initialize(url) {
  undici7Url = url;
}

export async function resolve(specifier, context, next) {
  return specifier === 'undici' ? { url: undici7Url, format: 'commonjs', shortCircuit: true } : next(specifier, context);
}
