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
    let shape = AttentionShape(batch: ws.batchSize, sequence: ws.sequenceLength, heads: c.heads,
                               kvHeads: c.kvHeads, headDim: c.headDim)

    // LM head: dNorm = dLogits · H; dH += dLogitsᵀ · norm.
    let headName = c.tiedEmbeddings ? LlamaNames.embedding : LlamaNames.lmHead
    gemm(.none, .none, m: rows, n: d, k: c.vocabSize, a: ws.logits, lda: c.vocabSize, b: headWeights(weights),
         ldb: d, c: ws.dNorm, ldc: d)
    if let dHead = grad(headName) {
      gemm(.transposed, .none, m: c.vocabSize, n: d, k: rows, a: ws.logits, lda: c.vocabSize, b: ws.finalNorm,
           ldb: d, beta: 1, c: dHead, ldc: d)
    }
    let last = ws.residual + ws.residualSlot(c.layers) * rows * d
    ws.dResidual.update(repeating: 0, count: rows * d)
    rmsNormBackward(x: last, weight: weights.pointer(LlamaNames.finalNorm), rstd: ws.finalRstd, dy: ws.dNorm,
                    dx: ws.dResidual, dWeight: grad(LlamaNames.finalNorm), rows: rows, dim: d)

    for layer in stride(from: c.layers - 1, through: 0, by: -1) {
      let s = ws.slot(layer)
      let input = ws.residual + ws.residualSlot(layer) * rows * d
      let mid = ws.midResidual + s * rows * d
      let norm1 = ws.norm1 + s * rows * d, norm2 = ws.norm2 + s * rows * d
      let q = ws.q + s * rows * d, k = ws.k + s * rows * kv, v = ws.v + s * rows * kv
      let attention = ws.attention + s * rows * d
      let gate = ws.gate + s * rows * f, up = ws.up + s * rows * f, act = ws.act + s * rows * f
      func weight(_ p: Projection) -> UnsafeMutablePointer<Float> { weights.pointer(LlamaNames.projection(layer, p)) }
      func dWeight(_ p: Projection) -> UnsafeMutablePointer<Float>? { grad(LlamaNames.projection(layer, p)) }

      // MLP: dResidual carries dL/d(output); the residual path passes it through to mid unchanged.
      linearBackward(dy: ws.dResidual, x: act, weight: weight(.down), dx: ws.dAct, dWeight: dWeight(.down),
                     rows: rows, inputs: f, outputs: d, accumulate: false, lora: lora(layer, .down),
                     hiddenScratch: ws.dLoraHidden, scratch: ws.dDropped)
      swiGLUBackward(gate: gate, up: up, dOut: ws.dAct, dGate: ws.dGate, dUp: ws.dUp, count: rows * f)
      linearBackward(dy: ws.dGate, x: norm2, weight: weight(.gate), dx: ws.dNorm, dWeight: dWeight(.gate),
                     rows: rows, inputs: d, outputs: f, accumulate: false, lora: lora(layer, .gate),
                     hiddenScratch: ws.dLoraHidden, scratch: ws.dDropped)
      linearBackward(dy: ws.dUp, x: norm2, weight: weight(.up), dx: ws.dNorm, dWeight: dWeight(.up),
                     rows: rows, inputs: d, outputs: f, accumulate: true, lora: lora(layer, .up),
                     hiddenScratch: ws.dLoraHidden, scratch: ws.dDropped)
      rmsNormBackward(x: mid, weight: weights.pointer(LlamaNames.mlpNorm(layer)), rstd: ws.rstd2 + s * rows,
                      dy: ws.dNorm, dx: ws.dResidual, dWeight: grad(LlamaNames.mlpNorm(layer)), rows: rows, dim: d)

      // Attention: dResidual now carries dL/d(mid).
      linearBackward(dy: ws.dResidual, x: attention, weight: weight(.o), dx: ws.dAttention, dWeight: dWeight(.o),
                     rows: rows, inputs: d, outputs: d, accumulate: false, lora: lora(layer, .o),
                     hiddenScratch: ws.dLoraHidden, scratch: ws.dDropped)
      attentionBackward(q: q, k: k, v: v,
                        probabilities: ws.probabilities + s * ws.batchSize * c.heads * ws.sequenceLength * ws.sequenceLength,
                        dOut: ws.dAttention, dQ: ws.dQ, dK: ws.dK, dV: ws.dV, scratch: ws.dScores, shape: shape)
      rope.apply(ws.dQ, rows: rows, sequence: ws.sequenceLength, heads: c.heads, rowStride: d, inverse: true)
      rope.apply(ws.dK, rows: rows, sequence: ws.sequenceLength, heads: c.kvHeads, rowStride: kv, inverse: true)
      for (index, (projection, dOut, width)) in [(Projection.q, ws.dQ, d), (.k, ws.dK, kv), (.v, ws.dV, kv)].enumerated() {
        linearBackward(dy: dOut, x: norm1, weight: weight(projection), dx: ws.dNorm, dWeight: dWeight(projection),
                       rows: rows, inputs: d, outputs: width, accumulate: index > 0, lora: lora(layer, projection),
                       hiddenScratch: ws.dLoraHidden, scratch: ws.dDropped)
      }
      rmsNormBackward(x: input, weight: weights.pointer(LlamaNames.attentionNorm(layer)), rstd: ws.rstd1 + s * rows,
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
