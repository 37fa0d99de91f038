// Writes Parquet fixtures in test/fixtures/formats/ with page layouts hyparquet-writer does not
// produce: pyarrow's (data page v1, a dictionary page first) and ZSTD pages (Polars' default;
// Node 20 cannot compress Zstandard, so they go through the `zstd` tool, Debian's `zstd`
// package). The layout comes from the tests' writer, so build the tests first:
//
//     npx tsc -p tsconfig.test.json && node scripts/gen-parquet-layout-fixtures.mjs
//
// The matrix is test/fixtures/formats/expected.json's; ids are row0, row1, …
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'test', 'fixtures', 'formats');
const { writeLayout } = createRequire(import.meta.url)(join(root, 'out', 'test', 'unit', 'parquet-layouts.js'));
const { matrix } = JSON.parse(readFileSync(join(out, 'expected.json'), 'utf8'));
const zstd = (bytes) => new Uint8Array(execFileSync('zstd', ['-q', '-c', '-3'], { input: bytes }));

function write(file, options) {
  const bytes = writeLayout(matrix, { groupRows: 4, ...options });
  writeFileSync(join(out, file), bytes);
  console.log(`wrote ${file} (${bytes.length} bytes)`);
}

// list<float> in pyarrow's layout with Snappy: data page v1 (pages splitting rows), a dictionary
// page, the first data page dictionary-encoded, PLAIN after (the fuzz tests mutate it)
write('m_v1.parquet', { leaf: 'FLOAT', codec: 'SNAPPY', pageValues: 8, dictionaryPages: 1 });

const ZSTD = { codec: 'ZSTD', compressor: zstd };
// the same layout with ZSTD pages
write('m_zstd.parquet', { ...ZSTD, leaf: 'FLOAT', pageValues: 8, dictionaryPages: 1 });
// list<double>, data page v2
write('m_zstd_v2.parquet', { ...ZSTD, leaf: 'DOUBLE', pageValues: 10, pageVersion: 2 });
// pages that inflate to 4 bytes more than their headers declare
write('bad_zstd_size.parquet', { ...ZSTD, leaf: 'FLOAT', pageValues: 40, understatePages: 4 });
