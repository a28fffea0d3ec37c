import { AppError } from '../errors.ts';
import { URLENCODED_FIELD_LIMITS } from './urlencoded-upload.ts';
import { UrlencodedScanner } from './urlencoded-scanner.ts';

/** A small application/x-www-form-urlencoded body (DELETE's) read whole, its values as text. */
export class UrlencodedForm {
  private constructor(private readonly fields: Map<string, string[]>) {}

  /** Splits a raw body into fields; more than `maxFields` fields, or a field over its limit, is code 413. */
  static parse(body: Buffer, maxFields: number): UrlencodedForm {
    const fields = new Map<string, string[]>();
    const scanner = new UrlencodedScanner(
      undefined,
      { maxFields, ...URLENCODED_FIELD_LIMITS },
      {
        field: (name, value) => fields.set(name, [...(fields.get(name) ?? []), value.toString('utf8')]),
        streamStart: () => {},
        streamData: () => {},
        streamEnd: () => {},
      },
    );
    scanner.write(body);
    scanner.end();
    return new UrlencodedForm(fields);
  }

  /** The field's text, undefined when absent; a field given twice is code 400. */
  text(name: string): string | undefined {
    const values = this.fields.get(name);
    if (values && values.length > 1) throw new AppError('INVALID_ARGUMENT', `invalid argument: ${name} given more than once`);
    return values?.[0];
  }
}
