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

/// y (+)= x·Wᵀ + s·(dropout(x)·Aᵀ)·Bᵀ, with x (rows, in), W (out, in), y (rows, out).
func linearForward(
  x: UnsafePointer<Float>, weight: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
  rows: Int, inputs: Int, outputs: Int, accumulate: Bool, lora: LoRAAttachment?,
  dropoutStream: inout RandomStream
) {
  gemm(.none, .transposed, m: rows, n: outputs, k: inputs, a: x, lda: inputs, b: weight, ldb: inputs,
       beta: accumulate ? 1 : 0, c: y, ldc: outputs)
  guard let lora else { return }
  var input = x
  if let dropped = lora.droppedInput, let mask = lora.mask {
    let keep = 1 / (1 - lora.dropout)
    for i in 0..<(rows * inputs) {
      let m: Float = dropoutStream.nextFloat() < lora.dropout ? 0 : keep
      mask[i] = m
      dropped[i] = x[i] * m
    }
    input = UnsafePointer(dropped)
  }
  gemm(.none, .transposed, m: rows, n: lora.rank, k: inputs, a: input, lda: inputs, b: lora.a, ldb: inputs,
       c: lora.hidden, ldc: lora.rank)
  gemm(.none, .transposed, m: rows, n: outputs, k: lora.rank, alpha: lora.scaling, a: lora.hidden, lda: lora.rank,
       b: lora.b, ldb: lora.rank, beta: 1, c: y, ldc: outputs)
}

/// Backward of `linearForward`: dx (+)= dy·W (+ the adapter's path), dW += dyᵀ·x when given,
/// dA and dB accumulate when the adapter is trainable. `scratch` holds (rows, in) floats and is
/// used only with dropout; `hiddenScratch` holds (rows, rank).
func linearBackward(
  dy: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
  dx: UnsafeMutablePointer<Float>?, dWeight: UnsafeMutablePointer<Float>?,
  rows: Int, inputs: Int, outputs: Int, accumulate: Bool, lora: LoRAAttachment?,
  hiddenScratch: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
) {
  if let dx {
    gemm(.none, .none, m: rows, n: inputs, k: outputs, a: dy, lda: outputs, b: weight, ldb: inputs,
         beta: accumulate ? 1 : 0, c: dx, ldc: inputs)
  }
  if let dWeight {
    gemm(.transposed, .none, m: outputs, n: inputs, k: rows, a: dy, lda: outputs, b: x, ldb: inputs,
         beta: 1, c: dWeight, ldc: inputs)
  }
  guard let lora else { return }
  let r = lora.rank, s = lora.scaling
  if let dB = lora.dB {
    gemm(.transposed, .none, m: outputs, n: r, k: rows, alpha: s, a: dy, lda: outputs, b: lora.hidden, ldb: r,
         beta: 1, c: dB, ldc: r)
  }
  guard lora.dA != nil || dx != nil else { return }
  // dh = s · dy · B   (rows, r)
  gemm(.none, .none, m: rows, n: r, k: outputs, alpha: s, a: dy, lda: outputs, b: lora.b, ldb: r,
       c: hiddenScratch, ldc: r)
  if let dA = lora.dA {
    let input = lora.droppedInput.map { UnsafePointer($0) } ?? x
    gemm(.transposed, .none, m: r, n: inputs, k: rows, a: hiddenScratch, lda: r, b: input, ldb: inputs,
         beta: 1, c: dA, ldc: inputs)
  }
  guard let dx else { return }
  if let mask = lora.mask {
    gemm(.none, .none, m: rows, n: inputs, k: r, a: hiddenScratch, lda: r, b: lora.a, ldb: inputs,
         c: scratch, ldc: inputs)
    for i in 0..<(rows * inputs) { dx[i] += scratch[i] * mask[i] }
  } else {
    gemm(.none, .none, m: rows, n: inputs, k: r, a: hiddenScratch, lda: r, b: lora.a, ldb: inputs,
         beta: 1, c: dx, ldc: inputs)
  }
}
