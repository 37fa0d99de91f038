/**
 * Parquet page headers, read with a minimal Thrift compact-protocol reader. Written here because
 * hyparquet trusts page headers: a header missing repetition_levels_byte_length sent its
 * level decoder into an endless loop on NaN offsets (a 1-KB file hung the process), and
 * num_values sizes its arrays. parquet.ts checks each column chunk's headers with
 * readPageHeader before hyparquet decodes it; parquetPages.ts reads the pages it decodes itself.
 */
/** The header continues past the bytes at hand. */
export class NeedMore extends RangeError {}

class ThriftReader {
  pos = 0;
  constructor(private readonly b: Uint8Array) {}
  byte(): number {
    if (this.pos >= this.b.length) throw new NeedMore('page header runs past its column chunk');
    return this.b[this.pos++];
  }
  varint(): number {
    let v = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      const x = this.byte();
      v += (x & 0x7f) * 2 ** shift;
      if (!(x & 0x80)) return v;
    }
    throw new RangeError('malformed varint in a page header');
  }
  zigzag(): number {
    const v = this.varint();
    return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
  }
  skip(type: number, depth: number): void {
    if (depth > 16) throw new RangeError('page header nested too deeply');
    switch (type) {
      case 1:
      case 2:
        return;
      case 3:
        this.pos++;
        return;
      case 4:
      case 5:
      case 6:
        this.varint();
        return;
      case 7:
        this.pos += 8;
        return;
      case 8:
        this.pos += this.varint();
        return;
      case 9:
      case 10: {
        const h = this.byte();
        const n = h >> 4 === 15 ? this.varint() : h >> 4;
        for (let k = 0; k < n; k++) this.skip(h & 15, depth + 1);
        return;
      }
      case 11: {
        const n = this.varint();
        if (n === 0) return;
        const kv = this.byte();
        for (let k = 0; k < n; k++) {
          this.skip(kv >> 4, depth + 1);
          this.skip(kv & 15, depth + 1);
        }
        return;
      }
      case 12:
        this.struct(depth + 1);
        return;
      default:
        throw new RangeError(`unknown thrift type ${type} in a page header`);
    }
  }
  /** Reads a struct: integer and bool (1 / 0) fields and nested structs by field id; other fields are skipped. */
  struct(depth = 0): Map<number, number | Map<number, unknown>> {
    const fields = new Map<number, number | Map<number, unknown>>();
    let id = 0;
    for (;;) {
      const h = this.byte();
      if (h === 0) return fields;
      const type = h & 15;
      id = h >> 4 ? id + (h >> 4) : this.zigzag();
      if (type === 5 || type === 6) fields.set(id, this.zigzag());
      else if (type === 1 || type === 2) fields.set(id, type === 1 ? 1 : 0); // a bool field's value is its type
      else if (type === 12) {
        if (depth > 16) throw new RangeError('page header nested too deeply');
        fields.set(id, this.struct(depth + 1));
      } else this.skip(type, depth);
    }
  }
}


// PageType (parquet.thrift)
export const PAGE_DATA = 0;
export const PAGE_INDEX = 1;
export const PAGE_DICTIONARY = 2;
export const PAGE_DATA_V2 = 3;

/**
 * A page header's fields, each NaN when absent or not a non-negative safe integer; the fields of
 * another page type than `type`'s are NaN too.
 */
export interface PageHeader {
  type: number;
  /** Bytes the header itself takes. */
  headerLength: number;
  uncompressedSize: number;
  compressedSize: number;
  /** Data pages: level entries (values and nulls); dictionary pages: dictionary entries. */
  numValues: number;
  encoding: number;
  /** Data page v1: the levels' encodings. */
  definitionEncoding: number;
  repetitionEncoding: number;
  /** Data page v2. */
  numNulls: number;
  numRows: number;
  definitionLength: number;
  repetitionLength: number;
  /** Data page v2: whether the values are compressed (is_compressed, true when absent). */
  compressed: boolean;
}

/** The page header at the start of `bytes`. Throws NeedMore when it runs past them, RangeError when it is malformed. */
export function readPageHeader(bytes: Uint8Array): PageHeader {
  const r = new ThriftReader(bytes);
  const h = r.struct();
  const int = (m: Map<number, unknown> | undefined, id: number, fallback = NaN): number => {
    const v = m === undefined ? NaN : (m.get(id) ?? fallback);
    return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : NaN;
  };
  const type = int(h, 1);
  const sub = (id: number, pageType: number): Map<number, unknown> | undefined => {
    const v = h.get(id);
    return type === pageType && v instanceof Map ? v : undefined;
  };
  const v1 = sub(5, PAGE_DATA);
  const dictionary = sub(7, PAGE_DICTIONARY);
  const v2 = sub(8, PAGE_DATA_V2);
  return {
    type,
    headerLength: r.pos,
    uncompressedSize: int(h, 2),
    compressedSize: int(h, 3),
    numValues: int(v1 ?? dictionary ?? v2, 1),
    encoding: v2 ? int(v2, 4) : int(v1 ?? dictionary, 2),
    definitionEncoding: int(v1, 3),
    repetitionEncoding: int(v1, 4),
    numNulls: int(v2, 2),
    numRows: int(v2, 3),
    definitionLength: int(v2, 5),
    repetitionLength: int(v2, 6),
    compressed: int(v2, 7, 1) !== 0,
  };
}
