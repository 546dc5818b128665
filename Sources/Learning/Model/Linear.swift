import Randomness

/// A LoRA adapter attached to one projection during a pass: pointers into the adapter, its
/// gradients and the workspace slots that keep what backward needs.
struct LoRAAttachment {
  let a: UnsafePointer<Float>  // (rank, in)
  let b: UnsafePointer<Float>  // (out, rank)
  let dA: UnsafeMutablePointer<Float>?
  let dB: UnsafeMutablePointer<Float>?
  let hidden: UnsafeMutablePointer<Float>  // (rows, rank): dropout(x)·Aᵀ
  let droppedInput: UnsafeMutablePointer<Float>?  // (rows, in) when dropout > 0
  let mask: UnsafeMutablePointer<Float>?  // (rows, in): 0 or 1/(1−p)
  let rank: Int
  let scaling: Float
  let dropout: Float
}

/// y (+)= x·Wᵀ + s·(dropout(x)·Aᵀ)·Bᵀ, with x (rows, in), W (out, in) and y (rows, out) stored
/// with row stride `outputStride` (a slice of a packed buffer). With `includeBase` false only the
/// adapter's term is added (the caller computed x·Wᵀ, e.g. for q, k and v in one product).
func linearForward(
  x: UnsafePointer<Float>, weight: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
  rows: Int, inputs: Int, outputs: Int, outputStride: Int? = nil, accumulate: Bool, includeBase: Bool = true,
  lora: LoRAAttachment?, dropoutStream: inout RandomStream
) {
  let ldy = outputStride ?? outputs
  if includeBase {
    gemm(
      .none, .transposed, m: rows, n: outputs, k: inputs, a: x, lda: inputs, b: weight, ldb: inputs,
      beta: accumulate ? 1 : 0, c: y, ldc: ldy)
  }
  guard let lora else { return }
  var input = x
  if let dropped = lora.droppedInput, let mask = lora.mask {
    let keep = 1 / (1 - lora.dropout)
    // Dropped when the 24-bit uniform u·2⁻²⁴ < p, i.e. u < ⌈p·2²⁴⌉ (exact: the same masks as
    // drawing `nextFloat()` per element), with the words drawn a block at a time.
    let threshold = UInt32((Double(lora.dropout) * 16_777_216).rounded(.up))
    let count = rows * inputs
    withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 256) { bits in
      var start = 0
      while start < count {
        let chunk = min(256, count - start)
        dropoutStream.fill(bits.baseAddress!, count: chunk)
        for j in 0..<chunk {
          let m: Float = bits[j] >> 8 < threshold ? 0 : keep
          mask[start + j] = m
          dropped[start + j] = x[start + j] * m
        }
        start += chunk
      }
    }
    input = UnsafePointer(dropped)
  }
  gemm(
    .none, .transposed, m: rows, n: lora.rank, k: inputs, a: input, lda: inputs, b: lora.a, ldb: inputs,
    c: lora.hidden, ldc: lora.rank)
  gemm(
    .none, .transposed, m: rows, n: outputs, k: lora.rank, alpha: lora.scaling, a: lora.hidden, lda: lora.rank,
    b: lora.b, ldb: lora.rank, beta: 1, c: y, ldc: ldy)
}

/// Backward of `linearForward`: dx (+)= dy·W (+ the adapter's path), dW += dyᵀ·x when given,
/// dA and dB accumulate when the adapter is trainable. dy has row stride `gradientStride`.
/// With `includeBase` false the base terms (dy·W, dyᵀ·x) are skipped and the adapter's input
/// gradient is added to dx. `scratch` holds (rows, in) floats and is used only with dropout;
/// `hiddenScratch` holds (rows, rank).
func linearBackward(
  dy: UnsafePointer<Float>, gradientStride: Int? = nil, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
  dx: UnsafeMutablePointer<Float>?, dWeight: UnsafeMutablePointer<Float>?,
  rows: Int, inputs: Int, outputs: Int, accumulate: Bool, includeBase: Bool = true, lora: LoRAAttachment?,
  hiddenScratch: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
) {
  let ldy = gradientStride ?? outputs
  if includeBase {
    if let dx {
      gemm(
        .none, .none, m: rows, n: inputs, k: outputs, a: dy, lda: ldy, b: weight, ldb: inputs,
        beta: accumulate ? 1 : 0, c: dx, ldc: inputs)
    }
    if let dWeight {
      gemm(
        .transposed, .none, m: outputs, n: inputs, k: rows, a: dy, lda: ldy, b: x, ldb: inputs,
        beta: 1, c: dWeight, ldc: inputs)
    }
  }
  guard let lora else { return }
  let r = lora.rank, s = lora.scaling
  if let dB = lora.dB {
    gemm(
      .transposed, .none, m: outputs, n: r, k: rows, alpha: s, a: dy, lda: ldy, b: lora.hidden, ldb: r,
      beta: 1, c: dB, ldc: r)
  }
  guard lora.dA != nil || dx != nil else { return }
  // dh = s · dy · B   (rows, r)
  gemm(
    .none, .none, m: rows, n: r, k: outputs, alpha: s, a: dy, lda: ldy, b: lora.b, ldb: r,
    c: hiddenScratch, ldc: r)
  if let dA = lora.dA {
    let input = lora.droppedInput.map { UnsafePointer($0) } ?? x
    gemm(
      .transposed, .none, m: r, n: inputs, k: rows, a: hiddenScratch, lda: r, b: input, ldb: inputs,
      beta: 1, c: dA, ldc: inputs)
  }
  guard let dx else { return }
  if let mask = lora.mask {
    gemm(
      .none, .none, m: rows, n: inputs, k: r, a: hiddenScratch, lda: r, b: lora.a, ldb: inputs,
      c: scratch, ldc: inputs)
    for i in 0..<(rows * inputs) { dx[i] += scratch[i] * mask[i] }
  } else {
    gemm(
      .none, .none, m: rows, n: inputs, k: r, a: hiddenScratch, lda: r, b: lora.a, ldb: inputs,
      beta: 1, c: dx, ldc: inputs)
  }
}

/// Whether tensors are stored back to back (so several projections of the same input can run
/// as one matrix product over their concatenated rows).
func areContiguous(_ pointers: [UnsafeMutablePointer<Float>], counts: [Int]) -> Bool {
  for i in 1..<pointers.count where pointers[i] != pointers[i - 1] + counts[i - 1] { return false }
  return true
}
