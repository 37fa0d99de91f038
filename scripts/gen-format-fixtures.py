#!/usr/bin/python3
"""Writes the reader/writer test fixtures in test/fixtures/formats/.

Run from the repository root with the system Python (numpy 1.24):

    /usr/bin/python3 scripts/gen-format-fixtures.py

Use /usr/bin/python3: the committed files are byte-for-byte what it writes (zip
timestamps are pinned to 1980-01-01, so re-running changes nothing). The pyenv
`python3` (numpy 2.x, newer Python zipfile) also works and writes equivalent
files, but its .npz local headers differ (sizes 0xFFFFFFFF, deferred to the ZIP64
extra field; the reader uses the central directory either way, and
test/unit/io.test.ts patches a fixture to cover that layout).
The Parquet fixtures come from scripts/gen-parquet-fixtures.mjs.

Every fixture holds ONE small matrix M (7 x 5), whose values are multiples of
1/8 in [-8, 8]: float16, bfloat16, float32 and float64 all represent them
exactly, so every variant must read back exactly M. Integer dtypes use the
integer matrices INT (0..100, unsigned dtypes) and SIGNED (INT - 50).
expected.json holds M, the ids, the labels and the integer matrices.
"""
import io
import json
import os
import struct
import zipfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'formats')

ROWS, COLS = 7, 5
M = np.array([[(((i * COLS + j) * 37) % 129 - 64) / 8 for j in range(COLS)] for i in range(ROWS)], dtype=np.float64)
INT = np.array([[((i * COLS + j) * 13) % 101 for j in range(COLS)] for i in range(ROWS)], dtype=np.int64)
SIGNED = INT - 50
IDS = ['w0', 'w1', 'naïve', 'w3', 'w,4', 'w5', 'w6']
LABELS = ['cat', 'dog', 'cat', 'bird', 'dog', 'a "quoted", label', 'cat']

assert np.all(M.astype(np.float16).astype(np.float64) == M)
assert np.all(np.abs(M) <= 8)


def path(name):
    return os.path.join(OUT, name)


def write_bytes(name, data):
    with open(path(name), 'wb') as f:
        f.write(data)


def write_text(name, text):
    with open(path(name), 'w', encoding='utf-8', newline='') as f:
        f.write(text)


def npy_bytes(arr, version=None):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, version=version, allow_pickle=False)
    return buf.getvalue()


def raw_npy(header_dict_literal, data, version=(1, 0)):
    """An .npy written by hand, so broken headers can be made."""
    header = header_dict_literal.encode('latin1')
    prefix_len = 10 if version == (1, 0) else 12
    total = prefix_len + len(header) + 1
    pad = (64 - total % 64) % 64
    header = header + b' ' * pad + b'\n'
    if version == (1, 0):
        prefix = b'\x93NUMPY\x01\x00' + struct.pack('<H', len(header))
    else:
        prefix = b'\x93NUMPY' + bytes(version) + struct.pack('<I', len(header))
    return prefix + header + data


def fix_zip_times(name):
    """Sets every member's DOS time/date to 1980-01-01 00:00 so the archives are reproducible."""
    data = bytearray(open(path(name), 'rb').read())
    with zipfile.ZipFile(path(name)) as z:
        infos = z.infolist()
        cd = z.start_dir
    for info in infos:
        assert data[info.header_offset:info.header_offset + 4] == b'PK\x03\x04'
        data[info.header_offset + 10:info.header_offset + 14] = struct.pack('<HH', 0, 0x21)
    p = cd
    for _ in infos:
        assert data[p:p + 4] == b'PK\x01\x02'
        data[p + 12:p + 16] = struct.pack('<HH', 0, 0x21)
        n, m, k = struct.unpack('<HHH', data[p + 28:p + 34])
        p += 46 + n + m + k
    write_bytes(name, bytes(data))


def fmt(v):
    """Shortest text for a multiple of 1/8 (exact)."""
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def csv_quote(s):
    if any(c in s for c in ',"\r\n') or s != s.strip():
        return '"' + s.replace('"', '""') + '"'
    return s


def main():
    if os.path.isdir(OUT):
        # Only regenerate our own files; keep the Parquet ones from the .mjs script.
        for name in os.listdir(OUT):
            if not name.endswith('.parquet'):
                os.remove(os.path.join(OUT, name))
    os.makedirs(OUT, exist_ok=True)

    expected = {
        'shape': [ROWS, COLS],
        'matrix': M.tolist(),
        'ids': IDS,
        'labels': LABELS,
        'int_matrix': INT.tolist(),
        'signed_matrix': SIGNED.tolist(),
    }
    write_text('expected.json', json.dumps(expected, indent=2, ensure_ascii=False) + '\n')

    # ---- .npy: versions, byte orders, dtypes, memory orders -------------------
    write_bytes('m_v1_f4.npy', npy_bytes(M.astype('<f4'), (1, 0)))
    write_bytes('m_v2_f4.npy', npy_bytes(M.astype('<f4'), (2, 0)))
    write_bytes('m_v3_f4.npy', npy_bytes(M.astype('<f4'), (3, 0)))
    for code, tag in [('<f4', 'f4le'), ('>f4', 'f4be'), ('<f8', 'f8le'), ('>f8', 'f8be'), ('<f2', 'f2le'), ('>f2', 'f2be')]:
        write_bytes(f'm_{tag}.npy', npy_bytes(M.astype(code)))
        write_bytes(f'm_{tag}_fortran.npy', npy_bytes(np.asfortranarray(M.astype(code))))
    for code, tag in [('u1', 'u1'), ('<u2', 'u2le'), ('<u4', 'u4le'), ('<u8', 'u8le')]:
        write_bytes(f'int_{tag}.npy', npy_bytes(INT.astype(code)))
    for code, tag in [('i1', 'i1'), ('<i2', 'i2le'), ('>i2', 'i2be'), ('<i4', 'i4le'), ('>i4', 'i4be'), ('<i8', 'i8le'), ('>i8', 'i8be')]:
        write_bytes(f'signed_{tag}.npy', npy_bytes(SIGNED.astype(code)))
    write_bytes('signed_i4le_fortran.npy', npy_bytes(np.asfortranarray(SIGNED.astype('<i4'))))
    write_bytes('bool_b1.npy', npy_bytes((INT % 2 == 1)))

    # ---- .npz: stored and deflated, two members -------------------------------
    np.savez(path('m_stored.npz'), embeddings=M.astype('<f4'), other=SIGNED.astype('<i4'))
    np.savez_compressed(path('m_deflated.npz'), embeddings=M.astype('<f8'), other=SIGNED.astype('<i4'))
    np.savez(path('m_single.npz'), M.astype('<f4'))  # one member, arr_0
    for name in ('m_stored.npz', 'm_deflated.npz', 'm_single.npz'):
        fix_zip_times(name)

    # ---- .safetensors (hand-written: u64 header length + JSON + data) --------
    def bf16_bytes(a):
        bits = np.ascontiguousarray(a.astype('<f4')).view('<u4')
        assert np.all(bits & 0xFFFF == 0), 'bf16 fixture must be exact'
        return (bits >> 16).astype('<u2').tobytes()

    def safetensors(tensors, header_extra=None):
        header = {'__metadata__': {'format': 'pt', 'note': 'latent-translator fixture'}}
        blobs = []
        offset = 0
        for name, dtype, shape, blob in tensors:
            header[name] = {'dtype': dtype, 'shape': list(shape), 'data_offsets': [offset, offset + len(blob)]}
            blobs.append(blob)
            offset += len(blob)
        if header_extra:
            header.update(header_extra)
        h = json.dumps(header, separators=(',', ':')).encode('utf-8')
        h += b' ' * ((8 - len(h) % 8) % 8)
        return struct.pack('<Q', len(h)) + h + b''.join(blobs)

    aux = M[:3] * 2  # a second tensor stored first, so 'embeddings' starts at a non-zero offset
    for st, conv in [('F32', lambda a: a.astype('<f4').tobytes()),
                     ('F64', lambda a: a.astype('<f8').tobytes()),
                     ('F16', lambda a: a.astype('<f2').tobytes()),
                     ('BF16', bf16_bytes)]:
        write_bytes(f'm_{st.lower()}.safetensors', safetensors([
            ('aux', st, aux.shape, conv(aux)),
            ('embeddings', st, M.shape, conv(M)),
        ]))
    write_bytes('signed_i32.safetensors', safetensors([('embeddings', 'I32', SIGNED.shape, SIGNED.astype('<i4').tobytes())]))

    # ---- csv / tsv -----------------------------------------------------------
    lines = ['id,label,' + ','.join(f'd{j}' for j in range(COLS))]
    for i in range(ROWS):
        lines.append(','.join([csv_quote(IDS[i]), csv_quote(LABELS[i])] + [fmt(v) for v in M[i]]))
    write_text('m_header.csv', '\r\n'.join(lines) + '\r\n')  # RFC 4180 line ends
    write_text('m_noheader.csv', ''.join(','.join(fmt(v) for v in M[i]) + '\n' for i in range(ROWS)))
    write_text('m_noheader_ids.csv', ''.join(','.join([csv_quote(IDS[i])] + [fmt(v) for v in M[i]]) + '\n' for i in range(ROWS)))
    lines = ['word\tlabel\t' + '\t'.join(f'd{j}' for j in range(COLS))]
    for i in range(ROWS):
        lines.append('\t'.join([IDS[i], LABELS[i]] + [fmt(v) for v in M[i]]))
    write_text('m_header.tsv', '\n'.join(lines) + '\n')

    # TensorFlow Embedding Projector: vectors.tsv + metadata.tsv
    write_text('projector_vectors.tsv', ''.join('\t'.join(fmt(v) for v in M[i]) + '\n' for i in range(ROWS)))
    write_text('projector_metadata_single.tsv', ''.join(LABELS[i] + '\n' for i in range(ROWS)))
    write_text('projector_metadata_multi.tsv', 'word\tlabel\n' + ''.join(f'{IDS[i]}\t{LABELS[i]}\n' for i in range(ROWS)))
    write_text('projector_metadata_short.tsv', ''.join(LABELS[i] + '\n' for i in range(ROWS - 1)))

    # ---- json / jsonl --------------------------------------------------------
    rows = M.tolist()
    write_text('m_arrays.jsonl', ''.join(json.dumps(r) + '\n' for r in rows))
    write_text('m_objects.jsonl', ''.join(
        json.dumps({'id': IDS[i], 'label': LABELS[i], 'embedding': rows[i]}, ensure_ascii=False) + '\n' for i in range(ROWS)))
    write_text('m_vector.ndjson', ''.join(json.dumps({'vector': rows[i], 'id': IDS[i]}) + '\n' for i in range(ROWS)))
    write_text('m_arrays.json', json.dumps(rows) + '\n')
    write_text('m_objects.json', json.dumps(
        [{'id': IDS[i], 'label': LABELS[i], 'embedding': rows[i]} for i in range(ROWS)], ensure_ascii=False, indent=1) + '\n')
    write_text('m_columns.json', json.dumps({'embeddings': rows, 'ids': IDS, 'labels': LABELS}, ensure_ascii=False) + '\n')

    # ---- word2vec text (.vec with header, GloVe-style .txt without) and binary
    write_text('m.vec', f'{ROWS} {COLS}\n' + ''.join(IDS[i] + ' ' + ' '.join(fmt(v) for v in M[i]) + ' \n' for i in range(ROWS)))
    write_text('m_glove.txt', ''.join(IDS[i] + ' ' + ' '.join(fmt(v) for v in M[i]) + '\n' for i in range(ROWS)))
    b = bytearray(f'{ROWS} {COLS}\n'.encode('ascii'))
    for i in range(ROWS):
        b += IDS[i].encode('utf-8') + b' ' + M[i].astype('<f4').tobytes() + b'\n'
    write_bytes('m.bin', bytes(b))

    # ---- anchor / held-out lists ---------------------------------------------
    write_bytes('list_indices.npy', npy_bytes(np.array([0, 2, 4, 6], dtype='<i8')))
    write_text('list_indices.json', '[0, 2, 4, 6]\n')
    write_text('list_ids.json', json.dumps(['w0', 'naïve', 'w,4'], ensure_ascii=False) + '\n')
    write_text('list_indices.txt', '0\n2\n\n4\r\n6\n')
    write_text('list_ids.txt', 'w0\nnaïve\n\nw,4\n')

    # ---- broken files, one per error case ------------------------------------
    good = npy_bytes(M.astype('<f4'))
    write_bytes('bad_truncated.npy', good[:-30])
    write_bytes('bad_shape_lie.npy', raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (70, 5), }", M.astype('<f4').tobytes()))
    nan = M.astype('<f4')
    nan[2, 3] = np.nan
    write_bytes('bad_nan.npy', npy_bytes(nan))
    inf = M.astype('<f8')
    inf[4, 1] = -np.inf
    write_bytes('bad_inf.npy', npy_bytes(inf))
    write_bytes('bad_1d.npy', npy_bytes(M[0].astype('<f4')))
    write_bytes('bad_3d.npy', npy_bytes(np.zeros((2, 3, 4), dtype='<f4')))
    write_bytes('bad_empty_rows.npy', npy_bytes(np.zeros((0, 5), dtype='<f4')))
    # Header only (plus junk bytes): no pickle data is ever committed.
    write_bytes('bad_object.npy', raw_npy("{'descr': '|O', 'fortran_order': False, 'shape': (7, 5), }", b'\x80\x02junk'))
    write_bytes('bad_magic.npy', b'NOTNUMPY' + good[8:])
    write_bytes('empty.npy', b'')
    write_text('empty.csv', '')

    write_text('bad_ragged.csv', 'id,a,b,c,d\nx,1,2,3,4\ny,1,2,3,4,5\nz,1,2,3,4\n')
    write_text('bad_notnumber.csv', 'id,a,b,c,d\nx,1,2,3,4\ny,1,2,abc,4\n')
    write_text('bad_line.jsonl', '[1, 2, 3]\n[4, 5, 6]\n{"embedding": [7, 8, 9]\n')
    write_text('bad_count.vec', f'{ROWS + 1} {COLS}\n' + ''.join(IDS[i] + ' ' + ' '.join(fmt(v) for v in M[i]) + '\n' for i in range(ROWS)))
    write_text('bad_dim.vec', f'{ROWS} {COLS + 1}\n' + ''.join(IDS[i] + ' ' + ' '.join(fmt(v) for v in M[i]) + '\n' for i in range(ROWS)))
    write_bytes('bad_truncated.bin', bytes(b)[:-25])
    write_bytes('bad_offsets.safetensors', safetensors([('embeddings', 'F32', M.shape, M.astype('<f4').tobytes())],
                                                        {'embeddings': {'dtype': 'F32', 'shape': [7, 5], 'data_offsets': [100, 240]}}))
    write_bytes('bad_header_len.safetensors', struct.pack('<Q', 1 << 40) + b'{}')

    with zipfile.ZipFile(path('bad_evil.npz'), 'w') as z:
        z.writestr('embeddings.npy', good)
        z.writestr(zipfile.ZipInfo('../evil.npy'), good)
    fix_zip_times('bad_evil.npz')

    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f'wrote {len(os.listdir(OUT))} files, {total} bytes, to {OUT}')


if __name__ == '__main__':
    main()
