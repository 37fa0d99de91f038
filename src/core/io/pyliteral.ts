/**
 * A tokenizer and parser for the small subset of Python literals found in .npy
 * headers: dicts, tuples, lists, strings, integers, True / False / None.
 * It never evaluates anything. Accepts single or double quotes, trailing commas,
 * and the Python 2 long suffix ("7L").
 */

export type PyValue = string | number | boolean | null | PyValue[] | PyTuple | PyDict;
export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}
export class PyDict {
  constructor(readonly entries: Map<string, PyValue>) {}
}

type Token =
  | { kind: 'punct'; value: string; pos: number }
  | { kind: 'string'; value: string; pos: number }
  | { kind: 'number'; value: number; pos: number }
  | { kind: 'name'; value: string; pos: number }
  | { kind: 'end'; pos: number };

export class PyLiteralError extends Error {}

/**
 * Deepest nesting accepted. A real .npy header nests 2 levels; without a limit a
 * header of 60 000 "(" overflowed the stack (a RangeError, not a format error).
 */
const MAX_DEPTH = 32;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (/\s/.test(ch)) {
      i++;
    } else if ('{}()[]:,'.includes(ch)) {
      tokens.push({ kind: 'punct', value: ch, pos: i });
      i++;
    } else if (ch === "'" || ch === '"') {
      const start = i;
      i++;
      let s = '';
      for (;;) {
        if (i >= text.length) throw new PyLiteralError(`unterminated string at offset ${start}`);
        const c = text[i];
        if (c === ch) {
          i++;
          break;
        }
        if (c === '\\') {
          const e = text[i + 1];
          i += 2;
          switch (e) {
            case 'n':
              s += '\n';
              break;
            case 't':
              s += '\t';
              break;
            case 'r':
              s += '\r';
              break;
            case '0':
              s += '\0';
              break;
            case 'x':
            case 'u': {
              const len = e === 'x' ? 2 : 4;
              const hex = text.slice(i, i + len);
              if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) throw new PyLiteralError(`bad escape at offset ${i - 2}`);
              s += String.fromCharCode(parseInt(hex, 16));
              i += len;
              break;
            }
            case undefined:
              throw new PyLiteralError(`unterminated string at offset ${start}`);
            default:
              s += e; // \\, \', \" and unknown escapes keep the character
          }
        } else {
          s += c;
          i++;
        }
      }
      tokens.push({ kind: 'string', value: s, pos: start });
    } else if (/[-+0-9]/.test(ch)) {
      const m = /^[-+]?\d+[lL]?/.exec(text.slice(i));
      if (!m) throw new PyLiteralError(`unexpected ${JSON.stringify(ch)} at offset ${i}`);
      tokens.push({ kind: 'number', value: parseInt(m[0].replace(/[lL]$/, ''), 10), pos: i });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(ch)) {
      const m = /^[A-Za-z_][A-Za-z_0-9]*/.exec(text.slice(i))!;
      tokens.push({ kind: 'name', value: m[0], pos: i });
      i += m[0].length;
    } else {
      throw new PyLiteralError(`unexpected ${JSON.stringify(ch)} at offset ${i}`);
    }
  }
  tokens.push({ kind: 'end', pos: text.length });
  return tokens;
}

/** Parses one Python literal; throws PyLiteralError on anything else. */
export function parsePyLiteral(text: string): PyValue {
  const tokens = tokenize(text);
  let p = 0;
  const peek = (): Token => tokens[p];
  const isPunct = (v: string): boolean => {
    const t = tokens[p];
    return t.kind === 'punct' && t.value === v;
  };
  const expect = (v: string): void => {
    if (!isPunct(v)) throw new PyLiteralError(`expected "${v}" at offset ${peek().pos}`);
    p++;
  };

  let depth = 0;
  function nest<T>(parse: () => T): T {
    if (++depth > MAX_DEPTH) throw new PyLiteralError(`nested more than ${MAX_DEPTH} levels deep at offset ${peek().pos}`);
    const v = parse();
    depth--;
    return v;
  }

  function sequence(close: string): PyValue[] {
    const items: PyValue[] = [];
    while (!isPunct(close)) {
      items.push(value());
      if (isPunct(',')) p++;
      else if (!isPunct(close)) throw new PyLiteralError(`expected "," or "${close}" at offset ${peek().pos}`);
    }
    p++;
    return items;
  }

  function value(): PyValue {
    const t = tokens[p];
    switch (t.kind) {
      case 'string':
      case 'number':
        p++;
        return t.value;
      case 'name':
        p++;
        if (t.value === 'True') return true;
        if (t.value === 'False') return false;
        if (t.value === 'None') return null;
        throw new PyLiteralError(`unexpected name ${t.value} at offset ${t.pos}`);
      case 'punct':
        if (t.value === '(') {
          p++;
          return new PyTuple(nest(() => sequence(')')));
        }
        if (t.value === '[') {
          p++;
          return nest(() => sequence(']'));
        }
        if (t.value === '{') {
          p++;
          return nest(dict);
        }
        throw new PyLiteralError(`unexpected "${t.value}" at offset ${t.pos}`);
      case 'end':
        throw new PyLiteralError('unexpected end of header');
    }
  }

  function dict(): PyDict {
    const entries = new Map<string, PyValue>();
    while (!isPunct('}')) {
      const k = tokens[p];
      if (k.kind !== 'string') throw new PyLiteralError(`expected a string key at offset ${k.pos}`);
      p++;
      expect(':');
      entries.set(k.value, value());
      if (isPunct(',')) p++;
      else if (!isPunct('}')) throw new PyLiteralError(`expected "," or "}" at offset ${peek().pos}`);
    }
    p++;
    return new PyDict(entries);
  }

  const v = value();
  if (peek().kind !== 'end') throw new PyLiteralError(`unexpected text after the literal at offset ${peek().pos}`);
  return v;
}
