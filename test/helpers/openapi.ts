import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

/** openapi.yaml at the top of the repository: the contract every test answer is held to. */
export const SPEC_URL = new URL('../../openapi.yaml', import.meta.url);

// ajv-formats is CommonJS with a default export; under NodeNext its type is the module namespace.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/** The parts of an OpenAPI 3.1 document the checks read (the document itself is not typed). */
export type Node = Record<string, unknown>;

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** A value and the JSON pointer (into the whole document) where it was found, after `$ref`s. */
export interface Located<T = Node> {
  value: T;
  pointer: string;
}

interface PathTemplate {
  template: string;
  item: Located;
  pattern: RegExp;
  params: number;
  literal: number;
}

const escapePointer = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');
const unescapePointer = (key: string) => key.replace(/~1/g, '/').replace(/~0/g, '~');

/**
 * openapi.yaml loaded for checking: `$ref` resolution, path matching and JSON Schema (2020-12)
 * validation against any schema of the document, by its pointer.
 */
export class OpenApiDocument {
  private static loaded: OpenApiDocument | undefined;
  private readonly ajv = new Ajv2020({ allErrors: true, strictTypes: false, validateSchema: false });
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly templates: PathTemplate[];

  constructor(readonly root: Node) {
    addFormats(this.ajv);
    // The whole document is one schema resource, so `#/components/...` refs resolve as in the spec.
    // Its top-level OpenAPI fields are declared as (inert) keywords; the schemas inside stay strict.
    for (const field of Object.keys(root)) this.ajv.addKeyword({ keyword: field });
    this.ajv.addSchema(root, 'openapi.json');
    this.templates = Object.keys(root.paths as Node)
      .map((template) => this.compileTemplate(template))
      // OpenAPI 3.1 section 4.8.8: concrete paths match before templated ones.
      .sort((a, b) => a.params - b.params || b.literal - a.literal);
  }

  /** The repository's openapi.yaml, parsed once per test process. */
  static load(): OpenApiDocument {
    OpenApiDocument.loaded ??= new OpenApiDocument(parse(readFileSync(SPEC_URL, 'utf8')) as Node);
    return OpenApiDocument.loaded;
  }

  /** Follows `$ref`s (local ones only) from `value` found at `pointer`. */
  resolve<T = Node>(value: unknown, pointer: string): Located<T> {
    let current = value as Node;
    let at = pointer;
    for (let hops = 0; typeof current?.$ref === 'string'; hops++) {
      if (hops > 20) throw new Error(`$ref loop at ${pointer}`);
      at = (current.$ref as string).replace(/^#/, '');
      current = this.at(at) as Node;
      if (current === undefined) throw new Error(`unresolvable $ref ${at}`);
    }
    return { value: current as T, pointer: at };
  }

  /** The value at a JSON pointer (`/paths/~1media/get`). */
  at(pointer: string): unknown {
    let node: unknown = this.root;
    for (const part of pointer.split('/').slice(1)) node = (node as Node | undefined)?.[unescapePointer(part)];
    return node;
  }

  /** A child of a located node, `$ref`s followed; undefined when absent. */
  child<T = Node>(parent: Located, ...keys: string[]): Located<T> | undefined {
    let located: Located = parent;
    for (const key of keys) {
      const value = located.value[key];
      if (value === undefined) return undefined;
      located = this.resolve(value, `${located.pointer}/${escapePointer(key)}`);
    }
    return located as Located<T>;
  }

  /** The path item whose template matches a raw (still percent-encoded) request path. */
  matchPath(path: string): { template: string; item: Located } | undefined {
    const candidates = path.length > 1 && path.endsWith('/') ? [path, path.slice(0, -1)] : [path];
    for (const candidate of candidates) {
      const found = this.templates.find(({ pattern }) => pattern.test(candidate));
      if (found) return found;
    }
    return undefined;
  }

  /** Problems of `value` against the schema at `pointer` (empty when it is valid). */
  validate(pointer: string, value: unknown): string[] {
    let validator = this.validators.get(pointer);
    if (!validator) {
      validator = this.ajv.getSchema(`openapi.json#${pointer}`);
      if (!validator) throw new Error(`no schema at ${pointer}`);
      this.validators.set(pointer, validator);
    }
    if (validator(value)) return [];
    return (validator.errors ?? []).map((error) => {
      const { additionalProperty, allowedValues } = error.params as { additionalProperty?: string; allowedValues?: unknown[] };
      const detail =
        additionalProperty !== undefined ? ` '${additionalProperty}'` : allowedValues ? ` ${JSON.stringify(allowedValues)}` : '';
      return `${error.instancePath || '(top level)'} ${error.message ?? 'is invalid'}${detail}`;
    });
  }

  /**
   * `{param}` matches one segment; a parameter marked `x-multi-segment` may hold `/`, and when it
   * ends the template it may be empty, with or without the `/` before it.
   */
  private compileTemplate(template: string): PathTemplate {
    const item = this.resolve((this.root.paths as Node)[template], `/paths/${escapePointer(template)}`);
    const multi = new Set(
      [...((item.value.parameters as Node[] | undefined) ?? [])]
        .map((parameter) => this.resolve(parameter, '').value)
        .filter((parameter) => parameter['x-multi-segment'] === true)
        .map((parameter) => parameter.name as string),
    );
    const segments = template.split('/').slice(1);
    let source = '';
    let params = 0;
    let literal = 0;
    segments.forEach((segment, index) => {
      const param = /^\{(.+)\}$/.exec(segment)?.[1];
      if (param === undefined) {
        source += `/${segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`;
        literal += segment.length;
        return;
      }
      params += 1;
      if (!multi.has(param)) source += '/[^/]+';
      else source += index === segments.length - 1 ? '(?:/.*)?' : '/.+';
    });
    return { template, item, pattern: new RegExp(`^${source || '/'}$`, 's'), params, literal };
  }
}
