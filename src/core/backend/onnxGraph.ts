/**
 * Builds tiny ONNX graphs in memory with onnx-proto, so that the heavy
 * products run in ONNX Runtime's multithreaded GEMM (MLAS) rather than in JS.
 */
import { onnx } from 'onnx-proto';

export type OrtFloat = 'float32' | 'float64';

const elemType = (t: OrtFloat | 'int64') =>
  t === 'float32' ? onnx.TensorProto.DataType.FLOAT : t === 'float64' ? onnx.TensorProto.DataType.DOUBLE : onnx.TensorProto.DataType.INT64;

/** A value-info with symbolic dims (strings) or fixed dims (numbers); int64 for index inputs (Slice, Pad). */
export function valueInfo(name: string, type: OrtFloat | 'int64', dims: (string | number)[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: elemType(type),
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** A FLOAT attribute (Gemm's alpha and beta); a bare number is an INT attribute. */
export interface FloatAttr {
  float: number;
}

export function node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, number | FloatAttr> = {}, domain = ''): onnx.INodeProto {
  return {
    opType,
    domain,
    input: inputs,
    output: outputs,
    attribute: Object.entries(attrs).map(([name, v]) =>
      typeof v === 'number' ? { name, i: v, type: onnx.AttributeProto.AttributeType.INT } : { name, f: v.float, type: onnx.AttributeProto.AttributeType.FLOAT },
    ),
  };
}

/** An int64 vector initializer (Slice axes and the like). */
export function int64Initializer(name: string, values: number[]): onnx.ITensorProto {
  return { name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, int64Data: values };
}

export function modelBytes(
  nodes: onnx.INodeProto[],
  inputs: onnx.IValueInfoProto[],
  outputs: onnx.IValueInfoProto[],
  initializers: onnx.ITensorProto[] = [],
  name = 'latent-translator',
  extraOpsets: { domain: string; version: number }[] = [],
): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'latent-translator',
    opsetImport: [{ domain: '', version: 17 }, ...extraOpsets],
    graph: { name, node: nodes, input: inputs, output: outputs, initializer: initializers },
  });
  return onnx.ModelProto.encode(model).finish();
}
