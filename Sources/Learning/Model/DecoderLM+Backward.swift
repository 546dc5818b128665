extension DecoderLM {
  /// Backward pass; expects `workspace.logits` to hold dLoss/dLogits and the activations of the
  /// forward pass that produced them.
  func runBackward(
    weights: ParameterSet, adapter: Adapter?, tokens: UnsafeBufferPointer<Int32>, workspace ws: Workspace,
    gradients: Gradients
  ) {
    let c = config
    let rows = ws.rows, d = c.dim, kv = c.kvDim, f = c.ffnDim
    let baseGrads = gradients.base
    func grad(_ name: String) -> UnsafeMutablePointer<Float>? { baseGrads?.pointer(name) }
    func lora(_ layer: Int, _ projection: Projection) -> LoRAAttachment? {
      attachment(adapter, gradients: gradients.adapter, workspace: ws, layer: layer, projection: projection)
    }
    let width = ws.qkvWidth
    let shape = AttentionShape(
      batch: ws.batchSize, sequence: ws.sequenceLength, heads: c.heads, kvHeads: c.kvHeads,
      headDim: c.headDim, qStride: width, kvStride: width, outStride: d)

    // LM head: dNorm = dLogits · H; dH += dLogitsᵀ · norm.
    let headName = c.tiedEmbeddings ? LlamaNames.embedding : LlamaNames.lmHead
    gemm(
      .none, .none, m: rows, n: d, k: c.vocabSize, a: ws.logits, lda: c.vocabSize, b: headWeights(weights),
      ldb: d, c: ws.dNorm, ldc: d)
    if let dHead = grad(headName) {
      gemm(
        .transposed, .none, m: c.vocabSize, n: d, k: rows, a: ws.logits, lda: c.vocabSize, b: ws.finalNorm,
        ldb: d, beta: 1, c: dHead, ldc: d)
    }
    let last = ws.residual + ws.residualSlot(c.layers) * rows * d
    ws.dResidual.update(repeating: 0, count: rows * d)
    rmsNormBackward(
      x: last, weight: weights.pointer(LlamaNames.finalNorm), rstd: ws.finalRstd, dy: ws.dNorm,
      dx: ws.dResidual, dWeight: grad(LlamaNames.finalNorm), rows: rows, dim: d)

    for layer in stride(from: c.layers - 1, through: 0, by: -1) {
      let s = ws.slot(layer)
      let input = ws.residual + ws.residualSlot(layer) * rows * d
      let mid = ws.midResidual + s * rows * d
      let norm1 = ws.norm1 + s * rows * d, norm2 = ws.norm2 + s * rows * d
      let q = ws.qkv + s * rows * width, k = q + d, v = q + d + kv
      let attention = ws.attention + s * rows * d
      let gateUp = ws.gateUp + s * rows * 2 * f, act = ws.act + s * rows * f
      func weight(_ p: Projection) -> UnsafeMutablePointer<Float> { weights.pointer(LlamaNames.projection(layer, p)) }
      func dWeight(_ p: Projection) -> UnsafeMutablePointer<Float>? { grad(LlamaNames.projection(layer, p)) }

      // MLP: dResidual carries dL/d(output); the residual path passes it through to mid unchanged.
      if let adapter, adapter.config.mixture != nil {
        mixtureBackward(layer: layer, weights: weights, adapter: adapter, workspace: ws, gradients: gradients.adapter)
      } else {
        linearBackward(
          dy: ws.dResidual, x: act, weight: weight(.down), dx: ws.dAct, dWeight: dWeight(.down),
          rows: rows, inputs: f, outputs: d, accumulate: false, lora: lora(layer, .down),
          hiddenScratch: ws.dLoraHidden, scratch: ws.dDropped)
        swiGLUBackward(packed: gateUp, dOut: ws.dAct, dPacked: ws.dGateUp, rows: rows, width: f)
        // dNorm2 = [dGate | dUp] · [Wgate; Wup] (and the weight gradients) in one product when fused.
        let fusedGateUp = areContiguous([weight(.gate), weight(.up)], counts: [f * d, f * d])
        if fusedGateUp {
          gemm(.none, .none, m: rows, n: d, k: 2 * f, a: ws.dGateUp, lda: 2 * f, b: weight(.gate), ldb: d, c: ws.dNorm, ldc: d)
          if let dW = dWeight(.gate) {
            gemm(.transposed, .none, m: 2 * f, n: d, k: rows, a: ws.dGateUp, lda: 2 * f, b: norm2, ldb: d, beta: 1, c: dW, ldc: d)
          }
        }
        for (index, (projection, dOut)) in [(Projection.gate, ws.dGateUp), (.up, ws.dGateUp + f)].enumerated() {
          linearBackward(
            dy: dOut, gradientStride: 2 * f, x: norm2, weight: weight(projection), dx: ws.dNorm,
            dWeight: dWeight(projection), rows: rows, inputs: d, outputs: f, accumulate: index > 0,
            includeBase: !fusedGateUp, lora: lora(layer, projection), hiddenScratch: ws.dLoraHidden, scratch: ws.dDropped)
        }
      }
      rmsNormBackward(
        x: mid, weight: weights.pointer(LlamaNames.mlpNorm(layer)), rstd: ws.rstd2 + s * rows,
        dy: ws.dNorm, dx: ws.dResidual, dWeight: grad(LlamaNames.mlpNorm(layer)), rows: rows, dim: d)

      // Attention: dResidual now carries dL/d(mid).
      linearBackward(
        dy: ws.dResidual, x: attention, weight: weight(.o), dx: ws.dAttention, dWeight: dWeight(.o),
        rows: rows, inputs: d, outputs: d, accumulate: false, lora: lora(layer, .o),
        hiddenScratch: ws.dLoraHidden, scratch: ws.dDropped)
      let dQ = ws.dQKV, dK = ws.dQKV + d, dV = ws.dQKV + d + kv
      ws.dQKV.update(repeating: 0, count: rows * width)
      attentionBackward(
        q: q, k: k, v: v,
        probabilities: ws.probabilities + s * ws.batchSize * c.heads * ws.sequenceLength * ws.sequenceLength,
        dOut: ws.dAttention, dQ: dQ, dK: dK, dV: dV, scratch: ws.dScores, shape: shape)
      rope.apply(dQ, rows: rows, sequence: ws.sequenceLength, heads: c.heads, rowStride: width, inverse: true)
      rope.apply(dK, rows: rows, sequence: ws.sequenceLength, heads: c.kvHeads, rowStride: width, inverse: true)
      let fusedQKV = areContiguous([weight(.q), weight(.k), weight(.v)], counts: [d * d, kv * d, kv * d])
      if fusedQKV {
        gemm(.none, .none, m: rows, n: d, k: width, a: ws.dQKV, lda: width, b: weight(.q), ldb: d, c: ws.dNorm, ldc: d)
        if let dW = dWeight(.q) {
          gemm(.transposed, .none, m: width, n: d, k: rows, a: ws.dQKV, lda: width, b: norm1, ldb: d, beta: 1, c: dW, ldc: d)
        }
      }
      for (index, (projection, dOut, outputs)) in [(Projection.q, dQ, d), (.k, dK, kv), (.v, dV, kv)].enumerated() {
        linearBackward(
          dy: dOut, gradientStride: width, x: norm1, weight: weight(projection), dx: ws.dNorm,
          dWeight: dWeight(projection), rows: rows, inputs: d, outputs: outputs, accumulate: index > 0,
          includeBase: !fusedQKV, lora: lora(layer, projection), hiddenScratch: ws.dLoraHidden, scratch: ws.dDropped)
      }
      rmsNormBackward(
        x: input, weight: weights.pointer(LlamaNames.attentionNorm(layer)), rstd: ws.rstd1 + s * rows,
        dy: ws.dNorm, dx: ws.dResidual, dWeight: grad(LlamaNames.attentionNorm(layer)), rows: rows, dim: d)
    }

    // Embedding: scatter-add the residual gradient into the rows of the tokens used.
    if let dEmbedding = grad(LlamaNames.embedding) {
      for r in 0..<rows {
        let row = dEmbedding + Int(tokens[r]) * d, g = ws.dResidual + r * d
        for i in 0..<d { row[i] += g[i] }
      }
    }
  }
}
