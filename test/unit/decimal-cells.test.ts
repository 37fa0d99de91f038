/**
 * parseDecimalCells (the CSV/TSV fast path) against parseNumber (the reference spelling
 * rules): the same double for every cell, bit for bit, and the same verdict on what is a number
 * (a line with other than ASCII bytes goes to the reader's text path: false here).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseNumber } from '../../src/core/io/common';
import { parseDecimalCells, SPACE_RUNS } from '../../src/core/io/decimalCells';

/** parseDecimalCells over the UTF-8 bytes of `line` (from `start` to `end`, in characters of an ASCII line). */
function parse(line: string, delimiter: string, into: Float64Array, start = 0, end = line.length): boolean {
  return parseDecimalCells(Buffer.from(line), start, end === line.length ? Buffer.byteLength(line) : end, delimiter.charCodeAt(0), into);
}

const spellings = (v: number): string[] => [
  String(v),
  String(Math.fround(v)),
  v.toExponential(),
  v.toExponential(8),
  v.toExponential(18), // np.savetxt's default '%.18e': 19 digits, past the fast path
  v.toPrecision(9),
  v.toPrecision(17),
  v.toFixed(6),
  v.toFixed(20),
];

const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
const scaled = fc.tuple(fc.integer({ min: -99999999, max: 99999999 }), fc.integer({ min: -30, max: 30 })).map(([m, e]) => m * 10 ** e);
const numberCell = fc.oneof(
  fc.tuple(fc.oneof(finite, scaled), fc.nat({ max: 8 })).map(([v, k]) => spellings(v)[k]),
  fc.integer({ min: -1e6, max: 1e6 }).map(String),
  fc.constantFrom('0', '-0', '+1', '.5', '-.5', '5.', '+5.e3', '007', '1e5', '1E-5', '1e+22', '1e23', '123456789012345678', '9007199254740993', '4.9e-324', '1.7976931348623157e308'),
  fc.constantFrom('nan', 'NaN', '-nan', 'inf', '-inf', 'Infinity', '-Infinity', '1e999', '-1e999'),
);
const otherCell = fc.constantFrom('', ' ', 'abc', '0x10', '1_0', '1e', 'e5', '--1', '+-1', '1 2', '1.2.3', '1e5.5', '.', '-', '١', '1,5', '"1"', '1e1000000000');
/** The cell with spaces (a tab too, unless it is the delimiter) around it. */
const padded = (cell: fc.Arbitrary<string>, delimiter: string): fc.Arbitrary<string> => {
  const pads = ['', '', ' ', '  ', '\t', '\u00a0', ' \t'].filter((p) => !p.includes(delimiter));
  return fc.tuple(fc.constantFrom(...pads), cell, fc.constantFrom(...pads)).map(([a, c, b]) => a + c + b);
};

describe('parseDecimalCells', () => {
  for (const delimiter of [',', '\t']) {
    it(`gives parseNumber's double for every cell, or false when a cell is not a number (delimiter ${JSON.stringify(delimiter)})`, () => {
      fc.assert(
        fc.property(fc.array(fc.oneof({ weight: 12, arbitrary: padded(numberCell, delimiter) }, { weight: 1, arbitrary: padded(otherCell, delimiter) }), { minLength: 1, maxLength: 12 }), (cells) => {
          // A cell holding the delimiter would be two cells: not this property's subject.
          fc.pre(cells.every((c) => !c.includes(delimiter)));
          const line = cells.join(delimiter);
          const expected = cells.map(parseNumber);
          const into = new Float64Array(cells.length);
          const ok = parse(line, delimiter, into);
          assert.equal(ok, expected.every((v) => v !== undefined) && /^[\x00-\x7f]*$/.test(line), line);
          if (ok) expected.forEach((v, k) => assert.ok(Object.is(into[k], v), `${JSON.stringify(cells[k])}: ${into[k]} vs ${v}`));
        }),
        { numRuns: 3000, seed: 20261206 },
      );
    });
  }

  it('in SPACE_RUNS mode, splits at runs of spaces and tabs and gives parseNumber\'s doubles', () => {
    const blanks = fc.array(fc.constantFrom(' ', '\t'), { minLength: 1, maxLength: 3 }).map((b) => b.join(''));
    const token = fc.oneof({ weight: 12, arbitrary: numberCell }, { weight: 1, arbitrary: otherCell.filter((c) => !/[ \t]/.test(c) && c !== '') });
    fc.assert(
      fc.property(fc.array(fc.tuple(token, blanks), { minLength: 1, maxLength: 10 }), fc.constantFrom('', ' ', '\t '), fc.nat({ max: 2 }), (cells, lead, extra) => {
        const line = lead + cells.map(([c, b]) => c + b).join('');
        const expected = cells.map(([c]) => parseNumber(c));
        // asked for as many cells as there are, or fewer (then false: the span holds more)
        const into = new Float64Array(Math.max(1, cells.length - extra));
        const bytes = Buffer.from(line);
        const ok = parseDecimalCells(bytes, 0, bytes.length, SPACE_RUNS, into);
        const fits = into.length === cells.length && expected.every((v) => v !== undefined) && /^[\x00-\x7f]*$/.test(line);
        assert.equal(ok, fits, JSON.stringify(line));
        if (ok) expected.forEach((v, k) => assert.ok(Object.is(into[k], v), `${JSON.stringify(cells[k][0])}: ${into[k]} vs ${v}`));
      }),
      { numRuns: 3000, seed: 20261206 },
    );
  });

  it('returns false for a span holding more or fewer cells than asked, and parses only its span', () => {
    const line = 'id,1.5,-2,3e-3,label';
    const start = line.indexOf(',') + 1;
    const end = line.lastIndexOf(',');
    const three = new Float64Array(3);
    assert.ok(parse(line, ',', three, start, end));
    assert.deepEqual([...three], [1.5, -2, 0.003]);
    assert.equal(parse(line, ',', new Float64Array(2), start, end), false);
    assert.equal(parse(line, ',', new Float64Array(4), start, end), false);
    assert.equal(parse('1,2,', ',', new Float64Array(2)), false);
    assert.equal(parse('1,,2', ',', new Float64Array(3)), false);
    assert.equal(parse('1,\u00a02', ',', new Float64Array(2)), false);
    const long = ` ${'1'.repeat(100)}.5 `; // a long cell takes parseNumber's path
    assert.ok(parse(`${long},2`, ',', three.subarray(0, 2)));
    assert.equal(three[0], Number(long));
  });

  it('rounds 9-digit float32 spellings exactly as Number does (every exponent the fast path takes)', () => {
    const into = new Float64Array(1);
    for (let e = -22; e <= 22; e++) {
      for (const m of [1, 123456789, 999999999, 314159265, 100000001]) {
        const cell = `${m}e${e}`;
        assert.ok(parse(cell, ',', into));
        assert.ok(Object.is(into[0], Number(cell)), cell);
      }
    }
  });
});
