import { readFileSync } from 'node:fs';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import { describe, expect, it } from 'vitest';
import { CODES } from '../../src/errors.ts';
import { OpenApiDocument, SPEC_URL, type Node } from '../helpers/openapi.ts';

const SCHEMA_TYPES = new URL('./schema.d.ts', import.meta.url);

/** Every example body of every response in the document, with the HTTP status it is listed under. */
function responseExamples(spec: OpenApiDocument): Array<{ status: string; where: string; value: Node }> {
  const found: Array<{ status: string; where: string; value: Node }> = [];
  const paths = spec.root.paths as Record<string, Node>;
  for (const [template, item] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const responses = (operation as Node).responses as Record<string, unknown> | undefined;
      for (const [status, raw] of Object.entries(responses ?? {})) {
        const response = spec.resolve(raw, '').value;
        for (const media of Object.values((response.content as Record<string, Node> | undefined) ?? {})) {
          const values = [
            media.example,
            ...Object.values((media.examples as Record<string, Node> | undefined) ?? {}).map((e) => spec.resolve(e, '').value.value),
          ];
          for (const value of values) {
            if (value && typeof value === 'object')
              found.push({ status, where: `${method.toUpperCase()} ${template} ${status}`, value: value as Node });
          }
        }
      }
    }
  }
  return found;
}

describe('openapi.yaml and the code table', () => {
  const spec = OpenApiDocument.load();
  const examples = responseExamples(spec);

  it.each(Object.entries(CODES))('lists %s in the Code enum', (_name, entry) => {
    const codes = (spec.at('/components/schemas/Code') as { enum: number[] }).enum;
    expect(codes).toContain(entry.code);
  });

  it.each(Object.entries(CODES))('shows %s with its code under its HTTP status in a response example', (name, entry) => {
    const shown = examples.filter(({ status, value }) => status === String(entry.status) && value.code === entry.code);
    expect(
      shown.map(({ where }) => where),
      `${name}: no example with code ${entry.code} under HTTP ${entry.status}`,
    ).not.toEqual([]);
  });

  it('has no code in its Code enum that the code table lacks', () => {
    const codes = (spec.at('/components/schemas/Code') as { enum: number[] }).enum;
    const table = new Set<number>(Object.values(CODES).map((entry) => entry.code));
    expect(codes.filter((code) => !table.has(code))).toEqual([]);
  });
});

describe('the generated client types', () => {
  it('are what openapi-typescript generates from openapi.yaml now (run `npm run contract:types` after changing it)', async () => {
    const generated = COMMENT_HEADER + astToString(await openapiTS(SPEC_URL, { silent: true }));
    expect(readFileSync(SCHEMA_TYPES, 'utf8') === generated, 'test/contract/schema.d.ts is stale').toBe(true);
  });
});
