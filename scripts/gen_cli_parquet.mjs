// Parquet files of the CLI fixture pair (numpy cannot write Parquet and pyarrow is not
// packaged for Debian 12). Reads the values scripts/gen_cli_fixtures.py wrote into
// expected.json, and writes the embedding as a standard 3-level LIST of DOUBLE.
import { readFileSync, writeFileSync } from 'node:fs';
import { parquetWriteBuffer } from 'hyparquet-writer';

const dir = new URL('../test/fixtures/cli/', import.meta.url);
const { pair } = JSON.parse(readFileSync(new URL('expected.json', dir), 'utf8'));
const schema = [
  { name: 'root', num_children: 3 },
  { name: 'id', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
  { name: 'label', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
  { name: 'embedding', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
  { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
  { name: 'element', repetition_type: 'OPTIONAL', type: 'DOUBLE' },
];
for (const side of ['source', 'target']) {
  const buf = parquetWriteBuffer({
    columnData: [
      { name: 'id', data: pair.ids },
      { name: 'label', data: pair.labels },
      { name: 'embedding', data: pair[side] },
    ],
    schema,
  });
  writeFileSync(new URL(`${side}.parquet`, dir), new Uint8Array(buf));
}
console.log('wrote test/fixtures/cli/{source,target}.parquet');
