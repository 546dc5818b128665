/// Low-rank adaptation settings (Hu et al. 2021), with PEFT's conventions.
public struct LoRAConfig: Codable, Sendable, Equatable, Hashable {
  /// Rank r of the update B·A.
  public var rank: Int
  /// The numerator of the scaling factor.
  public var alpha: Float
  /// Scale by alpha/√r (rank-stabilised LoRA, Kalajdzievski 2023) instead of alpha/r.
  public var useRSLoRA: Bool
  /// Dropout probability applied to the adapter's input.
  public var dropout: Float
  /// The projections that carry an adapter, in every block.
  public var targets: Set<Projection>
  /// A mixture of experts on the MLP (CoMiGS): the MLP targets become one LoRA per expert, gated
  /// by a per-layer router; nil for a plain adapter.
  public var mixture: MixtureConfig?

  public init(
    rank: Int = 8, alpha: Float = 16, useRSLoRA: Bool = false, dropout: Float = 0,
    targets: Set<Projection> = Set(Projection.allCases), mixture: MixtureConfig? = nil
  ) {
    self.rank = rank
    self.alpha = alpha
    self.useRSLoRA = useRSLoRA
    self.dropout = dropout
    self.targets = targets
    self.mixture = mixture
  }

  /// The factor applied to B·A·x.
  public var scaling: Float {
    useRSLoRA ? alpha / Float(rank).squareRoot() : alpha / Float(rank)
  }

  /// Targets in a fixed order (the order of `Projection.allCases`).
  public var orderedTargets: [Projection] { Projection.allCases.filter(targets.contains) }

  /// The targets with one shared adapter per layer: all of them, or the attention ones when the
  /// MLP is a mixture of experts.
  public var sharedTargets: [Projection] { orderedTargets.filter { mixture == nil || !$0.isMLP } }

  /// The MLP targets that carry one adapter per expert (none without a mixture).
  public var expertTargets: [Projection] { mixture == nil ? [] : orderedTargets.filter(\.isMLP) }

  public func validate() throws(ModelError) {
    if rank <= 0 || rank > 65_536 { throw .invalidConfig(field: "r", value: "\(rank)", expected: "an integer in 1…65536") }
    if !(alpha > 0) { throw .invalidConfig(field: "lora_alpha", value: "\(alpha)", expected: "a positive number") }
    if !(dropout >= 0 && dropout < 1) {
      throw .invalidConfig(field: "lora_dropout", value: "\(dropout)", expected: "a probability in [0, 1)")
    }
    if targets.isEmpty {
      throw .invalidConfig(field: "target_modules", value: "[]", expected: "at least one of \(Projection.allCases.map(\.rawValue))")
    }
    if let mixture {
      try mixture.validate()
      if expertTargets.isEmpty {
        throw .invalidConfig(
          field: "target_modules", value: "\(orderedTargets.map(\.rawValue))", expected: "an MLP projection for the experts' LoRA")
      }
    }
  }
}

/// PEFT tensor names for adapters (as saved in adapter_model.safetensors).
public enum LoRANames {
  public static func a(_ layer: Int, _ projection: Projection) -> String {
    "base_model.model.model.layers.\(layer).\(projection.modulePath).lora_A.weight"
  }

  public static func b(_ layer: Int, _ projection: Projection) -> String {
    "base_model.model.model.layers.\(layer).\(projection.modulePath).lora_B.weight"
  }
}

extension ParameterLayout {
  /// An adapter's layout: A is (r, in), B is (out, r), PEFT names.
  public static func lora(_ lora: LoRAConfig, model config: ModelConfig) -> ParameterLayout {
    var layout = ParameterLayout()
    for layer in 0..<config.layers {
      for projection in lora.sharedTargets {
        let (out, inp) = projection.shape(config)
        layout.append(LoRANames.a(layer, projection), shape: [lora.rank, inp])
        layout.append(LoRANames.b(layer, projection), shape: [out, lora.rank])
      }
      if let mixture = lora.mixture {
        for expert in 0..<mixture.experts {
          for projection in lora.expertTargets {
            let (out, inp) = projection.shape(config)
            layout.append(MixtureNames.a(layer, expert: expert, projection, mixture), shape: [lora.rank, inp])
            layout.append(MixtureNames.b(layer, expert: expert, projection, mixture), shape: [out, lora.rank])
          }
        }
        layout.append(MixtureNames.router(layer), shape: [mixture.experts, config.dim])
      }
    }
    return layout
  }
}
