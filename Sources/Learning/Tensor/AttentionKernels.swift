/// Shapes of one causal self-attention call. Rows of q hold heads·headDim values, rows of k and
/// v kvHeads·headDim, rows of the output heads·headDim; each has its own row stride, so q, k and v
/// can live side by side in one packed (batch·seq, q|k|v) buffer. Probabilities are
/// (batch, heads, seq, seq). Heads are addressed through leading dimensions: no copies.
@usableFromInline
struct AttentionShape {
  let batch: Int, sequence: Int, heads: Int, kvHeads: Int, headDim: Int
  let qStride: Int, kvStride: Int, outStride: Int
  var groupSize: Int { heads / kvHeads }

  init(
    batch: Int, sequence: Int, heads: Int, kvHeads: Int, headDim: Int,
    qStride: Int? = nil, kvStride: Int? = nil, outStride: Int? = nil
  ) {
    self.batch = batch
    self.sequence = sequence
    self.heads = heads
    self.kvHeads = kvHeads
    self.headDim = headDim
    self.qStride = qStride ?? heads * headDim
    self.kvStride = kvStride ?? kvHeads * headDim
    self.outStride = outStride ?? heads * headDim
  }
}

/// Query rows are processed in blocks of this many; block [r0, r1) only needs keys [0, r1), so
/// the products skip the masked upper-right blocks (a quarter of the work at 128 tokens, 3/8 at 256).
let attentionBlockRows = 64

/// The query-row blocks [r0, r1) of a sequence of length t.
func queryBlocks(_ t: Int) -> [(Int, Int)] {
  stride(from: 0, to: t, by: attentionBlockRows).map { ($0, min($0 + attentionBlockRows, t)) }
}

/// Causal multi-head attention forward: P = softmax(scale·Q·Kᵀ + mask), O = P·V.
func attentionForward(
  q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
  probabilities: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>, shape s: AttentionShape
) {
  let t = s.sequence, hd = s.headDim
  let scale = 1 / Float(hd).squareRoot()
  let blocks = queryBlocks(t)
  for b in 0..<s.batch {
    for h in 0..<s.heads {
      let kvHead = h / s.groupSize
      let qh = q + b * t * s.qStride + h * hd
      let kh = k + b * t * s.kvStride + kvHead * hd
      let vh = v + b * t * s.kvStride + kvHead * hd
      let oh = out + b * t * s.outStride + h * hd
      let p = probabilities + (b * s.heads + h) * t * t
      for (r0, r1) in blocks {
        let rows = r1 - r0
        // S[r0:r1, 0:r1] = scale · Q[r0:r1] K[0:r1]ᵀ
        gemm(
          .none, .transposed, m: rows, n: r1, k: hd, alpha: scale, a: qh + r0 * s.qStride, lda: s.qStride,
          b: kh, ldb: s.kvStride, c: p + r0 * t, ldc: t)
        for i in r0..<r1 { causalSoftmaxRow(p + i * t, row: i, sequence: t) }
        // O[r0:r1] = P[r0:r1, 0:r1] V[0:r1]
        gemm(
          .none, .none, m: rows, n: hd, k: r1, a: p + r0 * t, lda: t, b: vh, ldb: s.kvStride,
          c: oh + r0 * s.outStride, ldc: s.outStride)
      }
    }
  }
}

/// Softmax of row i over columns 0...i; columns i+1 ..< t are set to zero.
@inlinable
func causalSoftmaxRow(_ row: UnsafeMutablePointer<Float>, row i: Int, sequence t: Int) {
  let sum = exponentiate(row, i + 1, shift: vectorMax(row, i + 1))
  scale(row, i + 1, by: 1 / sum)
  if i + 1 < t { (row + i + 1).update(repeating: 0, count: t - i - 1) }
}

/// Causal attention backward. Given dO, writes dQ (overwrite) and adds into dK and dV, which the
/// caller zeroes first (grouped query heads sharing a KV head accumulate into it). `scratch`
/// holds t×t floats.
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
  let blocks = queryBlocks(t)
  for b in 0..<s.batch {
    for h in 0..<s.heads {
      let kvHead = h / s.groupSize
      let qh = q + b * t * s.qStride + h * hd, dQh = dQ + b * t * s.qStride + h * hd
      let dOh = dOut + b * t * s.outStride + h * hd
      let kvOffset = b * t * s.kvStride + kvHead * hd
      let p = probabilities + (b * s.heads + h) * t * t
      for (r0, r1) in blocks {
        let rows = r1 - r0
        let pBlock = p + r0 * t, dS = scratch + r0 * t
        // dV[0:r1] += P[r0:r1, 0:r1]ᵀ dO[r0:r1]
        gemm(
          .transposed, .none, m: r1, n: hd, k: rows, a: pBlock, lda: t, b: dOh + r0 * s.outStride, ldb: s.outStride,
          beta: 1, c: dV + kvOffset, ldc: s.kvStride)
        // dP[r0:r1, 0:r1] = dO[r0:r1] V[0:r1]ᵀ
        gemm(
          .none, .transposed, m: rows, n: r1, k: hd, a: dOh + r0 * s.outStride, lda: s.outStride, b: v + kvOffset,
          ldb: s.kvStride, c: dS, ldc: t)
        for i in r0..<r1 {
          let pRow = p + i * t, dRow = scratch + i * t
          let rowDot = dot(pRow, dRow, i + 1)
          let lanesDot = Lanes(repeating: rowDot)
          var j = 0
          while j + 8 <= i + 1 {
            store(load(pRow + j) * (load(dRow + j) - lanesDot) * scale, dRow + j)
            j += 8
          }
          while j <= i {
            dRow[j] = pRow[j] * (dRow[j] - rowDot) * scale
            j += 1
          }
          // Masked columns (i < j < r1) must not leak stale values into the products below.
          if i + 1 < r1 { (dRow + i + 1).update(repeating: 0, count: r1 - i - 1) }
        }
        // dQ[r0:r1] = dS[r0:r1, 0:r1] K[0:r1]
        gemm(
          .none, .none, m: rows, n: hd, k: r1, a: dS, lda: t, b: k + kvOffset, ldb: s.kvStride,
          c: dQh + r0 * s.qStride, ldc: s.qStride)
        // dK[0:r1] += dS[r0:r1, 0:r1]ᵀ Q[r0:r1]
        gemm(
          .transposed, .none, m: r1, n: hd, k: rows, a: dS, lda: t, b: qh + r0 * s.qStride, ldb: s.qStride,
          beta: 1, c: dK + kvOffset, ldc: s.kvStride)
      }
    }
  }
}
