/**
 * A minimal Thrift compact-protocol reader for Parquet page headers, written here because
 * hyparquet trusts page headers: a header missing repetition_levels_byte_length sent its
 * level decoder into an endless loop on NaN offsets (a 1-KB file hung the process), and
 * num_values sizes its arrays. parquet.ts checks each column chunk's headers with it before
 * hyparquet decodes it; parquetPages.ts reads the headers of the pages it decodes itself.
 */
/** The header continues past the bytes at hand. */
export class NeedMore extends RangeError {}

export class ThriftReader {
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

