import { AppError } from '../errors.ts';
import { PercentDecoder, percentDecode } from './percent-decoder.ts';

const AMPERSAND = 0x26;
const EQUALS = 0x3d;

export interface ScannerLimits {
  /** Most fields (name=value pairs, the streamed one included); more is code 413. */
  maxFields: number;
  /** Longest field name, encoded. */
  maxNameBytes: number;
  /** Longest value of a field that is held (not streamed), encoded. */
  maxValueBytes: number;
}

/** What the scanner found; a handler may throw to stop the scan. */
export interface ScannerEvents {
  /** A held field, its name and value percent-decoded. */
  field(name: string, value: Buffer): void;
  streamStart(): void;
  /** The next decoded bytes of the streamed field. */
  streamData(bytes: Buffer): void;
  streamEnd(): void;
}

/**
 * An application/x-www-form-urlencoded body parsed as it arrives (WHATWG URL, "urlencoded
 * parser", on bytes). The field named `streamed` is decoded piece by piece and handed on as it
 * comes, whatever its size; every other field is held, within `limits`. Binary-safe: values stay
 * bytes. Each `write` does work bounded by its piece.
 */
export class UrlencodedScanner {
  private state: 'name' | 'value' | 'stream' = 'name';
  private parts: Buffer[] = [];
  private partBytes = 0;
  private name = '';
  private fields = 0;
  private decoder = new PercentDecoder();
  /** Whether the piece being scanned is the scanner's to overwrite. */
  private owned = false;

  constructor(
    /** The field to stream; undefined holds every field. */
    private readonly streamed: string | undefined,
    private readonly limits: ScannerLimits,
    private readonly events: ScannerEvents,
  ) {}

  /**
   * Scans the next piece. With `owned`, the caller gives the piece over: the streamed field is
   * decoded into it in place, and the bytes handed to `streamData` are part of it.
   */
  write(piece: Buffer, owned = false): void {
    this.owned = owned;
    for (let at = 0; at < piece.length;) {
      let stop = piece.indexOf(AMPERSAND, at);
      if (stop === -1) stop = piece.length;
      if (this.state === 'name') {
        const equals = piece.indexOf(EQUALS, at);
        if (equals !== -1 && equals < stop) stop = equals;
      }
      this.take(piece.subarray(at, stop));
      if (stop === piece.length) return;
      if (piece[stop] === EQUALS) this.startValue();
      else this.endField();
      at = stop + 1;
    }
  }

  end(): void {
    this.endField();
  }

  private take(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (this.state === 'stream') {
      this.events.streamData(this.owned ? this.decoder.writeInPlace(bytes) : this.decoder.write(bytes));
      return;
    }
    this.partBytes += bytes.length;
    if (this.state === 'name' && this.partBytes > this.limits.maxNameBytes) {
      throw new AppError('TOO_LARGE', `field name longer than ${this.limits.maxNameBytes} bytes`);
    }
    if (this.state === 'value' && this.partBytes > this.limits.maxValueBytes) {
      throw new AppError('TOO_LARGE', `field '${this.name}' longer than ${this.limits.maxValueBytes} bytes`);
    }
    // A copy: a slice would keep the whole socket chunk alive.
    this.parts.push(Buffer.from(bytes));
  }

  private startValue(): void {
    this.name = this.held().toString('utf8');
    this.count();
    this.state = this.name === this.streamed ? 'stream' : 'value';
    if (this.state === 'stream') this.events.streamStart();
  }

  private endField(): void {
    if (this.state === 'stream') {
      this.events.streamData(this.decoder.end());
      this.events.streamEnd();
    } else if (this.state === 'value') {
      this.events.field(this.name, this.held());
    } else if (this.partBytes > 0) {
      // A name with no '=': a field with an empty value.
      const name = this.held().toString('utf8');
      this.count();
      if (name === this.streamed) {
        this.events.streamStart();
        this.events.streamEnd();
      } else {
        this.events.field(name, Buffer.alloc(0));
      }
    }
    this.state = 'name';
  }

  /** The held name or value, decoded; the holder is emptied. */
  private held(): Buffer {
    const raw = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    this.parts = [];
    this.partBytes = 0;
    return percentDecode(raw);
  }

  private count(): void {
    if (++this.fields > this.limits.maxFields) {
      throw new AppError('TOO_LARGE', 'too many fields in one request (media.maxFields)');
    }
  }
}
