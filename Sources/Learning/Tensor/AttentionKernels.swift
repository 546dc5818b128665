/// Shapes of one causal self-attention call. q and the output are (batch·seq, heads·headDim);
/// k and v are (batch·seq, kvHeads·headDim); probabilities are (batch, heads, seq, seq).
/// Heads are addressed in place through leading dimensions: no transposes, no copies.
@usableFromInline
struct AttentionShape {
  let batch: Int, sequence: Int, heads: Int, kvHeads: Int, headDim: Int
  var qStride: Int { heads * headDim }
  var kvStride: Int { kvHeads * headDim }
  var groupSize: Int { heads / kvHeads }
}

/// Causal multi-head attention forward: P = softmax(scale·Q·Kᵀ + mask), O = P·V.
func attentionForward(
  q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
  probabilities: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>, shape s: AttentionShape
) {
  let t = s.sequence, hd = s.headDim
  let scale = 1 / Float(hd).squareRoot()
  for b in 0..<s.batch {
    for h in 0..<s.heads {
      let kvHead = h / s.groupSize
      let qh = q + b * t * s.qStride + h * hd
      let kh = k + b * t * s.kvStride + kvHead * hd
      let vh = v + b * t * s.kvStride + kvHead * hd
      let p = probabilities + (b * s.heads + h) * t * t
      // S = scale · Q Kᵀ   (t × t); the upper triangle is computed and then discarded.
      gemm(.none, .transposed, m: t, n: t, k: hd, alpha: scale, a: qh, lda: s.qStride, b: kh, ldb: s.kvStride, c: p, ldc: t)
      causalSoftmaxRows(p, sequence: t)
      // O = P V   (t × hd)
      let oh = out + b * t * s.qStride + h * hd
      gemm(.none, .none, m: t, n: hd, k: t, a: p, lda: t, b: vh, ldb: s.kvStride, c: oh, ldc: s.qStride)
    }
  }
}

/// Softmax of each row i over columns 0...i; columns > i are set to zero.
@inlinable
func causalSoftmaxRows(_ p: UnsafeMutablePointer<Float>, sequence t: Int) {
  for i in 0..<t {
    let row = p + i * t
    let sum = exponentiate(row, i + 1, shift: vectorMax(row, i + 1))
    scale(row, i + 1, by: 1 / sum)
    if i + 1 < t { (row + i + 1).update(repeating: 0, count: t - i - 1) }
  }
}

/// Causal attention backward. Given dO, writes dQ (overwrite) and dK, dV (overwrite; grouped
/// query heads sharing a KV head accumulate into it). `scratch` holds t×t floats.
///
/// dP = dO·Vᵀ; dS = P ⊙ (dP − rowsum(dP ⊙ P)) · scale; dQ = dS·K; dK = dSᵀ·Q; dV = Pᵀ·dO.
func attentionBackward(
  q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
  probabilities: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
  dQ: UnsafeMutablePointer<Float>, dK: UnsafeMutablePointer<Float>, dV: UnsafeMutablePointer<Float>,
  scratch: UnsafeMutablePointer<Float>, shape s: AttentionShape
) {
  let t = s.sequence, hd = s.headDim
  let scale = 1 / Float(hd).squareRoot()
  dK.update(repeating: 0, count: s.batch * t * s.kvStride)
  dV.update(repeating: 0, count: s.batch * t * s.kvStride)
  for b in 0..<s.batch {
    for h in 0..<s.heads {
      let kvHead = h / s.groupSize
      let qOffset = b * t * s.qStride + h * hd
      let kvOffset = b * t * s.kvStride + kvHead * hd
      let p = probabilities + (b * s.heads + h) * t * t
      let dO = dOut + qOffset
      // dV += Pᵀ dO
      gemm(.transposed, .none, m: t, n: hd, k: t, a: p, lda: t, b: dO, ldb: s.qStride, beta: 1, c: dV + kvOffset, ldc: s.kvStride)
      // dP = dO Vᵀ
      gemm(.none, .transposed, m: t, n: t, k: hd, a: dO, lda: s.qStride, b: v + kvOffset, ldb: s.kvStride, c: scratch, ldc: t)
      for i in 0..<t {
        let pRow = p + i * t, dRow = scratch + i * t
        let rowDot = dot(pRow, dRow, i + 1)
        var j = 0
        let lanesDot = Lanes(repeating: rowDot)
        while j + 8 <= i + 1 {
          store(load(pRow + j) * (load(dRow + j) - lanesDot) * scale, dRow + j)
          j += 8
        }
        while j <= i {
          dRow[j] = pRow[j] * (dRow[j] - rowDot) * scale
          j += 1
        }
        if i + 1 < t { (dRow + i + 1).update(repeating: 0, count: t - i - 1) }
      }
      // dQ = dS K
      gemm(.none, .none, m: t, n: hd, k: t, a: scratch, lda: t, b: k + kvOffset, ldb: s.kvStride, c: dQ + qOffset, ldc: s.qStride)
      // dK += dSᵀ Q
      gemm(.transposed, .none, m: t, n: hd, k: t, a: scratch, lda: t, b: q + qOffset, ldb: s.qStride, beta: 1, c: dK + kvOffset, ldc: s.kvStride)
    }
  }
}
