import Randomness

extension DecoderLM {
  /// The adapter attachment for (layer, projection), or nil when the projection has none.
  func attachment(
    _ adapter: Adapter?, gradients: ParameterSet?, workspace ws: Workspace, layer: Int, projection: Projection
  ) -> LoRAAttachment? {
    guard let adapter, let targetIndex = adapter.config.sharedTargets.firstIndex(of: projection) else {
      return nil
    }
    let lora = adapter.config
    let rows = ws.rows
    let slot = ws.slot(layer) * ws.targetCount + targetIndex
    let nameA = LoRANames.a(layer, projection), nameB = LoRANames.b(layer, projection)
    return LoRAAttachment(
      a: adapter.parameters.pointer(nameA), b: adapter.parameters.pointer(nameB),
      dA: gradients?.pointer(nameA), dB: gradients?.pointer(nameB),
      hidden: ws.loraHidden + slot * rows * lora.rank,
      droppedInput: ws.loraInput.map { $0 + slot * rows * ws.maxProjectionInput },
      mask: ws.loraMask.map { $0 + slot * rows * ws.maxProjectionInput },
      rank: lora.rank, scaling: lora.scaling, dropout: lora.dropout)
  }

  func runForward(
    weights: ParameterSet, adapter: Adapter?, tokens: UnsafeBufferPointer<Int32>, workspace ws: Workspace,
    training: Bool, dropoutStream: inout RandomStream
  ) {
    let c = config
    let rows = ws.rows, d = c.dim, kv = c.kvDim, f = c.ffnDim
    // Dropout acts only while training; evaluation runs the adapter deterministically.
    func lora(_ layer: Int, _ projection: Projection) -> LoRAAttachment? {
      guard var attached = attachment(adapter, gradients: nil, workspace: ws, layer: layer, projection: projection)
      else { return nil }
      if !training {
        attached = LoRAAttachment(
          a: attached.a, b: attached.b, dA: nil, dB: nil, hidden: attached.hidden,
          droppedInput: nil, mask: nil, rank: attached.rank, scaling: attached.scaling, dropout: 0)
      }
      return attached
    }

    // Token embedding: residual[0] = E[tokens]   (rows, d)
    let embedding = weights.pointer(LlamaNames.embedding)
    let x0 = ws.residual
    for r in 0..<rows { (x0 + r * d).update(from: embedding + Int(tokens[r]) * d, count: d) }

    let width = ws.qkvWidth
    let shape = AttentionShape(
      batch: ws.batchSize, sequence: ws.sequenceLength, heads: c.heads, kvHeads: c.kvHeads,
      headDim: c.headDim, qStride: width, kvStride: width, outStride: d)
    for layer in 0..<c.layers {
      let s = ws.slot(layer)
      let input = ws.residual + ws.residualSlot(layer) * rows * d
      let output = ws.residual + ws.residualSlot(layer + 1) * rows * d
      let mid = ws.midResidual + s * rows * d
      let norm1 = ws.norm1 + s * rows * d, norm2 = ws.norm2 + s * rows * d
      let q = ws.qkv + s * rows * width, k = q + d, v = q + d + kv
      let attention = ws.attention + s * rows * d
      let gateUp = ws.gateUp + s * rows * 2 * f, act = ws.act + s * rows * f
      func weight(_ p: Projection) -> UnsafeMutablePointer<Float> { weights.pointer(LlamaNames.projection(layer, p)) }

      // Attention sub-block: mid = input + o_proj(attention(rope(q), rope(k), v)).
      rmsNormForward(
        x: input, weight: weights.pointer(LlamaNames.attentionNorm(layer)), y: norm1,
        rstd: ws.rstd1 + s * rows, rows: rows, dim: d, eps: c.normEps)
      // q|k|v = norm1 · [Wq; Wk; Wv]ᵀ in one product when the weights are stored back to back.
      let fusedQKV = areContiguous([weight(.q), weight(.k), weight(.v)], counts: [d * d, kv * d, kv * d])
      if fusedQKV {
        gemm(.none, .transposed, m: rows, n: width, k: d, a: norm1, lda: d, b: weight(.q), ldb: d, c: q, ldc: width)
      }
      for (projection, out, outputs) in [(Projection.q, q, d), (.k, k, kv), (.v, v, kv)] {
        linearForward(
          x: norm1, weight: weight(projection), y: out, rows: rows, inputs: d, outputs: outputs,
          outputStride: width, accumulate: false, includeBase: !fusedQKV, lora: lora(layer, projection),
          dropoutStream: &dropoutStream)
      }
      rope.apply(q, rows: rows, sequence: ws.sequenceLength, heads: c.heads, rowStride: width)
      rope.apply(k, rows: rows, sequence: ws.sequenceLength, heads: c.kvHeads, rowStride: width)
      attentionForward(
        q: q, k: k, v: v, probabilities: ws.probabilities + s * ws.batchSize * c.heads * ws.sequenceLength * ws.sequenceLength,
        out: attention, shape: shape)
      mid.update(from: input, count: rows * d)
      linearForward(
        x: attention, weight: weight(.o), y: mid, rows: rows, inputs: d, outputs: d, accumulate: true,
        lora: lora(layer, .o), dropoutStream: &dropoutStream)

      // MLP sub-block: output = mid + down(silu(gate(x)) ⊙ up(x)), x = norm2(mid).
      rmsNormForward(
        x: mid, weight: weights.pointer(LlamaNames.mlpNorm(layer)), y: norm2,
        rstd: ws.rstd2 + s * rows, rows: rows, dim: d, eps: c.normEps)
      if let adapter, adapter.config.mixture != nil {
        mixtureForward(
          layer: layer, weights: weights, adapter: adapter, workspace: ws, training: training, dropoutStream: &dropoutStream)
        continue
      }
      let fusedGateUp = areContiguous([weight(.gate), weight(.up)], counts: [f * d, f * d])
      if fusedGateUp {
        gemm(.none, .transposed, m: rows, n: 2 * f, k: d, a: norm2, lda: d, b: weight(.gate), ldb: d, c: gateUp, ldc: 2 * f)
      }
      for (projection, out) in [(Projection.gate, gateUp), (.up, gateUp + f)] {
        linearForward(
          x: norm2, weight: weight(projection), y: out, rows: rows, inputs: d, outputs: f, outputStride: 2 * f,
          accumulate: false, includeBase: !fusedGateUp, lora: lora(layer, projection), dropoutStream: &dropoutStream)
      }
      swiGLUForward(packed: gateUp, out: act, rows: rows, width: f)
      output.update(from: mid, count: rows * d)
      linearForward(
        x: act, weight: weight(.down), y: output, rows: rows, inputs: f, outputs: d, accumulate: true,
        lora: lora(layer, .down), dropoutStream: &dropoutStream)
    }

    // Final norm and LM head: logits = norm(x_L) · Hᵀ   (rows, vocab)
    let last = ws.residual + ws.residualSlot(c.layers) * rows * d
    rmsNormForward(
      x: last, weight: weights.pointer(LlamaNames.finalNorm), y: ws.finalNorm, rstd: ws.finalRstd,
      rows: rows, dim: d, eps: c.normEps)
    gemm(
      .none, .transposed, m: rows, n: c.vocabSize, k: d, a: ws.finalNorm, lda: d, b: headWeights(weights),
      ldb: d, c: ws.logits, ldc: c.vocabSize)
  }

  func headWeights(_ weights: ParameterSet) -> UnsafeMutablePointer<Float> {
    weights.pointer(config.tiedEmbeddings ? LlamaNames.embedding : LlamaNames.lmHead)
  }
}
