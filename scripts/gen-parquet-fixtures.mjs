// Writes the Parquet reader fixtures in test/fixtures/formats/ with hyparquet-writer
// (devDependency). Run from the repository root after gen-format-fixtures.py:
//
//     node scripts/gen-parquet-fixtures.mjs
//
// The matrix, ids and labels come from test/fixtures/formats/expected.json.
//
// What hyparquet-writer can and cannot write (v0.17):
// - a standard 3-level LIST (optional group (LIST) > repeated group list > element)
//   of FLOAT, DOUBLE or FLOAT16 leaves: yes, with an explicit schema;
// - Arrow's fixed_size_list / large_list: Parquet has no such types. Arrow stores
//   both as the same 3-level LIST and keeps the Arrow type only in the
//   "ARROW:schema" key-value metadata, so the reader handles them like a LIST;
//   hyparquet-writer cannot produce that Arrow metadata, so there is no fixture;
// - the legacy 2-level form (a bare `repeated float embedding`): not writable
//   ("repeated types not supported"), so there is no fixture for it either.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parquetWriteBuffer } from 'hyparquet-writer';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'test', 'fixtures', 'formats');
const expected = JSON.parse(readFileSync(join(out, 'expected.json'), 'utf8'));
const { matrix, ids, labels } = expected;

/** Schema for: id (string), label (string), <name> (list of <leaf>). */
function listSchema(name, leaf) {
  return [
    { name: 'root', num_children: 3 },
    { name: 'id', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
    { name: 'label', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
    { name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', repetition_type: 'OPTIONAL', ...leaf },
  ];
}

function write(file, options) {
  const buffer = parquetWriteBuffer(options);
  writeFileSync(join(out, file), new Uint8Array(buffer));
  console.log(`wrote ${file} (${buffer.byteLength} bytes)`);
}

const columns = (name) => [
  { name: 'id', data: ids },
  { name: 'label', data: labels },
  { name, data: matrix },
];

// list<float>, split into row groups of 3 rows (3 + 3 + 1) to exercise batching.
write('m_float.parquet', { columnData: columns('embedding'), schema: listSchema('embedding', { type: 'FLOAT' }), rowGroupSize: 3 });
// list<double>, column named "vector", uncompressed.
write('m_double.parquet', { columnData: columns('vector'), schema: listSchema('vector', { type: 'DOUBLE' }), codec: 'UNCOMPRESSED' });
// list<float16>
write('m_float16.parquet', {
  columnData: columns('emb'),
  schema: listSchema('emb', { type: 'FIXED_LEN_BYTE_ARRAY', type_length: 2, logical_type: { type: 'FLOAT16' } }),
});
// Wrong type: the embedding column holds strings.
write('bad_string_embedding.parquet', {
  columnData: [
    { name: 'id', data: ids, type: 'STRING' },
    { name: 'embedding', data: matrix.map((r) => JSON.stringify(r)), type: 'STRING' },
  ],
});
