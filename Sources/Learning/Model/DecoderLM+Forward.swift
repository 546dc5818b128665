import Randomness

extension DecoderLM {
  /// The adapter attachment for (layer, projection), or nil when the projection has none.
  func attachment(
    _ adapter: Adapter?, gradients: ParameterSet?, workspace ws: Workspace, layer: Int, projection: Projection
  ) -> LoRAAttachment? {
    guard let adapter, let targetIndex = adapter.config.orderedTargets.firstIndex(of: projection) else {
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
        attached = LoRAAttachment(a: attached.a, b: attached.b, dA: nil, dB: nil, hidden: attached.hidden,
                                  droppedInput: nil, mask: nil, rank: attached.rank, scaling: attached.scaling, dropout: 0)
      }
      return attached
    }

    // Token embedding: residual[0] = E[tokens]   (rows, d)
    let embedding = weights.pointer(LlamaNames.embedding)
    let x0 = ws.residual
    for r in 0..<rows { (x0 + r * d).update(from: embedding + Int(tokens[r]) * d, count: d) }

    let shape = AttentionShape(batch: ws.batchSize, sequence: ws.sequenceLength, heads: c.heads,
                               kvHeads: c.kvHeads, headDim: c.headDim)
    for layer in 0..<c.layers {
      let s = ws.slot(layer)
      let input = ws.residual + ws.residualSlot(layer) * rows * d
      let output = ws.residual + ws.residualSlot(layer + 1) * rows * d
      let mid = ws.midResidual + s * rows * d
      let norm1 = ws.norm1 + s * rows * d, norm2 = ws.norm2 + s * rows * d
      let q = ws.q + s * rows * d, k = ws.k + s * rows * kv, v = ws.v + s * rows * kv
      let attention = ws.attention + s * rows * d
      let gate = ws.gate + s * rows * f, up = ws.up + s * rows * f, act = ws.act + s * rows * f

      // Attention sub-block: mid = input + o_proj(attention(rope(q), rope(k), v)).
      rmsNormForward(x: input, weight: weights.pointer(LlamaNames.attentionNorm(layer)), y: norm1,
                     rstd: ws.rstd1 + s * rows, rows: rows, dim: d, eps: c.normEps)
      for (projection, out, width) in [(Projection.q, q, d), (.k, k, kv), (.v, v, kv)] {
        linearForward(x: norm1, weight: weights.pointer(LlamaNames.projection(layer, projection)), y: out,
                      rows: rows, inputs: d, outputs: width, accumulate: false, lora: lora(layer, projection),
                      dropoutStream: &dropoutStream)
      }
      rope.apply(q, rows: rows, sequence: ws.sequenceLength, heads: c.heads, rowStride: d)
      rope.apply(k, rows: rows, sequence: ws.sequenceLength, heads: c.kvHeads, rowStride: kv)
      attentionForward(q: q, k: k, v: v, probabilities: ws.probabilities + s * ws.batchSize * c.heads * ws.sequenceLength * ws.sequenceLength,
                       out: attention, shape: shape)
      mid.update(from: input, count: rows * d)
      linearForward(x: attention, weight: weights.pointer(LlamaNames.projection(layer, .o)), y: mid,
                    rows: rows, inputs: d, outputs: d, accumulate: true, lora: lora(layer, .o),
                    dropoutStream: &dropoutStream)

      // MLP sub-block: output = mid + down(silu(gate(x)) ⊙ up(x)), x = norm2(mid).
      rmsNormForward(x: mid, weight: weights.pointer(LlamaNames.mlpNorm(layer)), y: norm2,
                     rstd: ws.rstd2 + s * rows, rows: rows, dim: d, eps: c.normEps)
      linearForward(x: norm2, weight: weights.pointer(LlamaNames.projection(layer, .gate)), y: gate,
                    rows: rows, inputs: d, outputs: f, accumulate: false, lora: lora(layer, .gate),
                    dropoutStream: &dropoutStream)
      linearForward(x: norm2, weight: weights.pointer(LlamaNames.projection(layer, .up)), y: up,
                    rows: rows, inputs: d, outputs: f, accumulate: false, lora: lora(layer, .up),
                    dropoutStream: &dropoutStream)
      swiGLUForward(gate: gate, up: up, out: act, count: rows * f)
      output.update(from: mid, count: rows * d)
      linearForward(x: act, weight: weights.pointer(LlamaNames.projection(layer, .down)), y: output,
                    rows: rows, inputs: f, outputs: d, accumulate: true, lora: lora(layer, .down),
                    dropoutStream: &dropoutStream)
    }

    // Final norm and LM head: logits = norm(x_L) · Hᵀ   (rows, vocab)
    let last = ws.residual + ws.residualSlot(c.layers) * rows * d
    rmsNormForward(x: last, weight: weights.pointer(LlamaNames.finalNorm), y: ws.finalNorm, rstd: ws.finalRstd,
                   rows: rows, dim: d, eps: c.normEps)
    gemm(.none, .transposed, m: rows, n: c.vocabSize, k: d, a: ws.finalNorm, lda: d, b: headWeights(weights),
         ldb: d, c: ws.logits, ldc: c.vocabSize)
  }

  func headWeights(_ weights: ParameterSet) -> UnsafeMutablePointer<Float> {
    weights.pointer(config.tiedEmbeddings ? LlamaNames.embedding : LlamaNames.lmHead)
  }
}
