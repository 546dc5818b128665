/// Floating-point operations of the matrix products in a pass (a multiply-add counts 2). The
/// simulator turns these into simulated compute time; benchmarks into utilisation.
public enum FLOPCount {
  /// Forward pass over (batch, sequence) tokens.
  public static func forward(_ c: ModelConfig, lora: LoRAConfig?, batch: Int, sequence: Int) -> Double {
    count(c, lora: lora, batch: batch, sequence: sequence, backward: false, baseGradients: false)
  }

  /// Forward + backward. `baseGradients` adds the weight gradients of the base (full training);
  /// with a frozen base only input gradients and the adapter's are computed.
  public static func trainingStep(_ c: ModelConfig, lora: LoRAConfig?, batch: Int, sequence: Int, baseGradients: Bool) -> Double {
    count(c, lora: lora, batch: batch, sequence: sequence, backward: true, baseGradients: baseGradients)
  }

  static func count(_ c: ModelConfig, lora: LoRAConfig?, batch: Int, sequence: Int, backward: Bool, baseGradients: Bool) -> Double {
    let tokens = Double(batch * sequence)
    let d = Double(c.dim), t = Double(sequence)
    var projections = 0.0
    var adapters = 0.0
    let experts = Double(lora?.mixture?.experts ?? 1)
    for projection in Projection.allCases {
      let (out, inp) = projection.shape(c)
      // A mixture runs the down projection once per expert (its input differs); gate and up
      // share one base product.
      projections += 2 * Double(out * inp) * (projection == .down ? experts : 1)
      guard let lora, lora.targets.contains(projection) else { continue }
      adapters += 2 * Double(lora.rank * (inp + out)) * (lora.expertTargets.contains(projection) ? experts : 1)
    }
    if let mixture = lora?.mixture { projections += 2 * d * Double(mixture.experts) }  // the router
    let attention = 4 * t * d  // Q·Kᵀ and P·V, full t×t square per query row.
    let head = 2 * d * Double(c.vocabSize)
    let forwardPerToken = Double(c.layers) * (projections + adapters + attention) + head
    guard backward else { return tokens * forwardPerToken }
    // Input gradients mirror the forward; the adapter's path costs twice its forward
    // (dA, dB and dh, dX); attention backward is four t×t products.
    var backwardPerToken = Double(c.layers) * (projections + 2 * adapters + 2 * attention) + head
    if baseGradients { backwardPerToken += Double(c.layers) * projections + head }
    return tokens * (forwardPerToken + backwardPerToken)
  }
}
