/**
 * Builds tiny ONNX graphs in memory with onnx-proto, so that the heavy
 * products run in ONNX Runtime's multithreaded GEMM (MLAS) rather than in JS.
 */
import { onnx } from 'onnx-proto';

export type OrtFloat = 'float32' | 'float64';

const elemType = (t: OrtFloat) => (t === 'float32' ? onnx.TensorProto.DataType.FLOAT : onnx.TensorProto.DataType.DOUBLE);

/** A value-info with symbolic dims (strings) or fixed dims (numbers). */
export function valueInfo(name: string, type: OrtFloat, dims: (string | number)[]): onnx.IValueInfoProto {
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

export function node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, number> = {}, domain = ''): onnx.INodeProto {
  return {
    opType,
    domain,
    input: inputs,
    output: outputs,
    attribute: Object.entries(attrs).map(([name, i]) => ({ name, i, type: onnx.AttributeProto.AttributeType.INT })),
  };
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
