import Foundation
import Randomness

/// The mixture-of-experts MLP (CoMiGS, see `MixtureConfig`): forward and hand-written backward.
///
/// Per layer, with x = norm2(mid) (rows, d):
///   base  = x·[Wg; Wu]ᵀ                               computed once, shared by every expert
///   gu_e  = base + s·(x·A_eᵀ)·B_eᵀ on gate and up      (rows, 2f)
///   out_e = down(silu(gu_e.gate) ⊙ gu_e.up)            with expert e's LoRA on down
///   z = x·W_rᵀ (rows, E);  w = softmax over the top-k of z (0 elsewhere);  p = softmax(z)
///   output = mid + Σ_e w_e ⊙ out_e
/// Every expert is computed on every token (dense; experts outside a token's top k get weight 0),
/// which is exact and cheap for the small E of CoMiGS.
///
/// Load balancing (the reference's, with importance factors c_e): with f_e the fraction of the
/// rows·k routing slots given to expert e and P_e the mean of p_e over rows,
/// LB = E² · mean_e(f_e·P_e·c_e); the training loss adds λ times its mean over layers. f_e is
/// piecewise constant, so its gradient flows through P_e only. For E = k = 2 it is exactly 1 with
/// zero gradient. With batch shards each shard balances its own rows.
extension DecoderLM {
  /// The LoRA of `expert` on `projection` in `layer`, or nil when the projection has none.
  func expertAttachment(
    _ adapter: Adapter, gradients: ParameterSet?, workspace ws: Workspace, layer: Int, expert: Int, projection: Projection,
    training: Bool
  ) -> LoRAAttachment? {
    guard let buffers = ws.mixture, let mixture = adapter.config.mixture, let index = buffers.loraSlot(ws.slot(layer), expert, projection)
    else { return nil }
    let lora = adapter.config
    let nameA = MixtureNames.a(layer, expert: expert, projection, mixture)
    let nameB = MixtureNames.b(layer, expert: expert, projection, mixture)
    let dropout = training && lora.dropout > 0
    return LoRAAttachment(
      a: adapter.parameters.pointer(nameA), b: adapter.parameters.pointer(nameB),
      dA: gradients?.pointer(nameA), dB: gradients?.pointer(nameB),
      hidden: buffers.hidden + index * ws.rows * lora.rank,
      droppedInput: dropout ? buffers.droppedInput.map { $0 + index * ws.rows * buffers.inputWidth } : nil,
      mask: dropout ? buffers.mask.map { $0 + index * ws.rows * buffers.inputWidth } : nil,
      rank: lora.rank, scaling: lora.scaling, dropout: dropout ? lora.dropout : 0)
  }

  func mixtureForward(
    layer: Int, weights: ParameterSet, adapter: Adapter, workspace ws: Workspace, training: Bool, dropoutStream: inout RandomStream
  ) {
    guard let buffers = ws.mixture, let mixture = adapter.config.mixture else { return }
    let c = config, rows = ws.rows, d = c.dim, f = c.ffnDim, experts = mixture.experts
    // Experts past the adapter's active ones do not exist for this client.
    let active = min(adapter.activeExperts ?? experts, experts), topK = min(mixture.topK, active)
    let s = ws.slot(layer)
    let mid = ws.midResidual + s * rows * d, norm2 = ws.norm2 + s * rows * d
    let output = ws.residual + ws.residualSlot(layer + 1) * rows * d
    let base = ws.gateUp + s * rows * 2 * f
    func weight(_ p: Projection) -> UnsafeMutablePointer<Float> { weights.pointer(LlamaNames.projection(layer, p)) }

    // The frozen gate|up products, once for all experts.
    if areContiguous([weight(.gate), weight(.up)], counts: [f * d, f * d]) {
      gemm(.none, .transposed, m: rows, n: 2 * f, k: d, a: norm2, lda: d, b: weight(.gate), ldb: d, c: base, ldc: 2 * f)
    } else {
      gemm(.none, .transposed, m: rows, n: f, k: d, a: norm2, lda: d, b: weight(.gate), ldb: d, c: base, ldc: 2 * f)
      gemm(.none, .transposed, m: rows, n: f, k: d, a: norm2, lda: d, b: weight(.up), ldb: d, c: base + f, ldc: 2 * f)
    }

    // Router: logits → p (softmax over all experts) and w (softmax over the top k).
    let probabilities = buffers.probabilities(s), gates = buffers.gates(s)
    gemm(
      .none, .transposed, m: rows, n: experts, k: d, a: norm2, lda: d, b: adapter.parameters.pointer(MixtureNames.router(layer)),
      ldb: d, c: probabilities, ldc: experts)
    var routed = [Int](repeating: 0, count: experts)
    for r in 0..<rows {
      let z = probabilities + r * experts, w = gates + r * experts
      // Top k by logit among the active experts, ties to the lower index (a bit mask: no
      // allocation per token; experts ≤ 64).
      var chosen: UInt64 = 0
      for _ in 0..<topK {
        var best = -1
        for e in 0..<active where chosen & (1 << UInt64(e)) == 0 && (best < 0 || z[e] > z[best]) { best = e }
        chosen |= 1 << UInt64(best)
      }
      var top = -Float.infinity
      for e in 0..<active where chosen & (1 << UInt64(e)) != 0 { top = max(top, z[e]) }
      var selectedTotal: Float = 0
      for e in 0..<experts {
        guard e < active, chosen & (1 << UInt64(e)) != 0 else {
          w[e] = 0
          continue
        }
        w[e] = Foundation.exp(z[e] - top)
        selectedTotal += w[e]
        routed[e] += 1
      }
      for e in 0..<active where w[e] != 0 { w[e] /= selectedTotal }
      var total: Float = 0
      for e in 0..<experts {
        z[e] = e < active ? Foundation.exp(z[e] - top) : 0
        total += z[e]
      }
      for e in 0..<experts { z[e] /= total }
    }

    // Experts, mixed into the residual stream.
    output.update(from: mid, count: rows * d)
    for expert in 0..<active {
      let gateUp = buffers.gateUp(s, expert), act = buffers.act(s, expert), out = buffers.out(s, expert)
      gateUp.update(from: base, count: rows * 2 * f)
      for (projection, offset) in [(Projection.gate, 0), (.up, f)] {
        guard
          let lora = expertAttachment(
            adapter, gradients: nil, workspace: ws, layer: layer, expert: expert, projection: projection, training: training)
        else { continue }
        linearForward(
          x: norm2, weight: weight(projection), y: gateUp + offset, rows: rows, inputs: d, outputs: f, outputStride: 2 * f,
          accumulate: true, includeBase: false, lora: lora, dropoutStream: &dropoutStream)
      }
      swiGLUForward(packed: gateUp, out: act, rows: rows, width: f)
      linearForward(
        x: act, weight: weight(.down), y: out, rows: rows, inputs: f, outputs: d, accumulate: false,
        lora: expertAttachment(adapter, gradients: nil, workspace: ws, layer: layer, expert: expert, projection: .down, training: training),
        dropoutStream: &dropoutStream)
      for r in 0..<rows {
        let w = gates[r * experts + expert]
        guard w != 0 else { continue }
        let y = output + r * d, o = out + r * d
        for i in 0..<d { y[i] += w * o[i] }
      }
    }

    // The mean gate weight on generalists (routing statistics).
    var generalistWeight = 0.0
    buffers.generalistByRow[layer].withUnsafeMutableBufferPointer { byRow in
      for r in 0..<rows {
        var weight: Float = 0
        for e in 0..<mixture.generalists { weight += gates[r * experts + e] }
        byRow[r] = weight
        generalistWeight += Double(weight)
      }
    }
    buffers.generalistShare[layer] = generalistWeight / Double(rows)

    // Load balancing, accumulated over layers into the workspace.
    let fractions = routed.map { Double($0) / Double(rows * topK) }
    buffers.routedFractions[layer] = fractions
    let factors = mixture.importanceFactors(active: active)
    var balance = 0.0
    for e in 0..<active {
      var meanProbability = 0.0
      for r in 0..<rows { meanProbability += Double(probabilities[r * experts + e]) }
      balance += fractions[e] * (meanProbability / Double(rows)) * factors[e]
    }
    let layerLoss = Double(active * active) * balance / Double(active)
    if layer == 0 { buffers.balanceLoss = 0 }
    buffers.balanceLoss += mixture.balanceWeight * layerLoss / Double(c.layers)
  }

  /// Backward of `mixtureForward`: reads dL/d(output) in `dResidual` (left unchanged) and writes
  /// dL/d(norm2) into `dNorm`; the experts' LoRA and the router accumulate into `gradients`.
  func mixtureBackward(layer: Int, weights: ParameterSet, adapter: Adapter, workspace ws: Workspace, gradients: ParameterSet?) {
    guard let buffers = ws.mixture, let mixture = adapter.config.mixture else { return }
    let c = config, rows = ws.rows, d = c.dim, f = c.ffnDim, experts = mixture.experts
    let active = min(adapter.activeExperts ?? experts, experts)
    let s = ws.slot(layer)
    let norm2 = ws.norm2 + s * rows * d
    let dOutput = UnsafePointer(ws.dResidual)
    let probabilities = buffers.probabilities(s), gates = buffers.gates(s)
    let dLogits = buffers.dLogits, dOutExpert = buffers.dOut, dGateUpSum = buffers.dGateUpSum
    func weight(_ p: Projection) -> UnsafeMutablePointer<Float> { weights.pointer(LlamaNames.projection(layer, p)) }
    ws.dNorm.update(repeating: 0, count: rows * d)
    dGateUpSum.update(repeating: 0, count: rows * 2 * f)
    dLogits.update(repeating: 0, count: rows * experts)

    for expert in 0..<active {
      let out = buffers.out(s, expert)
      // dL/dw_e = ⟨out_e, dOutput⟩ per row (kept in dLogits until the softmax backward below);
      // dL/d out_e = w_e · dOutput.
      for r in 0..<rows {
        let o = out + r * d, g = dOutput + r * d, w = gates[r * experts + expert]
        var dot: Float = 0
        for i in 0..<d { dot += o[i] * g[i] }
        dLogits[r * experts + expert] = dot
        let dst = dOutExpert + r * d
        for i in 0..<d { dst[i] = w * g[i] }
      }
      linearBackward(
        dy: dOutExpert, x: buffers.act(s, expert), weight: weight(.down), dx: ws.dAct, dWeight: nil, rows: rows, inputs: f, outputs: d,
        accumulate: false,
        lora: expertAttachment(
          adapter, gradients: gradients, workspace: ws, layer: layer, expert: expert, projection: .down, training: true),
        hiddenScratch: ws.dLoraHidden, scratch: ws.dDropped)
      swiGLUBackward(packed: buffers.gateUp(s, expert), dOut: ws.dAct, dPacked: ws.dGateUp, rows: rows, width: f)
      for i in 0..<(rows * 2 * f) { dGateUpSum[i] += ws.dGateUp[i] }
      for (projection, offset) in [(Projection.gate, 0), (.up, f)] {
        guard
          let lora = expertAttachment(
            adapter, gradients: gradients, workspace: ws, layer: layer, expert: expert, projection: projection, training: true)
        else { continue }
        linearBackward(
          dy: ws.dGateUp + offset, gradientStride: 2 * f, x: norm2, weight: weight(projection), dx: ws.dNorm, dWeight: nil, rows: rows,
          inputs: d, outputs: f, accumulate: true, includeBase: false, lora: lora, hiddenScratch: ws.dLoraHidden, scratch: ws.dDropped)
      }
    }
    // The frozen gate|up products: dx += Σ_e dGateUp_e · [Wg; Wu].
    if areContiguous([weight(.gate), weight(.up)], counts: [f * d, f * d]) {
      gemm(.none, .none, m: rows, n: d, k: 2 * f, a: dGateUpSum, lda: 2 * f, b: weight(.gate), ldb: d, beta: 1, c: ws.dNorm, ldc: d)
    } else {
      gemm(.none, .none, m: rows, n: d, k: f, a: dGateUpSum, lda: 2 * f, b: weight(.gate), ldb: d, beta: 1, c: ws.dNorm, ldc: d)
      gemm(.none, .none, m: rows, n: d, k: f, a: dGateUpSum + f, lda: 2 * f, b: weight(.up), ldb: d, beta: 1, c: ws.dNorm, ldc: d)
    }

    // Router: through the top-k softmax (w) and, for load balancing, the full softmax (p).
    let fractions = buffers.routedFractions[layer], factors = mixture.importanceFactors(active: active)
    let balance = (0..<experts).map {
      $0 < active ? Float(mixture.balanceWeight / Double(c.layers) * Double(active) * fractions[$0] * factors[$0] / Double(rows)) : 0
    }
    for r in 0..<rows {
      let w = gates + r * experts, p = probabilities + r * experts, dz = dLogits + r * experts
      var mean: Float = 0
      for e in 0..<experts where w[e] > 0 { mean += w[e] * dz[e] }
      var balanceMean: Float = 0
      for e in 0..<experts { balanceMean += p[e] * balance[e] }
      for e in 0..<experts {
        let gate = w[e] > 0 ? w[e] * (dz[e] - mean) : 0
        dz[e] = gate + p[e] * (balance[e] - balanceMean)
      }
    }
    let router = adapter.parameters.pointer(MixtureNames.router(layer))
    if let dRouter = gradients?.pointer(MixtureNames.router(layer)) {
      gemm(.transposed, .none, m: experts, n: d, k: rows, a: dLogits, lda: experts, b: norm2, ldb: d, beta: 1, c: dRouter, ldc: d)
    }
    gemm(.none, .none, m: rows, n: d, k: experts, a: dLogits, lda: experts, b: router, ldb: d, beta: 1, c: ws.dNorm, ldc: d)
  }
}
