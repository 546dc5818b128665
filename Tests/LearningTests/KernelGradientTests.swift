import Randomness
import Testing

@testable import Learning

/// Every op's hand-written backward pass against finite differences.
@Suite struct KernelGradientTests {
  let check = GradientCheck()

  // Inputs that the finite differences perturb live in FloatStorage: the loss closure reads
  // them while the check writes them, which Swift's exclusivity rules forbid for arrays.

  @Test func rmsNorm() {
    let rows = 3, dim = 8
    let x = FloatStorage(randomValues(rows * dim, seed: 1)), weight = FloatStorage(randomValues(dim, seed: 2).map { 1 + 0.3 * $0 })
    let w = randomValues(rows * dim, seed: 3)
    let y = FloatStorage(count: rows * dim), rstd = FloatStorage(count: rows)
    func loss() -> Double {
      rmsNormForward(x: x.pointer, weight: weight.pointer, y: y.pointer, rstd: rstd.pointer, rows: rows, dim: dim, eps: 1e-5)
      return weightedSum(y.pointer, w)
    }
    _ = loss()
    let dx = FloatStorage(count: rows * dim), dWeight = FloatStorage(count: dim)
    rmsNormBackward(
      x: x.pointer, weight: weight.pointer, rstd: rstd.pointer, dy: w, dx: dx.pointer, dWeight: dWeight.pointer,
      rows: rows, dim: dim)
    #expect(check.worstError(values: x.pointer, count: x.count, analytic: dx.toArray(), loss: loss) < 1e-2)
    #expect(check.worstError(values: weight.pointer, count: dim, analytic: dWeight.toArray(), loss: loss) < 1e-2)
  }

  @Test func rotaryEmbeddingIsOrthogonalAndItsInverseUndoesIt() {
    let rope = RotaryEmbedding(headDim: 8, maxPositions: 6, theta: 10_000)
    let rows = 6, heads = 3, stride = 24
    let x = randomValues(rows * stride, seed: 4)
    var y = x
    rope.apply(&y, rows: rows, sequence: 6, heads: heads, rowStride: stride)
    // Norms of every (row, head) vector are preserved.
    for r in 0..<rows {
      for h in 0..<heads {
        let range = (r * stride + h * 8)..<(r * stride + h * 8 + 8)
        let before = range.reduce(Float(0)) { $0 + x[$1] * x[$1] }
        let after = range.reduce(Float(0)) { $0 + y[$1] * y[$1] }
        #expect(abs(before - after) < 1e-4 * before)
      }
    }
    // Position 0 is the identity; the inverse restores the input.
    #expect(Array(y[0..<stride]) == Array(x[0..<stride]))
    #expect(Array(y[stride..<(2 * stride)]) != Array(x[stride..<(2 * stride)]))
    rope.apply(&y, rows: rows, sequence: 6, heads: heads, rowStride: stride, inverse: true)
    #expect(maxRelativeError(y, x) < 1e-6)
  }

  @Test func rotaryEmbeddingBackward() {
    let rope = RotaryEmbedding(headDim: 4, maxPositions: 5, theta: 100)
    let x = FloatStorage(randomValues(5 * 8, seed: 5))
    let w = randomValues(5 * 8, seed: 6)
    func loss() -> Double {
      var y = x.toArray()
      rope.apply(&y, rows: 5, sequence: 5, heads: 2, rowStride: 8)
      return weightedSum(y, w)
    }
    var dx = w
    rope.apply(&dx, rows: 5, sequence: 5, heads: 2, rowStride: 8, inverse: true)
    #expect(check.worstError(values: x.pointer, count: x.count, analytic: dx, loss: loss) < 1e-2)
  }

  @Test func swiGLU() {
    let n = 20
    let gate = FloatStorage(randomValues(n, seed: 7, scale: 2)), up = FloatStorage(randomValues(n, seed: 8))
    let w = randomValues(n, seed: 9)
    let out = FloatStorage(count: n)
    func loss() -> Double {
      swiGLUForward(gate: gate.pointer, up: up.pointer, out: out.pointer, count: n)
      return weightedSum(out.pointer, w)
    }
    let dGate = FloatStorage(count: n), dUp = FloatStorage(count: n)
    swiGLUBackward(gate: gate.pointer, up: up.pointer, dOut: w, dGate: dGate.pointer, dUp: dUp.pointer, count: n)
    #expect(check.worstError(values: gate.pointer, count: n, analytic: dGate.toArray(), loss: loss) < 1e-2)
    #expect(check.worstError(values: up.pointer, count: n, analytic: dUp.toArray(), loss: loss) < 1e-2)
  }

  @Test func crossEntropyWithIgnoredTargets() {
    let rows = 4, vocab = 7
    let logits = FloatStorage(randomValues(rows * vocab, seed: 10, scale: 2))
    let targets: [Int32] = [3, ignoreIndex, 0, 6]
    func loss() -> Double {
      var copy = logits.toArray()
      return crossEntropy(logits: &copy, targets: targets, rows: rows, vocab: vocab, gradientScale: nil).mean
    }
    var gradient = logits.toArray()
    let result = crossEntropy(logits: &gradient, targets: targets, rows: rows, vocab: vocab, gradientScale: 1 / 3)
    #expect(result.tokens == 3)
    #expect(abs(result.mean - loss()) < 1e-6)
    // Accuracy: compare with the arg-max computed here.
    var copy = logits.toArray()
    let evaluated = crossEntropy(logits: &copy, targets: targets, rows: rows, vocab: vocab, gradientScale: nil)
    let values = logits.toArray()
    let expectedCorrect = [0, 2, 3].filter { r in
      let row = Array(values[(r * vocab)..<((r + 1) * vocab)])
      return row.firstIndex(of: row.max()!)! == Int(targets[r])
    }.count
    #expect(evaluated.correct == expectedCorrect)
    #expect(gradient[vocab..<(2 * vocab)].allSatisfy { $0 == 0 })
    #expect(check.worstError(values: logits.pointer, count: logits.count, analytic: gradient, loss: loss) < 1e-2)
  }

  @Test func causalAttentionAcrossQueryBlocks() {
    // 150 tokens span three 64-row query blocks; check a sample of entries.
    let t = 150
    let shape = AttentionShape(batch: 1, sequence: t, heads: 2, kvHeads: 1, headDim: 4)
    let q = FloatStorage(randomValues(t * 8, seed: 21)), k = FloatStorage(randomValues(t * 4, seed: 22))
    let v = FloatStorage(randomValues(t * 4, seed: 23))
    let w = randomValues(t * 8, seed: 24)
    let p = FloatStorage(count: 2 * t * t), out = FloatStorage(count: t * 8)
    func loss() -> Double {
      attentionForward(q: q.pointer, k: k.pointer, v: v.pointer, probabilities: p.pointer, out: out.pointer, shape: shape)
      return weightedSum(out.pointer, w)
    }
    _ = loss()
    let dQ = FloatStorage(count: t * 8), dK = FloatStorage(count: t * 4), dV = FloatStorage(count: t * 4)
    let scratch = FloatStorage(count: t * t)
    attentionBackward(
      q: q.pointer, k: k.pointer, v: v.pointer, probabilities: p.pointer, dOut: w, dQ: dQ.pointer,
      dK: dK.pointer, dV: dV.pointer, scratch: scratch.pointer, shape: shape)
    let sample = [0, 3, 255, 256, 511, 512, 600, 777, 1000, 1199]
    #expect(check.worstError(values: q.pointer, count: q.count, analytic: dQ.toArray(), entries: sample, loss: loss) < 1e-2)
    #expect(check.worstError(values: k.pointer, count: k.count, analytic: dK.toArray(), entries: sample.map { $0 / 2 }, loss: loss) < 1e-2)
    #expect(check.worstError(values: v.pointer, count: v.count, analytic: dV.toArray(), entries: sample.map { $0 / 2 }, loss: loss) < 1e-2)
  }

  @Test func causalAttention() {
    let shape = AttentionShape(batch: 2, sequence: 5, heads: 4, kvHeads: 2, headDim: 4)
    let rows = 10
    let q = FloatStorage(randomValues(rows * 16, seed: 11)), k = FloatStorage(randomValues(rows * 8, seed: 12))
    let v = FloatStorage(randomValues(rows * 8, seed: 13))
    let w = randomValues(rows * 16, seed: 14)
    let p = FloatStorage(count: 2 * 4 * 25), out = FloatStorage(count: rows * 16)
    func loss() -> Double {
      attentionForward(q: q.pointer, k: k.pointer, v: v.pointer, probabilities: p.pointer, out: out.pointer, shape: shape)
      return weightedSum(out.pointer, w)
    }
    _ = loss()
    // Causality: probabilities above the diagonal are zero and rows sum to one.
    let probabilities = p.toArray()
    for block in 0..<8 {
      for i in 0..<5 {
        let row = probabilities[(block * 25 + i * 5)..<(block * 25 + i * 5 + 5)]
        #expect(abs(row.reduce(0, +) - 1) < 1e-5)
        #expect(row.dropFirst(i + 1).allSatisfy { $0 == 0 })
      }
    }
    let dQ = FloatStorage(count: rows * 16), dK = FloatStorage(count: rows * 8), dV = FloatStorage(count: rows * 8)
    let scratch = FloatStorage(count: 25)
    attentionBackward(
      q: q.pointer, k: k.pointer, v: v.pointer, probabilities: p.pointer, dOut: w, dQ: dQ.pointer,
      dK: dK.pointer, dV: dV.pointer, scratch: scratch.pointer, shape: shape)
    #expect(check.worstError(values: q.pointer, count: q.count, analytic: dQ.toArray(), loss: loss) < 1e-2)
    #expect(check.worstError(values: k.pointer, count: k.count, analytic: dK.toArray(), loss: loss) < 1e-2)
    #expect(check.worstError(values: v.pointer, count: v.count, analytic: dV.toArray(), loss: loss) < 1e-2)
  }

  @Test(arguments: [Float(0), 0.3])
  func linearWithLoRA(dropout: Float) {
    let rows = 6, inputs = 5, outputs = 4, rank = 2
    // FloatStorage keeps the pointers stored in the attachment valid for the whole test.
    let x = FloatStorage(randomValues(rows * inputs, seed: 15)), weight = FloatStorage(randomValues(outputs * inputs, seed: 16))
    let a = FloatStorage(randomValues(rank * inputs, seed: 17)), b = FloatStorage(randomValues(outputs * rank, seed: 18))
    let w = randomValues(rows * outputs, seed: 19)
    let hidden = FloatStorage(count: rows * rank), y = FloatStorage(count: rows * outputs)
    let dropped = FloatStorage(count: rows * inputs), mask = FloatStorage(count: rows * inputs)
    let dA = FloatStorage(count: rank * inputs), dB = FloatStorage(count: outputs * rank)
    let dx = FloatStorage(count: rows * inputs), dW = FloatStorage(count: outputs * inputs)
    let hiddenScratch = FloatStorage(count: rows * rank), scratch = FloatStorage(count: rows * inputs)
    func attachment(trainable: Bool) -> LoRAAttachment {
      LoRAAttachment(
        a: a.pointer, b: b.pointer, dA: trainable ? dA.pointer : nil, dB: trainable ? dB.pointer : nil,
        hidden: hidden.pointer, droppedInput: dropout > 0 ? dropped.pointer : nil,
        mask: dropout > 0 ? mask.pointer : nil, rank: rank, scaling: 1.5, dropout: dropout)
    }
    func loss() -> Double {
      // The same dropout mask on every evaluation: the stream is re-created.
      var stream = RandomStream(seed: 3, purpose: .dropout)
      linearForward(
        x: x.pointer, weight: weight.pointer, y: y.pointer, rows: rows, inputs: inputs, outputs: outputs,
        accumulate: false, lora: attachment(trainable: false), dropoutStream: &stream)
      return weightedSum(y.pointer, w)
    }
    _ = loss()
    linearBackward(
      dy: w, x: x.pointer, weight: weight.pointer, dx: dx.pointer, dWeight: dW.pointer, rows: rows,
      inputs: inputs, outputs: outputs, accumulate: false, lora: attachment(trainable: true),
      hiddenScratch: hiddenScratch.pointer, scratch: scratch.pointer)
    if dropout > 0 {
      let values = mask.toArray()
      #expect(values.contains(0) && values.contains(1 / (1 - dropout)))
    }
    #expect(check.worstError(values: x.pointer, count: x.count, analytic: dx.toArray(), loss: loss) < 1e-2)
    #expect(check.worstError(values: weight.pointer, count: weight.count, analytic: dW.toArray(), loss: loss) < 1e-2)
    #expect(check.worstError(values: a.pointer, count: a.count, analytic: dA.toArray(), loss: loss) < 1e-2)
    #expect(check.worstError(values: b.pointer, count: b.count, analytic: dB.toArray(), loss: loss) < 1e-2)
  }
}
